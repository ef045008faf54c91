"""Local days and totals: turning stored UTC intervals into what a person means by "today".

A local day starts at a configurable hour (default 04:00) so that late nights belong to the
evening before. Days around daylight-saving changes are 23 or 25 hours long; the windows are
computed through the time zone, never by adding 24 hours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from widget.core.intervals import clip
from widget.core.model import Interval, Measure


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


def seconds_by_app(intervals: Iterable[Interval], start: datetime, end: datetime
                   ) -> dict[str, float]:
    """Seconds per app key of the parts of `intervals` inside [start, end)."""
    totals: dict[str, float] = defaultdict(float)
    for interval in intervals:
        part = clip(interval, start, end)
        if part is not None:
            totals[part.app] += part.seconds
    return dict(totals)


def approximate_apps(intervals: Iterable[Interval], start: datetime, end: datetime
                     ) -> set[str]:
    """Keys of the apps with any approximate time inside [start, end)."""
    return {iv.app for iv in intervals
            if iv.measure is Measure.APPROXIMATE and clip(iv, start, end) is not None}
