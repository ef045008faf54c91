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


def approximate_apps(intervals: Iterable[Interval], start: datetime, end: datetime
                     ) -> set[str]:
    """Keys of the apps with any approximate time inside [start, end)."""
    return {iv.app for iv in intervals
            if iv.measure is Measure.APPROXIMATE and clip(iv, start, end) is not None}
