"""The tray app for real, under Xvfb + openbox: with `trayer` the ring is in the tray and its
menu opens and quits when clicked with xdotool; with no tray, the small window appears.

Screenshots land in tests/artifacts/ (docs/make_screenshots.py makes the ones in docs/)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.xsession import XSession, end_process, wait_for
from tests.helpers.skips import skip_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "tests" / "artifacts"


def seed(data: Path) -> None:
    """A tracked app with 38 minutes today, so the ring and the widget have something to show."""
    from widget.core.days import day_window, local_day
    from widget.core.model import Interval, Rule, RuleKind, TrackedApp
    from widget.localzone import local_zone
    from widget.store import Store

    data.mkdir(mode=0o700, exist_ok=True)
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),)))
        tz = local_zone()
        start = day_window(local_day(datetime.now(UTC), tz, 4), tz, 4)[0]
        store.insert_interval(Interval("replika", start + timedelta(minutes=1),
                                       start + timedelta(minutes=39)))
        store.set_setting("first_run_done", True)  # no welcome over what the test looks at
    finally:
        store.close()


class TrayApp:
    """`python -m widget --data-dir D` (the tray app) in the X session."""

    def __init__(self, xs: XSession, data: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        env = {**xs.env, "PYTHONPATH": str(REPO), **(extra_env or {})}
        env.pop("QT_QPA_PLATFORM", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)

    def windows(self, xs: XSession) -> list[str]:
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid",
                              str(self.proc.pid)], env=xs.env, capture_output=True, text=True,
                             timeout=10)
        return out.stdout.split()

    def stop(self) -> None:
        end_process(self.proc, timeout=10)


def geometry(xs: XSession, wid: str) -> tuple[int, int, int, int]:
    shell = xs.xdotool("getwindowgeometry", "--shell", wid)
    values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def pixels(xs: XSession, shot: Path, x: int, y: int, w: int, h: int) -> list[tuple[int, int, int]]:
    """The screen's pixels in a rectangle, through ImageMagick (no Python imaging needed)."""
    xs.screenshot(shot)
    out = subprocess.run(["convert", str(shot), "-crop", f"{w}x{h}+{x}+{y}", "+repage",
                          "-depth", "8", "txt:-"], capture_output=True, text=True, timeout=30,
                         check=True)
    found = re.findall(r"^\d+,\d+: \((\d+),(\d+),(\d+)", out.stdout, re.MULTILINE)
    return [(int(r), int(g), int(b)) for r, g, b in found]


def ring_pixels(colors: list[tuple[int, int, int]]) -> int:
    """Pixels with the ring's blue-green tint (trayer's background is a neutral grey)."""
    return sum(1 for r, g, b in colors if b - r > 15 and g - r > 10)


@pytest.fixture
def trayer(xsession: XSession) -> Iterator[tuple[int, int, int, int]]:
    if shutil.which("trayer") is None or shutil.which("convert") is None:
        skip_or_fail("trayer or ImageMagick (convert) not installed")
    proc = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                             "request", "--height", "32", "--SetDockType", "true",
                             "--transparent", "false"], env=xsession.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def panel() -> str | None:
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "trayer"],
                             env=xsession.env, capture_output=True, text=True, timeout=10)
        ids = out.stdout.split()
        return ids[-1] if ids else None

    try:
        wid = wait_for(panel, 15, "trayer's panel")
        yield geometry(xsession, wid)
    finally:
        end_process(proc, timeout=10)


def test_the_ring_is_in_the_tray_and_its_menu_quits(
        screen_on_failure: XSession, trayer: tuple[int, int, int, int], tmp_path: Path) -> None:
    xs = screen_on_failure
    data = tmp_path / "data"
    seed(data)
    app = TrayApp(xs, data)
    try:
        def icon_area() -> tuple[int, int, int, int] | None:
            # trayer grows to the width its icons request; find it again each time.
            out = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "trayer"],
                                 env=xs.env, capture_output=True, text=True, timeout=10)
            for wid in out.stdout.split():
                x, y, w, h = geometry(xs, wid)
                if w >= 16 and ring_pixels(pixels(xs, tmp_path / "s.png", x, y, w, h)) >= 20:
                    return x, y, w, h
            return None

        x, y, w, h = wait_for(icon_area, 30, "the ring in trayer", step=0.5)
        before = set(app.windows(xs))
        xs.xdotool("mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
        menu = wait_for(lambda: set(app.windows(xs)) - before, 15, "the tray menu")
        mx, my, mw, mh = geometry(xs, sorted(menu)[0])
        assert mw > 60 and mh > 20, "a menu with entries"
        assert ring_pixels(pixels(xs, tmp_path / "s.png", x, y, w, h)) >= 20
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        left, top = min(x, mx) - 8, 0
        right, bottom = max(x + w, mx + mw) + 8, max(y + h, my + mh) + 8
        subprocess.run(["convert", str(tmp_path / "s.png"), "-crop",
                        f"{right - max(left, 0)}x{bottom - top}+{max(left, 0)}+{top}",
                        "+repage", str(SCREENSHOTS / "tray-menu.png")], check=True, timeout=30)
        # "Quit driftcheck" is the menu's last entry: Up from nothing selected lands on it.
        xs.xdotool("key", "Up")
        xs.xdotool("key", "Return")
        assert app.proc.wait(timeout=20) == 0, app.proc.stderr.read() if app.proc.stderr else ""
    finally:
        app.stop()


def test_without_a_tray_the_small_window_appears(screen_on_failure: XSession,
                                                 tmp_path: Path) -> None:
    xs = screen_on_failure
    if shutil.which("trayer") is not None:
        busy = subprocess.run(["xdotool", "search", "--class", "trayer"], env=xs.env,
                              capture_output=True, text=True, timeout=10).stdout.split()
        assert not busy, "no tray is running in this test"
    data = tmp_path / "data"
    seed(data)
    app = TrayApp(xs, data)
    try:
        def window() -> str | None:
            out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name",
                                  "^driftcheck$"], env=xs.env, capture_output=True, text=True,
                                 timeout=10)
            ids = out.stdout.split()
            return ids[-1] if ids else None

        wid = wait_for(window, 30, "the driftcheck window", step=0.2)
        x, y, w, h = geometry(xs, wid)
        assert w > 100 and h > 50
        # Mapped first, painted a moment later: wait for its content, not a blank frame.
        wait_for(lambda: len(set(pixels(xs, tmp_path / "s.png", x, y, w, h))) > 8, 20,
                 "the window to draw its content", step=0.3)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-display", xs.display, "-window", wid,
                        str(SCREENSHOTS / "compact-widget.png")], env=xs.env, check=True,
                       timeout=30)
        assert app.proc.poll() is None, "it keeps running with its window"
    finally:
        app.stop()
