"""One other computer's own history read as a store: the dashboard's "only that computer"
(issue 16). `OneDeviceReader` keeps the `StoreReader` contract (`widget.store.api`): its
intervals, spans, weekly sums and first use are that device's `History` months alone, as it
recorded them, so its week's total equals `window_totals(...).by_device` for it; its apps,
goals, settings and check-ins are this computer's own (the person's goals and self-check
answers are theirs, not a computer's), as "This computer" shows them; all computers together
add the check-ins other computers share (`MergedReader.list_checkins`). Another computer's app
names fill in only keys this computer does not know, as in `MergedReader`.

Thread: any (the histories are immutable; the local store is thread-safe).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from widget.core.checkin import Checkin
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval
from widget.store.api import StoreReader
from widget.sync.merge import History, to_ms
from widget.sync.reader import ThisComputersOwn

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class OneDeviceReader(ThisComputersOwn):
    """Another computer's histories (its months, any order) with this computer's apps, goals,
    settings and check-ins (`local`)."""

    def __init__(self, local: StoreReader, histories: Sequence[History],
                 names: Mapping[str, str] | None = None) -> None:
        self.local = local
        self.histories = tuple(sorted(histories, key=lambda h: h.base_ms))
        self._names = dict(names or {})

    # --- that computer's time ----------------------------------------------------------------

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        earliest = start - max_span  # as the store's start index: no longer interval before
        found = [iv for history in self.histories for iv in history.overlapping(start, end)
                 if iv.start >= earliest]
        found.sort(key=lambda iv: (iv.start, iv.end))
        return found

    def spans_ms(self, start: datetime, end: datetime,
                 max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        return [(to_ms(iv.start), to_ms(iv.end))
                for iv in self.intervals_overlapping(start, end, max_span)]

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        """Each window's seconds with that computer's time in front, each moment once (its
        own intervals never overlap, but a copy could): its spans reaching the windows,
        merged once, then each window's share by bisection. Only the months the windows
        reach are read (a kept month is loaded when a read first reaches it). `max_span`
        changes nothing: no History interval is longer than `MAX_SPAN`."""
        real = [(to_ms(s), to_ms(e)) for s, e in windows if e > s]
        if not real:
            return [0.0 for _ in windows]
        starts, ends, before = _merged(self.histories, min(s for s, _ in real),
                                       max(e for _, e in real))
        totals = []
        for start, end in windows:
            lo, hi = to_ms(start), to_ms(end)
            first = bisect_right(ends, lo)  # the first span ending after the window's start
            last = bisect_left(starts, hi)  # the spans starting before its end
            if hi <= lo or first >= last:
                totals.append(0.0)
                continue
            ms = before[last] - before[first]
            ms -= max(0, lo - starts[first])
            ms -= max(0, ends[last - 1] - hi)
            totals.append(ms / 1000)
        return totals

    def app_seconds_in(self, start: datetime, end: datetime,
                       max_span: timedelta = MAX_SPAN) -> dict[str, float]:
        """Each app's seconds inside [start, end) on that computer."""
        totals: dict[str, float] = {}
        for iv in self.intervals_overlapping(start, end, max_span):
            inside = (min(iv.end, end) - max(iv.start, start)).total_seconds()
            if inside > 0:
                totals[iv.app] = totals.get(iv.app, 0.0) + inside
        return totals

    def first_use(self) -> datetime | None:
        # the months are in time order: the first with any interval has the first use (a
        # kept month loads when read, so only that one is)
        earliest = next((history for history in self.histories if len(history)), None)
        return None if earliest is None else _EPOCH + earliest.first_start_ms() * _MS

    # --- this computer's own -----------------------------------------------------------------

    def app_names(self) -> dict[str, str]:
        return {**self._names, **self.local.app_names()}

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        return self.local.list_checkins(since)


def _merged(histories: Sequence[History], lo: int, hi: int
            ) -> tuple[list[int], list[int], list[int]]:
    """The spans (ms) of `histories` that may reach [lo, hi), merged where they overlap or
    touch, with the running length before each: (starts, ends, before)."""
    spans: list[tuple[int, int]] = []
    for h in histories:
        first, last = h.span_of(lo, hi)
        base, offsets, lengths = h.base_ms, h.starts, h.lengths
        spans.extend((base + offsets[i], base + offsets[i] + lengths[i])
                     for i in range(first, last))
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if end <= start:
            continue
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    before = [0]  # before[k]: the length of the first k merged spans
    for start, end in zip(starts, ends, strict=True):
        before.append(before[-1] + end - start)
    return starts, ends, before
