"""`driftcheck status` says when tracking is paused (until when) and how today stands against
each goal: daily per app and in total, weekly, quiet hours and the session going now."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import instant_to_setting
from widget.core.standing import goal_standings, paused_words
from widget.core.usage import usage_now
from widget.paths import DB_NAME
from widget.store import Store

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # a Friday; the day starts at 04:00
REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),))
NOMI = TrackedApp("nomi", "Nomi", (Rule(RuleKind.TITLE, "nomi.ai"),))
NAMES = {"replika": "Replika", "nomi": "Nomi"}


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


WEEK = [
    Interval("replika", _at(2, 20), _at(2, 22)),  # Wednesday: 2 h
    Interval("replika", _at(4, 4, 30), _at(4, 5)),  # today, inside the quiet hours: 30 min
    Interval("replika", _at(4, 14), _at(4, 14, 36)),  # 36 min
    Interval("nomi", _at(4, 14, 50), NOW),  # 10 min, still going
]
GOALS = [
    Goal(GoalKind.SESSION, None, 3600),
    Goal(GoalKind.QUIET_HOURS, None, None, 23 * 60, 6 * 60),
    Goal(GoalKind.WEEKLY, None, 5 * 3600),
    Goal(GoalKind.DAILY, "replika", 30 * 60),
    Goal(GoalKind.DAILY, None, 45 * 60),
]
EXPECTED = [
    "Daily goal (all apps together): 1 h 16 min of 45 min today (168%, reached)",
    "Daily goal (Replika): 1 h 6 min of 30 min today (220%, reached)",
    "Weekly goal (all apps together): 3 h 16 min of 5 h this week (65%)",
    "Quiet hours 23:00-06:00 (all apps together): 30 min of today's time fell in them",
    "Longest session 1 h (all apps together): the session going now has lasted 10 min",
]


def test_each_goal_is_said_with_figures_that_agree_with_its_percentage() -> None:
    usage = usage_now(WEEK, NOW, UTC, 4)
    standings = goal_standings(GOALS, usage, WEEK, NAMES, UTC, 4)
    assert [s.words for s in standings] == EXPECTED
    assert [s.reached for s in standings] == [True, True, False, False, False]


def test_a_near_goal_is_not_called_reached_before_it_is() -> None:
    # 119.9 s of a 2-minute goal is "1 min 59 s of 2 min (99%)": neither rounded up nor reached.
    ivs = [Interval("replika", NOW - timedelta(seconds=119.9), NOW)]
    [standing] = goal_standings([Goal(GoalKind.DAILY, None, 120)], usage_now(ivs, NOW, UTC, 4),
                                ivs, NAMES, UTC, 4)
    assert standing.words == "Daily goal (all apps together): 1 min 59 s of 2 min today (99%)"
    assert not standing.reached


def test_quiet_hours_and_sessions_with_nothing_in_them_say_so() -> None:
    ivs = [Interval("replika", _at(4, 14), _at(4, 14, 20))]
    standings = goal_standings(GOALS[:2], usage_now(ivs, NOW, UTC, 4), ivs, NAMES, UTC, 4)
    assert [s.words for s in standings] == [
        "Quiet hours 23:00-06:00 (all apps together): none of today's time so far",
        "Longest session 1 h (all apps together): no session going now",
    ]


def test_a_pause_is_said_until_its_time_and_day() -> None:
    assert paused_words(None, NOW, UTC) is None
    assert paused_words(NOW - timedelta(minutes=1), NOW, UTC) is None  # over
    today = paused_words(NOW + timedelta(minutes=90), NOW, UTC)
    assert today is not None and today.startswith("Tracking is paused until 16:30,")
    tomorrow = paused_words(_at(5, 4), NOW, UTC)
    assert tomorrow is not None and "until tomorrow, 04:00" in tomorrow
    later = paused_words(_at(7, 9), NOW, UTC)
    assert later is not None and "until Mon 07 Dec, 09:00" in later


# --- the command ------------------------------------------------------------------------------


class _FixedNow(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return NOW if tz is None else NOW.astimezone(tz)


@pytest.fixture
def filled(data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setattr("widget.commands.status.datetime", _FixedNow)
    store = Store.open(data / DB_NAME)
    try:
        store.add_app(REPLIKA)
        store.add_app(NOMI)
        for interval in WEEK:
            store.insert_interval(interval)
        store.replace_goals(GOALS)
        store.set_setting("tracker.paused_until",
                          instant_to_setting(NOW + timedelta(minutes=90)))
    finally:
        store.close()
    return data


def test_status_says_the_pause_first_and_each_goal_after_the_totals(run, filled: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("status")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("Tracking is paused until 16:30")
    total = next(i for i, line in enumerate(lines) if line.strip().startswith("Total"))
    assert lines[total + 1] == "Your goals:"
    assert [line.strip() for line in lines[total + 2:]] == EXPECTED


def test_status_json_carries_the_pause_and_the_goals(run, filled: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("status", "--json").out)
    assert data["paused_until"] == (NOW + timedelta(minutes=90)).isoformat()
    assert [g["words"] for g in data["goals"]] == EXPECTED
    daily = data["goals"][0]
    assert (daily["kind"], daily["app"], daily["limit_seconds"], daily["used_seconds"],
            daily["percent"], daily["reached"]) == ("daily", None, 2700, 4560.0, 168, True)


def test_a_pause_that_has_ended_is_not_mentioned(run, filled: Path,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(filled / DB_NAME)
    try:
        store.set_setting("tracker.paused_until", instant_to_setting(NOW - timedelta(minutes=1)))
    finally:
        store.close()
    result = run("status")
    assert "paused" not in result.out
    assert json.loads(run("status", "--json").out)["paused_until"] is None


def test_before_any_tracker_has_run_status_claims_no_way_of_measuring(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    # A fresh folder with an app chosen: nothing has measured anything yet, in the foreground
    # or otherwise (doctor may say the desktop allows only the approximate way).
    store = Store.open(data / DB_NAME)
    try:
        store.add_app(REPLIKA)
    finally:
        store.close()
    first = run("status").out.splitlines()[0]
    assert first.startswith("Today, ") and first.endswith(", nothing counted yet:")
    store = Store.open(data / DB_NAME)
    try:
        store.set_setting("tracker.mode", "approximate")
    finally:
        store.close()
    assert run("status").out.splitlines()[0].endswith(
        "measured approximately (while the app runs):")
