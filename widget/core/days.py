"""Totals of a window: the seconds per app of stored UTC intervals inside [start, end), and
which apps had approximate time there (the windows come from `widget.core.calendar`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from widget.core.intervals import clip
from widget.core.model import Interval, Measure


def seconds_by_app(intervals: Iterable[Interval], start: datetime, end: datetime
                   ) -> dict[str, float]:
    """Seconds per app key of the parts of `intervals` inside [start, end)."""
    totals: dict[str, float] = defaultdict(float)
    for interval in intervals:
        part = clip(interval, start, end)
        if part is not None:
            totals[part.app] += part.seconds
    return dict(totals)


def seconds_covered(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    """Seconds inside [start, end) with any interval: time shared by two intervals counts
    once. On one computer intervals never overlap, so this is the sum of `seconds_by_app`;
    across computers (`widget.sync.reader`) it is the all-devices total of
    `widget.sync.merge`."""
    parts = sorted((p.start, p.end) for p in (clip(iv, start, end) for iv in intervals)
                   if p is not None)
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for s, e in parts:
        if current is None or s > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (s, e)
        elif e > current[1]:
            current = (current[0], e)
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


# Said wherever the apps' rows stand above a total that counts overlapping time once.
APPS_ADD_UP_TO_MORE = ("The apps add up to more than the total: when two of your computers had "
                       "different apps in front at once, that time counts once in the total.")


def total_seconds(intervals: Iterable[Interval], start: datetime, end: datetime,
                  by_app: dict[str, float]) -> float:
    """The total of a window whose per-app seconds are `by_app`: their sum, unless intervals
    overlap (different apps in front on two computers at once), then `seconds_covered`."""
    summed = sum(by_app.values())
    covered = seconds_covered(intervals, start, end)
    return covered if covered < summed - 0.001 else summed


def approximate_apps(intervals: Iterable[Interval], start: datetime, end: datetime
                     ) -> set[str]:
    """Keys of the apps with any approximate time inside [start, end)."""
    return {iv.app for iv in intervals
            if iv.measure is Measure.APPROXIMATE and clip(iv, start, end) is not None}
