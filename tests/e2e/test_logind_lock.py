"""LogindLock against a real bus: a stand-in system bus (dbus-daemon) carrying python-dbusmock's
logind, as GNOME's and KWin's test sessions use. Its session's LockedHint is read as it is set;
a session logind does not know (a stale XDG_SESSION_ID) is unknown, never "locked" (the error
reply's text once read as True, and then nothing counted: found in the KWin tests)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.desktop import end_process
from tests.helpers.gnome import SYSTEM_BUS, SYSTEM_PYTHON
from tests.helpers.skips import skip_or_fail
from tests.helpers.waiting import wait_for
from widget.probes.lock import LogindLock

pytestmark = pytest.mark.e2e

LOGIN1 = "org.freedesktop.login1"


def _call(address: str, path: str, interface: str, method: str, signature: str = "",
          *args: object) -> tuple[object, ...]:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    with open_dbus_connection(address) as conn:
        target = DBusAddress(path, bus_name=LOGIN1, interface=interface)
        reply = conn.send_and_get_reply(new_method_call(target, method, signature, args),
                                        timeout=5)
        return tuple(unwrap_msg(reply))


def _logind_answers(address: str) -> bool:
    try:
        _call(address, "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
              "ListSessions")
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def system_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("dbus-daemon") is None or subprocess.run(
            [str(SYSTEM_PYTHON), "-c", "import dbusmock"], capture_output=True).returncode:
        skip_or_fail("dbus-daemon and python3-dbusmock are needed (tests/system-deps.sh)")
    folder = tmp_path_factory.mktemp("system-bus")
    config = folder / "bus.conf"
    config.write_text(SYSTEM_BUS.format(socket=folder / "bus"))
    bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                            "--nopidfile"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    address = f"unix:path={folder / 'bus'}"
    logind: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: Path(folder / "bus").exists(), 15, "the stand-in system bus")
        logind = subprocess.Popen(
            [str(SYSTEM_PYTHON), "-m", "dbusmock", "--system", "--template", "logind"],
            env={"PATH": "/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS": address},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _logind_answers(address), 20, "the mocked logind")
        _call(address, "/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "AddSession",
              "ssusb", "c7", "seat0", 1000, "someone", True)
        yield address
    finally:
        if logind is not None:
            end_process(logind)
        end_process(bus)


def _lock(monkeypatch: pytest.MonkeyPatch, address: str, session: str) -> LogindLock:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
    monkeypatch.setenv("XDG_SESSION_ID", session)
    return LogindLock()


def test_the_sessions_locked_hint_is_read_as_it_is_set(
        system_bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = _lock(monkeypatch, system_bus, "c7")
    path = "/org/freedesktop/login1/session/c7"
    try:
        assert lock.available()
        assert lock.locked() is False
        _call(system_bus, path, "org.freedesktop.login1.Session", "SetLockedHint", "b", True)
        assert lock.locked() is True
        _call(system_bus, path, "org.freedesktop.login1.Session", "SetLockedHint", "b", False)
        assert lock.locked() is False
    finally:
        lock.close()


def test_a_session_logind_does_not_know_is_unknown_not_locked(
        system_bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = _lock(monkeypatch, system_bus, "c99")
    try:
        assert lock.available()  # the bus answers...
        assert lock.locked() is None  # ...with an error, which says nothing about a lock
    finally:
        lock.close()
