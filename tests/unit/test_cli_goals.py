"""`driftcheck goals set|list|clear` and `driftcheck checkin`, in-process with a temp data
directory: the dialog's rules and sentences, nothing stored when any part is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import one_error_line, stored_checkins
from widget.core.calendar import local_day, week_window
from widget.core.model import Interval
from widget.core.options import Options, instant_from_setting
from widget.desktop.localzone import local_zone
from widget.logs import LOG_NAME
from widget.paths import DB_NAME
from widget.store import Store


def goals_json(run) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    listed = run("goals", "list", "--json")
    assert listed.code == 0, listed.err
    return json.loads(listed.out)  # type: ignore[no-any-return]


# --- goals --------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--daily", "--weekly", "--session"])
def test_a_negative_goal_says_what_is_wrong_with_it(run, option: str) -> None:  # type: ignore[no-untyped-def]
    """argparse took '-3m' for an option and said only "expected one argument"."""
    wrong = run("goals", "set", option, "-3m")
    assert wrong.code == 1
    line = one_error_line(wrong.err)
    assert "A goal needs a positive length, not '-3m'; try 45m, 1h30m or 2h." in line
    assert "expected one argument" not in line
    assert goals_json(run) == []


def test_goals_take_seconds_and_decimal_hours(run) -> None:  # type: ignore[no-untyped-def]
    done = run("goals", "set", "--daily", "90s", "--weekly", "1.5h", "--session", "45 min")
    assert done.code == 0, done.err
    assert "Daily goal set: 1 min 30 s, all tracked apps." in done.out
    assert [g["limit_seconds"] for g in goals_json(run)] == [90, 5400, 2700]


def test_set_list_and_clear_round_trip(run) -> None:  # type: ignore[no-untyped-def]
    assert run("goals", "list").out.startswith("You have not set any goals yet")
    assert goals_json(run) == []
    done = run("goals", "set", "--daily", "45m", "--weekly", "5h", "--quiet", "23:00-06:00",
               "--session", "1h")
    assert done.code == 0, done.err
    assert "Daily goal set: 45 min, all tracked apps." in done.out
    assert goals_json(run) == [
        {"kind": "daily", "app": None, "limit_seconds": 2700, "quiet_start": None,
         "quiet_end": None},
        {"kind": "weekly", "app": None, "limit_seconds": 18000, "quiet_start": None,
         "quiet_end": None},
        {"kind": "session", "app": None, "limit_seconds": 3600, "quiet_start": None,
         "quiet_end": None},
        {"kind": "quiet_hours", "app": None, "limit_seconds": None, "quiet_start": "23:00",
         "quiet_end": "06:00"},
    ]
    text = run("goals", "list").out.splitlines()
    assert text == ["Daily goal: 45 min, all tracked apps", "Weekly goal: 5 h, all tracked apps",
                    "Longest session: 1 h, all tracked apps",
                    "Quiet hours: 23:00-06:00, all tracked apps"]
    assert "limit" not in " ".join(text).lower()  # 'goal' is the one word, as in the dialog
    # Setting one again replaces it and keeps the others.
    assert run("goals", "set", "--daily", "1h30m").code == 0
    assert [(g["kind"], g["limit_seconds"]) for g in goals_json(run)] == \
        [("weekly", 18000), ("session", 3600), ("quiet_hours", None), ("daily", 5400)]
    cleared = run("goals", "clear", "--kind", "session")
    assert cleared.out.strip() == "Cleared 1 goal."
    assert [g["kind"] for g in goals_json(run)] == ["weekly", "quiet_hours", "daily"]
    assert run("goals", "clear", "--app", "replika").out.strip() == \
        "There were no goals like that to clear."
    assert run("goals", "clear", "--kind", "session").out.strip() == \
        "There were no goals like that to clear."
    assert run("goals", "clear").out.strip() == "Cleared 3 goals."
    assert goals_json(run) == []


def test_goals_for_one_app(run) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "replika").code == 0
    assert run("goals", "set", "--daily", "45m").code == 0
    done = run("goals", "set", "--app", "replika", "--daily", "30m", "--session", "40m")
    assert done.code == 0, done.err
    assert "Daily goal set: 30 min, Replika." in done.out
    assert [(g["kind"], g["app"]) for g in goals_json(run)] == \
        [("daily", None), ("daily", "replika"), ("session", "replika")]
    assert "Daily goal: 30 min, Replika" in run("goals", "list").out
    assert run("goals", "clear", "--app", "replika").out.strip() == "Cleared 2 goals."
    assert [(g["kind"], g["app"]) for g in goals_json(run)] == [("daily", None)]


@pytest.mark.parametrize(("argv", "sentence"), [
    (["--daily", "0"], "Please choose a goal above zero."),
    (["--daily", "0m", "--weekly", "5h"], "Please choose a goal above zero."),
    (["--session", "0h"], "Please choose a goal above zero."),
    (["--daily", "25h"], "A day has 24 hours; please choose a goal within it."),
    (["--session", "24h1m"], "A day has 24 hours; please choose a goal within it."),
    (["--weekly", "169h"], "A week has 168 hours; please choose a goal within it."),
    (["--quiet", "23:00-23:00"], "Quiet hours need to end at a different time than they "
                                 "start."),
    (["--daily", "2h", "--weekly", "1h"], "The weekly goal is below one day at the daily "
                                          "goal; please raise it or lower the daily one."),
    (["--daily=-5m"], "A goal needs a positive length, not '-5m'; try 45m, 1h30m or 2h."),
    (["--daily", "soon"], "'soon' is not a length of time; try 45m, 1h30m or 2h."),
    (["--quiet", "23:00"], "'23:00' is not a span of quiet hours; try 23:00-06:00."),
    (["--quiet", "25:00-06:00"], "'25:00' is not a time of day; try 23:00."),
    (["--daily", "1h", "--app", "kindroid"], "'kindroid' is not among the apps you track; "
                                             "`driftcheck apps list` shows them."),
    ([], "Say which goal to set"),
])
def test_a_bad_goal_is_one_sentence_and_stores_nothing(  # type: ignore[no-untyped-def]
        run, argv: list[str], sentence: str) -> None:
    assert run("goals", "set", "--daily", "3h").code == 0
    before = goals_json(run)
    result = run("goals", "set", *argv)
    assert result.code != 0
    assert sentence in one_error_line(result.err)
    assert goals_json(run) == before


def test_a_weekly_goal_below_the_stored_daily_one_is_refused(  # type: ignore[no-untyped-def]
        run) -> None:
    assert run("goals", "set", "--daily", "2h").code == 0
    result = run("goals", "set", "--weekly", "90m")
    assert result.code == 1
    assert "The weekly goal is below one day" in one_error_line(result.err)
    assert [g["kind"] for g in goals_json(run)] == ["daily"]


# --- checkin ------------------------------------------------------------------------------


def test_checkin_keeps_the_answer_with_this_weeks_time(  # type: ignore[no-untyped-def]
        run, data: Path) -> None:
    assert run("apps", "add", "replika").code == 0
    store = Store.open(data / DB_NAME)
    before = datetime.now(UTC)
    try:
        store.insert_interval(Interval("replika", before - timedelta(minutes=20),
                                       before - timedelta(minutes=10)))
    finally:
        store.close()
    note = "Called Sam afterwards, felt good."
    result = run("checkin", "--answer", "2", "--note", note)
    assert result.code == 0, result.err
    assert result.out.startswith("Thank you for checking in.")
    [kept] = stored_checkins(data)
    assert kept.answer == 2 and kept.note == note
    assert kept.asked == kept.answered and kept.asked >= before
    tz, start_hour = local_zone(), Options().day_start_hour
    week_start, _ = week_window(local_day(kept.asked, tz, start_hour), tz, start_hour)
    used = before - timedelta(minutes=10) - max(week_start, before - timedelta(minutes=20))
    assert kept.week_seconds == max(0, int(used.total_seconds()))  # 600 but at a week start
    store = Store.open(data / DB_NAME)
    try:
        assert instant_from_setting(store.get_setting("checkin.last_asked")) == kept.asked
    finally:
        store.close()
    assert note not in (data / LOG_NAME).read_text()  # the note is private: never logged


def test_checkin_not_sure_without_a_note(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("checkin", "--answer", "0").code == 0
    [kept] = stored_checkins(data)
    assert (kept.answer, kept.note, kept.week_seconds) == (0, None, 0)


@pytest.mark.parametrize("answer", ["6", "-1", "x", "", "2.5"])
def test_a_bad_answer_is_one_sentence_and_stores_nothing(  # type: ignore[no-untyped-def]
        run, data: Path, answer: str) -> None:
    result = run("checkin", "--answer", answer)
    assert result.code != 0
    line = one_error_line(result.err)
    assert "a number from 1 (it adds to my life) to 5" in line or "--answer" in line
    assert not (data / DB_NAME).exists() or stored_checkins(data) == []
