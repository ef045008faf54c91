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

from tests.e2e.desktop import XSession, end_process, wait_for
from tests.helpers.program import app_env, settle_first_run
from widget.desktop.single_instance import ALREADY_RUNNING

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

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
    settle_first_run(data)
    env = app_env(xs)
    log = tmp_path / "first-stderr.txt"
    with log.open("wb") as err:
        first = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        def window() -> str | None:
            ids = xs.visible("--pid", str(first.pid), "--name", "^driftcheck$")
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
