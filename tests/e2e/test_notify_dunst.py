"""A goal notification reaches a real notification daemon (dunst) over a real session bus,
and choosing "Snooze 15 min" there comes back to driftcheck as the `snooze` action.

A private dbus-daemon and dunst run on the test's own Xvfb display; `dbus-monitor` records
what crossed the bus (the `desktop` fixture, made in tests/e2e/desktop.py). dunst picks a named
action through its context menu: `dunstctl context` pipes lines such as
"#Snooze 15 min (driftcheck) [8,snooze]" to the configured `dmenu` program, here a script that
answers with the snooze line.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from tests.e2e.desktop import BARE_BUS, NotificationDesktop, session_bus, wait_for
from tests.helpers.skips import skip_or_fail
from widget.desktop.notify import DBusNotifier, InWindowNotifier, Notifier, choose_notifier

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

ALERT = "near|all|2026-11-27"
TITLE = "driftcheck"
BODY = "You are at 80% of today's goal. e2e-5d1a"


@pytest.fixture
def event_loop_app() -> QCoreApplication:
    """The notifier needs only Qt's event loop. Made here, offscreen, and not through pytest-qt's
    session-wide `qapp` (which would start before any fixture could choose the platform); the
    setting is undone at once so other real-display tests' programs still use the X server."""
    app = QApplication.instance()
    if app is None:
        saved = os.environ.get("QT_QPA_PLATFORM")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        try:
            app = QApplication([])
        finally:
            if saved is None:
                del os.environ["QT_QPA_PLATFORM"]
            else:
                os.environ["QT_QPA_PLATFORM"] = saved
    return app


def next_action(notifier: Notifier, act: Callable[[], object], what: str) -> list[str]:
    """Do `act`, then run Qt's event loop until the notifier's next `action` (QSignalSpy.wait
    would hold Python's lock, so the reader thread could not hand the signal over)."""
    got: list[list[str]] = []
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)

    def arrived(alert_id: str, key: str) -> None:
        got.append([alert_id, key])
        loop.quit()

    notifier.action.connect(arrived)
    try:
        act()
        timer.start(15_000)
        if not got:
            loop.exec()
    finally:
        timer.stop()
        notifier.action.disconnect(arrived)
    if not got:
        raise AssertionError(f"no action came back after {what}")
    return got[0]


def test_a_goal_notification_reaches_dunst_and_snooze_comes_back(
        desktop: NotificationDesktop, event_loop_app: QCoreApplication) -> None:
    notifier = DBusNotifier()
    try:
        assert notifier.available()
        assert notifier.notify(ALERT, TITLE, BODY)

        call = wait_for(desktop.notify_call, 15, "dbus-monitor to see Notify")
        assert f'string "{BODY}"' in call
        assert 'string "driftcheck"' in call and "uint32 0" in call  # app name, replaces_id
        for word in ("snooze", "Snooze 15 min", "not-now", "Not now"):
            assert f'string "{word}"' in call, word

        # The person opens the notification's menu in dunst and chooses "Snooze 15 min".
        assert next_action(notifier, lambda: desktop.dunstctl("context"),
                           "choosing Snooze in dunst") == [ALERT, "snooze"]
        offered = desktop.offered.read_text()
        assert "Snooze 15 min" in offered and "Not now" in offered
        assert "member=ActionInvoked" in desktop.monitored()
        # dunst's menu leaves the message up; driftcheck takes the answered one away.
        wait_for(lambda: "member=CloseNotification" in desktop.monitored(), 15,
                 "driftcheck to withdraw the answered message")
        wait_for(lambda: desktop.dunstctl("count", "displayed") == "0", 15,
                 "the answered message to leave the screen")

        # A later message for another alert; clicking it (dunst's "default") opens driftcheck.
        assert notifier.notify("reached|all|2026-11-27", TITLE, "You reached today's goal.")
        wait_for(lambda: desktop.monitored().count("member=Notify") >= 2, 15,
                 "the second Notify")
        assert next_action(notifier, lambda: desktop.dunstctl("action", "0"),
                           "clicking the message") == ["reached|all|2026-11-27", "default"]
    finally:
        notifier.close()
    names = {thread.name for thread in threading.enumerate()}
    assert "notifications" not in names, "close() stops the reader thread"


def test_without_a_daemon_notify_says_no_and_close_lets_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session bus with no notification service: notify() returns False (the caller then
    shows the message in its own window), and close() ends the reader thread."""
    if shutil.which("dbus-daemon") is None:
        skip_or_fail("dbus-daemon not installed (package dbus)")
    config = tmp_path / "bus.conf"
    config.write_text(BARE_BUS)
    with session_bus(config) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        notifier = DBusNotifier()
        assert not notifier.available()
        assert notifier.notify(ALERT, TITLE, BODY) is False
        notifier.close()
        assert "notifications" not in {thread.name for thread in threading.enumerate()}

        shown: list[tuple[str, str]] = []
        chosen = choose_notifier(None, lambda title, body: shown.append((title, body)),
                                 platform="linux")
        assert isinstance(chosen, InWindowNotifier)
        assert chosen.notify(ALERT, TITLE, BODY) and shown == [(TITLE, BODY)]


def test_a_name_in_the_body_reaches_dunst_as_written_not_as_markup(
        desktop: NotificationDesktop, event_loop_app: QCoreApplication) -> None:
    """dunst set to read bodies as markup says "body-markup": an app named like a tag is sent
    escaped, so dunst shows the name as written instead of drawing it bold and red."""
    named = "<b style='color:red'>BIG</b> & co: 80% of today's goal. e2e-77c2"
    notifier = DBusNotifier()
    try:
        assert notifier.notify(ALERT, TITLE, named)
        call = wait_for(desktop.notify_call, 15, "dbus-monitor to see Notify")
        assert ("string \"&lt;b style='color:red'&gt;BIG&lt;/b&gt; &amp; co: 80% of "
                "today's goal. e2e-77c2\"") in call
        assert "member=GetCapabilities" in desktop.monitored()
    finally:
        notifier.close()
