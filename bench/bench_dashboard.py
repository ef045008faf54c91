"""The dashboard on two years of dense history: the week report, reading the dashboard's data,
and opening its window (Qt's offscreen platform; no X server needed).

The history: `widget.services.demo`'s believable two years (drift included) at a heavier pace, about
two hours a day (its usual week raised from 3 h to 14 h while it runs), and each session cut
into stretches of 15-50 s with a few seconds between them, as the tracker stores a person
switching between a companion and another window all evening. That makes >= 150,000
intervals, written straight into the table in one transaction (`Store.insert_interval`
one by one would take minutes and measure nothing of interest here). "Now" is fixed, so every
run reads the same rows.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import Figure, result

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=ZONE).astimezone(UTC)  # a Thursday: week so far
DAY_START = 4
DENSE_WEEK_S = 14 * 3600.0
TARGET_REPORT_S = 0.100
TARGET_OPEN_S = 0.500


def dense_history(weeks: int, seed: int) -> list[tuple[str, datetime, datetime]]:
    """(app, start, end) of two years of heavy, switch-heavy use, oldest first."""
    import widget.services.demo as demo
    from widget.core.calendar import local_day

    usual = demo.BASE_WEEK_S
    demo.BASE_WEEK_S = DENSE_WEEK_S  # the demo at a heavier pace, for this run only
    try:
        sessions = demo.demo_intervals(seed, weeks, ZONE, DAY_START,
                                       local_day(NOW, ZONE, DAY_START))
    finally:
        demo.BASE_WEEK_S = usual
    rng = random.Random(seed)
    rows = []
    for session in sessions:
        at = session.start
        while at < session.end:
            end = min(session.end, at + timedelta(seconds=rng.randint(15, 50)))
            rows.append((rng.choice(demo.DEMO_APPS), at, end))
            at = end + timedelta(seconds=rng.randint(1, 6))
    return rows


def make_data(folder: Path, weeks: int, seed: int) -> tuple[Path, int]:
    from widget.catalog_data import load_catalog
    from widget.core.catalog import entry_to_app
    from widget.core.checkin import Checkin
    from widget.services.demo import DEMO_APPS, DEMO_GOALS
    from widget.store.codec import to_ms
    from widget.store.db import Store

    path = folder / "driftcheck.sqlite3"
    store = Store.open(path, clock=lambda: NOW)
    catalog = load_catalog()
    for key in DEMO_APPS:
        store.add_app(entry_to_app(catalog.get(key), "linux"))
    store.replace_goals(list(DEMO_GOALS))
    for week in range(weeks):  # a Sunday-evening check-in most weeks
        asked = NOW - timedelta(days=4, weeks=week)
        if week % 5:
            store.add_checkin(Checkin(asked=asked, answered=asked, answer=1 + week % 5))
    store.close()
    rows = dense_history(weeks, seed)
    with sqlite3.connect(path) as conn:
        ids = dict(conn.execute("SELECT key, id FROM tracked_apps"))
        conn.executemany("INSERT INTO intervals (app_id, start_ms, end_ms, measure) "
                         "VALUES (?, ?, ?, 0)",
                         [(ids[app], to_ms(start), to_ms(end)) for app, start, end in rows])
    return path, len(rows)


def timed(step: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """Median and every run's seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


