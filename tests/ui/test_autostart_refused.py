"""Start at login from a folder whose name an entry cannot carry: the tray app says so in a
window of its own and keeps running (it raised out of a Qt slot before)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from widget.core.options import Options
from widget.desktop import autostart
from widget.store.db import Store
from widget.ui.controller import TrayController

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


class FakeTracker:
    def reload_apps(self) -> None:
        pass


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data" / "driftcheck.sqlite3")
    try:
        yield s
    finally:
        s.close()


def test_a_refused_start_at_login_is_said_in_a_window(
        qapp: QApplication, store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(autostart, "launch_command", lambda: ["/opt/drift\ncheck/driftcheck"])
    controller = TrayController(store, FakeTracker(), Options(),  # type: ignore[arg-type]
                                tz=ZoneInfo("Europe/Berlin"))
    try:
        store.set_setting("start_at_login", True)
        controller._settings_saved()
        boxes = [d for d in controller._dialogs if isinstance(d, QMessageBox)]
        assert len(boxes) == 1
        assert "cannot start at login" in boxes[0].text()
        assert "start it yourself" in boxes[0].text() and "\n" not in boxes[0].text()
        assert not (tmp_path / "config" / "autostart").exists()
    finally:
        controller.close()
