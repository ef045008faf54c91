"""Database bytes per month of use: thirty days written through the tracker's real path.

The real `Tracker` (its Sampler, IntervalBuilder and Matcher) writes through the lean store
`driftcheck track` and the tray use (`widget.store.resident.open_for_tracking`), fed by a
scripted person and a fake clock, so a month takes seconds. Each day the computer is on from
09:00 to 23:30 (Europe/Berlin): the tracker starts (and stores its mode, as it does), samples
every 5 s (the default) and gets a focus event at every switch, as on X11; at night it stops
and the store is closed, as when the computer is shut down. Outside the sessions an untracked
window is in front. A weekly self-check answer is stored on Sundays.

Two kinds of month (`--profile`, both by default):
- typical: 1-2 hours a day in 1-4 sessions (evenings mostly, some lunchtimes), one of three
  tracked apps per session (a character.ai tab, a SillyTavern tab, LM Studio), stretches of
  about 3 minutes (at least 20 s) with a glance at another window between most of them, and
  now and then 5-15 minutes away from the keyboard (the idle rule closes the interval);
- heavy: about 2 hours every day, switching all the time: stretches of 15-50 s on one of the
  apps and 1-6 s elsewhere between them (bench_dashboard.py's history, and bench_db.py's
  switch-at-every-sample model, are of this kind).

The figure is the growth of the database file over the month after a full WAL checkpoint
(`PRAGMA wal_checkpoint(TRUNCATE)`, so the -wal file is empty), next to what the empty file
(schema, three apps) weighs. Figures are printed, never asserted; the issue sets no target.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import Figure, fmt_bytes, result

ZONE = ZoneInfo("Europe/Berlin")
FIRST_DAY = date(2026, 3, 2)  # a Monday; the month crosses the change to summer time
ON, OFF = time(9, 0), time(23, 30)
APPS = ("character-ai", "sillytavern", "lm-studio")
APP_WEIGHTS = (0.5, 0.2, 0.3)
DB_NAME = "driftcheck.sqlite3"


def window_of(app: str | None) -> tuple[str, str]:
    """(process, title) of a window in front: a tracked app's, or (None) an untracked one."""
    return {
        "character-ai": ("firefox", "Chat with Ayla | character.ai - Mozilla Firefox"),
        "sillytavern": ("firefox", "SillyTavern - Mozilla Firefox"),
        "lm-studio": ("lm-studio", "LM Studio"),
        None: ("code", "notes.md - Visual Studio Code"),
    }[app]