class PaintWatch:
    """Counts the first Paint event of each watched widget (one watcher for the whole run)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject

        seen: set[int] = set()

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    seen.add(id(watched))
                return False

        self.seen = seen
        self.filter = Filter()


def open_window(source: Callable[[str | None], object], watch: PaintWatch) -> float:
    """Seconds from nothing to a dashboard window shown and painted once (charts included)."""
    from PySide6.QtCore import QEvent, QEventLoop
    from PySide6.QtWidgets import QApplication

    from widget.ui.dashboard.window import DashboardWindow

    watch.seen.clear()
    started = time.perf_counter()
    window = DashboardWindow(source)  # type: ignore[arg-type]
    window.show_week(None)
    viewports = [v.viewport() for v in (window.day_view, window.weeks_view, window.checkin_view)]
    for viewport in viewports:
        viewport.installEventFilter(watch.filter)
    window.show()
    # Few calls, each working for up to 20 ms in C++: with PySide6 6.12 every Python call of
    # processEvents() takes one reference from None, and a few thousand end the process.
    for _ in range(200):
        if len(watch.seen) == len(viewports):
            break
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    took = time.perf_counter() - started
    for viewport in viewports:
        viewport.removeEventFilter(watch.filter)
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from widget.core.calendar import iso_week
    from widget.core.report import week_report
    from widget.services.dashboard import load_dashboard
    from widget.store.resident import ResidentStore

    tmp = Path(tempfile.mkdtemp(prefix="driftcheck-benchdash-"))
    try:
        started = time.perf_counter()
        path, count = make_data(tmp, args.weeks, args.seed)
        size_mb = path.stat().st_size / 2**20
        print(f"{count:,} intervals over {args.weeks} weeks (+ this week so far) written in "
              f"{time.perf_counter() - started:.1f} s; database {size_mb:.1f} MB")
        store = ResidentStore.open(path)
        try:
            def load() -> object:
                return load_dashboard(store, None, NOW, ZONE, DAY_START)

            first_load = timed(load, 1)[0]
            load_s, load_runs = timed(load, args.runs)
            data = load_dashboard(store, None, NOW, ZONE, DAY_START)
            week = iso_week((NOW - timedelta(weeks=1)).astimezone(ZONE).date())
            shown = load_dashboard(store, week, NOW, ZONE, DAY_START)
            start, end = shown.report.start, shown.report.end
            in_week = store.intervals_overlapping(start, end)
            history = {p.week: p.total_s for p in shown.weeks[:-1] if p.total_s is not None}
            goals, names = store.list_goals(), store.app_names()
            report_s, _ = timed(lambda: week_report(in_week, week, history, goals, names, ZONE,
                                                    DAY_START, now=NOW), args.runs)
            print(f"week {week}: {len(in_week):,} intervals, {shown.report.total_s / 3600:.1f} h; "
                  f"the dashboard of {data.week} reads 2 weeks of rows and 16 weekly totals "
                  "(summed by SQLite)")
            print(f"week report (median of {args.runs}): {report_s * 1000:.1f} ms")
            print(f"dashboard data load: first {first_load * 1000:.0f} ms, median of "
                  f"{args.runs} {load_s * 1000:.0f} ms (runs: "
                  f"{', '.join(f'{t * 1000:.0f}' for t in load_runs)})")

            from PySide6.QtWidgets import QApplication

            app = QApplication.instance() or QApplication([])
            imported = time.perf_counter()
            import widget.ui.dashboard.window  # noqa: F401  (what the tray imports at the first open)

            import_s = time.perf_counter() - imported
            source = lambda week: load_dashboard(store, week, NOW, ZONE, DAY_START)  # noqa: E731
            watch = PaintWatch()
            first_open = open_window(source, watch)
            opens = [open_window(source, watch) for _ in range(args.runs)]
            open_s = statistics.median(opens)
            print(f"importing the dashboard's UI (QtCharts) once: {import_s * 1000:.0f} ms")
            print(f"dashboard window open (load + build + first paint): first "
                  f"{first_open * 1000:.0f} ms, median of {args.runs} {open_s * 1000:.0f} ms")
            del app
        finally:
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    figures = [
        Figure("Week report, dense history", f"{report_s * 1000:.1f} ms", "<= 100 ms",
               report_s <= TARGET_REPORT_S, report_s),
        Figure("Dashboard data load (16 weeks)", f"{load_s * 1000:.0f} ms", "part of open",
               None, load_s),
        Figure(f"Dashboard open, {count // 1000}k intervals", f"{open_s * 1000:.0f} ms",
               "<= 0.5 s", open_s <= TARGET_OPEN_S, open_s),
    ]
    result("dashboard", figures, intervals=count, weeks=args.weeks,
           week_report_s=report_s, load_first_s=first_load, load_s=load_s,
           open_first_s=first_open, open_s=open_s, import_ui_s=import_s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
