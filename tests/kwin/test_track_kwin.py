"""The real `driftcheck track` on a real KWin 5.27 (virtual output, Wayland, as the test user;
tests/helpers/kwin.py), with the KWin probe its choice on KDE Plasma under Wayland: the
seconds counted against the seconds each window had the focus (one app by its process, one
by a title rule only the KWin script can match, one window untracked; focus moved by KWin's
own activation and by its Alt+Tab action), idle back-dated to the last input (KWin's
ext-idle-notify-v1, input through org_kde_kwin_idle_timeout's simulate_user_activity), KWin
restarted under a running tracker (nothing counted while it is away, counting again after),
and no caption on the session bus, in the data folder or in the tracker's output; the
tracker's sockets all AF_UNIX.
"""

from __future__ import annotations

import secrets
import signal
import socket
import sqlite3
import time
from pathlib import Path

import psutil
import pytest

from tests.e2e.desktop import ActivePerson
from tests.helpers.gnome import BusRecorder
from tests.helpers.kwin import KWinSession
from tests.helpers.program import ProgramLog, stored_seconds
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kwin]

TOKEN = secrets.token_hex(4)  # in every caption; must reach no bus message and no file
KOBOLD = f"Kobold console {TOKEN}a"  # counted by its process, koboldcpp
CLAUDE = f"Talk {TOKEN}b - Claude"  # a browser window counted by claude's title rule alone
NOTES = f"Notes {TOKEN}c"  # untracked


class UserTracker:
    """`driftcheck track --interval 1 ARGS` as the test user; its stderr beside the data."""

    def __init__(self, kwin: KWinSession, data: Path, *args: str) -> None:
        self.data = data
        self.log = ProgramLog(data)
        self.err = kwin.base / f"{data.name}-stderr.txt"
        with self.err.open("ab") as sink:
            self.proc = kwin.spawn_as_user(kwin.python.argv(  # type: ignore[union-attr]
                "--data-dir", str(data), "track", "--interval", "1", *args), stderr=sink)
        self.log.wait("started", proc=self.proc)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) == 0, self.err.read_text(errors="replace")


def _add_apps(kwin: KWinSession, data: Path) -> None:
    done = kwin.driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp", "claude")
    assert done.returncode == 0, done.stderr


def _focus(kwin: KWinSession, title: str) -> float:
    """Bring `title` to the front; the monotonic moment just before KWin's activation (the
    test script that activates it runs inside the call)."""
    asked = time.monotonic()
    kwin.activate(title)
    return asked


def _alt_tab(kwin: KWinSession, expected: str) -> float:
    """KWin's Alt+Tab action back to the window used before (`expected`); the moment it was
    invoked."""
    asked = time.monotonic()
    kwin.walk_through_windows()
    wait_for(lambda: kwin.focused_title() == expected, 10, f"Alt+Tab to {expected!r}")
    return asked


def _intervals(data: Path, app: str | None) -> list[tuple[float, float]]:
    """(start, end) in epoch seconds of each stored interval of `app` (None: of any app),
    oldest first."""
    connection = sqlite3.connect(f"file:{data / 'driftcheck.sqlite3'}?mode=ro", uri=True,
                                 timeout=10)
    try:
        return [(start / 1000, end / 1000) for start, end in connection.execute(
            "SELECT i.start_ms, i.end_ms FROM intervals i JOIN tracked_apps a "
            "ON a.id = i.app_id WHERE ? IS NULL OR a.key = ? ORDER BY i.start_ms",
            (app, app))]
    finally:
        connection.close()


def _socket_families(pid: int) -> set[str]:
    """The address families of every socket process `pid` holds."""
    families = set()
    for conn in psutil.Process(pid).net_connections(kind="all"):
        families.add(socket.AddressFamily(conn.family).name)
    return families


