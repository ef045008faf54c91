"""Three computers' made-up histories for the totals worked out ahead (widget.sync.covered) and
the dashboard over all computers: this computer's (MINE), a desktop's and a work computer's,
in Europe/Berlin with the day starting at 04:00, from late September to NOW (Wednesday
4 November 2026, 15:00), over the late-October change of clocks; the windows the tests name
(weeks, days); and what builds on them: the other computers' histories, this computer's
tracked apps, the figures worked out ahead, a shared folder holding the other computers'
files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from widget.core.calendar import day_window, local_day, week_so_far, week_window
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.store.db import Store
from widget.store.resident import ResidentStore
from widget.sync.covered import Window, Worked, memo_windows, work_out
from widget.sync.folder import SharedFolder, create_identity
from widget.sync.format import split_by_month
from widget.sync.merge import History, histories_of, to_ms
from widget.sync.reader import MergedReader

BERLIN = ZoneInfo("Europe/Berlin")
DAY_START = 4
NOW = datetime(2026, 11, 4, 15, 0, tzinfo=BERLIN)  # a Wednesday afternoon (2026-W45)
TODAY = local_day(NOW, BERLIN, DAY_START)
APPS = ("replika", "character-ai", "nomi")
BOGUS = 123_456_789  # ms no window here holds: seen only when a worked-out figure is taken


def walk(seed: int, start: datetime, end: datetime, apps: Sequence[str]) -> list[Interval]:
    """One computer's intervals from `start` to `end`: one after another (a computer has one
    app in front), 5 s to 55 min long, gaps of 1 s to 4 h, at any hour of the day and
    night, some approximate (a deterministic walk)."""
    out: list[Interval] = []
    at, end = start.astimezone(UTC), end.astimezone(UTC)  # UTC: a day of 25 hours has them
    k = seed
    while True:
        k = (k * 1103515245 + 12345) % 2**31
        length = timedelta(seconds=5 + k % 3300, milliseconds=k % 1000)
        if at + length > end:
            return out
        out.append(Interval(apps[k % len(apps)], at, at + length,
                            Measure.APPROXIMATE if k % 7 == 0 else Measure.FOREGROUND))
        at += length + timedelta(seconds=1 + (k >> 9) % 14_400)


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def with_these(walked: list[Interval], chosen: list[Interval]) -> list[Interval]:
    """`walked` without what shares time with `chosen`, and `chosen`."""
    kept = [iv for iv in walked
            if not any(iv.start <= c.end and c.start <= iv.end for c in chosen)]
    return sorted([*kept, *chosen], key=lambda iv: iv.start)


# The clocks go back at 03:00 CEST on Sunday 25 October 2026 (01:00 UTC): with the day
# starting at 04:00, Saturday 24 October's day is 25 hours long and 2026-W43 169.
MINE = with_these(walk(5, berlin(9, 30, 9), NOW - timedelta(minutes=20), APPS[:2]), [
    Interval("replika", utc(10, 25, 0, 30), utc(10, 25, 1, 20)),  # across the change
    Interval("character-ai", utc(10, 25, 2, 30), utc(10, 25, 3, 20)),  # across the day start
])
DESKTOP = with_these(walk(11, berlin(9, 23, 20), NOW - timedelta(hours=1), APPS), [
    Interval("replika", utc(10, 25, 0, 50), utc(10, 25, 1, 40)),
    Interval("nomi", utc(10, 31, 23, 40), utc(11, 1, 0, 30)),  # across the UTC months
])
WORK = walk(17, berlin(10, 5, 8), NOW - timedelta(hours=3), APPS[1:])


def day(d: date) -> tuple[datetime, datetime]:
    return day_window(d, BERLIN, DAY_START)


W41 = week_window(date(2026, 10, 5), BERLIN, DAY_START)
W42 = week_window(date(2026, 10, 12), BERLIN, DAY_START)  # whole in October, UTC too
W43 = week_window(date(2026, 10, 19), BERLIN, DAY_START)  # the clocks go back
NOV_2 = day(date(2026, 11, 2))
NOV_3 = day(date(2026, 11, 3))  # the days of November only
SO_FAR = week_so_far(NOW, BERLIN, DAY_START)


def others(desktop: Sequence[Interval] = DESKTOP, work: Sequence[Interval] = WORK
           ) -> dict[str, list[History]]:
    return {"desktop": histories_of(desktop), "work": histories_of(work)}


def add_apps(path: Path) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    store = Store.open(path)
    try:
        for key in APPS:
            store.add_app(TrackedApp(key, key.title(), (Rule(RuleKind.PROCESS, key),)))
    finally:
        store.close()


def worked_out(local: ResidentStore, tz: tzinfo = BERLIN, day_start: int = DAY_START
               ) -> dict[Window, Worked]:
    reader = MergedReader(local, others())
    return work_out(reader, memo_windows(reader.first_use(), NOW, tz, day_start))


def key(window: tuple[datetime, datetime]) -> Window:
    return to_ms(window[0]), to_ms(window[1])


def gap_in(intervals: Sequence[Interval], lo: datetime, hi: datetime) -> datetime:
    """A moment in [lo, hi) followed by ten minutes inside it with none of `intervals`."""
    ends = sorted((iv.start, iv.end) for iv in intervals)
    for (_, end), (start, _) in pairwise(ends):
        if lo <= end and end + timedelta(minutes=11) < hi \
                and start - end > timedelta(minutes=12):
            return end + timedelta(minutes=1)
    raise AssertionError("no gap")


def shared_folders(tmp_path: Path, *more: tuple[str, Sequence[Interval]]) -> tuple[Path, Path]:
    """A shared folder holding the desktop's and the work computer's files (and `more`
    computers' by name), and this computer's data folder (with MINE recorded and an
    identity)."""
    shared = tmp_path / "Sync"
    shared.mkdir()
    for name, intervals in (("Desktop", DESKTOP), ("Work", WORK), *more):
        folder = tmp_path / name.lower()
        folder.mkdir(mode=0o700)
        writer = SharedFolder(shared, folder, create_identity(folder, name, False), None,
                              lambda: NOW.astimezone(UTC), BERLIN)
        outcome = writer.write(split_by_month(intervals), {app: app.title() for app in APPS})
        assert outcome.problem is None
    mine = tmp_path / "mine"
    create_identity(mine, "Laptop", False)
    return shared, mine
