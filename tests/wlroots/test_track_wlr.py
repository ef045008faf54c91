"""The real `driftcheck track`, run as the test user, on a real headless phoc 0.24 (a wlroots
compositor with no Sway IPC): choose_probe takes the wlr-foreign-toplevel probe, and the
seconds counted match the seconds each window had the focus (focus moved for real through
foreign-toplevel `activate`); idle is back-dated to the last real input through KDE's idle
protocol; the compositor restarted under the running tracker is followed again; and no window
title reaches the data folder, the log or the tracker's output.

The session says XDG_CURRENT_DESKTOP=wlroots (labwc's own value): Phosh's "Phosh:GNOME" names
GNOME, and choose_probe would then ask GNOME Shell instead (reported to the lead).
"""

from __future__ import annotations

import secrets
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.desktop import ActivePerson
from tests.helpers.program import ProgramLog, stored_seconds
from tests.helpers.wlroots import Window, WlrSession

pytestmark = [pytest.mark.e2e, pytest.mark.wlroots]

TOKEN = secrets.token_hex(4)  # in every window title; must reach no file
RUN = secrets.token_hex(2)  # process names of this run's own (other runs share the user)
KOBOLD = f"koboldcpp-{RUN}"  # counted by its process (the catalog's "koboldcpp-*")
BROWSER = "firefox"  # a browser window counted by claude's title rule alone
NOTES = f"notes-{RUN}"  # untracked
DESKTOP = {"XDG_CURRENT_DESKTOP": "wlroots"}


class UserTracker:
    """`driftcheck track --interval 1 ARGS` as the test user; its stderr beside the data."""

    def __init__(self, session: WlrSession, data: Path, *args: str) -> None:
        assert session.python is not None
        self.data = data
        self.log = ProgramLog(data)
        self.err = session.base / f"{data.name}-stderr.txt"
        with self.err.open("ab") as sink:
            self.proc = session.spawn_as_user(session.python.argv(
                "--data-dir", str(data), "track", "--interval", "1", *args), env=DESKTOP,
                stderr=sink)
        self.log.wait("started", proc=self.proc)
        assert '"probe": "wlr-foreign-toplevel"' in self.log.text(), self.log.text()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) == 0, self.err.read_text(errors="replace")


def _add_apps(session: WlrSession, data: Path) -> None:
    done = session.driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp", "claude",
                              env=DESKTOP)
    assert done.returncode == 0, done.stderr


def _focus(session: WlrSession, window: Window) -> float:
    """Bring `window` to the front; the monotonic moment it was asked."""
    asked = time.monotonic()
    session.focus(window)
    return asked


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


def _no_token_in(*paths: Path) -> None:
    for root in paths:
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path.name


def test_track_counts_the_focused_seconds(phoc: WlrSession) -> None:
    """Two tracked windows (one by process, one by a title rule) and an untracked one, focus
    moved for ~40 s."""
    session = phoc
    data = session.home / "accuracy"
    _add_apps(session, data)
    kobold = session.open_window(KOBOLD, f"Kobold console {TOKEN}a")
    claude = session.open_window(BROWSER, f"Talk {TOKEN}b - Claude")
    notes = session.open_window(NOTES, f"Notes {TOKEN}c", name="foot")
    session.focus(notes)
    tracker = UserTracker(session, data)
    plan = [(kobold, "koboldcpp", 6.0), (claude, "claude", 5.0), (kobold, "koboldcpp", 5.0),
            (notes, None, 3.0), (claude, "claude", 5.0), (notes, None, 3.0),
            (claude, "claude", 5.0), (kobold, "koboldcpp", 5.0), (notes, None, 2.0)]
    starts: list[tuple[float, str | None]] = []
    with ActivePerson(session, every=0.5):  # type: ignore[arg-type]
        for window, app, seconds in plan:
            moment = _focus(session, window)
            starts.append((moment, app))
            time.sleep(max(0.0, seconds - (time.monotonic() - moment)))  # the scripted time
        ended = time.monotonic()
        tracker.stop()
    focused: dict[str, float] = {}
    spans: dict[str, int] = {}
    for (moment, app), following in zip(starts, [*[m for m, _ in starts[1:]], ended],
                                        strict=True):
        if app is not None:
            focused[app] = focused.get(app, 0.0) + following - moment
            spans[app] = spans.get(app, 0) + 1
    counted = {app: stored_seconds(data, app) for app in ("koboldcpp", "claude")}
    attributed = sum(min(counted[a], s) for a, s in focused.items()) / sum(focused.values())
    print(f"focused {focused}, counted {counted}, attributed {attributed:.2%}")
    for app, seconds in focused.items():
        assert abs(counted[app] - seconds) <= 1.0 * spans[app], (app, counted, focused)
    assert attributed >= 0.99, (counted, focused)
    _no_token_in(data, tracker.err)


