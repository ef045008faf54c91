"""Local days and ISO weeks: the one calendar every count of driftcheck is made in.

A local day starts at a configurable hour (default 04:00) so that late nights belong to the
evening before. Days around daylight-saving changes are 23 or 25 hours long; the windows are
computed through the time zone, never by adding 24 hours. A week is an ISO week (Monday to
Sunday) of local days, written "2026-W48". Every window is [start, end) in aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def local_day(at: datetime, tz: tzinfo, day_start_hour: int) -> date:
    """The local day an aware instant belongs to."""
    local = at.astimezone(tz)
    day = local.date()
    if local.time() < time(day_start_hour):
        day -= timedelta(days=1)
    return day


def day_window(day: date, tz: tzinfo, day_start_hour: int) -> tuple[datetime, datetime]:
    """[start, end) of a local day as aware UTC datetimes."""
    start = datetime.combine(day, time(day_start_hour), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(day_start_hour), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def next_day_start(now: datetime, tz: tzinfo, day_start_hour: int) -> datetime:
    """When tomorrow begins (the end of today's local day), in UTC: "until tomorrow"."""
    return day_window(local_day(now, tz, day_start_hour), tz, day_start_hour)[1]


def monday_of(day: date) -> date:
    """The Monday of the ISO week of a local day."""
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> str:
    """The ISO week of a local day, written "2026-W48"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    """The Monday of an ISO week written "2026-W48"; ValueError for anything else."""
    found = _ISO_WEEK.match(week.strip())
    if found is None:
        raise ValueError(f"'{week}' is not an ISO week; try 2026-W48.")
    try:
        return date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise ValueError(f"'{week}' is not a week of that year.") from None


def week_window(day: date, tz: tzinfo, day_start_hour: int) -> tuple[datetime, datetime]:
    """[start, end) of the ISO week holding local day `day` (a Monday, or any of its days)."""
    monday = monday_of(day)
    start, _ = day_window(monday, tz, day_start_hour)
    end, _ = day_window(monday + timedelta(days=7), tz, day_start_hour)
    return start, end


def week_so_far(now: datetime, tz: tzinfo, day_start_hour: int) -> tuple[datetime, datetime]:
    """[this week's Monday's day start, today's day end): the week up to the end of today."""
    day = local_day(now, tz, day_start_hour)
    return (day_window(monday_of(day), tz, day_start_hour)[0],
            day_window(day, tz, day_start_hour)[1])
