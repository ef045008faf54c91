"""Title rules decided where the title is (the GNOME Shell extension): `Matcher.title_rules()`
hands them out in order, `Foreground.title_hits` brings back which of them match, and
`Matcher.match` decides from those hits exactly as it would from the title itself, for the
shared cases (tests/data/title_cases.json) and for generated rules and titles."""

# ruff: noqa: RUF001  (look-alike letters are what these tests are about)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import Matcher, clip_title, compile_glob

CASES = Path(__file__).resolve().parents[1] / "data" / "title_cases.json"
T, P, B, A = RuleKind.TITLE, RuleKind.PROCESS, RuleKind.BUNDLE, RuleKind.ADDRESS
BROWSERS = frozenset({"firefox"})


def hits_of(rules: list[str], title: str) -> tuple[int, ...]:
    """What the extension answers: the places of the rules that match `title`."""
    if not title:
        return ()
    clipped = clip_title(title)
    lowered = clipped.lower()
    return tuple(i for i, rule in enumerate(rules)
                 if (rule[2:] in lowered if rule.startswith("s:")
                     else compile_glob(rule[2:]).match(clipped) is not None))


def app(key: str, *titles: str, any_window: bool = False,
        others: tuple[Rule, ...] = ()) -> TrackedApp:
    return TrackedApp(key, key.title(), (*others, *(Rule(T, t) for t in titles)),
                      any_window_titles=any_window)


def window(title: str | None, process: str = "firefox",
           hits: tuple[int, ...] | None = None) -> Foreground:
    return Foreground(process=process, pid=7, title=title, title_hits=hits)


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CASES.read_text(encoding="utf-8"))["cases"]
    return cases


# --- title_rules ---------------------------------------------------------------------------------


def test_title_rules_are_the_title_rules_in_order_encoded() -> None:
    tracked = [
        app("replika", "Replika", "*Replika — Chat*",
            others=(Rule(P, "replika"), Rule(B, "ai.replika"), Rule(A, "replika.com"))),
        app("kindroid", "KINDROID", any_window=True),
        app("nomi", "  [Nn]omi*  ", "İstanbul"),
    ]
    assert Matcher(tracked, BROWSERS).title_rules() == [
        "s:replika", "g:*Replika — Chat*", "s:kindroid", "g:[Nn]omi*", "s:i̇stanbul"]


def test_title_rules_leave_out_refused_rules_and_are_a_copy() -> None:
    matcher = Matcher([app("x", "*", "[abc", "C", "Claude")], BROWSERS)
    rules = matcher.title_rules()
    assert rules == ["s:claude"]
    rules.append("s:everything")
    assert matcher.title_rules() == ["s:claude"]
    assert Matcher([app("x", others=(Rule(P, "x"),))], BROWSERS).title_rules() == []


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case["why"][:50])
def test_the_shared_cases_encode_and_hit_as_written(case: dict[str, Any]) -> None:
    matcher = Matcher([app("x", *case["written"])], BROWSERS)
    assert matcher.title_rules() == case["encoded"]
    for entry in case["titles"]:
        assert list(hits_of(case["encoded"], entry["title"])) == entry["hits"], entry["title"]


# --- match from hits ----------------------------------------------------------------------------

ARRANGEMENTS = {
    "one app in browsers": lambda written: [app("a", *written)],
    "one app in any window": lambda written: [app("a", *written, any_window=True)],
    # Each rule its own app, every other one for any window: the first rule that applies wins.
    "an app a rule": lambda written: [app(f"a{i}", w, any_window=i % 2 == 1)
                                      for i, w in enumerate(written)],
    "a process rule first": lambda written: [app("p", others=(Rule(P, "editor"),)),
                                             app("a", *written, any_window=True)],
}


def assert_same_decision(tracked: list[TrackedApp], title: str) -> None:
    matcher = Matcher(tracked, BROWSERS)
    hits = hits_of(matcher.title_rules(), title)
    for process in ("firefox", "editor", "other"):
        by_title = matcher.match(window(title, process))
        by_hits = matcher.match(window(None, process, hits))
        assert by_hits == by_title, (process, title[:60], hits)


@pytest.mark.parametrize("arrangement", sorted(ARRANGEMENTS))
def test_hits_decide_as_the_title_on_the_shared_cases(arrangement: str) -> None:
    decided = 0
    for case in _cases():
        tracked = ARRANGEMENTS[arrangement](case["written"])
        for entry in case["titles"]:
            assert_same_decision(tracked, entry["title"])
            decided += 1
    assert decided > 100


WRITTEN = st.text(alphabet="abcAB *?[]!-.İıſΣσςK😀", min_size=2, max_size=8)
TITLES = st.text(alphabet="abcAB *?[]!-.İıſΣσςK😀\n", max_size=12)


@settings(max_examples=300, deadline=None)
@given(written=st.lists(WRITTEN, min_size=1, max_size=5), titles=st.lists(TITLES, max_size=5),
       arrangement=st.sampled_from(sorted(ARRANGEMENTS)))
def test_hits_decide_as_the_title_on_generated_rules(written: list[str], titles: list[str],
                                                     arrangement: str) -> None:
    tracked = ARRANGEMENTS[arrangement](written)
    for title in titles:
        assert_same_decision(tracked, title)


def test_the_first_rule_that_applies_wins_and_browser_rules_stay_in_browsers() -> None:
    matcher = Matcher([app("tab", "Claude"), app("win", "Claude", any_window=True)], BROWSERS)
    assert matcher.title_rules() == ["s:claude", "s:claude"]
    assert matcher.match(window(None, "firefox", (0, 1))) == "tab"
    assert matcher.match(window(None, "editor", (0, 1))) == "win"  # rule 0 is for browsers
    assert matcher.match(window(None, "editor", (0,))) is None
    assert matcher.match(window(None, "firefox", (1, 0))) == "tab"  # any order
    only_tabs = Matcher([app("tab", "Claude")], BROWSERS)
    assert only_tabs.match(window(None, "editor", (0,))) is None


def test_hits_are_read_only_without_a_title_and_only_for_rules_that_exist() -> None:
    matcher = Matcher([app("a", "Claude", any_window=True)], BROWSERS)
    assert matcher.match(window(None, hits=(0,))) == "a"
    assert matcher.match(window(None, hits=())) is None
    assert matcher.match(window(None, hits=None)) is None
    assert matcher.match(window(None, hits=(-1, 1, 7))) is None  # no wrap-around, no guess
    assert matcher.match(window("Other", hits=(0,))) is None  # the title decides when seen
    assert matcher.match(window("", hits=(0,))) is None


def test_a_process_or_bundle_rule_still_beats_title_hits() -> None:
    matcher = Matcher([app("t", "Claude", any_window=True),
                       app("p", others=(Rule(P, "editor"),))], BROWSERS)
    assert matcher.match(window(None, "editor", (0,))) == "p"


def test_hits_show_in_a_foregrounds_repr_and_the_title_does_not() -> None:
    text = repr(Foreground(process="firefox", title="secret chat", title_hits=(0, 2)))
    assert "title_hits=(0, 2)" in text and "secret" not in text
