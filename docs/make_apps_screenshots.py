"""Render the apps page as a newcomer meets it: a running program shown as the catalog app it
is, how the chosen app is recognised on Linux, and the answer of "Is it counted now?".

    python docs/make_apps_screenshots.py [OUT_DIR]

Offscreen unless DISPLAY is set; the demo store lives in a temporary folder. The check's
answer is made from a fixed window (no real screen is read).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from widget.catalog_data import load_catalog
from widget.core.model import Foreground, TrackedApp
from widget.core.rules import CountCheck, count_check
from widget.store import Store
from widget.ui.dialogs.app_picker import RunningApp
from widget.ui.dialogs.welcome import WelcomeDialog

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
RUNNING = [RunningApp("firefox-esr", "Firefox ESR"), RunningApp("replika", "replika"),
           RunningApp("signal-desktop", "Signal"), RunningApp("thunderbird", "Thunderbird")]


def save(widget: QWidget, path: Path) -> None:
    widget.show()
    widget.resize(widget.size().expandedTo(widget.sizeHint()))
    for _ in range(3):
        QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("driftcheck")
    out.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog()
    browsers = catalog.browser_names("linux")

    def check(apps: list[TrackedApp]) -> CountCheck:
        front = Foreground("firefox-esr", title="Evening chat - Replika — Mozilla Firefox")
        return count_check(front, apps, browsers, sees_front=True, probe="x11")

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "demo.sqlite3", clock=lambda: NOW)
        try:
            welcome = WelcomeDialog(store, catalog, lambda: NOW, platform="linux",
                                    running=lambda: RUNNING, first_run=False)
            picker = welcome.picker
            welcome.load()
            picker.count_check._check = lambda: check(picker.chosen_apps())  # no real screen
            picker.count_check._countdown_s = 0
            [replika] = picker.apps.findItems("Replika", Qt.MatchFlag.MatchExactly)
            replika.setCheckState(Qt.CheckState.Checked)
            picker.apps.setCurrentItem(replika)
            save(welcome, out / "apps-recognised.png")
            picker.count_check.start()
            for _ in range(5):
                QApplication.processEvents()
            save(welcome, out / "apps-counted-now.png")
            welcome.close()
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
