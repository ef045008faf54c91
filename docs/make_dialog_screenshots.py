"""Render the dialogs with a demo store and save them as PNGs in docs/screenshots/.

    python docs/make_dialog_screenshots.py [OUT_DIR]

Runs without a screen (Qt's offscreen platform) unless DISPLAY is set, e.g. under Xvfb. The
demo data lives in a temporary folder that is removed afterwards.
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
from widget.core.catalog import entry_to_app
from widget.core.goals import Goal, GoalKind
from widget.store import Store
from widget.ui.dialogs.checkin import CheckinDialog
from widget.ui.dialogs.goals import GoalsDialog
from widget.ui.dialogs.settings import SettingsDialog
from widget.ui.dialogs.welcome import WelcomeDialog

NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
RUNNING = ["firefox-esr", "koboldcpp", "signal-desktop", "thunderbird", "xterm"]
REFLECTION = ("The feeling of connection is real as a feeling. Does what it connects to "
              "connect back?")


def save(widget: QWidget, path: Path) -> None:
    widget.show()
    widget.resize(widget.size().expandedTo(widget.sizeHint()))
    for _ in range(3):
        QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)
    widget.close()


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("driftcheck")
    out.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "demo.sqlite3", clock=lambda: NOW)
        try:
            for app_id in ("replika", "nomi"):
                store.add_app(entry_to_app(catalog.get(app_id), "linux"))
            store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60),
                                 Goal(GoalKind.WEEKLY, None, 4 * 3600),
                                 Goal(GoalKind.QUIET_HOURS, None, None, 23 * 60, 6 * 60)])

            welcome = WelcomeDialog(store, catalog, lambda: NOW, platform="linux",
                                    running=lambda: RUNNING)
            welcome.load()
            save(welcome, out / "welcome.png")
            welcome = WelcomeDialog(store, catalog, lambda: NOW, platform="linux",
                                    running=lambda: RUNNING)
            welcome.load()
            welcome.primary_button.click()
            welcome.picker.search.setText("")
            save(welcome, out / "apps.png")

            goals = GoalsDialog(store, lambda: NOW)
            goals.load()
            save(goals, out / "goals.png")

            checkin = CheckinDialog(store, lambda: NOW, 3 * 3600 + 20 * 60, REFLECTION)
            checkin.answer_buttons[2].setChecked(True)
            checkin.save_button.setFocus(Qt.FocusReason.OtherFocusReason)
            save(checkin, out / "checkin.png")

            checkin.save_button.click()  # the answer acknowledged
            save(checkin, out / "checkin-thanks.png")

            settings = SettingsDialog(store, data_dir=Path(tmp), new_day=lambda: NOW,
                                      delete_everything=lambda: None)
            settings.load()
            save(settings, out / "settings.png")
            settings.tabs.setCurrentWidget(settings.sharing)
            settings.sharing.share.click()  # the form; nothing is written until "Start sharing"
            settings.sharing.folder.setText("/home/kim/Sync/driftcheck")
            settings.sharing.name.setText("Laptop")
            save(settings, out / "settings-sharing.png")
            settings.sharing.share.click()
            settings.tabs.setCurrentWidget(settings.data)
            save(settings, out / "settings-data.png")
            settings.show()
            settings.data.ask_to_delete()  # the question; closing it deletes nothing
            assert settings.data.confirmation is not None
            save(settings.data.confirmation, out / "settings-delete.png")
            settings.close()

            from zoneinfo import ZoneInfo

            from widget.core.today import today_view
            from widget.ui.compact import CompactWidget
            from widget.ui.dialogs.answers import AnswersDialog

            answers = AnswersDialog(store, ZoneInfo("UTC"))
            answers.load()
            save(answers, out / "answers.png")

            empty = CompactWidget(ZoneInfo("UTC"), dashboard=True)
            empty.show_view(today_view([], [], {}, NOW, ZoneInfo("UTC"), 4), NOW)
            save(empty, out / "compact-empty.png")
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
