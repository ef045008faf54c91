"""The notifiers inside a Qt application: the thread-to-Qt bridge, tray balloons, the window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QThread
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from widget.desktop.notify import (
    NOT_NOW,
    NOT_NOW_LABEL,
    SNOOZE,
    SNOOZE_LABEL,
    DBusNotifier,
    FallbackNotifier,
    InWindowNotifier,
    TrayMessageNotifier,
    choose_notifier,
)
from widget.desktop.notify_dbus import ServiceSignal

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ALERT = "near|all|2026-11-27"


class ThreadedService:
    """A fake daemon whose signals arrive on another thread, as jeepney's do."""

    def __init__(self, on_signal: Callable[[ServiceSignal], None]) -> None:
        self.on_signal = on_signal

    def service_present(self) -> bool:
        return True

    def capabilities(self) -> list[str]:
        return ["actions", "body"]

    def notify(self, app_name: str, replaces_id: int, title: str, body: str,
               actions: tuple[str, ...], hints: dict[str, tuple[str, Any]],
               expire_timeout: int = -1) -> int:
        return 41

    def close_notification(self, notification_id: int) -> None:
        pass

    def close(self) -> None:
        pass

    def invoke_from_thread(self, notification_id: int, key: str) -> None:
        thread = threading.Thread(
            target=lambda: self.on_signal(ServiceSignal(notification_id, key)))
        thread.start()
        thread.join()


def test_a_daemon_signal_becomes_an_action_on_the_qt_thread(qtbot: QtBot) -> None:
    services: list[ThreadedService] = []

    def open_service(on_signal: Callable[[ServiceSignal], None]) -> ThreadedService:
        services.append(ThreadedService(on_signal))
        return services[-1]

    notifier = DBusNotifier(open_service)
    seen_on: list[QThread] = []
    notifier.action.connect(lambda alert_id, key: seen_on.append(QThread.currentThread()))
    assert notifier.notify(ALERT, "driftcheck", "You are at 80% of today's goal.")
    with qtbot.waitSignal(notifier.action, timeout=5000) as blocker:
        services[0].invoke_from_thread(41, SNOOZE)
    assert blocker.args == [ALERT, SNOOZE]
    assert seen_on == [QApplication.instance().thread()]  # type: ignore[union-attr]
    notifier.close()


@pytest.fixture
def tray(monkeypatch: pytest.MonkeyPatch) -> QSystemTrayIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill()
    icon = QSystemTrayIcon(QIcon(pixmap))
    # Offscreen has no tray to show the icon in; stand in for one that is showing.
    icon.isVisible = lambda: True  # type: ignore[method-assign]
    icon.messages = []  # type: ignore[attr-defined]
    icon.showMessage = lambda *args: icon.messages.append(args)  # type: ignore[attr-defined,method-assign]
    return icon


def test_a_tray_balloon_click_opens_driftcheck(qtbot: QtBot,
                                               tray: QSystemTrayIcon) -> None:
    notifier = TrayMessageNotifier(tray)
    assert notifier.notify(ALERT, "driftcheck", "You are at 80% of today's goal.")
    title, body = tray.messages[0][:2]  # type: ignore[attr-defined]
    assert (title, body) == ("driftcheck", "You are at 80% of today's goal.")
    with qtbot.waitSignal(notifier.action, timeout=2000) as blocker:
        tray.messageClicked.emit()
    assert blocker.args == [ALERT, "default"]
    with qtbot.assertNotEmitted(notifier.action):
        tray.messageClicked.emit()  # a second click on nothing answers nothing


def test_a_hidden_tray_cannot_show_a_balloon(tray: QSystemTrayIcon) -> None:
    tray.isVisible = lambda: False  # type: ignore[method-assign]
    assert TrayMessageNotifier(tray).notify(ALERT, "driftcheck", "body") is False
    assert tray.messages == []  # type: ignore[attr-defined]


class MessageArea(QWidget):
    """Stands in for the compact widget's message area: text, Snooze 15 min, Not now."""

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel()
        self.body = QLabel()
        self.snooze = QPushButton(SNOOZE_LABEL)
        self.not_now = QPushButton(NOT_NOW_LABEL)
        buttons = QHBoxLayout()
        buttons.addWidget(self.snooze)
        buttons.addWidget(self.not_now)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addLayout(buttons)
        self.hide()

    def show_message(self, title: str, body: str) -> None:
        self.title.setText(title)
        self.body.setText(body)
        self.show()


def test_the_window_shows_the_message_and_its_buttons_answer(qtbot: QtBot) -> None:
    area = MessageArea()
    qtbot.addWidget(area)
    notifier = InWindowNotifier(area.show_message)
    area.snooze.clicked.connect(lambda: notifier.respond(SNOOZE))
    area.not_now.clicked.connect(lambda: notifier.respond(NOT_NOW))

    assert notifier.notify(ALERT, "driftcheck", "You are at 80% of today's goal.")
    assert area.isVisible() and area.body.text() == "You are at 80% of today's goal."
    with qtbot.waitSignal(notifier.action, timeout=2000) as blocker:
        area.not_now.click()
    assert blocker.args == [ALERT, NOT_NOW]
    with qtbot.assertNotEmitted(notifier.action):
        area.snooze.click()


def test_with_a_tray_and_no_daemon_the_balloon_is_mirrored_in_the_window(
        qtbot: QtBot, tray: QSystemTrayIcon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "supportsMessages", staticmethod(lambda: True))
    area = MessageArea()
    qtbot.addWidget(area)
    chosen = choose_notifier(tray, area.show_message, platform="win32")
    assert isinstance(chosen, FallbackNotifier)
    assert chosen.notify(ALERT, "driftcheck", "You reached today's goal.")
    assert len(tray.messages) == 1  # type: ignore[attr-defined]
    assert area.body.text() == "You reached today's goal."
    with qtbot.waitSignal(chosen.action, timeout=2000) as blocker:
        chosen.respond(SNOOZE)  # the balloon has no buttons; the window has
    assert blocker.args == [ALERT, SNOOZE]
    chosen.close()
