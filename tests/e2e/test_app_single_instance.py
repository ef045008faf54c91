"""One driftcheck per data folder, for real under Xvfb + openbox: a second `driftcheck` says in
one line that it is already running and leaves at once, and the running one brings its window
back in front of the person (here it had been minimized)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.xsession import XSession, end_process, wait_for
from widget.single_instance import ALREADY_RUNNING

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

REPO = Path(__file__).resolve().parents[2]


def prepare(data: Path) -> None:
    """The welcome done and the self-check just settled: the window is all there is."""
    from datetime import UTC, datetime

    from widget.core.options import instant_to_setting
    from widget.store import Store

    data.mkdir(mode=0o700, exist_ok=True)
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        store.set_setting("first_run_done", True)
        store.set_setting("checkin.last_asked", instant_to_setting(datetime.now(UTC)))
    finally:
        store.close()


def app_env(xs: XSession) -> dict[str, str]:
    env = {**xs.env, "PYTHONPATH": str(REPO)}
    for key in ("QT_QPA_PLATFORM", "DRIFTCHECK_DATA_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        env.pop(key, None)  # no session bus: nothing but the window to look at
    return env


def map_state(xs: XSession, wid: str) -> str:
    out = subprocess.run(["xwininfo", "-id", wid], env=xs.env, capture_output=True, text=True,
                         timeout=10)
    found = re.search(r"Map State:\s*(\S+)", out.stdout)
    return found.group(1) if found else "gone"


def test_a_second_launch_shows_the_running_one_and_leaves(screen_on_failure: XSession,
                                                          tmp_path: Path) -> None:
    xs = screen_on_failure
    busy = subprocess.run(["xdotool", "search", "--class", "trayer"], env=xs.env,
                          capture_output=True, text=True, timeout=10).stdout.split()
    assert not busy, "no tray runs in this test: the app shows its small window"
    data = tmp_path / "data"
    prepare(data)
    env = app_env(xs)
    log = tmp_path / "first-stderr.txt"
    with log.open("wb") as err:
        first = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        def window() -> str | None:
            out = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid",
                                  str(first.pid), "--name", "^driftcheck$"], env=xs.env,
                                 capture_output=True, text=True, timeout=10)
            ids = out.stdout.split()
            return ids[-1] if ids else None

        try:
            wid = wait_for(window, 30, "the driftcheck window", step=0.2)
        except TimeoutError:
            raise AssertionError(f"no window; the app said:\n{log.read_text()}") from None
        assert map_state(xs, wid) == "IsViewable"

        xs.xdotool("windowminimize", "--sync", wid)
        wait_for(lambda: map_state(xs, wid) != "IsViewable", 10, "the window to be minimized")

        began = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data)],
                                env=env, capture_output=True, text=True, timeout=30)
        took = time.monotonic() - began
        assert second.returncode == 0, second.stderr
        said = second.stderr.strip().splitlines()
        assert said == [ALREADY_RUNNING], "one line, and the running one was reached"
        assert second.stdout == ""
        assert took < 10, f"the second launch lingered {took:.1f} s"

        wait_for(lambda: map_state(xs, wid) == "IsViewable", 15,
                 "the running driftcheck to bring its window back")
        assert window() == wid, "the same window, not a second one"
        assert first.poll() is None, "the first driftcheck keeps running"
    finally:
        end_process(first, timeout=15)
    assert first.returncode == 0, log.read_text()
    assert not (data / "driftcheck.fifo").exists(), "the FIFO went with the first one"
