"""The totals of all a person's computers, time that overlaps across them counted once.

How overlap is counted (the README says the same in fewer words):
- **All devices together** is wall time: a moment counts once when a tracked app was in front
  on at least one computer, however many. Two computers with a companion in front at the same
  minute give one minute. So the all-devices total is at least the largest device's total and
  at most the sum of the devices' totals.
- **Each app's all-devices total** is that app's own wall time: the union of its intervals on
  every computer. When computer A shows app X and computer B app Y at the same moment, that
  moment counts once in the all-devices total and once in X's and once in Y's: per-app totals
  may add up to more than the all-devices total (the person really did have both open). A
  per-app goal is measured on that app's union; an all-apps goal on the all-devices total.
- **Each device's total** is what that device alone recorded (the union of its own intervals,
  which on one device never overlap: the tracker ends one before the next begins), so a device's
  figure here equals the figure it shows itself.

Pure and fast: a device's history is kept as sorted integer arrays (`History`, one a month),
a window's intervals are found by bisection on their starts (no interval is longer than
`MAX_SPAN`, as on the store's start index), and a window's totals take one sort of its
intervals and a few linear sweeps. No clock, no files.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, Measure

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_SPAN_MS = MAX_SPAN // _MS


def to_ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


_REACH_MS = 2**32 - 1  # how far after its base a History's unsigned 32-bit offsets reach
APPROXIMATE_BIT = 0x8000  # the top bit of an app index: measured approximately
MAX_APPS = 0x7FFF


@dataclass(frozen=True, slots=True)
class History:
    """A stretch of one device's intervals (at most ~49 days: a month of a device file, a
    week read from the store) as parallel arrays sorted by start: 10 bytes an interval,
    against some 170 as `Interval` objects, so years of other devices' history fit in the
    tray's memory. Offsets and lengths are unsigned 32-bit milliseconds; no interval is
    longer than `MAX_SPAN` (the tracker's rule, which `span_of` relies on)."""

    base_ms: int  # ms UTC that the offsets count from
    starts: array[int]  # "I": ms after base_ms
    lengths: array[int]  # "I": ms
    apps: array[int]  # "H": index into `keys`, with APPROXIMATE_BIT set when approximate
    keys: tuple[str, ...]

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> History:
        """The intervals as one History; ValueError when they reach further than ~49 days or
        an interval is longer than MAX_SPAN (`histories_of` cuts any number into months)."""
        ordered = sorted(intervals, key=lambda iv: (iv.start, iv.end))
        base = to_ms(ordered[0].start) if ordered else 0
        index: dict[str, int] = {}
        starts, lengths, apps = array("I"), array("I"), array("H")
        for iv in ordered:
            start = to_ms(iv.start) - base
            length = to_ms(iv.end) - base - start
            if start > _REACH_MS or not 0 <= length <= _MAX_SPAN_MS:
                raise ValueError("intervals too far apart for one History, or too long")
            app = index.setdefault(iv.app, len(index))
            if app > MAX_APPS:
                raise ValueError("more apps than one History holds")
            starts.append(start)
            lengths.append(length)
            apps.append(app | (APPROXIMATE_BIT if iv.measure is Measure.APPROXIMATE else 0))
        return cls(base, starts, lengths, apps, tuple(index))

    def __len__(self) -> int:
        return len(self.starts)

    def span_of(self, start_ms: int, end_ms: int) -> tuple[int, int]:
        """[lo, hi) of the indexes whose intervals may share time with [start, end): every
        interval starting before `end` and no more than `MAX_SPAN` before `start`."""
        low = min(max(start_ms - _MAX_SPAN_MS - self.base_ms, 0), _REACH_MS + 1)
        high = min(max(end_ms - self.base_ms, 0), _REACH_MS + 1)
        return bisect_left(self.starts, low), bisect_left(self.starts, high)

    def first_start_ms(self) -> int:
        """When its first interval begins (ms UTC); it holds at least one."""
        return self.base_ms + self.starts[0]

    def interval(self, i: int) -> Interval:
        start = self.base_ms + self.starts[i]
        app = self.apps[i]
        return Interval(self.keys[app & MAX_APPS], _EPOCH + start * _MS,
                        _EPOCH + (start + self.lengths[i]) * _MS,
                        Measure.APPROXIMATE if app & APPROXIMATE_BIT else Measure.FOREGROUND)

    def all(self) -> list[Interval]:
        return [self.interval(i) for i in range(len(self))]

    def overlapping(self, start: datetime, end: datetime) -> list[Interval]:
        """The intervals sharing time with [start, end), whole, as the store gives them."""
        start_ms = to_ms(start)
        lo, hi = self.span_of(start_ms, to_ms(end))
        # `interval(i)` written out: a dashboard read makes thousands of these.
        base, starts, lengths, apps, keys = (self.base_ms, self.starts, self.lengths,
                                             self.apps, self.keys)
        approximate, foreground = Measure.APPROXIMATE, Measure.FOREGROUND
        found = []
        for i in range(lo, hi):
            s = base + starts[i]
            e = s + lengths[i]
            if e > start_ms:
                app = apps[i]
                found.append(Interval(keys[app & MAX_APPS], _EPOCH + s * _MS, _EPOCH + e * _MS,
                                      approximate if app & APPROXIMATE_BIT else foreground))
        return found


def histories_of(intervals: Iterable[Interval]) -> list[History]:
    """Any number of intervals as Histories of one UTC month each, oldest first."""
    months: dict[tuple[int, int], list[Interval]] = {}
    for iv in intervals:
        at = iv.start.astimezone(UTC)
        months.setdefault((at.year, at.month), []).append(iv)
    return [History.of(months[month]) for month in sorted(months)]


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Seconds inside one [start, end) window, as described in the module's docstring."""

    start: datetime
    end: datetime
    all_devices: float  # wall time with a tracked app in front on any device, counted once
    by_app: dict[str, float]  # each app's union across devices
    by_device: dict[str, float]  # each device's own total
    # each device's own seconds per app (summed: on one device they never overlap)
    by_device_app: dict[str, dict[str, float]] = field(default_factory=dict)


def _union_ms(spans: Iterable[tuple[int, int]]) -> int:
    """Milliseconds covered by `spans`, sorted by start, each counted once."""
    total = 0
    current_start = current_end = None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def window_totals(histories: Mapping[str, Sequence[History]], start: datetime, end: datetime
                  ) -> WindowTotals:
    """The totals of [start, end) over every device in `histories` (device id -> its
    Histories, in any order)."""
    start_ms, end_ms = to_ms(start), to_ms(end)
    spans: list[tuple[int, int, str, str]] = []
    for device, parts in histories.items():
        for history in parts:
            lo, hi = history.span_of(start_ms, end_ms)
            if lo >= hi:
                continue  # a month the window does not reach: its arrays are never touched
            base, starts, lengths = history.base_ms, history.starts, history.lengths
            apps, keys = history.apps, history.keys
            for i in range(lo, hi):
                s = base + starts[i]
                e = min(s + lengths[i], end_ms)
                s = max(s, start_ms)
                if e > s:  # as `widget.core.intervals.clip`: nothing inside, or no length
                    spans.append((s, e, keys[apps[i] & MAX_APPS], device))
    spans.sort()
    by_app_spans: dict[str, list[tuple[int, int]]] = {}
    by_device_spans: dict[str, list[tuple[int, int]]] = {device: [] for device in histories}
    by_device_app: dict[str, dict[str, float]] = {device: {} for device in histories}
    for s, e, app, device in spans:
        by_app_spans.setdefault(app, []).append((s, e))
        by_device_spans[device].append((s, e))
        per_app = by_device_app[device]
        per_app[app] = per_app.get(app, 0.0) + (e - s) / 1000
    return WindowTotals(
        start, end,
        _union_ms((s, e) for s, e, _, _ in spans) / 1000,
        {app: _union_ms(app_spans) / 1000 for app, app_spans in by_app_spans.items()},
        {device: _union_ms(device_spans) / 1000
         for device, device_spans in by_device_spans.items()},
        by_device_app)


def merged_totals(histories: Mapping[str, Sequence[History]],
                  windows: Sequence[tuple[datetime, datetime]]) -> list[WindowTotals]:
    """`window_totals` of each window (days of a week, weeks of a year...)."""
    return [window_totals(histories, start, end) for start, end in windows]
