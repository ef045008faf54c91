"""Render the dashboard on demo data, light and dark (the whole of it), and as it opens on a
1280x800 screen (what is seen without scrolling), into docs/screenshots/.

    python docs/make_dashboard_screenshots.py [OUT_DIR]

Reproducible: demo history from a fixed seed, a fixed "now" (Friday 27 November 2026, 20:00
in Berlin; the picture shows the week before, the last complete one) and a few
self-check answers written here for the picture (`driftcheck demo-data` makes none). Runs
offscreen unless DISPLAY is set; the data lives in a temporary folder removed afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QScrollArea

from widget.catalog_data import load_catalog
from widget.core.calendar import local_day
from widget.core.catalog import entry_to_app
from widget.core.checkin import Checkin
from widget.services.dashboard import load_dashboard
from widget.services.demo import DEMO_APPS, DEMO_GOALS, demo_intervals
from widget.store import Store
from widget.store.resident import ResidentStore
from widget.ui.dashboard.theme import Theme
from widget.ui.dashboard.window import DashboardWindow, fitted_geometry

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 27, 20, 0, tzinfo=ZONE).astimezone(UTC)
SEED = 7
WEEKS = 12
DAY_START = 4
# Sunday-evening answers of the last ten weeks, oldest first (1 adds ... 5 replaces, 0 not
# sure, None skipped): drifting a little, as the use does.
ANSWERS = (2, 2, None, 2, 3, 2, 3, 0, 3, 4)


def fill(path: Path) -> None:
    store = Store.open(path, clock=lambda: NOW)
    try:
        catalog = load_catalog()
        for key in DEMO_APPS:
            store.add_app(entry_to_app(catalog.get(key), "linux"))
        today = local_day(NOW, ZONE, DAY_START)
        for interval in demo_intervals(SEED, WEEKS, ZONE, DAY_START, today):
            store.insert_interval(interval)
        store.replace_goals(list(DEMO_GOALS))
        last_sunday = today - timedelta(days=today.weekday() + 1)
        for weeks_ago, answer in zip(range(len(ANSWERS) - 1, -1, -1), ANSWERS, strict=True):
            asked = datetime.combine(last_sunday - timedelta(weeks=weeks_ago),
                                     datetime.min.time(), tzinfo=ZONE) + timedelta(hours=19)
            answered = None if answer is None else asked + timedelta(minutes=3)
            store.add_checkin(Checkin(asked=asked.astimezone(UTC), answered=answered,
                                      answer=answer, week_seconds=None))
    finally:
        store.close()


def shoot(store: ResidentStore, theme: Theme, path: Path, *, screen: QRect | None = None
          ) -> None:
    """The whole dashboard (grown until nothing scrolls), or with `screen` the window as it
    opens on a screen of that size (the rest scrolls, as it does there)."""
    window = DashboardWindow(lambda week: load_dashboard(store, week, NOW, ZONE, DAY_START),
                             theme=theme)
    window.show_week(None)
    window.previous_week()  # the last complete week: its drift, its words, nothing half-done
    window.resize(1240, 900)
    if screen is not None:
        window.setGeometry(fitted_geometry(screen))
    window.show()
    for _ in range(3):
        QApplication.processEvents()
    if screen is not None:
        save(window, path)
        return
    scroll = window.findChild(QScrollArea, "dashboard-content")
    assert scroll is not None and scroll.widget() is not None
    # Tall enough that nothing scrolls: the picture shows the whole dashboard.
    for _ in range(3):
        extra = scroll.widget().sizeHint().height() - scroll.viewport().height()
        if extra <= 0:
            break
        window.resize(window.width(), window.height() + extra + 2)
        for _ in range(3):
            QApplication.processEvents()
    save(window, path)


def save(window: DashboardWindow, path: Path) -> None:
    if not window.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)
    window.close()


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("driftcheck")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.sqlite3"
        fill(path)
        store = ResidentStore.open(path)
        try:
            shoot(store, "light", out / "dashboard-light.png")
            shoot(store, "dark", out / "dashboard-dark.png")
            shoot(store, "light", out / "dashboard-1280x800.png", screen=QRect(0, 0, 1280, 800))
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
