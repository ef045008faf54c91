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
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.goals import Goal
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, Measure, TrackedApp
from widget.store.api import OwnStoreContract, OwnStoreReader, StoreReader
from widget.sync.covered import Memo, MonthMarks, Window, Worked, chains, split
from widget.sync.merge import APPROXIMATE_BIT, MAX_APPS, History, to_ms

if TYPE_CHECKING:
    from widget.sync.view import FolderView

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_SPAN_MS = MAX_SPAN // _MS


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
    `own_id` is this computer's id in the shared folder (for `device_seconds`); `names` are the
    other devices' app names, used for keys this computer does not know; `covered` are the
    all-computers totals the sync child worked out ahead (`widget.sync.covered`)."""

    local: OwnStoreReader

    def __init__(self, local: OwnStoreReader, others: Mapping[str, Sequence[History]],
                 own_id: str = "this", names: Mapping[str, str] | None = None,
                 checkins: Sequence[Checkin] = (), covered: Memo | None = None) -> None:
        self.local = local
        self.own_id = own_id
        self._seen: _Seen = _Seen({}, {}, (), {}, {})
        self._marks: MonthMarks | None = None
        self.refresh(others, names, checkins, covered)

    def refresh(self, others: Mapping[str, Sequence[History]],
                names: Mapping[str, str] | None = None,
                checkins: Sequence[Checkin] = (), covered: Memo | None = None) -> None:
        """Take a new read of the other devices (whole: a reader never sees half of one):
        their histories, app names, the check-ins they share and the totals worked out
        ahead with them."""
        memo = dict(covered or {})
        self._seen = _Seen({device: tuple(parts) for device, parts in others.items()},
                           dict(names or {}), tuple(sorted(checkins, key=lambda c: c.asked)),
                           memo, chains(memo))

    @property
    def others(self) -> dict[str, tuple[History, ...]]:
        return self._seen.others

    @property
    def memo(self) -> Memo:
        """The totals worked out ahead that this read holds (`widget.sync.covered`)."""
        return self._seen.memo

    def month_marks(self, others: Mapping[str, Sequence[History]] | None = None
                    ) -> MonthMarks:
        """The other computers' months (`others`, this read's by default) as
        `widget.sync.covered` names them (made once a read)."""
        from widget.sync.compact import month_mark

        others = self.others if others is None else others
        marks = self._marks
        if marks is None or marks.others is not others:
            marks = self._marks = MonthMarks(others, month_mark)
        return marks

    def close(self) -> None:
        close = getattr(self.local, "close", None)
        if close is not None:
            close()

    # --- intervals ---------------------------------------------------------------------------

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        if not self.others:
            return self.local.intervals_overlapping(start, end, max_span)
        approximate, foreground = Measure.APPROXIMATE, Measure.FOREGROUND
        return [Interval(app, _EPOCH + s * _MS, _EPOCH + e * _MS,
                         approximate if rough else foreground)
                for s, e, app, rough in self.app_spans_ms(start, end, max_span)]

    def app_spans_ms(self, start: datetime, end: datetime,
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, str, bool]]:
        """Each app's time as the union of its intervals on every computer (merged where
        they overlap or touch; approximate when any part was), as (start, end, app,
        approximate) in ms ordered by (start, end, app): every computer's spans sorted once
        as integers, each app's stretch grown while its next span begins before it ends; an
        object is made of none of them."""
        return self._app_spans(self.others, start, end, max_span)

    def _app_spans(self, others: Mapping[str, Sequence[History]], start: datetime,
                   end: datetime, max_span: timedelta) -> list[tuple[int, int, str, bool]]:
        own = self.local.app_spans_ms(start, end, max_span)
        if not others:
            return own
        lo, hi = to_ms(start), to_ms(end)
        spans = own
        for history, first, last in _reaching(others, lo, hi):
            base, starts, lengths = history.base_ms, history.starts, history.lengths
            apps, keys = history.apps, history.keys
            for i in range(first, last):
                s = base + starts[i]
                e = s + lengths[i]
                if e > lo:
                    flags = apps[i]
                    spans.append((s, e, keys[flags & MAX_APPS],
                                  bool(flags & APPROXIMATE_BIT)))
        spans.sort()
        stretches: list[list[Any]] = []
        growing: dict[str, list[Any]] = {}
        for s, e, app, rough in spans:
            stretch = growing.get(app)
            if stretch is not None and s <= stretch[1]:
                if e > stretch[1]:
                    stretch[1] = e
                if rough:
                    stretch[3] = True
            else:
                growing[app] = stretch = [s, e, app, rough]
                stretches.append(stretch)
        stretches.sort()
        return [(s, e, app, rough) for s, e, app, rough in stretches]

    def device_seconds(self, start: datetime, end: datetime) -> dict[str, float]:
        """Each computer's own seconds in [start, end), as it recorded them (this one under
        `own_id`): `window_totals(...).by_device`, read as the dashboard's card and
        `report --json` need it: this computer's summed by SQLite, each other's merged from
        its own spans alone, in time order already (nothing else of the window is read)."""
        seen = self._seen
        (own,) = self.local.seconds_in([(start, end)])
        found = {self.own_id: own}
        lo, hi = to_ms(start), to_ms(end)
        for device, parts in seen.others.items():
            total = 0
            reach = lo  # the end of the time counted so far: a moment counts once
            for history, first, last in _reaching({device: parts}, lo, hi):
                base, starts, lengths = history.base_ms, history.starts, history.lengths
                for i in range(first, last):
                    s = max(base + starts[i], reach)
                    e = min(base + starts[i] + lengths[i], hi)
                    if e > s:
                        total += e - s
                        reach = e
            found[device] = total / 1000
        return found

    def spans_ms(self, start: datetime, end: datetime,
                 max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        if not self.others:
            return self.local.spans_ms(start, end, max_span)
        return [(s, e) for s, e, _, _ in self.app_spans_ms(start, end, max_span)]

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        """merge.py's all-devices total of each window. A window the sync child worked out
        ahead (`widget.sync.covered`) is taken from there when this computer's mark of it
        (one SQL sum) and the other computers' months reaching it are as they were then; a
        window of the week in progress is its complete days' figures and the rest (today)
        merged; every other window is merged (`live_ms`)."""
        seen = self._seen  # one read throughout, whatever `refresh` does meanwhile
        if not seen.others:
            return self.local.seconds_in(windows, max_span)
        keys = [(to_ms(s), to_ms(e)) for s, e in windows]
        plans: list[tuple[list[Window], int] | None] = []
        asked: dict[Window, None] = {}
        for lo, hi in keys:
            if hi <= lo:
                plans.append(None)
                continue
            parts, rest = ([(lo, hi)], hi) if (lo, hi) in seen.memo else split(lo, hi,
                                                                               seen.chains)
            plans.append((parts, rest))
            asked.update(dict.fromkeys(parts))
        good = {key: worked.ms
                for key, worked in self._holding(seen, list(asked), max_span).items()}
        found: list[tuple[int, Window | None]] = []  # ms known, and the window to merge
        for (lo, hi), plan in zip(keys, plans, strict=True):
            if plan is None:
                found.append((0, None))
                continue
            parts, rest = plan
            if all(part in good for part in parts):
                found.append((sum(good[part] for part in parts), (rest, hi) if rest < hi
                              else None))
            else:
                found.append((0, (lo, hi)))
        merged = iter(self.live_ms([window for _, window in found if window is not None],
                                   max_span, seen.others))
        return [(ms + (0 if window is None else next(merged))) / 1000 for ms, window in found]

    def app_seconds_in(self, start: datetime, end: datetime,
                       max_span: timedelta = MAX_SPAN) -> dict[str, float]:
        """Each app's seconds inside [start, end), its union across computers (what summing
        `intervals_overlapping` per app gives): worked out ahead where the marks hold, as
        `seconds_in`, the rest merged."""
        seen = self._seen
        if not seen.others:
            return self.local.app_seconds_in(start, end, max_span)
        lo, hi = to_ms(start), to_ms(end)
        if hi <= lo:
            return {}
        parts, rest = ([(lo, hi)], hi) if (lo, hi) in seen.memo else split(lo, hi, seen.chains)
        held = self._holding(seen, parts, max_span)
        totals: dict[str, int] = {}
        if parts and all(part in held and held[part].apps is not None for part in parts):
            for part in parts:
                for app, ms in held[part].apps or ():
                    totals[app] = totals.get(app, 0) + ms
        else:
            rest = lo
        if rest < hi:
            for app, ms in self.live_apps_ms(rest, hi, max_span, seen.others).items():
                totals[app] = totals.get(app, 0) + ms
        return {app: ms / 1000 for app, ms in totals.items() if ms > 0}

    def _holding(self, seen: _Seen, windows: Sequence[Window], max_span: timedelta
                 ) -> dict[Window, Worked]:
        """The worked-out figures of `windows` (each in `seen`'s memo: one read, whatever
        `refresh` does meanwhile) whose marks still hold: this computer's mark of the window
        (one SQL sum) and the other computers' months reaching it."""
        if not windows:
            return {}
        memo = seen.memo
        marks = self.local.window_marks([(_at(lo), _at(hi)) for lo, hi in windows], max_span)
        months = self.month_marks(seen.others)
        return {key: memo[key] for key, own in zip(windows, marks, strict=True)
                if memo[key].own == own and memo[key].others == months.of(*key)}

    def live_apps_ms(self, lo: int, hi: int, max_span: timedelta = MAX_SPAN,
                     others: Mapping[str, Sequence[History]] | None = None) -> dict[str, int]:
        """Each app's union across computers inside [lo, hi) (ms UTC), merged now (from
        `others`, this read's by default)."""
        totals: dict[str, int] = {}
        for s, e, app, _ in self._app_spans(self.others if others is None else others,
                                            _at(lo), _at(hi), max_span):
            inside = min(e, hi) - max(s, lo)
            if inside > 0:
                totals[app] = totals.get(app, 0) + inside
        return totals

    def live_ms(self, windows: Sequence[Window], max_span: timedelta = MAX_SPAN,
                others: Mapping[str, Sequence[History]] | None = None) -> list[int]:
        """The all-devices total in ms of each [lo, hi) window (ms UTC), merged: the windows
        that touch or overlap are read together (every computer's spans within their reach,
        this one's without making objects of them, sorted once, merged into the time
        anything was in front, then each window's share of it by bisection), windows apart
        each on their own, so today and the same part of last Thursday never read the week
        between. Only the other computers' months the windows reach are touched: the tray's
        kept months load from disk when a read first reaches them (`widget.sync.compact`).
        `others`: the other computers' histories, this read's by default (a caller that
        planned with one read merges from the same one, whatever `refresh` does meanwhile)."""
        others = self.others if others is None else others
        totals = [0 for _ in windows]
        order = sorted((k for k, (lo, hi) in enumerate(windows) if hi > lo),
                       key=lambda k: windows[k])
        group: list[int] = []
        reach = 0
        for k in [*order, -1]:
            if k >= 0 and group and windows[k][0] <= reach:
                group.append(k)
                reach = max(reach, windows[k][1])
                continue
            if group:
                covered = self._covered(others, windows[group[0]][0], reach, max_span)
                for j in group:
                    totals[j] = covered.ms(*windows[j])
            if k >= 0:
                group, reach = [k], windows[k][1]
        return totals

    def _covered(self, others: Mapping[str, Sequence[History]], lo: int, hi: int,
                 max_span: timedelta) -> _Covered:
        """Every computer's time in [lo, hi) (ms UTC) merged, each moment once."""
        spans = self.local.spans_ms(_at(lo), _at(hi), max_span)
        for history, first, last in _reaching(others, lo, hi):
            base, starts, lengths = history.base_ms, history.starts, history.lengths
            spans.extend((base + starts[i], base + starts[i] + lengths[i])
                         for i in range(first, last))
        return _Covered(spans)

    def first_use(self) -> datetime | None:
        found = [self.local.first_use()]
        for parts in self.others.values():
            earliest = next((history for history in parts if len(history)), None)
            if earliest is not None:  # histories oldest first, each sorted by start
                found.append(_at(earliest.first_start_ms()))
        return min((at for at in found if at is not None), default=None)

    # --- this computer's own ---------------------------------------------------------------

    def app_names(self) -> dict[str, str]:
        return {**self._seen.names, **self.local.app_names()}

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        """This computer's check-ins and those the others share, oldest first."""
        own = self.local.list_checkins(since)
        shared = self._seen.checkins
        if not shared:
            return own
        theirs = [c for c in shared if since is None or c.asked >= since]
        return sorted([*own, *theirs], key=lambda c: c.asked)


class _Seen(NamedTuple):
    """One read of the other computers, swapped whole (`MergedReader.refresh`)."""

    others: dict[str, tuple[History, ...]]
    names: dict[str, str]
    checkins: tuple[Checkin, ...]
    memo: dict[Window, Worked]
    chains: dict[int, list[int]]  # covered.chains(memo)


def shared_checkins(view: FolderView) -> list[Checkin]:
    """The check-ins the other computers of a read share (`--share-notes` there), each once
    (a month's file holds that month's)."""
    return [checkin for device in view.devices for month in device.files.values()
            for checkin in month.checkins or ()]


def _reaching(others: Mapping[str, Sequence[History]], lo: int, hi: int
              ) -> Iterator[tuple[History, int, int]]:
    """Each other computer's month that may share time with [lo, hi) (ms UTC), with the
    indexes of its intervals that may (`History.span_of`): a month the window does not reach
    is never read."""
    for parts in others.values():
        for history in parts:
            first, last = history.span_of(lo, hi)
            if first < last:
                yield history, first, last


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

    def __init__(self, local: OwnStoreContract, own_id: str = "this") -> None:
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
