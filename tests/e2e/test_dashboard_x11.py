"""The dashboard on a real X screen (Xvfb + openbox), at 1280x800 and 1366x768: its frame,
measured from outside with xwininfo and the window manager's _NET_FRAME_EXTENTS, lies inside
the screen, and the top part (this week's total, the drift in words, the self-check) is inside
the visible viewport without scrolling (the shared probe, tests/helpers/dashboard_fit.py). And
`driftcheck dashboard`: on its own (no tray app: a window of its own, closed with Ctrl+W, and
the command ends), and with a real tray app running (the running app opens its own dashboard,
the command leaves at once)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.desktop import (
    XSession,
    end_process,
    missing_tools,
    start_session,
    stop_processes,
    wait_for,
)
from tests.helpers.dashboard_fit import PROBE, check_fit, demo_folder, inside
from tests.helpers.program import ProgramLog, app_env, settle_first_run
from tests.helpers.skips import skip_or_fail
from widget.commands.dashboard import OPENED_IN_TRAY
from widget.core.calendar import iso_week
from widget.ui.dashboard.window import TITLE

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

SIZES = ("1280x800", "1366x768")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = demo_folder(tmp_path_factory.mktemp("dashboard-x11"))
    settle_first_run(data)  # no dialog comes first
    return data


@pytest.fixture(scope="module", params=SIZES)
def screen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[XSession, int, int]]:
    missing = missing_tools()
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed")
    if subprocess.run(["which", "xwininfo"], capture_output=True).returncode != 0:
        skip_or_fail("xwininfo (x11-utils) not installed")
    size: str = request.param
    session, procs = start_session(tmp_path_factory.mktemp(f"x11-{size}"), size=size)
    width, height = (int(n) for n in size.split("x"))
    try:
        yield session, width, height
    finally:
        session.close_windows()
        stop_processes(procs)


def dashboard_window(xs: XSession, pid: int) -> str | None:
    # --all: xdotool otherwise takes any window of the pid *or* of the name
    ids = xs.visible("--all", "--pid", str(pid), "--name", "Dashboard$")
    return ids[-1] if ids else None


def frame_of(xs: XSession, wid: str) -> list[int]:
    """The window's outer frame on the screen, as X sees it: the client's absolute place and
    size, grown by the frame the window manager drew around it."""
    info = subprocess.run(["xwininfo", "-id", wid], env=xs.env, capture_output=True, text=True,
                          timeout=10, check=True).stdout

    def number(label: str) -> int:
        found = re.search(rf"{label}:\s*(-?\d+)", info)
        assert found is not None, (label, info)
        return int(found.group(1))

    extents = subprocess.run(["xprop", "-id", wid, "_NET_FRAME_EXTENTS"], env=xs.env,
                             capture_output=True, text=True, timeout=10).stdout
    sides = [int(n) for n in re.findall(r"-?\d+", extents.split("=", 1)[-1])] \
        if "=" in extents else [0, 0, 0, 0]
    left, right, top, bottom = [*sides, 0, 0, 0, 0][:4]
    x, y = number("Absolute upper-left X"), number("Absolute upper-left Y")
    return [x - left, y - top, number("Width") + left + right,
            number("Height") + top + bottom]


def framed(xs: XSession, wid: str) -> list[int] | None:
    """The frame once the window manager has framed and placed the window."""
    out = subprocess.run(["xprop", "-id", wid, "_NET_FRAME_EXTENTS"], env=xs.env,
                         capture_output=True, text=True, timeout=10).stdout
    return frame_of(xs, wid) if "=" in out else None


def test_the_top_part_is_visible_without_scrolling(screen: tuple[XSession, int, int],
                                                   demo: Path) -> None:
    xs, width, height = screen
    done = subprocess.run([sys.executable, str(PROBE), str(demo)], env=app_env(xs),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "xcb"
    check_fit(seen, width, height)


def test_the_dashboard_command_opens_a_window_of_its_own_that_fits(
        screen: tuple[XSession, int, int], demo: Path, tmp_path: Path) -> None:
    xs, width, height = screen
    err = tmp_path / "stderr.txt"
    with err.open("wb") as sink:
        shown = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(demo),
                                  "dashboard"], env=app_env(xs), stdout=subprocess.PIPE,
                                 stderr=sink)
    try:
        try:
            wid = wait_for(lambda: dashboard_window(xs, shown.pid), 30, "the dashboard",
                           step=0.2)
        except TimeoutError:
            raise AssertionError(f"no dashboard window; it said: {err.read_text()}") from None
        title = xs.xdotool("getwindowname", wid)
        assert title == TITLE == "driftcheck \u2014 Dashboard"
        frame = wait_for(lambda: framed(xs, wid), 15, "the window manager's frame")
        assert inside(frame, [0, 0, width, height]), (frame, width, height)
        assert frame[3] > height // 2, f"the window is not squeezed to nothing: {frame}"
        xs.xdotool("windowactivate", "--sync", wid)
        xs.xdotool("key", "--clearmodifiers", "ctrl+w")  # the window's Close
        assert shown.wait(timeout=30) == 0, err.read_text()
    finally:
        end_process(shown, timeout=10)


def test_the_dashboard_command_asks_the_running_tray_app(screen_on_failure: XSession,
                                                          demo: Path, tmp_path: Path) -> None:
    xs = screen_on_failure  # the shared 1280x800 session
    width, height = 1280, 800
    env = app_env(xs)
    log = tmp_path / "tray-stderr.txt"
    with log.open("wb") as err:
        tray = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(demo)],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        try:
            wait_for(lambda: xs.visible("--pid", str(tray.pid), "--name", "^driftcheck$"), 30,
                     "the running driftcheck's window", step=0.2)
        except TimeoutError:
            raise AssertionError(f"the tray app did not start: {log.read_text()}") from None
        assert dashboard_window(xs, tray.pid) is None, "no dashboard before it is asked for"

        last_week = iso_week((datetime.now(UTC) - timedelta(days=7)).date())
        asked = subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(demo),
                                "dashboard", "--week", last_week], env=env,
                               capture_output=True, text=True, timeout=60)
        assert asked.returncode == 0, asked.stderr
        assert asked.stdout.strip() == OPENED_IN_TRAY and asked.stderr == ""

        wid = wait_for(lambda: dashboard_window(xs, tray.pid), 30,
                       "the running app's dashboard", step=0.2)
        frame = wait_for(lambda: framed(xs, wid), 15, "the window manager's frame")
        assert inside(frame, [0, 0, width, height]), frame
        wait_for(lambda: f"dashboard shown, asked from the terminal (week {last_week})"
                 in ProgramLog(demo).text(), 15,
                 "the running app's log line, at the week asked for")
        assert tray.poll() is None, "the tray app keeps running"
    finally:
        end_process(tray, timeout=15)
    assert tray.returncode == 0, log.read_text()
