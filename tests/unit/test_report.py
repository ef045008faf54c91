"""The week's numbers, against cases worked out by hand (Europe/Berlin unless said)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widget.core.calendar import week_monday
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.core.report import (
    SessionStats,
    daily_totals,
    days_over_goal,
    quiet_share,
    session_stats,
    sessions_of,
    streak_within_goal,
    week_report,
    weekly_totals,
)
from widget.core.trend import DriftRule, week_in_words
from widget.core.usage import Session

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600.0
MIN = 60.0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold).astimezone(UTC)  # type: ignore[misc]


def iv(start: datetime, end: datetime, app: str = "replika") -> Interval:
    return Interval(app, start, end)


# --- ISO weeks -------------------------------------------------------------------------------


def test_week_monday_reads_iso_weeks_and_refuses_others() -> None:
    assert week_monday("2026-W13") == date(2026, 3, 23)
    assert week_monday("2026-W01") == date(2025, 12, 29)  # ISO week 1 starts in December
    for bad in ("2026-13", "2026-W54", "W13", "2026-W1"):
        with pytest.raises(ValueError):
            week_monday(bad)


# --- daily and weekly totals across daylight-saving changes ----------------------------------


def test_spring_sunday_has_23_hours_and_the_skipped_hour_counts_once() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC). Midnight to midnight is 23 h.
    whole = iv(local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0))
    days = daily_totals([whole], date(2026, 3, 28), date(2026, 3, 30), BERLIN, 0)
    assert days == {date(2026, 3, 28): {}, date(2026, 3, 29): {"replika": 23 * H},
                    date(2026, 3, 30): {}}
    # 01:30 CET -> 03:30 CEST is one real hour; with a 04:00 day start it belongs to Saturday,
    # and Saturday 04:00 CET -> Sunday 04:00 CEST is itself a 23-hour day.
    across = iv(local(2026, 3, 29, 1, 30), local(2026, 3, 29, 3, 30))
    assert across.seconds == H
    days = daily_totals([across], date(2026, 3, 28), date(2026, 3, 29), BERLIN, 4)
    assert days == {date(2026, 3, 28): {"replika": H}, date(2026, 3, 29): {}}
    saturday = iv(local(2026, 3, 28, 4, 0), local(2026, 3, 29, 4, 0))
    days = daily_totals([saturday], date(2026, 3, 28), date(2026, 3, 29), BERLIN, 4)
    assert days[date(2026, 3, 28)] == {"replika": 23 * H}
    assert days[date(2026, 3, 29)] == {}


def test_spring_week_has_167_hours() -> None:
    # W13: Monday 2026-03-23 04:00 CET (03:00 UTC) to Monday 03-30 04:00 CEST (02:00 UTC).
    everything = iv(utc(2026, 3, 10), utc(2026, 4, 10))
    totals = weekly_totals([everything], ["2026-W12", "2026-W13", "2026-W14"], BERLIN, 4)
    assert totals == {"2026-W12": 168 * H, "2026-W13": 167 * H, "2026-W14": 168 * H}


def test_autumn_sunday_has_25_hours_and_the_repeated_hour_counts_twice() -> None:
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:00-03:00 happens twice.
    whole = iv(local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0))
    days = daily_totals([whole], date(2026, 10, 25), date(2026, 10, 25), BERLIN, 0)
    assert days == {date(2026, 10, 25): {"replika": 25 * H}}
    # 02:30 CEST (00:30 UTC) to 02:30 CET (01:30 UTC): one real hour on the clock's same time.
    across = iv(local(2026, 10, 25, 2, 30, fold=0), local(2026, 10, 25, 2, 30, fold=1))
    assert across.seconds == H
    days = daily_totals([across], date(2026, 10, 24), date(2026, 10, 25), BERLIN, 0)
    assert days == {date(2026, 10, 24): {}, date(2026, 10, 25): {"replika": H}}


def test_autumn_week_has_169_hours() -> None:
    everything = iv(utc(2026, 10, 15), utc(2026, 11, 1))
    assert weekly_totals([everything], ["2026-W43"], BERLIN, 4) == {"2026-W43": 169 * H}
    assert weekly_totals([], ["2026-W43"], BERLIN, 4) == {"2026-W43": 0.0}


def test_daily_totals_split_at_the_day_start_and_keep_apps_apart() -> None:
    # 03:00-05:00 local with a 04:00 day start: one hour on each of two days.
    ivs = [iv(local(2026, 11, 24, 3, 0), local(2026, 11, 24, 5, 0)),
           iv(local(2026, 11, 24, 6, 0), local(2026, 11, 24, 6, 30), "character")]
    days = daily_totals(ivs, date(2026, 11, 23), date(2026, 11, 24), BERLIN, 4)
    assert days == {date(2026, 11, 23): {"replika": H},
                    date(2026, 11, 24): {"replika": H, "character": 30 * MIN}}
    # Use outside the range is left out; an empty range gives an empty mapping.
    days = daily_totals(ivs, date(2026, 11, 24), date(2026, 11, 24), BERLIN, 4)
    assert days == {date(2026, 11, 24): {"replika": H, "character": 30 * MIN}}
    assert daily_totals(ivs, date(2026, 11, 25), date(2026, 11, 24), BERLIN, 4) == {}


@st.composite
def separate_intervals(draw: st.DrawFn) -> list[Interval]:
    """Non-overlapping intervals from just before the spring change to past the autumn one."""
    at = utc(2026, 3, 27)
    out = []
    for gap, length in draw(st.lists(st.tuples(st.integers(0, 200 * 3600),
                                               st.integers(0, 30 * 3600)), max_size=25)):
        start = at + timedelta(seconds=gap)
        at = start + timedelta(seconds=length)
        out.append(iv(start, at, draw(st.sampled_from(["replika", "character"]))))
    return out


@given(separate_intervals(), st.integers(0, 6))
def test_daily_totals_never_negative_and_never_exceed_wall_time(
        intervals: list[Interval], day_start_hour: int) -> None:
    days = daily_totals(intervals, date(2026, 3, 25), date(2026, 12, 31), BERLIN, day_start_hour)
    seconds = [s for apps in days.values() for s in apps.values()]
    assert all(s >= 0 for s in seconds)
    span = (intervals[-1].end - intervals[0].start).total_seconds() if intervals else 0.0
    assert sum(seconds) <= span + 1e-6
    # Everything generated lies inside the range, so nothing is lost either.
    assert sum(seconds) == pytest.approx(sum(i.seconds for i in intervals))


# --- sessions --------------------------------------------------------------------------------


def spans(found: list[Session]) -> list[tuple[datetime, datetime, float]]:
    return [(found_.start, found_.end, found_.seconds) for found_ in found]


def test_sessions_join_gaps_just_under_300_s_and_split_at_300() -> None:
    t0 = utc(2026, 11, 23, 19)
    ivs = [iv(t0, t0 + timedelta(seconds=60)),
           # 299 s later, another app: the same session
           iv(t0 + timedelta(seconds=359), t0 + timedelta(seconds=419), "character"),
           # exactly 300 s after that: a new session
           iv(t0 + timedelta(seconds=719), t0 + timedelta(seconds=1019)),
           # 301 s later: another new one
           iv(t0 + timedelta(seconds=1320), t0 + timedelta(seconds=1330))]
    found = sessions_of(list(reversed(ivs)))  # order of arrival does not matter
    # The first session spans 419 s but only 120 s of it were counted: its length is 120 s.
    assert spans(found) == [(t0, t0 + timedelta(seconds=419), 120.0),
                            (t0 + timedelta(seconds=719), t0 + timedelta(seconds=1019), 300.0),
                            (t0 + timedelta(seconds=1320), t0 + timedelta(seconds=1330), 10.0)]
    assert session_stats(found) == SessionStats(3, 120.0, 300.0)
    assert len(sessions_of(ivs, gap_s=301)) == 2
    # An interval inside an earlier, longer one neither shortens the session nor counts twice.
    nested = [iv(t0, t0 + timedelta(hours=1)), iv(t0 + timedelta(minutes=5),
                                                  t0 + timedelta(minutes=6), "character")]
    assert spans(sessions_of(nested)) == [(t0, t0 + timedelta(hours=1), H)]


def test_a_session_is_never_longer_than_the_time_counted_in_it() -> None:
    """The shape seen in a real week: 689 s counted, in pieces whose short breaks made one
    run 966 s from first start to last end, which was reported as the longest session."""
    t0 = local(2026, 11, 25, 20)
    pieces = [(0, 200), (290, 489), (580, 780), (876, 966)]  # breaks of 90, 91, 96 s
    ivs = [iv(t0 + timedelta(seconds=a), t0 + timedelta(seconds=b)) for a, b in pieces]
    report = week_report(ivs, "2026-W48", {}, [], {}, BERLIN, 4)
    assert report.total_s == 689.0
    assert report.sessions == SessionStats(1, 689.0, 689.0)
    assert report.sessions.longest_s <= report.total_s
    assert report.to_json()["sessions"]["longest_s"] == 689.0
    [only] = sessions_of(ivs)
    assert only.span_s == 966.0 and only.seconds == 689.0


@given(st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 900),
                          st.sampled_from(["replika", "nomi"])), max_size=12))
def test_sessions_add_up_to_no_more_than_the_time_counted(pieces: list[tuple[int, int, str]]
                                                           ) -> None:
    t0 = utc(2026, 11, 25, 12)
    ivs = [iv(t0 + timedelta(seconds=a), t0 + timedelta(seconds=a + n), app)
           for a, n, app in pieces]
    found = sessions_of(ivs)
    counted = sum(x.seconds for x in ivs)
    assert sum(s.seconds for s in found) <= counted + 1e-6
    for session in found:
        assert 0 < session.seconds <= session.span_s + 1e-6


def test_session_stats_of_nothing_and_an_even_count() -> None:
    assert session_stats([]) == SessionStats(0, 0.0, 0.0)
    t0 = utc(2026, 11, 23)
    two = [Session(t0, t0 + timedelta(seconds=400), 100.0),
           Session(t0, t0 + timedelta(seconds=300), 300.0)]
    assert session_stats(two) == SessionStats(2, 200.0, 300.0)


# --- quiet hours -----------------------------------------------------------------------------

NIGHT = Goal(GoalKind.QUIET_HOURS, quiet_start=23 * 60, quiet_end=6 * 60)


def test_quiet_share_of_use_crossing_23_and_midnight() -> None:
    window = (utc(2026, 11, 20), utc(2026, 11, 30))
    ivs = [iv(local(2026, 11, 23, 22, 30), local(2026, 11, 23, 23, 30)),  # half quiet
           iv(local(2026, 11, 24, 23, 30), local(2026, 11, 25, 0, 30)),  # all quiet
           iv(local(2026, 11, 25, 12, 0), local(2026, 11, 25, 13, 0))]  # none
    # 1.5 h of 3 h
    assert quiet_share(ivs, NIGHT, window, BERLIN) == pytest.approx(0.5)
    # 05:45-06:15: the quarter before 06:00 is quiet.
    morning = [iv(local(2026, 11, 24, 5, 45), local(2026, 11, 24, 6, 15))]
    assert quiet_share(morning, NIGHT, window, BERLIN) == pytest.approx(0.5)
    # Only the part inside the window counts: from 23:00 local on, all of it is quiet.
    cut = (local(2026, 11, 23, 23, 0), utc(2026, 11, 30))
    assert quiet_share(ivs[:1], NIGHT, cut, BERLIN) == 1.0
    assert quiet_share([], NIGHT, window, BERLIN) == 0.0


def test_quiet_share_counts_only_the_goals_app() -> None:
    window = (utc(2026, 11, 20), utc(2026, 11, 30))
    goal = Goal(GoalKind.QUIET_HOURS, "character", quiet_start=23 * 60, quiet_end=6 * 60)
    ivs = [iv(local(2026, 11, 23, 23, 0), local(2026, 11, 24, 1, 0)),
           iv(local(2026, 11, 24, 12, 0), local(2026, 11, 24, 13, 0), "character")]
    assert quiet_share(ivs, goal, window, BERLIN) == 0.0
    with pytest.raises(ValueError):
        quiet_share(ivs, Goal(GoalKind.DAILY, None, 3600), window, BERLIN)


def test_quiet_share_across_daylight_saving_changes() -> None:
    window = (utc(2026, 3, 1), utc(2026, 11, 1))
    # Spring, quiet 01:00-03:00: 00:30 CET -> 03:30 CEST is 2 real hours; quiet is only
    # 01:00-02:00 CET (the clock skips 02:00-03:00).
    early = Goal(GoalKind.QUIET_HOURS, quiet_start=60, quiet_end=180)
    spring = [iv(local(2026, 3, 29, 0, 30), local(2026, 3, 29, 3, 30))]
    assert spring[0].seconds == 2 * H
    assert quiet_share(spring, early, window, BERLIN) == pytest.approx(0.5)
    # Spring, quiet from 02:30 (a time that never shows): quiet begins at 03:00 CEST.
    skipped = Goal(GoalKind.QUIET_HOURS, quiet_start=150, quiet_end=360)
    gap = [iv(local(2026, 3, 29, 1, 0), local(2026, 3, 29, 4, 0))]  # 2 real hours
    assert quiet_share(gap, skipped, window, BERLIN) == pytest.approx(0.5)
    # Autumn, quiet 02:00-03:00 happens twice: 01:30 CEST -> 03:30 CET is 3 real hours,
    # 2 of them quiet.
    twice = Goal(GoalKind.QUIET_HOURS, quiet_start=120, quiet_end=180)
    autumn = [iv(local(2026, 10, 25, 1, 30), local(2026, 10, 25, 3, 30))]
    assert autumn[0].seconds == 3 * H
    assert quiet_share(autumn, twice, window, BERLIN) == pytest.approx(2 / 3)


# --- goals -----------------------------------------------------------------------------------


def test_days_over_goal_counts_only_days_past_the_limit() -> None:
    daily = {date(2026, 11, 23): 3600.0, date(2026, 11, 24): 3601.0,
             date(2026, 11, 25): 7200.0, date(2026, 11, 26): 0.0}
    assert days_over_goal(daily, 3600) == 2
    assert days_over_goal({}, 3600) == 0


def test_streak_within_goal_counts_back_from_today() -> None:
    d = [date(2026, 11, 20) + timedelta(days=i) for i in range(6)]
    # d[2] is missing: no use that day, so within the goal.
    daily = {d[0]: 5000.0, d[1]: 100.0, d[3]: 3600.0, d[4]: 200.0}
    assert streak_within_goal(daily, 3600, d[4]) == 4  # d4, d3 (at the limit), d2, d1
    assert streak_within_goal(daily, 3600, d[5]) == 5  # today not yet in the mapping
    assert streak_within_goal(daily, 3600, d[0]) == 0  # today is over: no streak yet
    assert streak_within_goal(daily, 5000, d[4]) == 5  # back to the first known day only
    assert streak_within_goal({}, 3600, d[4]) == 0


# --- the week report -------------------------------------------------------------------------

NAMES = {"replika": "Replika", "character": "Character.AI"}
GOALS = [Goal(GoalKind.DAILY, None, 5400), NIGHT, Goal(GoalKind.WEEKLY, None, 20 * 3600)]


def small_week() -> list[Interval]:
    """2026-W48 (Mon 11-23 .. Sun 11-29, CET), a 04:00 day start."""
    return [
        iv(local(2026, 11, 23, 20, 0), local(2026, 11, 23, 21, 0)),  # Mon, session 1
        iv(local(2026, 11, 23, 21, 4), local(2026, 11, 23, 21, 34)),  # 4 min later: same
        iv(local(2026, 11, 24, 23, 30), local(2026, 11, 25, 0, 30), "character"),  # Tue, quiet
        iv(local(2026, 11, 28, 10, 0), local(2026, 11, 28, 12, 0)),  # Sat
        iv(local(2026, 11, 30, 10, 0), local(2026, 11, 30, 11, 0)),  # next week: left out
    ]


def test_two_computers_with_different_apps_at_once_count_that_time_once_in_the_week() -> None:
    """What a merged reader gives (each app its union across computers): Character.AI on the
    desktop from 20:30 to 21:30 while Replika ran on the laptop until 21:00. The week and the
    day count 20:00-21:30 once (1.5 h, as the weekly totals of the trend do); each app keeps
    its own hour; the daily goal (1.5 h) is met, not passed; the quiet share is of 1.5 h."""
    both = [iv(local(2026, 11, 23, 20, 0), local(2026, 11, 23, 21, 0)),
            iv(local(2026, 11, 23, 20, 30), local(2026, 11, 23, 21, 30), "character")]
    report = week_report(both, "2026-W48", {}, GOALS, NAMES, BERLIN, 4)
    assert report.total_s == 1.5 * H
    assert dict(report.per_app) == {"replika": 1 * H, "character": 1 * H}
    assert report.day_totals[date(2026, 11, 23)] == 1.5 * H
    assert report.days_over_goal == 0
    assert report.trend_weeks == (1.5 * H,)
    assert report.sessions == SessionStats(1, 1.5 * H, 1.5 * H)
    assert report.quiet_share == 0.0
    data = json.loads(json.dumps(report.to_json()))
    assert data["total_s"] == 5400.0 and data["days"][0]["seconds"] == 5400.0
    assert data["days"][0]["apps"] == {"replika": 3600.0, "character": 3600.0}
    # Quiet hours from 21:00: half an hour of the 1.5 h, not 0.5 h of 2 h.
    late = Goal(GoalKind.QUIET_HOURS, None, None, 21 * 60, 6 * 60)
    assert week_report(both, "2026-W48", {}, [late], NAMES, BERLIN, 4).quiet_share == \
        pytest.approx(1 / 3)


def test_one_computers_week_has_no_separate_day_totals() -> None:
    report = week_report(small_week(), "2026-W48", {}, GOALS, NAMES, BERLIN, 4)
    assert report.wall_per_day is None  # nothing overlaps: the apps' sums are the totals


def test_week_report_of_a_small_week() -> None:
    history = {"2026-W44": 3 * H, "2026-W45": 3 * H, "2026-W46": 4 * H, "2026-W47": 4 * H}
    report = week_report(small_week(), "2026-W48", history, GOALS, NAMES, BERLIN, 4)
    assert report.week == "2026-W48"
    assert report.start == utc(2026, 11, 23, 3) and report.end == utc(2026, 11, 30, 3)
    assert report.complete
    assert report.total_s == 4.5 * H
    assert list(report.per_app.items()) == [("replika", 3.5 * H), ("character", 1 * H)]
    assert report.day_totals == {
        date(2026, 11, 23): 1.5 * H, date(2026, 11, 24): 1 * H, date(2026, 11, 25): 0.0,
        date(2026, 11, 26): 0.0, date(2026, 11, 27): 0.0, date(2026, 11, 28): 2 * H,
        date(2026, 11, 29): 0.0}
    assert report.previous_week_s == 4 * H
    assert report.change_s == 0.5 * H
    assert report.change_pct == pytest.approx(12.5)
    assert report.baseline_s == 3.5 * H  # (3 + 3 + 4 + 4) / 4
    assert report.trend_weeks == (3 * H, 3 * H, 4 * H, 4 * H, 4.5 * H)
    assert report.drift is None  # rising, but not significantly, and (b) needs 7 weeks
    # Sessions: Mon 20:00-21:34 (90 min counted in it: its 4-minute break is not use),
    # Tue 60 min, Sat 120 min.
    assert report.sessions == SessionStats(3, 90 * MIN, 2 * H)
    assert report.quiet_share == pytest.approx(1 / 4.5)
    assert report.daily_goal_s == 5400
    assert report.days_over_goal == 1  # Saturday; Monday is exactly at the goal
    assert report.words == week_in_words(4.5 * H, 3.5 * H, None)
    assert "more than your usual" in report.words

    data = json.loads(json.dumps(report.to_json()))
    assert data["total_s"] == 16200.0
    assert data["apps"][0] == {"key": "replika", "name": "Replika", "seconds": 12600.0}
    assert data["days"][0] == {"date": "2026-11-23", "seconds": 5400.0,
                               "apps": {"replika": 5400.0}}
    assert data["sessions"] == {"count": 3, "median_s": 5400.0, "longest_s": 7200.0}
    assert data["drift"] is None and data["days_over_goal"] == 1
    assert data["start"] == "2026-11-23T03:00:00+00:00"


def test_week_report_of_an_empty_week_with_no_history() -> None:
    report = week_report([], "2026-W13", {}, [], {}, BERLIN, 4)
    assert report.total_s == 0.0
    assert report.per_app == {}
    assert len(report.per_day) == 7 and all(v == {} for v in report.per_day.values())
    assert (report.end - report.start) == timedelta(hours=167)  # the spring week
    assert report.previous_week_s is None and report.change_pct is None
    assert report.baseline_s is None and report.drift is None
    assert report.sessions == SessionStats(0, 0.0, 0.0)
    assert report.quiet_share is None and report.days_over_goal is None
    assert report.words.startswith("That week: ")
    assert json.loads(json.dumps(report.to_json()))["trend_weeks"] == [0.0]


def test_week_report_marks_drift_only_over_complete_weeks() -> None:
    # Eight steadily rising weeks ending with W48 (history W41..W47 + this week's 4.5 h).
    history = {f"2026-W{w}": (w - 40) * 0.5 * H for w in range(41, 48)}
    report = week_report(small_week(), "2026-W48", history, GOALS, NAMES, BERLIN, 4)
    assert len(report.trend_weeks) == 8 and report.trend_weeks[-1] == 4.5 * H
    assert report.drift is not None and report.drift.rule is DriftRule.RISING_TREND
    assert "rising" in report.words
    assert json.loads(json.dumps(report.to_json()))["drift"]["rule"] == "rising_trend"
    # Midweek the week in progress is left out: the seven weeks before it.
    midweek = week_report(small_week(), "2026-W48", history, GOALS, NAMES, BERLIN, 4,
                          now=local(2026, 11, 25, 12, 0))
    assert not midweek.complete
    assert midweek.trend_weeks == tuple(history.values())
    assert midweek.total_s == 2.5 * H  # Saturday has not happened yet
    assert midweek.words.startswith("So far this week: 2 h 30 min, with use on two of its "
                                    "three days; a usual whole week is ")  # Mon-Wed so far


def test_week_report_fills_missing_history_weeks_with_no_use() -> None:
    history = {"2026-W44": 2 * H, "2026-W46": 2 * H}  # W45 and W47 had no use
    report = week_report([], "2026-W48", history, [], {}, BERLIN, 4)
    assert report.previous_week_s == 0.0 and report.change_pct is None
    assert report.baseline_s == 1 * H  # (2 + 0 + 2 + 0) / 4
    assert report.trend_weeks == (2 * H, 0.0, 2 * H, 0.0, 0.0)


def test_the_hour_grid_counts_two_computers_at_once_once() -> None:
    """The heat map is every app together: Replika on one computer 20:00-21:00 and
    Character.AI on another 20:30-21:30 fill the 20:00 hour once (60 min, not 90) and the
    21:00 hour with 30 min; its quiet time (from 21:00) is that half hour."""
    from widget.core.dashboard import hour_grid

    both = [iv(local(2026, 11, 23, 20, 0), local(2026, 11, 23, 21, 0)),
            iv(local(2026, 11, 23, 20, 30), local(2026, 11, 23, 21, 30), "character")]
    late = Goal(GoalKind.QUIET_HOURS, None, None, 21 * 60, 6 * 60)
    grid = hour_grid(both, date(2026, 11, 23), BERLIN, 4, late)
    assert grid.seconds[0][20] == 1 * H and grid.seconds[0][21] == 0.5 * H
    assert sum(map(sum, grid.seconds)) == 1.5 * H
    assert grid.quiet_s == pytest.approx(0.5 * H)
