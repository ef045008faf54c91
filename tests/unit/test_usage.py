"""Use right now, computed with a fixed clock: today, this ISO week, the current session."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from widget.core.calendar import iso_week, week_window
from widget.core.model import Interval
from widget.core.usage import usage_now, usage_window

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type,misc]


def iv(app: str, start: datetime, minutes: float) -> Interval:
    return Interval(app, start, start + timedelta(minutes=minutes))


# Friday 27 November 2026, noon in Berlin (CET, UTC+1); the day starts at 04:00.
NOW = local(2026, 11, 27, 12, 0)
INTERVALS = [
    iv("replika", local(2026, 11, 22, 20, 0), 30),  # the Sunday before: last week
    iv("replika", local(2026, 11, 23, 3, 0), 10),  # Monday 03:00: still Sunday, last week
    iv("replika", local(2026, 11, 23, 4, 0), 20),  # Monday 04:00: this week begins
    iv("replika", local(2026, 11, 26, 22, 0), 60),  # Thursday evening
    iv("nomi", local(2026, 11, 27, 3, 30), 20),  # Friday 03:30 belongs to Thursday
    iv("replika", local(2026, 11, 27, 10, 0), 30),  # today
    iv("replika", local(2026, 11, 27, 11, 30), 20),  # today, ended 10 minutes ago
    iv("nomi", local(2026, 11, 27, 11, 52), 8),  # today, in use right now
]


def test_today_and_week_per_app() -> None:
    usage = usage_now(INTERVALS, NOW, BERLIN, 4)
    assert usage.day == date(2026, 11, 27)
    assert usage.week == "2026-W48"
    assert usage.today == {"replika": 50 * 60, "nomi": 8 * 60}
    assert usage.today_total == 58 * 60
    assert usage.week_seconds == {"replika": (20 + 60 + 50) * 60, "nomi": 28 * 60}
    assert usage.week_for(None) == 158 * 60
    assert usage.minute_of_day == 12 * 60


def test_current_sessions_join_gaps_shorter_than_five_minutes() -> None:
    usage = usage_now(INTERVALS, NOW, BERLIN, 4)
    # All apps: 11:30-11:50 replika, 2 minutes apart, 11:52-12:00 nomi -> one run of 30
    # minutes, 28 of them counted: its length is 28 minutes (the break is not use).
    assert usage.session_all is not None
    assert usage.session_all.start == local(2026, 11, 27, 11, 30)
    assert usage.session_all.seconds == 28 * 60
    assert usage.session_all.span_s == 30 * 60
    # Replika alone ended 10 minutes ago: its session is over; nomi's is 8 minutes.
    assert usage.session_for("replika") is None
    assert usage.sessions["nomi"].seconds == 8 * 60
    assert usage.in_use == {"nomi"}
    assert usage.in_use_for(None) and not usage.in_use_for("replika")


def test_a_session_that_ended_within_the_gap_is_still_current() -> None:
    ivs = [iv("replika", local(2026, 11, 27, 11, 0), 40)]  # ended at 11:40
    four_min_later = local(2026, 11, 27, 11, 44)
    usage = usage_now(ivs, four_min_later, BERLIN, 4)
    assert usage.session_all is not None and usage.session_all.seconds == 40 * 60
    assert usage.in_use == frozenset()  # ended four minutes ago: not in use right now
    assert usage_now(ivs, local(2026, 11, 27, 11, 45), BERLIN, 4).session_all is None


def test_gap_of_exactly_session_gap_splits_sessions() -> None:
    ivs = [iv("replika", local(2026, 11, 27, 11, 0), 10),
           iv("replika", local(2026, 11, 27, 11, 15), 10)]  # a 5-minute gap
    usage = usage_now(ivs, local(2026, 11, 27, 11, 25), BERLIN, 4)
    assert usage.session_all is not None and usage.session_all.seconds == 10 * 60
    joined = usage_now(ivs, local(2026, 11, 27, 11, 25), BERLIN, 4, session_gap_s=301)
    # Joined across the break, but as long as the 20 minutes counted in it, not 25.
    assert joined.session_all is not None and joined.session_all.seconds == 20 * 60
    assert joined.session_all.span_s == 25 * 60


def test_time_after_now_is_not_counted() -> None:
    ivs = [iv("replika", local(2026, 11, 27, 11, 50), 30)]  # runs until 12:20
    usage = usage_now(ivs, NOW, BERLIN, 4)
    assert usage.today == {"replika": 10 * 60}
    assert usage.session_all is not None and usage.session_all.seconds == 10 * 60
    assert usage.in_use == {"replika"}


def test_monday_before_the_day_start_is_still_last_week() -> None:
    monday_2am = local(2026, 11, 30, 2, 0)
    usage = usage_now(INTERVALS, monday_2am, BERLIN, 4)
    assert usage.day == date(2026, 11, 29)
    assert usage.week == "2026-W48"
    assert usage.today == {}
    assert usage.week_total == 158 * 60


def test_week_window_through_daylight_saving_changes() -> None:
    autumn = week_window(date(2026, 10, 25), BERLIN, 4)  # clocks go back that Sunday
    assert autumn == (local(2026, 10, 19, 4, 0), local(2026, 10, 26, 4, 0))
    assert autumn[1] - autumn[0] == timedelta(hours=169)
    spring = week_window(date(2026, 3, 29), BERLIN, 4)
    assert spring[1] - spring[0] == timedelta(hours=167)
    new_york = week_window(date(2026, 11, 1), NEW_YORK, 4)
    assert new_york[0] == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 04:00 EDT
    assert new_york[1] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 04:00 EST


def test_iso_week_names_across_a_year_end() -> None:
    assert iso_week(date(2027, 1, 1)) == "2026-W53"  # a Friday in 2026's 53rd week
    assert iso_week(date(2027, 1, 4)) == "2027-W01"


def test_usage_window_covers_the_week_and_the_day_before() -> None:
    start, end = usage_window(NOW, BERLIN, 4)
    assert start == local(2026, 11, 22, 4, 0)
    assert end == local(2026, 11, 30, 4, 0)