def test_track_counts_the_focused_seconds_and_no_caption_leaves_kwin(
        kwin: KWinSession) -> None:
    data = kwin.home / "accuracy"
    _add_apps(kwin, data)
    kwin.open_qt_window("koboldcpp", KOBOLD)
    kwin.open_qt_window("firefox", CLAUDE)
    kwin.open_qt_window("notes", NOTES)
    kwin.activate(NOTES)
    recorder = BusRecorder(kwin)
    try:
        tracker = UserTracker(kwin, data)
        assert '"probe": "kwin"' in tracker.log.text(), tracker.log.text()
        # (title, or "alt-tab" to the window named, the app it counts as, seconds)
        plan = [(KOBOLD, "koboldcpp", 6.0), (CLAUDE, "claude", 5.0), (KOBOLD, "koboldcpp", 5.0),
                (NOTES, None, 3.0), (CLAUDE, "claude", 6.0), ("alt-tab " + NOTES, None, 3.0),
                ("alt-tab " + CLAUDE, "claude", 5.0), (KOBOLD, "koboldcpp", 5.0),
                (NOTES, None, 2.0)]
        starts: list[tuple[float, str | None]] = []
        with ActivePerson(kwin, every=0.5):  # type: ignore[arg-type]
            for title, app, seconds in plan:
                if title.startswith("alt-tab "):
                    moment = _alt_tab(kwin, title.removeprefix("alt-tab "))
                else:
                    moment = _focus(kwin, title)
                starts.append((moment, app))
                time.sleep(max(0.0, seconds - (time.monotonic() - moment)))
            ended = time.monotonic()
            families = _socket_families(tracker.proc.pid)
            tracker.stop()
    finally:
        messages = recorder.stop()
    focused: dict[str, float] = {}
    for (moment, app), following in zip(starts, [*[m for m, _ in starts[1:]], ended],
                                        strict=True):
        if app is not None:
            focused[app] = focused.get(app, 0.0) + following - moment
    counted = {app: stored_seconds(data, app) for app in ("koboldcpp", "claude")}
    print(f"focused {focused}, counted {counted}, ratio "
          f"{ {a: round(counted[a] / s, 4) for a, s in focused.items()} }")
    for app, seconds in focused.items():
        assert 0.99 * seconds <= counted[app] <= 1.01 * seconds, (app, counted, focused)
    assert families <= {"AF_UNIX"}, families

    # Privacy: the captions' token on no bus message (the test's own KWin helper scripts
    # print their answers into KWin's log, not onto the bus), nor in the data folder, the
    # log or the tracker's stderr.
    assert len(messages) > 50  # the record saw the session, not nothing
    for message in messages:
        assert TOKEN.encode() not in message.serialise(), message.header.fields
    for path in [*data.rglob("*"), tracker.err]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path.name


def test_idle_is_back_dated_to_the_last_input(kwin: KWinSession) -> None:
    """`--idle-after 3`: 4 s of input in front of a tracked window, then none for 7 s; what
    counts ends at the last input (KWin's ext-idle-notify-v1 says when)."""
    data = kwin.home / "idle"
    _add_apps(kwin, data)
    kwin.open_qt_window("koboldcpp", f"Kobold idle {TOKEN}d")
    kwin.open_qt_window("notes", f"Notes idle {TOKEN}e")
    kwin.activate(f"Notes idle {TOKEN}e")
    tracker = UserTracker(kwin, data, "--idle-after", "3")
    with ActivePerson(kwin, every=0.5) as person:  # type: ignore[arg-type]
        switched = _focus(kwin, f"Kobold idle {TOKEN}d")
        time.sleep(4)
        person.pause()
        assert person.last_input is not None and person.last_input > switched
        active = person.last_input - switched
        time.sleep(7)
    tracker.stop()
    counted = stored_seconds(data, "koboldcpp")
    print(f"active {active:.2f} s, counted {counted:.2f} s")
    assert abs(counted - active) <= 1.0, (counted, active)


def test_kwin_restarted_under_a_running_tracker(kwin: KWinSession) -> None:
    """KWin ends and starts again while `track` runs (its windows end with it and are opened
    again): the tracker lives on, counts nothing while KWin is away, loads its script into
    the new KWin (a window counted by its title alone counts again) and says what happened."""
    claude, notes = f"Again {TOKEN}h - Claude", f"Notes again {TOKEN}i"
    data = kwin.home / "restart"
    _add_apps(kwin, data)
    kwin.open_qt_window("firefox", claude)
    kwin.open_qt_window("notes", notes)
    kwin.activate(claude)
    tracker = UserTracker(kwin, data)
    kwin.touch()
    first = time.monotonic()
    time.sleep(3)
    loaded = tracker.log.count("kwin_script")
    kwin.stop_kwin()
    stopped = time.time()
    before = time.monotonic() - first
    time.sleep(3)
    restarted = time.time()
    kwin.start_kwin()
    assert tracker.proc.poll() is None, "the tracker ended with KWin"
    kwin.open_qt_window("firefox", claude)
    kwin.open_qt_window("notes", notes)
    tracker.log.wait("kwin_script", more_than=loaded, proc=tracker.proc)
    again = _focus(kwin, claude)
    kwin.touch()
    time.sleep(4)
    after = time.monotonic() - again
    _focus(kwin, notes)
    time.sleep(1)
    assert tracker.proc.poll() is None
    tracker.stop()
    intervals = _intervals(data, "claude")
    counted_after = sum(e - s for s, e in intervals if s > stopped)
    counted_before = sum(e - s for s, e in intervals if e <= stopped + 0.5)
    print(f"before {before:.2f}/{counted_before:.2f} s, after {after:.2f}/{counted_after:.2f} s;"
          f" intervals {[(round(s - stopped, 2), round(e - stopped, 2)) for s, e in intervals]}")
    # Nothing, of any app, while KWin was away.
    every = _intervals(data, None)
    assert not [(s, e) for s, e in every if s < restarted and e > stopped + 1.0], every
    assert abs(counted_after - after) <= 1.0, (counted_after, after, intervals)
    assert before - 1.0 <= counted_before <= before + 1.0, (counted_before, before, intervals)
    said = tracker.log.entries()
    assert [e for e in said if e.get("event") == "kwin_gone"], said
    assert not [e for e in said if e.get("level") in ("error", "critical")], said
    err = tracker.err.read_text(errors="replace")
    assert "Traceback" not in err, err
