"""All of a person's computers read as one store: `MergedReader` keeps the `StoreReader`
contract (`widget.store.api`) over this computer's store and the other devices' histories, so
every screen that reads a store reads all devices without knowing it.

How each read counts time that overlaps across computers (`widget.sync.merge` defines it):
- `intervals_overlapping` gives each app's time as the union of its intervals on every
  computer: an app in front on two computers at once counts once for that app. Every consumer
  sums these per app, so per-app figures equal `window_totals(...).by_app`.
- `seconds_in` gives the all-devices total, wall time with any tracked app in front on any
  computer: `window_totals(...).all_devices`.
- The two differ only when *different* apps were in front on different computers at the same
  moment: then that moment counts once in the total and once for each app (merge.py's rule).
  `widget.core.days.seconds_covered` gives the same total from `intervals_overlapping`, which
  is how today's total and the all-apps goals count it.

Apps, goals and settings are this computer's own: another device's app names fill in only keys
this computer does not know. Check-ins are this computer's, and those another computer shares
(`devices share --share-notes` there) join them in `list_checkins` (the dashboard's answers
over the weeks); `checkin_history` stays this computer's, whose rows it can change.

`MergedStore` is the same over a whole `StoreContract` (the tray's resident store): the reads
merged, every write this computer's store's, so the tray's today, ring, goals, reminders and
dashboard all read all devices and write nothing anywhere else.

Thread: any (the local store is thread-safe; the histories are immutable and `refresh` swaps
them whole, from the sync job's thread).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.goals import Goal
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, Measure, TrackedApp
from widget.store.api import StoreContract, StoreReader
from widget.sync.merge import History, WindowTotals, histories_of, to_ms, window_totals

if TYPE_CHECKING:
    from widget.sync.view import FolderView

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_SPAN_MS = MAX_SPAN // _MS


def union_by_app(intervals: Sequence[Interval]) -> list[Interval]:
    """Each app's intervals merged where they overlap or touch (one interval per stretch,
    approximate when any part of it was), ordered by start."""
    by_app: dict[str, list[Interval]] = {}
    for iv in intervals:
        by_app.setdefault(iv.app, []).append(iv)
    merged: list[Interval] = []
    for app, ivs in by_app.items():
        ivs.sort(key=lambda iv: (iv.start, iv.end))
        current = ivs[0]
        for iv in ivs[1:]:
            if iv.start <= current.end:
                measure = Measure.APPROXIMATE if Measure.APPROXIMATE in (
                    current.measure, iv.measure) else current.measure
                current = Interval(app, current.start, max(current.end, iv.end), measure)
            else:
                merged.append(current)
                current = iv
        merged.append(current)
    merged.sort(key=lambda iv: (iv.start, iv.end, iv.app))
    return merged


class ThisComputersOwn:
    """What a reader of other computers' time takes from this computer's store (`local`):
    the apps tracked, the goals, the settings and the check-ins it can change."""

    local: StoreReader

    def list_apps(self, include_removed: bool = False) -> list[TrackedApp]:
        return self.local.list_apps(include_removed)

    def list_goals(self) -> list[Goal]:
        return self.local.list_goals()

    def checkin_history(self) -> list[KeptCheckin]:
        return self.local.checkin_history()

    def get_setting(self, key: str) -> object | None:
        return self.local.get_setting(key)

    def all_settings(self) -> dict[str, object]:
        return self.local.all_settings()


class MergedReader(ThisComputersOwn):
    """This computer's store and the other devices' histories, read as one `StoreReader`.

    `others` maps each other device's id to its histories (`DeviceView.histories()`);
    `own_id` is this computer's id in the shared folder (for `device_totals`); `names` are the
    other devices' app names, used for keys this computer does not know."""

    def __init__(self, local: StoreReader, others: Mapping[str, Sequence[History]],
                 own_id: str = "this", names: Mapping[str, str] | None = None,
                 checkins: Sequence[Checkin] = ()) -> None:
        self.local = local
        self.own_id = own_id
        self._seen: tuple[dict[str, tuple[History, ...]], dict[str, str],
                          tuple[Checkin, ...]] = ({}, {}, ())
        self.refresh(others, names, checkins)

    def refresh(self, others: Mapping[str, Sequence[History]],
                names: Mapping[str, str] | None = None,
                checkins: Sequence[Checkin] = ()) -> None:
        """Take a new read of the other devices (whole: a reader never sees half of one):
        their histories, app names and the check-ins they share."""
        self._seen = ({device: tuple(parts) for device, parts in others.items()},
                      dict(names or {}), tuple(sorted(checkins, key=lambda c: c.asked)))

    @property
    def others(self) -> dict[str, tuple[History, ...]]:
        return self._seen[0]

    def close(self) -> None:
        close = getattr(self.local, "close", None)
        if close is not None:
            close()

    # --- intervals ---------------------------------------------------------------------------

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        others = self.others
        own = self.local.intervals_overlapping(start, end, max_span)
        if not others:
            return own
        return union_by_app([*own, *(iv for parts in others.values() for history in parts
                                     for iv in history.overlapping(start, end))])

    def device_totals(self, start: datetime, end: datetime) -> WindowTotals:
        """`window_totals` of [start, end): all devices, each app, each device (this one under
        `own_id`)."""
        own = self.local.intervals_overlapping(start, end)
        return window_totals({self.own_id: histories_of(own), **self.others}, start, end)

    def spans_ms(self, start: datetime, end: datetime,
                 max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        if not self.others:
            return self.local.spans_ms(start, end, max_span)
        return [(to_ms(iv.start), to_ms(iv.end))
                for iv in self.intervals_overlapping(start, end, max_span)]

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        """merge.py's all-devices total of each window, from one read: every computer's
        spans within the windows' reach (this one's without making objects of them) sorted
        once, merged into the time anything was in front, then each window's share of it by
        bisection. Only the other computers' months the windows reach are touched: the
        tray's kept months load from disk when a read first reaches them
        (`widget.sync.compact`), so a 16-week read loads some four months, not two years."""
        others = self.others
        if not others:
            return self.local.seconds_in(windows, max_span)
        real = [(to_ms(s), to_ms(e)) for s, e in windows if e > s]
        if not real:
            return [0.0 for _ in windows]
        lo, hi = min(s for s, _ in real), max(e for _, e in real)
        spans = self.local.spans_ms(_at(lo), _at(hi), max_span)
        for parts in others.values():
            for history in parts:
                first, last = history.span_of(lo, hi)
                if first >= last:
                    continue
                base, starts, lengths = history.base_ms, history.starts, history.lengths
                spans.extend((base + starts[i], base + starts[i] + lengths[i])
                             for i in range(first, last))
        covered = _Covered(spans)
        return [covered.ms(to_ms(s), to_ms(e)) / 1000 if e > s else 0.0 for s, e in windows]

    def first_use(self) -> datetime | None:
        found = [self.local.first_use()]
        for parts in self.others.values():
            earliest = next((history for history in parts if len(history)), None)
            if earliest is not None:  # histories oldest first, each sorted by start
                found.append(earliest.interval(0).start)
        return min((at for at in found if at is not None), default=None)

    # --- this computer's own ---------------------------------------------------------------

    def app_names(self) -> dict[str, str]:
        return {**self._seen[1], **self.local.app_names()}

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        """This computer's check-ins and those the others share, oldest first."""
        own = self.local.list_checkins(since)
        shared = self._seen[2]
        if not shared:
            return own
        theirs = [c for c in shared if since is None or c.asked >= since]
        return sorted([*own, *theirs], key=lambda c: c.asked)


def shared_checkins(view: FolderView) -> list[Checkin]:
    """The check-ins the other computers of a read share (`--share-notes` there), each once
    (a month's file holds that month's)."""
    return [checkin for device in view.devices for month in device.files.values()
            for checkin in month.checkins or ()]


def _at(ms: int) -> datetime:
    return _EPOCH + ms * _MS


class _Covered:
    """The time covered by any of some spans (ms), each moment once: merged, with running
    totals, so a window's share is two bisections."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans.sort()
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in spans:
            if end <= start:
                continue
            if self.ends and start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)
        self.before = [0]  # before[k]: the length of the first k merged spans
        for start, end in zip(self.starts, self.ends, strict=True):
            self.before.append(self.before[-1] + end - start)

    def ms(self, start: int, end: int) -> int:
        first = bisect_right(self.ends, start)  # the first span ending after `start`
        last = bisect_left(self.starts, end)  # the spans starting before `end`
        if first >= last:
            return 0
        total = self.before[last] - self.before[first]
        total -= max(0, start - self.starts[first])
        total -= max(0, self.ends[last - 1] - end)
        return total


class MergedStore(MergedReader):
    """A `StoreContract` whose reads are all devices' and whose writes are this computer's
    store's (`local`): what the tray app hands its windows, reminders and today."""

    def __init__(self, local: StoreContract, own_id: str = "this") -> None:
        super().__init__(local, {}, own_id)
        self.store = local
        self.path: Path = local.path  # the data folder is this computer's

    def set_setting(self, key: str, value: object) -> None:
        self.store.set_setting(key, value)

    def add_checkin(self, checkin: Checkin) -> int:
        return self.store.add_checkin(checkin)

    def change_checkin(self, checkin_id: int, answer: int, note: str | None) -> None:
        self.store.change_checkin(checkin_id, answer, note)

    def delete_checkin(self, checkin_id: int) -> None:
        self.store.delete_checkin(checkin_id)

    def insert_interval(self, iv: Interval) -> int:
        return self.store.insert_interval(iv)

    def update_interval_end(self, row_id: int, end: datetime) -> None:
        self.store.update_interval_end(row_id, end)

    def delete_interval(self, row_id: int) -> None:
        self.store.delete_interval(row_id)

    def changed_by_others(self) -> bool:
        return self.store.changed_by_others()
