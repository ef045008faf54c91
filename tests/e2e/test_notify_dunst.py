"""A goal notification reaches a real notification daemon (dunst) over a real session bus,
and choosing "Snooze 15 min" there comes back to driftcheck as the `snooze` action.

A private dbus-daemon and dunst run on the test's own Xvfb display; `dbus-monitor` records
what crossed the bus. dunst picks a named action through its context menu: `dunstctl context`
pipes lines such as "#Snooze 15 min (driftcheck) [8,snooze]" to the configured `dmenu`
program, here a script that answers with the snooze line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from tests.e2e.xsession import XSession, stop_processes, wait_for
from tests.helpers.skips import skip_or_fail
from widget.notify import DBusNotifier, InWindowNotifier, Notifier, choose_notifier

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

TOOLS = ("dbus-daemon", "dbus-monitor", "dunst", "dunstctl")
ALERT = "near|all|2026-11-27"
TITLE = "driftcheck"
BODY = "You are at 80% of today's goal. e2e-5d1a"

DMENU = """#!/bin/sh
# dunst's context menu: remember what it offered, pick the snooze line.
cat > "{offered}"
grep ',snooze]' "{offered}" | head -n 1
"""


@dataclass
class NotificationDesktop:
    address: str
    monitor_log: Path
    offered: Path
    env: dict[str, str]

    def dunstctl(self, *args: str) -> str:
        done = subprocess.run(["dunstctl", *args], env=self.env, check=True, timeout=20,
                              capture_output=True, text=True)
        return done.stdout.strip()

    def monitored(self) -> str:
        return self.monitor_log.read_text(errors="replace")


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


def _name_owned(address: str, name: str) -> bool:
    from jeepney import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    with open_dbus_connection(address) as conn:
        return bool(Proxy(message_bus, conn, timeout=5).NameHasOwner(name)[0])


@pytest.fixture
def desktop(tmp_path: Path, xsession: XSession,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[NotificationDesktop]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages dbus, dunst)")
    started = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1",
                              "--print-pid=1"], capture_output=True, text=True, timeout=20,
                             check=True)
    address, pid = started.stdout.split()[:2]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        env = {**xsession.env, "DBUS_SESSION_BUS_ADDRESS": address}
        offered = tmp_path / "offered.txt"
        dmenu = tmp_path / "dmenu.sh"
        dmenu.write_text(DMENU.format(offered=offered))
        dmenu.chmod(0o755)
        dunstrc = tmp_path / "dunstrc"
        # markup = full, as many desktops ship it: dunst then says "body-markup" and draws a
        # body's tags (1.9's own default is markup = no).
        dunstrc.write_text(f"[global]\n    dmenu = {dmenu}\n    markup = full\n")
        procs.append(subprocess.Popen(["dunst", "-config", str(dunstrc)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # Our dunst must own the name before anything calls it, or the bus would start
        # another one (with no dmenu) through D-Bus activation.
        wait_for(lambda: _name_owned(address, "org.freedesktop.Notifications"), 15,
                 "dunst to own org.freedesktop.Notifications")
        monitor_log = tmp_path / "dbus-monitor.log"
        with monitor_log.open("wb") as out:
            procs.append(subprocess.Popen(
                ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
                env=env, stdout=out, stderr=subprocess.STDOUT))
        wait_for(lambda: "NameAcquired" in monitor_log.read_text(errors="replace"), 15,
                 "dbus-monitor to listen")
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield NotificationDesktop(address, monitor_log, offered, env)
    finally:
        stop_processes(list(reversed(procs)))
        subprocess.run(["kill", pid], check=False, timeout=10)


def _notify_call(log: str) -> str:
    """The text of the first Notify method call dbus-monitor recorded."""
    start = log.find("member=Notify")
    if start < 0:
        return ""
    end = log.find("\nmethod call", start)
    end = log.find("\nsignal", start) if end < 0 else end
    return log[start:] if end < 0 else log[start:end]


def test_a_goal_notification_reaches_dunst_and_snooze_comes_back(
        desktop: NotificationDesktop, event_loop_app: QCoreApplication) -> None:
    notifier = DBusNotifier()
    try:
        assert notifier.available()
        assert notifier.notify(ALERT, TITLE, BODY)

        call = wait_for(lambda: _notify_call(desktop.monitored()) if
                        "int32 -1" in _notify_call(desktop.monitored()) else "", 15,
                        "dbus-monitor to see Notify")
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
    config.write_text(  # no service directories: nothing can be activated
        "<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
        "<policy context='default'><allow send_destination='*' eavesdrop='true'/>"
        "<allow eavesdrop='true'/><allow own='*'/></policy></busconfig>")
    started = subprocess.run(["dbus-daemon", f"--config-file={config}", "--fork",
                              "--print-address=1", "--print-pid=1"], capture_output=True,
                             text=True, timeout=20, check=True)
    address, pid = started.stdout.split()[:2]
    try:
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
    finally:
        subprocess.run(["kill", pid], check=False, timeout=10)


def test_a_name_in_the_body_reaches_dunst_as_written_not_as_markup(
        desktop: NotificationDesktop, event_loop_app: QCoreApplication) -> None:
    """dunst set to read bodies as markup says "body-markup": an app named like a tag is sent
    escaped, so dunst shows the name as written instead of drawing it bold and red."""
    named = "<b style='color:red'>BIG</b> & co: 80% of today's goal. e2e-77c2"
    notifier = DBusNotifier()
    try:
        assert notifier.notify(ALERT, TITLE, named)
        call = wait_for(lambda: _notify_call(desktop.monitored()) if
                        "int32 -1" in _notify_call(desktop.monitored()) else "", 15,
                        "dbus-monitor to see Notify")
        assert ("string \"&lt;b style='color:red'&gt;BIG&lt;/b&gt; &amp; co: 80% of "
                "today's goal. e2e-77c2\"") in call
        assert "member=GetCapabilities" in desktop.monitored()
    finally:
        notifier.close()
