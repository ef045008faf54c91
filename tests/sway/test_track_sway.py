"""The real `driftcheck track` on a real headless Sway 1.7, as the test user
(tests/helpers/wlroots.py): the seconds counted against the seconds each window had the focus
(focus moved with `swaymsg` and as a taskbar does, by foreign-toplevel activation), idle
back-dated to the last real input through Sway's org_kde_kwin_idle, Sway restarted under a
running tracker (a new IPC socket of another name), and no window title in the data folder,
the log or the tracker's output; the tracker holds Unix sockets only.
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
from tests.helpers.program import ProgramLog, stored_seconds
from tests.helpers.wlroots import Window, WlrSession
from widget.probes.sway import RETRY_SECONDS

pytestmark = [pytest.mark.e2e, pytest.mark.sway]

TOKEN = secrets.token_hex(4)  # in every window title; must reach no file and no output


class UserTracker:
    """`driftcheck track --interval 1 ARGS` as the test user in the Sway session; its stdout
    and stderr in files beside the data folder."""

    def __init__(self, sway: WlrSession, data: Path, *args: str) -> None:
        self.data = data
        self.log = ProgramLog(data)
        self.out = sway.base / f"{data.name}-stdout.txt"
        self.err = sway.base / f"{data.name}-stderr.txt"
        assert sway.python is not None
        with self.out.open("ab") as out, self.err.open("ab") as err:
            self.proc = sway.spawn_as_user(sway.python.argv(
                "--data-dir", str(data), "track", "--interval", "1", *args),
                stdout=out, stderr=err)
        self.log.wait("started", proc=self.proc)
        assert '"probe": "sway"' in self.log.text(), self.log.text()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) == 0, self.err.read_text(errors="replace")


def _add_apps(sway: WlrSession, data: Path) -> None:
    """koboldcpp (counted by its process's name) and claude (by a title rule, in a browser)."""
    done = sway.driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp", "claude")
    assert done.returncode == 0, done.stderr


def _intervals(data: Path, app: str) -> list[tuple[float, float]]:
    """(start, end) in epoch seconds of each stored interval of `app`, oldest first."""
    connection = sqlite3.connect(f"file:{data / 'driftcheck.sqlite3'}?mode=ro", uri=True,
                                 timeout=10)
    try:
        return [(start / 1000, end / 1000) for start, end in connection.execute(
            "SELECT i.start_ms, i.end_ms FROM intervals i JOIN tracked_apps a "
            "ON a.id = i.app_id WHERE a.key = ? ORDER BY i.start_ms", (app,))]
    finally:
        connection.close()


def _overlap(spans: list[tuple[float, float]], others: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in spans for s2, e2 in others)


def _focus(sway: WlrSession, window: Window, how: str) -> tuple[float, float]:
    """Bring `window` to the front, by `swaymsg` or as a taskbar does; (monotonic, epoch)
    moments just before the asking (the focus moves inside the call)."""
    moment = time.monotonic(), time.time()
    if how == "swaymsg":
        sway.swaymsg(f"[app_id={window.app_id}] focus")
    else:
        sway.focus(window)
    return moment


def _families(pid: int) -> set[str]:
    return {socket.AddressFamily(c.family).name
            for c in psutil.Process(pid).net_connections(kind="all")}


def test_track_counts_the_focused_seconds_and_keeps_titles_in_memory(sway: WlrSession) -> None:
    """Two tracked windows (one by its process, one by a title rule) and an untracked one,
    focus moved for ~45 s: what is stored is the focused time, to 1%, and the untracked
    window's time is nobody's."""
    data = sway.home / "accuracy"
    _add_apps(sway, data)
    kobold = sway.open_window("koboldcpp", f"Kobold console {TOKEN}a")
    claude = sway.open_window("firefox", f"Talk {TOKEN}b - Claude")
    notes = sway.open_window("notes", f"Notes {TOKEN}c")
    sway.focus(notes)
    tracker = UserTracker(sway, data)
    # (window, the app it counts as, seconds, how focus moves)
    plan = [(kobold, "koboldcpp", 6.0, "swaymsg"), (claude, "claude", 5.0, "swaymsg"),
            (kobold, "koboldcpp", 5.0, "activate"), (notes, None, 3.0, "swaymsg"),
            (claude, "claude", 5.0, "activate"), (notes, None, 3.0, "activate"),
            (claude, "claude", 5.0, "swaymsg"), (kobold, "koboldcpp", 5.0, "swaymsg"),
            (notes, None, 2.0, "swaymsg")]
    starts: list[tuple[float, float, str | None]] = []
    families: set[str] = set()
    for window, app, seconds, how in plan:
        mono, wall = _focus(sway, window, how)
        starts.append((mono, wall, app))
        if app == "claude":
            families |= _families(tracker.proc.pid)
        time.sleep(max(0.0, seconds - (time.monotonic() - mono)))
    ended = time.monotonic(), time.time()
    families |= _families(tracker.proc.pid)
    tracker.stop()

    focused: dict[str, float] = {}
    untracked: list[tuple[float, float]] = []
    nexts = [*[(m, w) for m, w, _ in starts[1:]], ended]
    for (mono, wall, app), (next_mono, next_wall) in zip(starts, nexts, strict=True):
        if app is None:
            untracked.append((wall, next_wall))
        else:
            focused[app] = focused.get(app, 0.0) + next_mono - mono
    counted = {app: stored_seconds(data, app) for app in ("koboldcpp", "claude")}
    print(f"focused {focused}, counted {counted}")
    for app, seconds in focused.items():
        assert 0.99 * seconds <= counted[app] <= 1.01 * seconds, (app, counted, focused)
    stored = [iv for app in counted for iv in _intervals(data, app)]
    assert _overlap(stored, untracked) <= 0.05, (stored, untracked)  # clock-read slack only

    # Privacy: the titles' token in no file of the data folder (database, WAL, log) and not in
    # the tracker's output; no socket but Unix ones.
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files), files
    for path in [*files, tracker.out, tracker.err]:
        assert TOKEN.encode() not in path.read_bytes(), path.name
    assert families == {"AF_UNIX"}, families
    for window in (kobold, claude, notes):
        sway.close_window(window)


