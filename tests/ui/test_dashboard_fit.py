"""The dashboard fits the screen (issue 10: it opened 1200x960 on a 1280x800 screen, its bottom
off-screen): offscreen on screens of 1280x800 and 1366x768 (Qt's offscreen platform given a
screen of that size through its configfile; the test checks that the screen really is that
size), the window's frame lies inside the available area, and the top part (this week's total
and its caption, the drift in words with "How is this worked out?", the self-check) lies
inside the visible viewport, unscrolled. The same probe runs on a real Xvfb screen in
tests/e2e/test_dashboard_x11.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.dashboard_fit import PROBE, check_fit, demo_folder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_folder(tmp_path_factory.mktemp("fit"))


@pytest.mark.parametrize("size", ["1280x800", "1366x768"])
def test_it_fits_an_offscreen_screen_of_that_size(demo: Path, tmp_path: Path, size: str
                                                  ) -> None:
    width, height = (int(n) for n in size.split("x"))
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(PYTHONPATH=str(REPO), QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    done = subprocess.run([sys.executable, str(PROBE), str(demo)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "offscreen"
    check_fit(seen, width, height)
    assert seen["frame"][3] < height, "not the 960 pixels it once opened at"
