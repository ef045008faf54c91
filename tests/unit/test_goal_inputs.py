"""Goal values under hypothesis: lengths of time, times of day and whole goals either parse to
what they say or are refused with InvalidGoal, never another exception and never a value that
means something else ('1:-30' was half an hour, '1_0:00' ten o'clock)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.goals import (
    DAY_S,
    WEEK_S,
    Goal,
    GoalKind,
    check_goal,
    check_goals,
    parse_duration,
    parse_time_of_day,
)
from widget.errors import InvalidGoal

TEXT = st.one_of(
    st.text(max_size=20),
    st.text(st.sampled_from("0123456789hm: -+_.,\u0661\u00b2"), max_size=12),
    st.sampled_from(["9" * 5000, "1" * 10 + "h", "\u0661\u0660m", "\uff11\uff12:00"]),
)


@settings(max_examples=800, deadline=None)
@given(TEXT)
def test_a_length_of_time_is_a_whole_number_of_seconds_or_refused(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except InvalidGoal as error:
        assert str(error).endswith("try 45m, 1h30m or 2h.")
        return
    assert isinstance(seconds, int) and seconds >= 0


@settings(max_examples=800, deadline=None)
@given(TEXT)
def test_a_time_of_day_is_a_minute_of_the_day_or_refused(text: str) -> None:
    try:
        minute = parse_time_of_day(text)
    except InvalidGoal:
        return
    assert 0 <= minute < 24 * 60
    hours, minutes = text.strip().split(":")
    assert hours.isdecimal() and minutes.isdecimal() and len(minutes) == 2


@given(hours=st.integers(0, 200), minutes=st.integers(0, 59))
def test_the_written_forms_mean_what_they_say(hours: int, minutes: int) -> None:
    total = hours * 3600 + minutes * 60
    assert parse_duration(f"{hours}h{minutes}m") == total
    assert parse_duration(f" {hours}h {minutes}m ") == total
    assert parse_duration(f"{hours}:{minutes:02d}") == total
    assert parse_duration(str(hours * 60 + minutes)) == total
    assert parse_duration(f"{hours} h {minutes} min") == total
    assert parse_duration(f"{total}s") == total
    assert parse_duration(f"{hours}.5h") == total - minutes * 60 + 1800
    if hours < 24:
        assert parse_time_of_day(f"{hours:02d}:{minutes:02d}") == hours * 60 + minutes
        assert parse_time_of_day(f"{hours}:{minutes:02d}") == hours * 60 + minutes


@pytest.mark.parametrize("text", ["1:-30", "-1:30", "1:99", "1:60", "1:5", "1_0:30", "1_0m",
                                  "+45m", "-45", "1.5s", "30m1h", "1h2h", ".5h", "1.h",
                                  "h", "m", "1hm", "1m1", "45 q", "--3m",
                                  "", " ", "0x10", "\u00b2m", "9" * 5000, "9" * 5000 + "m"])
def test_lengths_that_could_be_misread_are_refused(text: str) -> None:
    with pytest.raises(InvalidGoal):
        parse_duration(text)


@pytest.mark.parametrize("text", ["24:00", "23:60", "-1:00", "+23:00", "1_2:00", "12:5",
                                  "123:00", "23:00:00", "23", "23.00", " : ", "\u00b2:00",
                                  "23:\u00b20"])
def test_times_that_could_be_misread_are_refused(text: str) -> None:
    with pytest.raises(InvalidGoal):
        parse_time_of_day(text)


KINDS = st.sampled_from(list(GoalKind))
APPS = st.one_of(st.none(), st.sampled_from(["replika", "nomi", ""]))
NUMBERS = st.one_of(st.none(), st.integers(-(2**63), 2**63), st.sampled_from(
    [0, 1, 60, DAY_S, DAY_S + 1, WEEK_S, WEEK_S + 1, 24 * 60, 24 * 60 - 1]))
GOALS = st.builds(Goal, kind=KINDS, app=APPS, limit_seconds=NUMBERS, quiet_start=NUMBERS,
                  quiet_end=NUMBERS)


@settings(max_examples=500, deadline=None)
@given(st.lists(GOALS, max_size=6))
def test_any_set_of_goals_is_kept_whole_or_refused_with_invalid_goal(goals: list[Goal]) -> None:
    try:
        kept = check_goals(goals)
    except InvalidGoal as error:
        assert str(error).endswith("."), str(error)
        return
    assert kept == goals
    assert len({g.key for g in kept}) == len(kept)
    for goal in kept:
        assert check_goal(goal) is goal
        if goal.kind is GoalKind.QUIET_HOURS:
            assert goal.quiet_start is not None and goal.quiet_end is not None
            assert 0 <= goal.quiet_start < 1440 and 0 <= goal.quiet_end < 1440
        else:
            assert goal.limit_seconds is not None
            assert 0 < goal.limit_seconds <= (WEEK_S if goal.kind is GoalKind.WEEKLY else DAY_S)