def test_idle_is_back_dated_to_the_last_input_and_input_counts_again(sway: WlrSession) -> None:
    """`--idle-after 3`: 4 s of real input in front of a tracked window, then none for 7 s
    (what counts ends at the last input, which Sway's idle protocol places), then input again
    for 4 s (it counts again from there)."""
    data = sway.home / "idle"
    _add_apps(sway, data)
    kobold = sway.open_window("koboldcpp", f"Kobold idle {TOKEN}d")
    notes = sway.open_window("notes", f"Notes idle {TOKEN}e")
    sway.focus(notes)
    tracker = UserTracker(sway, data, "--idle-after", "3")
    with ActivePerson(sway, every=0.5) as person:  # type: ignore[arg-type]
        switched = _focus(sway, kobold, "swaymsg")[0]
        time.sleep(4)
        person.pause()
        assert person.last_input is not None and person.last_input > switched
        active = person.last_input - switched
        last_input_wall = time.time() - (time.monotonic() - person.last_input)
        time.sleep(7)
        back = time.time()
        person.resume()
        again = person.last_input
        assert again is not None
        time.sleep(4)
        left = _focus(sway, notes, "swaymsg")[0]
        time.sleep(1)
    tracker.stop()
    intervals = _intervals(data, "koboldcpp")
    before = sum(e - s for s, e in intervals if s < back)
    after = sum(e - s for s, e in intervals if s >= back)
    print(f"active {active:.2f} s, counted {before:.2f} s; again {left - again:.2f} s, "
          f"counted {after:.2f} s; intervals {intervals}")
    assert abs(before - active) <= 1.0, (before, active, intervals)
    # Nothing counted while away: from the last input (+1 s: idle is known to 1 s) to the
    # input that came back.
    assert _overlap(intervals, [(last_input_wall + 1.0, back)]) == 0.0, intervals
    assert left - again - 1.5 <= after <= left - again + 0.1, (after, left - again, intervals)
    sway.close_window(kobold)
    sway.close_window(notes)


def test_sway_restarted_under_a_running_tracker(sway: WlrSession) -> None:
    """Sway ends and starts again while `track` runs (its windows end with it and are opened
    again; its IPC socket has a new name): the tracker lives on, counts nothing while Sway is
    away and counts again on the new Sway, and the log says what happened."""
    claude_title, notes_title = f"Again {TOKEN}h - Claude", f"Notes again {TOKEN}i"
    data = sway.home / "restart"
    _add_apps(sway, data)
    claude = sway.open_window("firefox", claude_title)
    sway.open_window("notes", notes_title)
    _focus(sway, claude, "swaymsg")
    # Samples 5 s apart (the default): Sway is away for less than two of them, so only the
    # probe's saying that nothing is in front when Sway went away keeps that time uncounted
    # (a longer gap between good samples would end the interval by itself).
    tracker = UserTracker(sway, data, "--interval", "5")
    time.sleep(3)
    stopping = time.time()
    # Counting starts with the tracker (claude already in front): at its first sample, just
    # before it logs that it started.
    started = next(e["ts"] for e in tracker.log.entries() if e.get("event") == "started")
    before = stopping - started
    old_socket = sway.swaysock
    sway.stop()
    time.sleep(2)
    starting = time.time()
    sway.start()
    assert sway.swaysock != old_socket
    assert tracker.proc.poll() is None, "the tracker ended with Sway"
    claude = sway.open_window("firefox", claude_title)
    notes = sway.open_window("notes", notes_title)
    again, again_wall = _focus(sway, claude, "swaymsg")
    time.sleep(4)
    after = time.monotonic() - again
    left_wall = _focus(sway, notes, "swaymsg")[1]
    time.sleep(1)
    assert tracker.proc.poll() is None
    tracker.stop()
    intervals = _intervals(data, "claude")
    counted_before = sum(e - s for s, e in intervals if e <= starting)
    counted_after = sum(e - s for s, e in intervals if s >= starting)
    said = tracker.log.entries()
    print(f"before {before:.2f}/{counted_before:.2f} s, after {after:.2f}/{counted_after:.2f} s,"
          f" intervals {[(round(s - stopping, 2), round(e - stopping, 2)) for s, e in intervals]}"
          f"; again {again_wall - stopping:.2f}, left {left_wall - stopping:.2f}, log: "
          f"{[(e.get('event') or e.get('msg'), e.get('ts') or e.get('time')) for e in said]}")
    # Counted up to Sway's end, to the focus event's precision.
    assert before - 0.2 <= counted_before <= before + 0.2, (counted_before, before, intervals)
    assert _overlap(intervals, [(stopping + 0.2, starting)]) == 0.0, intervals
    # Focus moved to the window before the tracker found the new Sway (it looks for one every
    # RETRY_SECONDS) counts from the moment it did.
    assert after - RETRY_SECONDS - 0.2 <= counted_after <= after + 0.2, (counted_after, after,
                                                                         intervals)
    events = [e.get("event") for e in said]
    assert "sway_gone" in events and "sway_connected" in events, said
    assert not [e for e in said if e.get("level") in ("error", "critical")], said
    err = tracker.err.read_text(errors="replace")
    assert "Traceback" not in err, err
    for path in [*data.rglob("*"), tracker.out, tracker.err]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path.name
