"""`driftcheck track` says what it tracks and how when it starts, and how long it ran and
what it counted when it stops (stdout, like every command's own answer)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from widget.commands.track import started_words, stopped_words
from widget.core.options import Options, instant_to_setting
from widget.store import Store

REPO = Path(__file__).resolve().parents[2]


def test_the_start_names_the_apps_and_says_how_time_counts() -> None:
    options = Options(sample_interval=5, idle_after=180)
    words = started_words(["Replika", "Nomi", "Kira"], "x11", False, True, options)
    first, counts, stop = words.splitlines()
    assert first == "Tracking Replika, Nomi and Kira (looking every 5 s, through the x11 probe)."
    assert counts == ("Time counts while a tracked app is the window in front and you are at "
                      "the computer; it stops after 3 min without keyboard or mouse.")
    assert stop == "Ctrl-C stops; what was counted stays."
    approximate = started_words(["Kira"], "process-fallback", True, False, options)
    assert "even when you step away: an approximation" in approximate
    assert started_words([], "x11", False, True, options).startswith("Tracking no apps yet")


def test_the_stop_says_how_long_it_ran_and_what_it_counted_adding_up() -> None:
    names = {"replika": "Replika", "nomi": "Nomi"}
    assert stopped_words(3725, {}, names) == \
        "Stopped after 1 h 2 min; nothing was counted this time."
    assert stopped_words(90, {"nomi": 0.0}, names).endswith("nothing was counted this time.")
    assert stopped_words(600, {"replika": 48.7}, names) == \
        "Stopped after 10 min; counted 48 s for Replika."
    # 30 min 40 s + 11 min 40 s is 42 min 20 s: said as 42 min, the parts adding up to it.
    assert stopped_words(3600, {"nomi": 700, "replika": 1840}, names) == \
        "Stopped after 1 h; counted 42 min (Replika 31 min, Nomi 11 min)."


def _counted_ms(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT COALESCE(SUM(end_ms - start_ms), 0) FROM intervals")
                       .fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _tracker(tmp_path: Path, paused_for: timedelta | None = None
             ) -> tuple[Path, subprocess.Popen[str], subprocess.Popen[bytes]]:
    """The data folder, `driftcheck track --interval 1` without a display (the process
    fallback probe), and a running process named kira-test that it tracks."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    env["PYTHONPATH"] = str(REPO)
    data = tmp_path / "data"
    driftcheck = [sys.executable, "-m", "widget", "--data-dir", str(data)]
    subprocess.run([*driftcheck, "apps", "add", "--name", "Kira", "--process", "kira-test"],
                   env=env, check=True, capture_output=True)
    if paused_for is not None:  # as the tray app's "Pause tracking" leaves it
        store = Store.open(data / "driftcheck.sqlite3")
        try:
            store.set_setting("tracker.paused_until",
                              instant_to_setting(datetime.now(UTC) + paused_for))
        finally:
            store.close()
    app = tmp_path / "kira-test"
    app.symlink_to("/bin/sleep")  # a running process named kira-test: the tracked app
    running = subprocess.Popen([str(app), "600"])
    tracker = subprocess.Popen([*driftcheck, "track", "--interval", "1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return data, tracker, running


def _end(tracker: subprocess.Popen[str], running: subprocess.Popen[bytes]) -> None:
    if tracker.poll() is None:
        tracker.kill()
        tracker.wait()
    running.kill()
    running.wait()


def test_a_pause_chosen_in_the_tray_holds_in_track_until_its_time(tmp_path: Path) -> None:
    data, tracker, running = _tracker(tmp_path, paused_for=timedelta(seconds=3))
    try:
        assert tracker.stdout is not None
        said = [tracker.stdout.readline() for _ in range(4)]
        assert said[3].startswith("Tracking is paused until "), said
        ended = tracker.stdout.readline()
        assert ended == "The pause you chose has ended; counting again.\n"
        # Paused for 3 s: a tracker that ignored it would have counted about 3000 ms by now;
        # at most the first sample after the pause may have been written meanwhile.
        assert _counted_ms(data / "driftcheck.sqlite3") < 1000
        _wait(lambda: _counted_ms(data / "driftcheck.sqlite3") >= 1000, 30, "1 s counted")
        tracker.send_signal(signal.SIGINT)
        rest, err = tracker.communicate(timeout=30)
    finally:
        _end(tracker, running)
    assert tracker.returncode == 0, err
    assert "for Kira." in rest


def test_a_real_tracker_says_it_started_and_what_it_counted(tmp_path: Path) -> None:
    data, tracker, running = _tracker(tmp_path)
    try:
        assert tracker.stdout is not None
        started = [tracker.stdout.readline() for _ in range(3)]  # said at once, not at exit
        assert started[0] == "Tracking Kira (looking every 1 s, through the process-fallback " \
                             "probe).\n", started
        assert "time counts while a tracked app runs" in started[1]
        assert started[2] == "Ctrl-C stops; what was counted stays.\n"
        _wait(lambda: _counted_ms(data / "driftcheck.sqlite3") >= 2000, 30, "2 s counted")
        tracker.send_signal(signal.SIGINT)
        rest, err = tracker.communicate(timeout=30)
    finally:
        _end(tracker, running)
    assert tracker.returncode == 0, err
    assert err == ""
    assert re.fullmatch(r"Stopped after \d+ s; counted \d+ s for Kira\.\n", rest), rest
    counted = int(re.search(r"counted (\d+) s", rest).group(1))  # type: ignore[union-attr]
    assert counted >= 2
