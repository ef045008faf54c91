"""The committed app-icon PNGs are exactly what their SVGs render to (Qt offscreen, QtSvg)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("render_icons",
                                               ROOT / "packaging" / "render_icons.py")
assert _spec is not None and _spec.loader is not None
render_icons = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_icons)


def test_every_committed_png_matches_a_fresh_render_of_its_svg() -> None:
    assert render_icons.stale_sizes() == []


def test_a_changed_svg_is_noticed(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    shutil.copytree(render_icons.ICONS, icons)
    small = icons / render_icons.SMALL_SVG
    small.write_text(small.read_text(encoding="utf-8").replace("#1f9e98", "#9e1f1f"),
                     encoding="utf-8")
    assert render_icons.stale_sizes(icons) == ["16x16", "22x22", "24x24"]


def test_the_small_icon_shows_the_teal_arc_and_the_track_at_16_px() -> None:
    image = QImage(str(render_icons.png_path(render_icons.ICONS, 16)))
    right = image.pixelColor(13, 8)  # three o'clock: inside the arc
    left = image.pixelColor(2, 8)  # nine o'clock: the track only
    assert right.green() > right.red() + 60 and right.alpha() == 255
    assert abs(left.green() - left.red()) < 40  # grey, not teal


def test_antialiasing_noise_is_tolerated_and_a_real_change_is_not() -> None:
    base = bytes([0, 128, 255, 40] * 8)
    noisy = bytes([1, 127, 255, 41] * 8)
    assert render_icons.same_pixels(base, noisy)
    assert not render_icons.same_pixels(base, bytes([0, 128, 255, 44] * 8))
    assert not render_icons.same_pixels(base, base[:-4])