def test_idle_is_back_dated_to_the_last_input(phoc: WlrSession) -> None:
    """`--idle-after 3`: 4 s of real input in front of a tracked window, then none for 7 s;
    what counts ends at the last input."""
    session = phoc
    data = session.home / "idle"
    _add_apps(session, data)
    kobold = session.open_window(KOBOLD, f"Kobold idle {TOKEN}d")
    notes = session.open_window(NOTES, f"Notes idle {TOKEN}e", name="foot")
    session.focus(notes)
    tracker = UserTracker(session, data, "--idle-after", "3")
    with ActivePerson(session, every=0.5) as person:  # type: ignore[arg-type]
        switched = _focus(session, kobold)
        time.sleep(4)
        person.pause()
        assert person.last_input is not None and person.last_input > switched
        active = person.last_input - switched
        time.sleep(7)  # no input at all
    tracker.stop()
    counted = stored_seconds(data, "koboldcpp")
    print(f"active {active:.2f} s, counted {counted:.2f} s")
    assert abs(counted - active) <= 1.0, (counted, active)
    _no_token_in(data, tracker.err)


def test_the_compositor_restarted_under_a_running_tracker(phoc: WlrSession) -> None:
    """phoc ends and starts again while `track` runs (its windows end with it and are opened
    again): the tracker lives on, counts nothing while the compositor is away and counts the
    window in front again once it is back, and says in its log what happened."""
    session = phoc
    data = session.home / "restart"
    _add_apps(session, data)
    kobold = session.open_window(KOBOLD, f"Kobold again {TOKEN}f")
    tracker = UserTracker(session, data)
    with ActivePerson(session, every=0.5) as person:  # type: ignore[arg-type]
        first = _focus(session, kobold)
        time.sleep(3)
        person.pause()  # no input to a compositor being restarted
        session.stop()
        stopped = time.time()
        before = time.monotonic() - first
        time.sleep(2)
        session.start()
        assert tracker.proc.poll() is None, "the tracker ended with the compositor"
        kobold = session.open_window(KOBOLD, f"Kobold again {TOKEN}f")
        person.resume()
        again = _focus(session, kobold)
        time.sleep(4)
        after = time.monotonic() - again
        notes = session.open_window(NOTES, f"Notes again {TOKEN}g", name="foot")
        session.focus(notes)
        time.sleep(1)
    assert tracker.proc.poll() is None
    tracker.stop()
    intervals = _intervals(data, "koboldcpp")
    counted_after = sum(e - s for s, e in intervals if s > stopped)
    counted_before = sum(e - s for s, e in intervals if e <= stopped)
    print(f"before {before:.2f}/{counted_before:.2f} s, after {after:.2f}/{counted_after:.2f} s")
    # The probe connects again as soon as the new compositor's socket is there, and the
    # window opened in it counts from its focus.
    assert abs(counted_after - after) <= 1.0, (counted_after, after, intervals)
    assert before - 1.0 <= counted_before <= before + 1.0, (counted_before, before, intervals)
    said = tracker.log.entries()
    assert not [e for e in said if e.get("level") in ("error", "critical")], said
    err = tracker.err.read_text(errors="replace")
    assert "Traceback" not in err, err
    _no_token_in(data, tracker.err)
