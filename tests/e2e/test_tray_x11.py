"""The tray app for real, under Xvfb + openbox: with `trayer` the ring is in the tray and its
menu opens and quits when clicked with xdotool; with no tray, the small window appears.

Screenshots land in tests/artifacts/ (docs/make_screenshots.py makes the ones in docs/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.desktop import XSession, ring_pixels, tray_icon, wait_for
from tests.helpers.program import TrayApp, seed_today

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "tests" / "artifacts"


def test_the_ring_is_in_the_tray_and_its_menu_quits(
        screen_on_failure: XSession, trayer: tuple[int, int, int, int], tmp_path: Path) -> None:
    xs = screen_on_failure
    data = tmp_path / "data"
    seed_today(data)
    app = TrayApp(xs, data)
    try:
        x, y, w, h = wait_for(lambda: tray_icon(xs, tmp_path / "s.png"), 30,
                              "the ring in trayer", step=0.5)
        before = set(app.windows(xs))
        xs.xdotool("mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
        menu = wait_for(lambda: set(app.windows(xs)) - before, 15, "the tray menu")
        mx, my, mw, mh = xs.geometry(sorted(menu)[0])
        assert mw > 60 and mh > 20, "a menu with entries"
        assert ring_pixels(xs.pixels(tmp_path / "s.png", x, y, w, h)) >= 20
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
    seed_today(data)
    app = TrayApp(xs, data)
    try:
        wid = wait_for(lambda: xs.visible("--name", "^driftcheck$"), 30,
                       "the driftcheck window", step=0.2)[-1]
        x, y, w, h = xs.geometry(wid)
        assert w > 100 and h > 50
        # Mapped first, painted a moment later: wait for its content, not a blank frame.
        wait_for(lambda: len(set(xs.pixels(tmp_path / "s.png", x, y, w, h))) > 8, 20,
                 "the window to draw its content", step=0.3)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-display", xs.display, "-window", wid,
                        str(SCREENSHOTS / "compact-widget.png")], env=xs.env, check=True,
                       timeout=30)
        assert app.proc.poll() is None, "it keeps running with its window"
    finally:
        app.stop()
