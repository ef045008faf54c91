"""ProcessFallbackProbe: over fake process lists, and over real processes it must find."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.fallback import GnomeIdleMonitor, ProcessFallbackProbe, gnome_idle_source


def fake_process(pid: int, name: str | None, created: float, exe: str | None = None) -> Any:
    return SimpleNamespace(info={"pid": pid, "name": name, "exe": exe, "create_time": created})


def fake_psutil(monkeypatch: pytest.MonkeyPatch, processes: list[Any]) -> list[list[str]]:
    asked: list[list[str]] = []

    def process_iter(attrs: list[str]) -> Iterator[Any]:
        asked.append(attrs)
        return iter(processes)

    monkeypatch.setattr(psutil, "process_iter", process_iter)
    return asked


def named(*names: str) -> Any:
    return lambda fg: fg.process in names


def test_the_newest_wanted_process_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = fake_psutil(
        monkeypatch,
        [
            fake_process(10, "replika", 100.0, "/opt/replika"),
            fake_process(11, "bash", 300.0),
            fake_process(12, "nomi", 200.0, "/opt/nomi"),
            fake_process(13, None, 400.0),
        ],
    )
    fg = ProcessFallbackProbe(named("replika", "nomi")).foreground()

    assert fg == Foreground(process="nomi", pid=12, exe="/opt/nomi")
    assert fg is not None and fg.title is None
    assert asked == [["pid", "name", "exe", "create_time"]]


def test_nothing_wanted_running_is_nothing_in_front(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_psutil(monkeypatch, [fake_process(11, "bash", 300.0)])
    assert ProcessFallbackProbe(named("replika")).foreground() is None


def test_psutil_failure_is_a_probe_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(attrs: list[str]) -> Iterator[Any]:
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "process_iter", broken)
    with pytest.raises(ProbeError):
        ProcessFallbackProbe(named("replika")).foreground()


def test_idle_comes_from_the_injected_source_and_info_says_what_it_is() -> None:
    probe = ProcessFallbackProbe(named("x"), idle_source=lambda: 42.0)
    assert probe.idle_seconds() == 42.0
    info = probe.info()
    assert info.measure is Measure.APPROXIMATE and info.name == "process-fallback"
    assert info.idle_source is not None
    assert probe.locked() is None
    assert probe.watch_focus(lambda _t: None) is False


def test_without_an_idle_source_idle_is_unknown_and_said_so() -> None:
    probe = ProcessFallbackProbe(named("x"))
    assert probe.idle_seconds() is None
    assert probe.info().idle_source is None
    assert len(probe.info().notes) == 2


# --- GNOME idle monitor over a fake D-Bus connection ------------------------------------------


class FakeConnection:
    def __init__(self, reply_ms: int | None) -> None:
        self.reply_ms = reply_ms
        self.sent: list[Any] = []
        self.closed = False

    def send_and_get_reply(self, message: Any, *, timeout: float | None = None) -> Any:
        from jeepney import new_error, new_method_return

        self.sent.append((message, timeout))
        if self.reply_ms is None:
            return new_error(message, "org.freedesktop.DBus.Error.ServiceUnknown", "s", ("no",))
        return new_method_return(message, "t", (self.reply_ms,))

    def close(self) -> None:
        self.closed = True


def test_gnome_idle_monitor_asks_mutter_for_milliseconds() -> None:
    connection = FakeConnection(reply_ms=61_500)
    monitor = GnomeIdleMonitor(connection)

    assert monitor() == pytest.approx(61.5)
    message, timeout = connection.sent[0]
    assert message.header.fields[1] == "/org/gnome/Mutter/IdleMonitor/Core"  # PATH
    assert "GetIdletime" in message.header.fields.values()
    assert timeout == 1.0


def test_gnome_idle_monitor_error_reply_is_a_probe_error() -> None:
    with pytest.raises(ProbeError):
        GnomeIdleMonitor(FakeConnection(reply_ms=None))()


def test_gnome_idle_source_is_none_without_a_session_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert gnome_idle_source() is None


def test_gnome_idle_source_closes_the_bus_when_mutter_is_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection = FakeConnection(reply_ms=None)
    monkeypatch.setattr("jeepney.io.blocking.open_dbus_connection", lambda **_kw: connection)
    assert gnome_idle_source() is None
    assert connection.closed


def test_gnome_idle_source_is_closed_with_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = FakeConnection(reply_ms=5)
    monkeypatch.setattr("jeepney.io.blocking.open_dbus_connection", lambda **_kw: connection)
    source = gnome_idle_source()
    assert source is not None
    probe = ProcessFallbackProbe(named("x"), source)
    assert probe.info().idle_source == "org.gnome.Mutter.IdleMonitor"
    probe.close()
    assert connection.closed


# --- Real processes --------------------------------------------------------------------------


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """Start `sleep` under another name, through a symlink; kill every one started."""
    started: list[subprocess.Popen[bytes]] = []
    sleep = "/bin/sleep" if os.path.exists("/bin/sleep") else "/usr/bin/sleep"

    def start(name: str) -> subprocess.Popen[bytes]:
        link = tmp_path / name
        if not link.exists():
            link.symlink_to(sleep)
        process = subprocess.Popen([str(link), "60"])
        started.append(process)
        deadline = time.monotonic() + 5.0
        while psutil.Process(process.pid).name() != name:  # until exec() has happened
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=5)


def test_real_process_is_found_by_its_name(spawn: Any) -> None:
    app = spawn("nomi-test-app")
    probe = ProcessFallbackProbe(lambda fg: fg.process == "nomi-test-app")

    fg = probe.foreground()

    assert fg is not None
    assert (fg.process, fg.pid) == ("nomi-test-app", app.pid)
    assert fg.title is None


def test_of_two_real_processes_the_newer_wins(spawn: Any) -> None:
    older = spawn("nomi-test-app")
    time.sleep(0.05)  # create_time has 10 ms resolution (clock ticks) on Linux
    newer = spawn("nomi-test-app")
    assert psutil.Process(newer.pid).create_time() > psutil.Process(older.pid).create_time()

    fg = ProcessFallbackProbe(lambda fg: fg.process == "nomi-test-app").foreground()

    assert fg is not None and fg.pid == newer.pid
    older.kill()
    older.wait(timeout=5)
    newer.kill()
    newer.wait(timeout=5)
    assert ProcessFallbackProbe(lambda fg: fg.process == "nomi-test-app").foreground() is None
