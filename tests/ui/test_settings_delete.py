"""Settings' "Delete everything...": a calm question first (Cancel the default, Esc and Cancel
remove nothing and leave Settings as it was), and, once confirmed, the app's own ending: the
controller stops what writes, every trace goes as `driftcheck wipe` removes it, one last word,
and the app quits when that is closed. (tests/e2e/test_delete_everything.py does it for real.)"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from widget import datafolder as traces
from widget.core.model import Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.logs import setup_logging
from widget.paths import DB_NAME
from widget.services.today import TodayService
from widget.store import Store
from widget.ui.controller import TrayController
from widget.ui.dialogs.settings import DELETE_DETAILS, DELETE_QUESTION, SettingsDialog
from widget.ui.tray import TrayPresence

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def _own_log() -> Iterator[None]:
    """setup_logging takes over the root logger, as the app does: given back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    """A data folder as the app keeps it: the database with an app, and the log."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    store = Store.open(data / DB_NAME)
    store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),)))
    try:
        yield data, store
    finally:
        store.close()


def settings_with_delete(qtbot: QtBot, store: Store, data: Path) -> tuple[SettingsDialog,
                                                                           list[str]]:
    asked: list[str] = []
    dialog = SettingsDialog(store, data_dir=data, delete_everything=lambda: asked.append("go"))
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.data)
    return dialog, asked


def ask(qtbot: QtBot, dialog: SettingsDialog) -> QMessageBox:
    qtbot.mouseClick(dialog.data.delete_button, Qt.MouseButton.LeftButton)
    box = dialog.data.confirmation
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    return box


def button(box: QMessageBox, text: str) -> QPushButton:
    found = [b for b in box.buttons() if b.text() == text]
    assert len(found) == 1, [b.text() for b in box.buttons()]
    assert isinstance(found[0], QPushButton)
    return found[0]


def test_the_question_says_what_goes_and_cancel_is_the_default(qtbot: QtBot,
                                                                folder: tuple[Path, Store]
                                                                ) -> None:
    data, store = folder
    dialog, asked = settings_with_delete(qtbot, store, data)
    assert dialog.data.delete_button.isVisible() and dialog.data.delete_button.isEnabled()
    assert not dialog.data.wipe_hint.isVisible()
    box = ask(qtbot, dialog)
    assert box.windowTitle() == "driftcheck \u2014 Delete everything"
    assert box.text() == DELETE_QUESTION
    words = box.informativeText()
    assert words == DELETE_DETAILS
    for what in ("apps", "goals", "time", "check-ins and notes", "settings", "the log",
                 "start-at-login entry", "cannot be undone", "export"):
        assert what in words, what
    assert sorted(b.text() for b in box.buttons()) == ["Cancel", "Delete everything"]
    assert box.defaultButton() is button(box, "Cancel")
    assert box.escapeButton() is button(box, "Cancel")
    assert button(box, "Cancel").isDefault(), "Enter on the question cancels"
    box.close()
    assert asked == []


def test_esc_and_cancel_remove_nothing_and_settings_stays_open(qtbot: QtBot,
                                                               folder: tuple[Path, Store]
                                                               ) -> None:
    data, store = folder
    before = traces.our_files(data)
    dialog, asked = settings_with_delete(qtbot, store, data)
    box = ask(qtbot, dialog)
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible())
    box = ask(qtbot, dialog)
    qtbot.keyClick(box, Qt.Key.Key_Return)  # the default: Cancel
    qtbot.waitUntil(lambda: not box.isVisible())
    box = ask(qtbot, dialog)
    qtbot.mouseClick(button(box, "Cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())
    assert asked == []
    assert dialog.isVisible(), "Settings stays as it was"
    assert traces.our_files(data) == before and store.list_apps()


def test_delete_everything_closes_settings_unsaved_and_asks_the_app(qtbot: QtBot,
                                                                    folder: tuple[Path, Store]
                                                                    ) -> None:
    data, store = folder
    dialog, asked = settings_with_delete(qtbot, store, data)
    dialog.notifications.discreet.setChecked(False)  # changed, not saved
    box = ask(qtbot, dialog)
    qtbot.mouseClick(button(box, "Delete everything"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: asked == ["go"])
    assert not dialog.isVisible()
    assert store.get_setting("discreet") is None, "nothing on the pages was saved"


def test_without_a_way_to_delete_the_page_names_the_wipe_command(qtbot: QtBot,
                                                                 folder: tuple[Path, Store]
                                                                 ) -> None:
    data, store = folder
    dialog = SettingsDialog(store, data_dir=data)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.data)
    assert not dialog.data.delete_button.isVisible()
    assert dialog.data.wipe_hint.isVisible() and "driftcheck wipe" in dialog.data.wipe_hint.text()


class FakeNotifier(QObject):
    action = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class FakeTracker:
    def __init__(self) -> None:
        self.stopped = False

    def reload_apps(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True


def test_the_app_stops_removes_every_trace_says_so_and_quits(  # type: ignore[no-untyped-def]
        qtbot: QtBot, folder: tuple[Path, Store], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, _own_log: None) -> None:
    """The controller's part with the real store, log and settings dialog (the tracker and
    the notifier are stand-ins: the e2e test has the real ones)."""
    data, store = folder
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    setup_logging(data, stderr=False)
    tracker, notifier = FakeTracker(), FakeNotifier()
    controller = TrayController(store, tracker, Options(), tz=BERLIN)  # type: ignore[arg-type]
    presence = TrayPresence(TodayService(store, Options(), tz=BERLIN), controller,
                            store, tz=BERLIN)
    order: list[str] = []

    def end_writing() -> None:  # as widget.app's
        order.append("end")
        controller.close()
        presence.stop()
        notifier.close()
        tracker.stop()
        store.close()

    controller.attach(presence, notifier, end_writing)
    presence.show()  # offscreen there is no tray: the small window, whose place is saved
    assert presence.compact is not None and presence.compact.isVisible()
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    controller.open_settings()
    dialog = next(d for d in controller._dialogs if isinstance(d, SettingsDialog))
    dialog.tabs.setCurrentWidget(dialog.data)
    box = ask(qtbot, dialog)
    qtbot.mouseClick(button(box, "Delete everything"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: order == ["end"])
    assert tracker.stopped and notifier.closed
    assert traces.our_files(data) == [] and not data.exists()
    farewell = controller._last_word
    assert isinstance(farewell, QMessageBox)
    qtbot.waitUntil(farewell.isVisible)
    assert farewell.windowTitle() == "driftcheck \u2014 Everything deleted"
    assert f"Everything driftcheck kept in {data} has been deleted" in farewell.text()
    assert not presence.compact.isVisible()
    presence.refresh()  # a late timer, the quit's saving of the place, a second launch:
    presence.save_place()  # none of them reads or writes now
    assert presence.compact is not None and not presence.compact.isVisible()
    controller.evaluate()
    controller.bring_forward()
    controller.open_dashboard()  # `driftcheck dashboard` from a terminal, meanwhile
    assert controller._dashboard is None
    with pytest.raises(RuntimeError):
        controller.full_store()
    assert not data.exists()
    assert quits == []
    farewell.accept()
    assert quits == [True]
    assert not data.exists()


def test_with_another_program_holding_the_database_nothing_stops_and_it_is_named(
        qtbot: QtBot, folder: tuple[Path, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.services import wipe

    data, store = folder
    before = traces.our_files(data)
    sentence = wipe.still_running_sentence("choose Delete everything again", [4242])
    monkeypatch.setattr(wipe, "others_using", lambda _folder: sentence)
    ended: list[bool] = []
    controller = TrayController(store, FakeTracker(), Options(), tz=BERLIN)  # type: ignore[arg-type]
    presence = TrayPresence(TodayService(store, Options(), tz=BERLIN), controller,
                            store, tz=BERLIN)
    controller.attach(presence, FakeNotifier(), lambda: ended.append(True))
    try:
        controller.delete_everything()
        box = controller._last_word
        assert isinstance(box, QMessageBox)
        assert box.text() == sentence.replace("`", "") and "4242" in box.text()
        assert "perhaps driftcheck track in a terminal" in box.text()
        assert ended == [] and traces.our_files(data) == before and store.list_apps()
        box.close()
    finally:
        controller.close()
        presence.stop()
