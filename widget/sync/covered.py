"""All computers' totals of whole weeks and days worked out ahead by the sync child, each kept
with what it was worked out from, so a read of sixteen weeks over several computers' years does
not merge every span of them again (issue 16's figure: the week report and the dashboard over
three computers within twice one computer's time; bench/bench_devices.py).

One computer's weekly totals are summed by SQLite (`seconds_in`). All computers' cannot be: a
moment two computers shared counts once (`widget.sync.merge`), so every span of every computer
in the window has to be merged. The sync child (`widget.sync.child`), which runs every two
minutes anyway, works out the complete weeks since the history began and the complete days of
the last two weeks (`memo_windows`), and leaves each figure in the kept read
(`widget.sync.compact`) with its two marks:

- this computer's mark of the window (`OwnIntervalReader.window_marks`: its milliseconds
  inside, how many intervals reach it, the sum of their starts), and
- the other computers' months that reach the window, each by its device and the CRC-32 of its
  contents (`MonthMarks`).

A read (`widget.sync.reader.MergedReader.seconds_in`) takes a figure only when both marks are
the same now (one SQL sum per window, what one computer's weekly totals cost anyway). A window
of the week in progress is the complete days' figures up to today and today merged as before;
any other window is merged as before. So no figure is used for time that changed after it was
worked out: an interval added, removed, moved or cut on this computer, another computer's month
that changed, another time zone or day start (the windows' bounds differ). Nothing is assumed
of the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from widget.core.calendar import day_window, iso_week, local_day, week_monday, week_window
from widget.store.api import OwnStoreReader
from widget.sync.merge import History, to_ms

Window = tuple[int, int]  # [start, end) in ms UTC
Mark = tuple[int, int, int]  # OwnIntervalReader.window_marks
RECENT_DAYS = 14  # the complete days worked out: the week in progress and the one before


@dataclass(frozen=True, slots=True)
class Worked:
    """One window's all-computers total (ms, each moment once) and what it came from."""

    own: Mark
    others: str  # MonthMarks.of
    ms: int
    # each app's union across computers inside the window, in ms (None: not worked out)
    apps: tuple[tuple[str, int], ...] | None = None


Memo = Mapping[Window, Worked]


class MonthMarks:
    """The other computers' months, each as (first start, latest end, "device:crc"), for
    naming the months a window reaches without reading a kept month that is not loaded.
    `mark` gives a month's (first start, latest end or later, CRC-32 of its contents):
    `widget.sync.compact.month_mark`."""

    def __init__(self, others: Mapping[str, Sequence[History]],
                 mark: Callable[[History], tuple[int, int, int]]) -> None:
        self.others = others  # what these are the marks of
        self.months: list[tuple[int, int, str]] = []
        for device, parts in others.items():
            for history in parts:
                if len(history):
                    lo, hi, crc = mark(history)
                    self.months.append((lo, hi, f"{device}:{crc:08x}"))

    def of(self, lo: int, hi: int) -> str:
        """The months sharing time with [lo, hi), in one string (sorted)."""
        return "|".join(sorted(token for first, last, token in self.months
                               if first < hi and last > lo))


def memo_windows(first_use: datetime | None, now: datetime, tz: tzinfo, day_start_hour: int
                 ) -> list[tuple[datetime, datetime]]:
    """The windows the sync child works out: every complete week from the one the history
    began in, and the complete days of the last `RECENT_DAYS` (what a dashboard of the week
    in progress reads whole, today aside)."""
    if first_use is None:
        return []
    windows = []
    monday = week_monday(iso_week(local_day(first_use, tz, day_start_hour)))
    while True:
        start, end = week_window(monday, tz, day_start_hour)
        if end > now:
            break
        windows.append((start, end))
        monday += timedelta(weeks=1)
    today = local_day(now, tz, day_start_hour)
    first = max(local_day(first_use, tz, day_start_hour), today - timedelta(days=RECENT_DAYS))
    day = first
    while day < today:
        windows.append(day_window(day, tz, day_start_hour))
        day += timedelta(days=1)
    return windows


