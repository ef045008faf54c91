"""Database bytes per 1,000 app switches, and rows added by samples that only extend.

The real Sampler, IntervalBuilder, Matcher and Store (a temp SQLite file), fed by a scripted
probe and a fake clock: no X server needed, and no waiting for real time to pass.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import Figure, fmt_bytes, result

TARGET_PER_1000 = 100 * 1024


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.base = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)

    def mono(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return self.base + timedelta(seconds=self.t)


class ScriptedProbe:
    """Whatever process `current` names is in front; the person is always there."""

    name = "scripted"

    def __init__(self) -> None:
        from widget.core.model import Measure

        self.measure = Measure.FOREGROUND
        self.current = "koboldcpp"

    def foreground(self):  # type: ignore[no-untyped-def]
        from widget.core.model import Foreground

        return Foreground(process=self.current, pid=4242, exe=f"/usr/bin/{self.current}",
                          title="a title that is never stored", window_class=self.current)

    def idle_seconds(self) -> float:
        return 1.0

    def locked(self) -> bool:
        return False


def checkpoint(path: Path) -> tuple[int, int, int]:
    """Fold the WAL into the file and truncate it; (busy, wal frames, frames checkpointed)."""
    conn = sqlite3.connect(path)
    try:
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    return busy, log, done


def count_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM intervals").fetchone()[0])
    finally:
        conn.close()


def sizes(path: Path) -> tuple[int, int]:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--switches", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    args = parser.parse_args()

    from widget.catalog_data import load_catalog
    from widget.core.catalog import entry_to_app
    from widget.core.intervals import IntervalBuilder
    from widget.core.rules import Matcher
    from widget.sampler import Sampler
    from widget.store.db import Store
    from widget.store.resident import open_for_tracking

    catalog = load_catalog()
    apps = [entry_to_app(catalog.get(i), "linux") for i in ("koboldcpp", "lm-studio")]
    tmp = Path(tempfile.mkdtemp(prefix="driftcheck-benchdb-"))
    try:
        path = tmp / "data" / "driftcheck.sqlite3"
        clock = FakeClock()
        setup = Store.open(path, clock=clock.wall)  # creates the file, as `apps add` does
        for app in apps:
            setup.add_app(app)
        setup.close()
        # What `driftcheck track` writes through (widget.store.resident).
        store = open_for_tracking(path)
        print(f"store: {type(store).__module__}.{type(store).__name__}")
        matcher = Matcher(store.list_apps(), catalog.browser_names("linux"))
        probe = ScriptedProbe()
        builder = IntervalBuilder(interval=args.interval, idle_after=180)
        sampler = Sampler(probe, matcher.match, builder, store, clock)  # type: ignore[arg-type]

        # Phase 1: a switch at every sample, two tracked apps taking turns.
        sampler.tick()  # opens the first interval
        checkpoint(path)
        size0, _ = sizes(path)
        rows0 = count_rows(path)
        procs = ("lm-studio", "koboldcpp")
        for i in range(args.switches):
            clock.t += args.interval
            probe.current = procs[i % 2]
            sampler.tick()
        busy, _, _ = checkpoint(path)
        size1, wal1 = sizes(path)
        rows1 = count_rows(path)
        growth = size1 - size0
        per_1000 = growth * 1000 / args.switches
        page_size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
        print(f"{args.switches} switches ({args.interval:g} s apart, fake clock): "
              f"{rows1 - rows0} rows added (checkpoint busy={busy}); "
              f"file {fmt_bytes(size0)} -> {fmt_bytes(size1)} (WAL now {wal1} B, "
              f"page size {page_size} B)")
        print(f"  growth per 1,000 switches: {fmt_bytes(per_1000)} "
              f"({growth / max(1, rows1 - rows0):.1f} B per row, table + 2 indexes); "
              f"target <= {fmt_bytes(TARGET_PER_1000)} -> "
              f"{'met' if per_1000 <= TARGET_PER_1000 else 'MISSED'}")

        # Phase 2: the same app at every sample. Samples 3 s apart so 1,000 of them (50 min)
        # stay inside the builder's 1 h max span, which by design would split the interval.
        step = 3.0
        clock.t += step
        probe.current = "koboldcpp" if probe.current == "lm-studio" else "lm-studio"
        sampler.tick()  # the switch into the long interval
        checkpoint(path)
        rows2, (size2, _) = count_rows(path), sizes(path)
        for _ in range(1000):
            clock.t += step
            sampler.tick()
        checkpoint(path)
        rows3, (size3, _) = count_rows(path), sizes(path)
        added = rows3 - rows2
        print(f"1,000 samples ({step:g} s apart) that only extend one interval: {added} rows "
              f"added ({rows2} -> {rows3}), file grew {fmt_bytes(size3 - size2)}; target 0 rows "
              f"-> {'met' if added == 0 else 'MISSED'}")
        if sampler.stats.store_errors or sampler.stats.probe_errors:
            print(f"  errors during the run: {sampler.stats}")
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    figures = [
        Figure("DB growth per 1,000 switches", fmt_bytes(per_1000), "<= 100 KB",
               per_1000 <= TARGET_PER_1000, per_1000),
        Figure("Rows added by 1,000 extending samples", str(added), "0", added == 0, added),
    ]
    result("db", figures, switches=args.switches, rows_added=rows1 - rows0,
           bytes_growth=growth, bytes_per_1000=per_1000, page_size=page_size,
           extend_rows_added=added, extend_bytes_growth=size3 - size2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
