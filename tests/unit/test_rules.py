"""Checking patterns, and recognising the tracked app in front."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import Matcher, compile_glob, is_glob, validate_pattern
from widget.errors import InvalidRule

BROWSERS = frozenset({"firefox", "google-chrome", "chrome.exe", "safari", "com.apple.safari"})


def app(key: str, *rules: tuple[RuleKind, str], any_window: bool = False) -> TrackedApp:
    return TrackedApp(
        key=key,
        name=key.title(),
        rules=tuple(Rule(kind, pattern) for kind, pattern in rules),
        any_window_titles=any_window,
    )


P, T, B = RuleKind.PROCESS, RuleKind.TITLE, RuleKind.BUNDLE


# --- validate_pattern -----------------------------------------------------------------------


def test_valid_pattern_is_returned_stripped() -> None:
    assert validate_pattern(P, "  Replika.exe \n") == "Replika.exe"
    assert validate_pattern(T, "* - Chai*") == "* - Chai*"


@pytest.mark.parametrize(
    ("kind", "pattern", "message"),
    [
        (T, "", "That title pattern is empty."),
        (T, "   ", "That title pattern is empty."),
        (P, "\t", "That process name is empty."),
        (T, "*", "only of wildcards"),
        (T, "**", "only of wildcards"),
        (T, "?*", "only of wildcards"),
        (T, "* ? *", "only of wildcards"),
        (T, "[ab]*", "only of wildcards"),
        (T, "*a*", "at least two letters"),
        (P, "x", "at least two letters"),
        (T, "a" * 201, "at most 200 characters"),
        (T, "a*b*c*d*e*f*g*h*i*j", "at most 8 wildcards"),
        (T, "Chat[GPT", "needs a closing ']'"),
        (T, "Chat[]GPT", "needs a closing ']'"),
        (T, "Chat\nGPT", "control characters"),
        (T, "Chat\x00GPT", "control characters"),
    ],
)
def test_bad_patterns_are_rejected_with_a_sentence(
    kind: RuleKind, pattern: str, message: str
) -> None:
    with pytest.raises(InvalidRule, match=re.escape(message)) as info:
        validate_pattern(kind, pattern)
    text = str(info.value)
    assert text.endswith(".") and text.count(". ") == 0


def test_rejection_never_echoes_the_title() -> None:
    with pytest.raises(InvalidRule) as info:
        validate_pattern(T, "My secret diary entry [draft")
    assert "secret" not in str(info.value)


def test_edge_of_limits_is_accepted() -> None:
    assert validate_pattern(T, "a" * 200)
    assert validate_pattern(T, "a*b*c*d*e*f*g*h*i")  # exactly 8 wildcards
    assert validate_pattern(T, "*ab*")
    assert validate_pattern(T, "[[]ab")  # a literal '[' written the glob way


@given(st.text(alphabet=st.sampled_from("*?[]!-az Z.\\^$()|+{}\n"), max_size=40) | st.text())
@settings(max_examples=400, deadline=None)
def test_validate_pattern_only_raises_invalid_rule_and_globs_stay_cheap(pattern: str) -> None:
    try:
        accepted = validate_pattern(T, pattern)
    except InvalidRule:
        return
    assert accepted == pattern.strip()
    if is_glob(accepted):
        regex = compile_glob(accepted)
        regex.match("ab" * 5_000)  # must finish; a catastrophic pattern would hang here
        regex.match("*?[a]" * 2_000)


# --- Matcher: process and bundle rules ------------------------------------------------------


def test_exact_process_name_is_case_insensitive_and_whole() -> None:
    matcher = Matcher([app("lm", (P, "LM Studio"))], BROWSERS)
    assert matcher.match(Foreground(process="lm studio")) == "lm"
    assert matcher.match(Foreground(process="LM Studio Helper")) is None


def test_process_glob_matches_the_whole_name() -> None:
    matcher = Matcher([app("kobold", (P, "koboldcpp*.exe"))], BROWSERS)
    assert matcher.match(Foreground(process="KoboldCpp_cu12.exe")) == "kobold"
    assert matcher.match(Foreground(process="not-koboldcpp.exe")) is None


def test_exe_basename_is_used_when_process_name_differs() -> None:
    matcher = Matcher([app("jan", (P, "jan"))], BROWSERS)
    assert matcher.match(Foreground(process="electron", exe="/opt/Jan/jan")) == "jan"
    fg = Foreground(process="Electron", exe=r"C:\Users\me\AppData\Local\Jan\Jan.exe")
    assert matcher.match(fg) == "jan"


def test_windows_exe_suffix_is_optional_on_either_side() -> None:
    without = Matcher([app("replika", (P, "Replika"))], BROWSERS)
    with_exe = Matcher([app("replika", (P, "Replika.exe"))], BROWSERS)
    assert without.match(Foreground(process="Replika.exe")) == "replika"
    assert with_exe.match(Foreground(process="replika.EXE")) == "replika"
    assert with_exe.match(Foreground(process="Replika")) is None


def test_bundle_rule_matches_window_class_only() -> None:
    matcher = Matcher([app("chatgpt", (B, "com.openai.chat"))], BROWSERS)
    assert matcher.match(Foreground(process="ChatGPT", window_class="com.OpenAI.chat")) == "chatgpt"
    assert matcher.match(Foreground(process="com.openai.chat")) is None


def test_first_listed_app_wins_among_process_matches() -> None:
    tracked = [app("first", (P, "chat*")), app("second", (P, "chatgpt"))]
    assert Matcher(tracked, BROWSERS).match(Foreground(process="chatgpt")) == "first"
    tracked.reverse()
    assert Matcher(tracked, BROWSERS).match(Foreground(process="chatgpt")) == "second"


# --- Matcher: title rules -------------------------------------------------------------------


def test_title_substring_is_case_insensitive_in_a_browser() -> None:
    matcher = Matcher([app("kin", (T, "Kindroid"))], BROWSERS)
    fg = Foreground(process="firefox", title="My chat | KINDROID — Mozilla Firefox")
    assert matcher.match(fg) == "kin"


def test_title_glob_matches_the_whole_title() -> None:
    matcher = Matcher([app("chai", (T, "Chai - Chat*"))], BROWSERS)
    chrome = "google-chrome"
    assert matcher.match(Foreground(chrome, title="Chai - Chat with AI - Google Chrome")) == "chai"
    assert matcher.match(Foreground(chrome, title="Masala Chai - Chat recipes")) is None


def test_title_rules_ignore_windows_that_are_not_browsers() -> None:
    matcher = Matcher([app("st", (T, "SillyTavern"))], BROWSERS)
    assert matcher.match(Foreground("gedit", title="notes about SillyTavern.txt")) is None
    assert matcher.match(Foreground("firefox", title="SillyTavern — Mozilla Firefox")) == "st"


def test_any_window_titles_lets_title_rules_see_every_window() -> None:
    tracked = [app("st", (T, "SillyTavern")), app("mine", (T, "My Companion"), any_window=True)]
    matcher = Matcher(tracked, BROWSERS)
    assert matcher.match(Foreground("wine", title="My Companion v2")) == "mine"
    assert matcher.match(Foreground("gedit", title="SillyTavern")) is None


def test_browser_recognised_by_exe_or_window_class() -> None:
    matcher = Matcher([app("pi", (T, "Pi, your personal AI"))], BROWSERS)
    title = "Pi, your personal AI"
    by_exe = Foreground("GeckoMain", exe="/usr/lib/firefox/firefox", title=title)
    by_class = Foreground("Safari Web Content", window_class="com.apple.Safari", title=title)
    by_exe_suffix = Foreground("Chrome", exe=r"C:\Program Files\Google\chrome.exe", title=title)
    for fg in (by_exe, by_class, by_exe_suffix):
        assert matcher.is_browser(fg)
        assert matcher.match(fg) == "pi"
    assert not matcher.is_browser(Foreground("gedit", exe="/usr/bin/gedit", window_class="Gedit"))


def test_native_app_beats_a_title_match_of_an_earlier_app() -> None:
    tracked = [app("web", (T, "ChatGPT")), app("native", (P, "firefox"))]
    fg = Foreground("firefox", title="ChatGPT — Mozilla Firefox")
    assert Matcher(tracked, BROWSERS).match(fg) == "native"


def test_nothing_matches_without_title_or_rules() -> None:
    matcher = Matcher([app("st", (T, "SillyTavern"))], BROWSERS)
    assert matcher.match(Foreground("firefox")) is None
    assert Matcher([], BROWSERS).match(Foreground("firefox", title="SillyTavern")) is None


def test_a_damaged_rule_never_matches_every_window() -> None:
    tracked = [app("broken", (T, "*"), (T, ""), (P, "?")), app("ok", (T, "Kindroid"))]
    matcher = Matcher(tracked, BROWSERS)
    assert matcher.match(Foreground("firefox", title="Inbox — Mozilla Firefox")) is None
    assert matcher.match(Foreground("firefox", title="Kindroid — Mozilla Firefox")) == "ok"