class FakeClock:
    """Monotonic seconds since `base`, and the wall clock that goes with them."""

    def __init__(self, base: datetime) -> None:
        self.base = base
        self.t = 0.0

    def mono(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return self.base + timedelta(seconds=self.t)

    def at(self, moment: datetime) -> float:
        return (moment - self.base).total_seconds()


class Person:
    """The scripted probe: what the person has in front, and since when they are away."""

    name = "scripted"

    def __init__(self, clock: FakeClock) -> None:
        from widget.core.model import Measure

        self.measure = Measure.FOREGROUND
        self.clock = clock
        self.app: str | None = None
        self.away_since: float | None = None

    def foreground(self):  # type: ignore[no-untyped-def]
        from widget.core.model import Foreground

        process, title = window_of(self.app)
        return Foreground(process=process, pid=4242, exe=f"/usr/bin/{process}", title=title,
                          window_class=process)

    def idle_seconds(self) -> float:
        return 1.0 if self.away_since is None else self.clock.t - self.away_since

    def locked(self) -> bool:
        return False


@dataclass
class Change:
    at: float  # fake monotonic seconds
    app: str | bool | None = False  # the window in front from now (False: unchanged)
    away: bool | None = None  # True: input stops; False: input again; None: unchanged


def session_starts(rng: random.Random, count: int) -> list[int]:
    """Local minutes after midnight at which the day's sessions begin."""
    starts = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.7:
            starts.append(rng.randint(19 * 60, 22 * 60))
        elif kind < 0.9:
            starts.append(rng.randint(12 * 60, 13 * 60 + 30))
        else:
            starts.append(rng.randint(9 * 60 + 30, 17 * 60))
    return sorted(starts)


def plan_day(day: date, clock: FakeClock, profile: str, rng: random.Random) -> list[Change]:
    """The day's changes of what is in front, in order."""
    off = clock.at(datetime.combine(day, OFF, ZONE).astimezone(UTC))
    if profile == "heavy":
        lengths = [int(rng.uniform(1.8, 2.2) * 3600)]
        lengths = [lengths[0] // 2, lengths[0] - lengths[0] // 2]  # lunchtime and evening
        starts = [rng.randint(12 * 60, 13 * 60), rng.randint(19 * 60, 20 * 60)]
    else:
        total = rng.uniform(60, 120) * 60
        count = rng.randint(1, 4)
        cuts = sorted(rng.uniform(0, total) for _ in range(count - 1))
        lengths = [int(b - a) for a, b in zip([0.0, *cuts], [*cuts, total], strict=True)]
        starts = session_starts(rng, count)
    changes: list[Change] = []
    free_from = 0.0
    for minute, length in zip(starts, lengths, strict=True):
        begin = datetime.combine(day, time(0), ZONE) + timedelta(minutes=minute)
        at = max(clock.at(begin.astimezone(UTC)), free_from + 60)
        end = min(at + length, off - 60)
        app = rng.choices(APPS, weights=APP_WEIGHTS)[0]
        while at < end:
            if profile == "heavy":
                app = rng.choices(APPS, weights=APP_WEIGHTS)[0]
                stretch, glance, away = rng.uniform(15, 50), rng.uniform(1, 6), 0.0
            else:
                stretch = max(20.0, rng.expovariate(1 / 180))
                glance = rng.uniform(10, 90) if rng.random() < 0.6 else 0.0
                away = rng.uniform(5, 15) * 60 if rng.random() < 0.05 else 0.0
            changes.append(Change(at, app=app))
            at += stretch
            if away:  # the companion stays in front; the person is gone
                changes.append(Change(at, away=True))
                at += away
                changes.append(Change(at, away=False))
            if glance and at < end:
                changes.append(Change(at, app=None))
                at += glance
        changes.append(Change(min(at, off - 30), app=None))
        free_from = at
    return changes


def run_month(path: Path, days: int, profile: str, seed: int) -> dict[str, float]:
    """Thirty days (or `days`) of one profile written into the database at `path`."""
    from widget.core.checkin import Checkin
    from widget.core.options import Options
    from widget.store.resident import open_for_tracking
    from widget.tracking import Tracker

    rng = random.Random(f"{profile}-{seed}")
    base = datetime.combine(FIRST_DAY, time(0), ZONE).astimezone(UTC)
    clock = FakeClock(base)
    options = Options()
    switches = focus_events = ticks = 0
    for n in range(days):
        day = FIRST_DAY + timedelta(days=n)
        on = clock.at(datetime.combine(day, ON, ZONE).astimezone(UTC))
        off = clock.at(datetime.combine(day, OFF, ZONE).astimezone(UTC))
        changes = plan_day(day, clock, profile, rng)
        clock.t = on
        person = Person(clock)
        store = open_for_tracking(path)
        tracker = Tracker(store, options, clock=clock, probe=person,  # type: ignore[arg-type]
                          platform="linux")
        info_mode = person.measure.value
        store.set_setting("tracker.mode", info_mode)  # what Tracker.start stores
        store.set_setting("tracker.probe", person.name)
        sampler = tracker.sampler
        sampler.tick()
        next_tick = on + options.sample_interval
        pending = iter(changes)
        change = next(pending, None)
        while next_tick < off:
            while change is not None and change.at <= next_tick:
                clock.t = change.at
                if change.away is not None:
                    person.away_since = change.at if change.away else None
                if change.app is not False and change.app != person.app:
                    person.app = change.app  # type: ignore[assignment]
                    switches += 1
                    focus_events += 1
                    sampler.focus_changed(change.at)
                change = next(pending, None)
            clock.t = next_tick
            sampler.tick()
            ticks += 1
            next_tick += options.sample_interval
        clock.t = off
        sampler.stop()
        if day.weekday() == 6:  # Sunday evening: the weekly self-check
            asked = datetime.combine(day, time(19), ZONE).astimezone(UTC)
            store.add_checkin(Checkin(asked=asked, answered=asked + timedelta(minutes=2),
                                      answer=rng.randint(1, 5)))
        if sampler.stats.store_errors or sampler.stats.probe_errors:
            print(f"  day {day}: errors {sampler.stats}")
        store.close()
    return {"switches": switches, "focus_events": focus_events, "ticks": ticks}


def checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()


def files_size(path: Path) -> tuple[int, int]:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


def one_profile(tmp: Path, days: int, profile: str, seed: int) -> dict[str, float]:
    from widget.catalog_data import load_catalog
    from widget.core.catalog import entry_to_app
    from widget.store.db import Store

    path = tmp / profile / DB_NAME
    catalog = load_catalog()
    setup = Store.open(path)  # what `driftcheck apps add` makes
    for key in APPS:
        setup.add_app(entry_to_app(catalog.get(key), "linux"))
    setup.close()
    checkpoint(path)
    empty, _ = files_size(path)
    counts = run_month(path, days, profile, seed)
    _, wal_before = files_size(path)
    checkpoint(path)
    size, wal = files_size(path)
    conn = sqlite3.connect(path)
    try:
        rows, seconds = conn.execute("SELECT count(*), COALESCE(SUM(end_ms - start_ms), 0) / "
                                     "1000.0 FROM intervals").fetchone()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    growth = size - empty
    hours = seconds / 3600
    print(f"{profile}: {days} days, {hours:.1f} h tracked ({hours / days * 60:.0f} min a day), "
          f"{rows:,} intervals, {counts['switches']:,} switches of the window in front, "
          f"{counts['ticks']:,} samples; database {fmt_bytes(empty)} empty -> {fmt_bytes(size)} "
          f"(WAL {wal_before} B before the checkpoint, {wal} B after; page size {page_size} B; "
          f"integrity {integrity})", flush=True)
    print(f"  growth {fmt_bytes(growth)} in the month = {fmt_bytes(growth * 12)} a year; "
          f"{growth / max(1, rows):.0f} B per interval, {fmt_bytes(growth / max(1, hours))} "
          "per tracked hour")
    return {"days": days, "hours": hours, "intervals": rows, "empty_bytes": empty,
            "bytes": size, "growth_bytes": growth, "wal_after_checkpoint": wal,
            "page_size": page_size, "integrity": integrity, **counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--profile", choices=("typical", "heavy"), action="append",
                        help="typical, heavy (repeatable; both by default)")
    args = parser.parse_args()
    profiles = args.profile or ["typical", "heavy"]

    tmp = Path(tempfile.mkdtemp(prefix="driftcheck-benchmonth-"))
    raw: dict[str, dict[str, float]] = {}
    try:
        for profile in profiles:
            raw[profile] = one_profile(tmp, args.days, profile, args.seed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    figures = []
    for profile, r in raw.items():
        per_day = r["hours"] / r["days"] * 60
        how = "switch-heavy" if profile == "heavy" else "typical"
        figures.append(Figure(f"DB growth per month, {how} ({per_day:.0f} min/day)",
                              fmt_bytes(r["growth_bytes"]), "-", None, r["growth_bytes"]))
    result("month", figures, profiles=raw)
    return 0 if all(r["integrity"] == "ok" for r in raw.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
