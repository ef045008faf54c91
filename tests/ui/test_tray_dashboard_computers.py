"""The tray app's dashboard with the person's computers (issue 16): `TrayWindows` over the
tray's `MergedStore` (this computer's real store, the desktop's and the work computer's
histories as the shared folder's last read gives them) opens the one dashboard with the
computers' filter and card; choosing the desktop shows its time alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.helpers.computers import AFTER, SECONDS, WEEK, share_three
from widget.core.format import duration
from widget.core.options import Options
from widget.paths import DB_NAME
from widget.services.devices import names_of, others_of, reader_for
from widget.store.resident import ResidentStore
from widget.sync.reader import MergedStore
from widget.ui.windows import TrayWindows

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


class Quiet:
    def apps_or_goals_changed(self) -> None: ...
    def settings_saved(self) -> None: ...
    def checkin_chosen(self, choice: str, asked: object) -> None: ...


@pytest.fixture
def merged(tmp_path: Path) -> Iterator[tuple[MergedStore, object]]:
    folders = share_three(tmp_path)
    local = ResidentStore.open(folders["Laptop"] / DB_NAME)
    view = reader_for(local, folders["Laptop"], UTC).view
    assert view is not None
    store = MergedStore(local)
    store.refresh(others_of(view), names_of(view))  # as app.py's shared_read does
    try:
        yield store, view
    finally:
        local.close()


@pytest.mark.parametrize("named", [True, False])
def test_the_tray_s_dashboard_offers_each_computer(qapp: QApplication, qtbot: QtBot,
                                                   merged: tuple[MergedStore, object],
                                                   named: bool) -> None:
    store, view = merged
    windows = TrayWindows(store, None, Quiet(), now=lambda: AFTER, tz=UTC,  # type: ignore[arg-type]
                          options=Options)
    if named:
        windows.folder_view = lambda: view  # type: ignore[assignment,return-value]
    window = windows.open_dashboard(WEEK)
    assert window is not None
    qtbot.addWidget(window)
    box = window.computer_box
    assert box.isVisible()
    labels = [box.itemText(i) for i in range(box.count())]
    if named:
        assert labels == ["All computers", "This computer (Laptop)", "Desktop", "Work"]
    else:
        assert labels[:2] == ["All computers", "This computer"] and len(labels) == 4
    desktop = 2 if named else next(i for i in range(2, 4) if window.data is not None and any(
        r.key == box.itemData(i) and r.seconds == SECONDS["Desktop"]
        for r in window.data.computers))
    window.choose_computer(box.itemData(desktop))
    assert window.total_label.text() == duration(SECONDS["Desktop"])
    windows.close()
