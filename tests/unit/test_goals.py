"""The rules that keep goals sensible: one clear sentence, naming the field, for every goal
that would be wrong to store; durations and times of day as people type them."""

from __future__ import annotations

import pytest

from widget.core.goals import (
    Goal,
    GoalKind,
    check_goal,
    check_goals,
    parse_duration,
    parse_time_of_day,
)
from widget.errors import InvalidGoal

H = 3600


@pytest.mark.parametrize(("goal", "field", "words"), [
    (Goal(GoalKind.DAILY, limit_seconds=0), "limit", "above zero"),
    (Goal(GoalKind.DAILY, limit_seconds=-60), "limit", "above zero"),
    (Goal(GoalKind.WEEKLY, limit_seconds=None), "limit", "above zero"),
    (Goal(GoalKind.SESSION, limit_seconds=-1), "limit", "above zero"),
    (Goal(GoalKind.DAILY, limit_seconds=24 * H + 60), "limit", "A day has 24 hours"),
    (Goal(GoalKind.SESSION, limit_seconds=25 * H), "limit", "A day has 24 hours"),
    (Goal(GoalKind.WEEKLY, limit_seconds=168 * H + 60), "limit", "A week has 168 hours"),
    (Goal(GoalKind.QUIET_HOURS, quiet_start=23 * 60, quiet_end=23 * 60), "quiet_end",
     "end at a different time"),
    (Goal(GoalKind.QUIET_HOURS, quiet_start=None, quiet_end=6 * 60), "quiet_start",
     "time of day"),
    (Goal(GoalKind.QUIET_HOURS, quiet_start=23 * 60, quiet_end=24 * 60), "quiet_end",
     "time of day"),
])
def test_every_bad_goal_has_its_sentence(goal: Goal, field: str, words: str) -> None:
    with pytest.raises(InvalidGoal) as caught:
        check_goal(goal)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)


@pytest.mark.parametrize("goal", [
    Goal(GoalKind.DAILY, limit_seconds=24 * H),
    Goal(GoalKind.WEEKLY, limit_seconds=168 * H),
    Goal(GoalKind.SESSION, limit_seconds=60),
    Goal(GoalKind.QUIET_HOURS, "replika", quiet_start=23 * 60, quiet_end=6 * 60),
])
def test_the_edges_that_are_fine(goal: Goal) -> None:
    assert check_goal(goal) is goal


def test_a_weekly_limit_below_one_day_at_the_daily_one() -> None:
    daily = Goal(GoalKind.DAILY, limit_seconds=2 * H)
    with pytest.raises(InvalidGoal, match="weekly goal is below one day") as caught:
        check_goals([daily, Goal(GoalKind.WEEKLY, limit_seconds=H)])
    assert caught.value.field == "limit"
    # Equal is fine, and another app's daily limit does not count.
    check_goals([daily, Goal(GoalKind.WEEKLY, limit_seconds=2 * H)])
    check_goals([daily, Goal(GoalKind.WEEKLY, "replika", limit_seconds=H)])


def test_one_goal_per_kind_and_app() -> None:
    with pytest.raises(InvalidGoal, match="already a goal of that kind") as caught:
        check_goals([Goal(GoalKind.DAILY, limit_seconds=H), Goal(GoalKind.DAILY,
                                                                 limit_seconds=2 * H)])
    assert caught.value.field == "kind"
    check_goals([Goal(GoalKind.DAILY, limit_seconds=H),
                 Goal(GoalKind.DAILY, "replika", limit_seconds=H)])


@pytest.mark.parametrize(("text", "seconds"), [
    ("45m", 45 * 60), ("1h30m", 90 * 60), ("2h", 2 * H), ("90", 90 * 60), ("1:30", 90 * 60),
    (" 1H 5M ", 65 * 60),
    # The forms every duration setting takes too.
    ("5m", 300), ("180s", 180), ("1.5h", 90 * 60), ("45 min", 45 * 60), ("1 h 5 min", 65 * 60),
    ("4 min 12 s", 252), ("2 hours", 2 * H), ("0.5m", 30),
])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "45x", "1.5.0h", "m45", "abc", "4 5 q"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidGoal, match="is not a length of time"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["-3m", "-45", " -1h30m", "-1:30"])
def test_a_negative_length_is_named_as_such(text: str) -> None:
    with pytest.raises(InvalidGoal, match="A goal needs a positive length"):
        parse_duration(text)


def test_times_of_day() -> None:
    assert parse_time_of_day("23:00") == 23 * 60
    assert parse_time_of_day("6:05") == 6 * 60 + 5
    for bad in ("24:00", "23:60", "11pm", "23", ""):
        with pytest.raises(InvalidGoal, match="is not a time of day"):
            parse_time_of_day(bad)


def test_quiet_hours_wrap_midnight() -> None:
    night = Goal(GoalKind.QUIET_HOURS, quiet_start=23 * 60, quiet_end=6 * 60)
    assert [night.in_quiet_hours(m) for m in (22 * 60 + 59, 23 * 60, 0, 5 * 60 + 59, 6 * 60)] \
        == [False, True, True, True, False]
    lunch = Goal(GoalKind.QUIET_HOURS, quiet_start=12 * 60, quiet_end=13 * 60)
    assert [lunch.in_quiet_hours(m) for m in (11 * 60 + 59, 12 * 60, 13 * 60)] == \
        [False, True, False]
    assert not Goal(GoalKind.DAILY, limit_seconds=H).in_quiet_hours(0)


def test_suggested_goals_start_from_the_week_that_was() -> None:
    from widget.core.goals import GoalKind, suggest_goals

    minutes = [10, 20, 30, 40, 50, 0, 35]  # median 30 min, total 185 min
    goals = suggest_goals([m * 60 for m in minutes])
    by_kind = {g.kind: g for g in goals}
    assert by_kind[GoalKind.DAILY].limit_seconds == 30 * 60
    assert by_kind[GoalKind.WEEKLY].limit_seconds == 4 * 3600  # 3 h 05 rounded up to 4 h
    from widget.core.goals import check_goals

    check_goals(goals)  # what is suggested can be saved as it is


def test_no_suggestion_after_a_week_without_use() -> None:
    from widget.core.goals import suggest_goals

    assert suggest_goals([0.0] * 7) == []


def test_the_watch_lasts_seven_days() -> None:
    from datetime import date

    from widget.core.goals import watch_is_over

    assert not watch_is_over(date(2026, 11, 20), date(2026, 11, 26))
    assert watch_is_over(date(2026, 11, 20), date(2026, 11, 27))
