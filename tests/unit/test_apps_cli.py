"""`driftcheck apps`: nothing silently replaced, apps found by name in any case, and each app
said in plain words as it is recognised on this system (issue 10 §2, §3, §4, §6)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.catalog_data import load_catalog
from widget.core.catalog import custom_app, distinct_custom_key, entry_recognition, recognition
from widget.core.model import Foreground, Interval, Rule, RuleKind, TrackedApp
from widget.core.rules import count_check, count_check_words, describe_rules, glob_words
from widget.errors import InvalidRule, UnknownApp
from widget.paths import DB_NAME
from widget.store import Store


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("driftcheck: ") and "Traceback" not in err, err
    return lines[0]


def listed(run) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    result = run("apps", "list", "--json")
    assert result.code == 0, result.err
    return {a["id"]: a for a in json.loads(result.out)}


# --- §2: a second own app never replaces the first -----------------------------------------


def test_two_names_that_make_one_id_are_two_apps(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "--name", "Kira", "--process", "replika").code == 0
    store = Store.open(data / DB_NAME)
    try:
        start = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
        store.insert_interval(Interval("custom-kira", start, start + timedelta(minutes=30)))
    finally:
        store.close()
    second = run("apps", "add", "--name", "💬 Kira ❤", "--process", "kira2")
    assert second.code == 0, second.err
    assert "custom-kira-2" in second.out and "nothing of Kira changed" in second.out
    apps = listed(run)
    assert apps["custom-kira"]["name"] == "Kira"
    assert apps["custom-kira"]["rules"] == [{"kind": "process", "pattern": "replika"}]
    assert apps["custom-kira-2"]["name"] == "💬 Kira ❤"
    assert apps["custom-kira-2"]["rules"] == [{"kind": "process", "pattern": "kira2"}]
    with sqlite3.connect(data / DB_NAME) as conn:  # the history stays with the first Kira
        [(key, name)] = conn.execute(
            "SELECT a.key, a.name FROM intervals i JOIN tracked_apps a ON a.id = i.app_id"
        ).fetchall()
    assert (key, name) == ("custom-kira", "Kira")


def test_the_same_name_as_a_tracked_own_app_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "--name", "Kira", "--process", "replika").code == 0
    again = run("apps", "add", "--name", "kira", "--process", "other")
    assert again.code == 1
    assert "already track an app called Kira" in one_line(again.err)
    assert listed(run)["custom-kira"]["rules"] == [{"kind": "process", "pattern": "replika"}]


def test_an_own_app_removed_and_added_again_by_its_name_comes_back() -> None:
    app = custom_app("Kira", ["kira"], [], any_window=False)
    assert distinct_custom_key(app, {"custom-kira": "Kira"}, set()).key == "custom-kira"
    assert distinct_custom_key(app, {"custom-kira": "Kora"}, set()).key == "custom-kira-2"
    assert distinct_custom_key(app, {"custom-kira": "Kora", "custom-kira-2": "X"},
                               {"custom-kira"}).key == "custom-kira-3"
    with pytest.raises(InvalidRule):
        distinct_custom_key(app, {"custom-kira": "KIRA "}, {"custom-kira"})


# --- §4: names and ids in any case, the nearest suggested ----------------------------------


@pytest.mark.parametrize("text", ["Replika", "REPLIKA", "replika", " replika "])
def test_apps_add_finds_the_catalog_app_by_name_or_id_in_any_case(run, text: str  # type: ignore[no-untyped-def]
                                                                 ) -> None:
    result = run("apps", "add", text)
    assert result.code == 0, result.err
    assert list(listed(run)) == ["replika"]


def test_names_with_punctuation_and_spaces_are_found() -> None:
    catalog = load_catalog()
    for text in ("Character.AI", "character ai", "CHARACTER-AI", "Janitor AI", "lm studio"):
        assert catalog.find(text).id in ("character-ai", "janitor-ai", "lm-studio"), text


def test_an_unknown_name_suggests_the_nearest_and_stores_nothing(run, data: Path  # type: ignore[no-untyped-def]
                                                                 ) -> None:
    result = run("apps", "add", "replika", "Replka")
    assert result.code == 1
    assert "did you mean replika (Replika)?" in one_line(result.err)
    assert not listed(run)
    with pytest.raises(UnknownApp, match="apps catalog"):
        load_catalog().find("zzzzzz")


def test_adding_a_tracked_catalog_app_again_changes_nothing(run) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "replika").code == 0
    again = run("apps", "add", "Replika")
    assert again.code == 0 and "already track Replika" in again.out


def test_apps_remove_takes_a_name_in_any_case(run) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "replika", "nomi").code == 0
    result = run("apps", "remove", "REPLIKA")
    assert result.code == 0, result.err
    assert list(listed(run)) == ["nomi"]


# --- §3 and §6: how each app is recognised, in words ---------------------------------------


def test_replika_on_linux_says_it_is_a_browser_tab_and_what_it_misses() -> None:
    seen = entry_recognition(load_catalog().get("replika"), "linux")
    assert seen.counted == ("a browser tab at my.replika.com (with driftcheck's browser "
                            'extension), or whose title says "Replika"')
    assert "no Linux desktop app" in seen.not_counted
    assert 'does not say "Replika"' in seen.not_counted
    on_windows = entry_recognition(load_catalog().get("replika"), "windows")
    assert on_windows.counted.startswith('the desktop app: the program "Replika.exe"')


def test_globs_read_as_words_not_patterns() -> None:
    assert glob_words("*Replika[!a-z]*") == ("says", "Replika")
    assert glob_words("Nomi [-—|]*") == ("starts with", "Nomi -")
    assert glob_words("*- Claude") == ("ends with", "- Claude")
    assert glob_words("Kindroid") == ("says", "Kindroid")
    for entry in load_catalog().entries:
        for platform in ("linux", "windows", "macos"):
            seen = entry_recognition(entry, platform)
            words = seen.counted + seen.not_counted
            assert not any(c in words for c in "*[]"), (entry.id, words)
    assert describe_rules((Rule(RuleKind.PROCESS, "mychat"),
                           Rule(RuleKind.TITLE, "My Chat"))) == (
        'the program "mychat", or a browser tab whose title says "My Chat"')


def test_apps_catalog_and_list_say_how_each_app_is_recognised(run) -> None:  # type: ignore[no-untyped-def]
    catalog = run("apps", "catalog")
    assert catalog.code == 0
    assert "recognised on Linux" in catalog.out
    flat = " ".join(catalog.out.split())  # the table wraps to the terminal's width
    assert ("a browser tab at my.replika.com (with driftcheck's browser extension), or whose "
            'title says "Replika"') in flat
    entries = {e["id"]: e for e in json.loads(run("apps", "catalog", "--json").out)}
    assert entries["replika"]["counted"] == ("a browser tab at my.replika.com (with "
                                             "driftcheck's browser extension), or whose title "
                                             'says "Replika"')
    assert entries["replika"]["addresses"] == ["my.replika.com"]
    assert entries["replika"]["addresses_verified"] is False
    assert run("apps", "add", "replika").code == 0
    assert run("apps", "add", "--name", "My Kobold", "--process", "kobold*").code == 0
    text = run("apps", "list").out
    header = next(line for line in text.splitlines() if line.startswith("ID"))
    assert header.split() == ["ID", "NAME", "COUNTED", "AS"]
    assert "*Replika" not in text and "[!a-z]" not in text  # no raw globs
    assert 'a program whose name starts with "kobold"' in text
    assert "Not counted" in text
    assert listed(run)["replika"]["not_counted"].startswith("Not counted:")


def test_a_program_glob_reads_as_words() -> None:
    app = custom_app("My Kobold", ["kobold*"], [], any_window=False)
    seen = recognition(app, "linux")
    assert "kobold" in seen.counted and "browser tab" in seen.not_counted


# --- the live check's words (the probe itself: tests/e2e/test_apps_check.py) --------------


BROWSERS = frozenset({"firefox"})
REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.TITLE, "*Replika"),))
KIRA = TrackedApp("custom-kira", "Kira", (Rule(RuleKind.PROCESS, "kira"),), source="custom")


def test_the_check_says_which_app_the_window_counts_as() -> None:
    fg = Foreground("firefox", title="Chat - Replika")
    words = count_check_words(count_check(fg, [REPLIKA, KIRA], BROWSERS, sees_front=True,
                                          probe="x11"))
    assert words[0].startswith('In front now: a browser tab of the program "firefox" titled '
                               '"Chat - Replika"')
    assert words[1] == "It counts as Replika."
    elsewhere = count_check(Foreground("xterm", title="Replika"), [REPLIKA], BROWSERS,
                            sees_front=True, probe="x11")
    assert elsewhere.counts_as is None  # a title outside a browser does not count Replika
    assert "not counted" in count_check_words(elsewhere)[1]


def test_the_check_says_plainly_when_the_front_window_cannot_be_seen() -> None:
    check = count_check(Foreground("kira"), [KIRA], BROWSERS, sees_front=False,
                        probe="process-fallback")
    words = count_check_words(check)
    assert "does not tell driftcheck which window is in front" in words[0]
    assert words[-1] == 'Running now: the program "kira", counted as Kira.'


def test_an_app_id_rule_counts_the_window_by_its_own_id_in_any_case() -> None:
    """`apps add --app-id`: the Wayland app id / X11 class / bundle id, never the process."""
    from widget.core.rules import Matcher

    app = custom_app("Kindroid", [], [], False, app_ids=["ai.kindroid.*"])
    assert [(r.kind, r.pattern) for r in app.rules] == [(RuleKind.BUNDLE, "ai.kindroid.*")]
    assert "the app with the id" in recognition(app, "linux").counted
    matcher = Matcher([app], BROWSERS)
    assert matcher.match(Foreground("foot", window_class="AI.Kindroid.Chat")) == app.key
    assert matcher.match(Foreground("ai.kindroid.chat")) is None  # a process of that name
    check = count_check(Foreground("foot", title="x", window_class="ai.kindroid.Chat"), [app],
                        BROWSERS, sees_front=True, probe="sway")
    assert count_check_words(check)[1:] == ["It counts as Kindroid.",
                                            'Its app id is "ai.kindroid.Chat" (what `apps add '
                                            '--app-id` matches).']