class WorkingReader(Protocol):
    """What `work_out` reads: `widget.sync.reader.MergedReader`."""

    local: OwnStoreReader

    @property
    def memo(self) -> Memo: ...

    def month_marks(self) -> MonthMarks: ...

    def live_ms(self, windows: Sequence[Window]) -> list[int]: ...

    def live_apps_ms(self, lo: int, hi: int) -> dict[str, int]: ...


def work_out(reader: WorkingReader, windows: Sequence[tuple[datetime, datetime]]
             ) -> dict[Window, Worked]:
    """`reader`'s all-computers total of each window with its marks: a figure `reader`
    already holds with the same marks is kept, the others are merged (the sync child's
    step; `reader` holds the last read's memo). A window whose own time changed while it was
    being merged (the tracker wrote meanwhile) is left out: a figure is never kept under a
    mark it was not worked out from."""
    keys = [(to_ms(s), to_ms(e)) for s, e in windows]
    marks = reader.local.window_marks(windows)
    months = reader.month_marks()
    held = reader.memo
    found: dict[Window, Worked] = {}
    missing: list[tuple[Window, Mark, str, tuple[datetime, datetime]]] = []
    for key, window, own in zip(keys, windows, marks, strict=True):
        others = months.of(*key)
        kept = held.get(key)
        if kept is not None and kept.own == own and kept.others == others \
                and kept.apps is not None:
            found[key] = kept
        else:
            missing.append((key, own, others, window))
    merged = reader.live_ms([key for key, _, _, _ in missing])
    apps = [tuple(sorted(reader.live_apps_ms(*key).items())) for key, _, _, _ in missing]
    after = reader.local.window_marks([window for _, _, _, window in missing])
    for (key, own, others, _), ms, by_app, now in zip(missing, merged, apps, after,
                                                      strict=True):
        if now == own:
            found[key] = Worked(own, others, ms, by_app)
    return found


def memo_json(memo: Memo) -> list[list[object]]:
    return [[lo, hi, *worked.own, worked.others, worked.ms,
             None if worked.apps is None else [list(pair) for pair in worked.apps]]
            for (lo, hi), worked in sorted(memo.items())]


def memo_from_json(raw: object) -> dict[Window, Worked]:
    """The memo a kept read holds; entries of the wrong shape are left out (then merged)."""
    memo: dict[Window, Worked] = {}
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, list) or len(entry) != 8:
            continue
        lo, hi, ms_in, count, starts, others, ms, apps = entry
        if not all(type(n) is int for n in (lo, hi, ms_in, count, starts, ms)) \
                or not isinstance(others, str):
            continue
        memo[(lo, hi)] = Worked((ms_in, count, starts), others, ms, _apps_of(apps))
    return memo


def _apps_of(raw: object) -> tuple[tuple[str, int], ...] | None:
    if not isinstance(raw, list):
        return None
    pairs = []
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
                and type(pair[1]) is int):
            return None
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def chains(memo: Iterable[Window]) -> dict[int, list[int]]:
    """Each start in `memo`'s windows with their ends, longest first: how a window of the
    week in progress is found as whole days."""
    ends: dict[int, list[int]] = {}
    for lo, hi in memo:
        ends.setdefault(lo, []).append(hi)
    for found in ends.values():
        found.sort(reverse=True)
    return ends


def split(lo: int, hi: int, ends: Mapping[int, list[int]]) -> tuple[list[Window], int]:
    """[lo, hi) as the longest windows of `ends` that follow each other from `lo` without
    passing `hi`, and where the rest begins (`hi` when none is left)."""
    parts: list[Window] = []
    at = lo
    while at < hi:
        step = next((end for end in ends.get(at, ()) if end <= hi), None)
        if step is None:
            break
        parts.append((at, step))
        at = step
    return parts, at

