"""Render driftcheck's PNG icons from its hand-written SVGs, into a hicolor tree.

    python packaging/render_icons.py          # write the PNGs and icons.json
    python packaging/render_icons.py --check  # exit 1 if a committed PNG is not what the SVG gives

Sizes up to 24 px come from `driftcheck-small.svg` (thicker strokes on a 16 px grid), the rest
from `driftcheck.svg`. The PNGs land in `resources/icons/hicolor/<N>x<N>/apps/driftcheck.png`,
the layout of the freedesktop icon theme, so an installer copies the tree as it is.
`resources/icons/icons.json` records the SHA-256 of each SVG and of each PNG made from it, so a
test without Qt can tell when an SVG changed and the PNGs were not made again.

Runs without a screen: Qt's offscreen platform, QtSvg's renderer on a transparent image.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
LARGE_SVG = "driftcheck.svg"
SMALL_SVG = "driftcheck-small.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
SMALL_UP_TO = 24
MANIFEST = "icons.json"
_app: Any = None  # the QGuiApplication, made on first use and kept for the process


def source_for(size: int) -> str:
    return SMALL_SVG if size <= SMALL_UP_TO else LARGE_SVG


def png_path(icons: Path, size: int) -> Path:
    return icons / "hicolor" / f"{size}x{size}" / "apps" / "driftcheck.png"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render(svg: Path, size: int) -> QImage:
    """The SVG painted on a transparent size x size image (Qt is imported here, on use)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    global _app
    if QGuiApplication.instance() is None:
        _app = QGuiApplication(["render_icons"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return image


def pixels(image: QImage) -> bytes:
    """The image's pixels as ARGB32 bytes, independent of how it was stored."""
    from PySide6.QtGui import QImage

    converted = image.convertToFormat(QImage.Format.Format_ARGB32)
    return bytes(converted.constBits())[: converted.sizeInBytes()]


# Qt's raster engine picks SIMD code paths by CPU (SSE4, AVX2, AVX-512), and their antialiasing
# can differ by one level in a few edge pixels: measured on two machines of this kind, at most
# 1 of 255 in 13 of 4 million channels. A changed colour or shape moves far more than this.
TOLERANCE = 2


def same_pixels(a: bytes, b: bytes, tolerance: int = TOLERANCE) -> bool:
    """Whether two equal-sized ARGB32 buffers agree channel by channel within `tolerance`."""
    if len(a) != len(b):
        return False
    if a == b:
        return True
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def stale_sizes(icons: Path = ICONS) -> list[str]:
    """The sizes whose committed PNG is missing or differs from a fresh render of its SVG
    (beyond the antialiasing noise between CPUs, `TOLERANCE`)."""
    from PySide6.QtGui import QImage

    stale = []
    for size in SIZES:
        path = png_path(icons, size)
        committed = QImage(str(path))
        fresh = render(icons / source_for(size), size)
        if committed.isNull() or committed.size() != fresh.size() or (
                not same_pixels(pixels(committed), pixels(fresh))):
            stale.append(f"{size}x{size}")
    return stale


def write_all(icons: Path = ICONS) -> dict[str, dict[str, str]]:
    manifest: dict[str, dict[str, str]] = {"sources": {}, "pngs": {}}
    for name in (SMALL_SVG, LARGE_SVG):
        manifest["sources"][name] = sha256((icons / name).read_bytes())
    for size in SIZES:
        path = png_path(icons, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(icons / source_for(size), size).save(str(path), b"PNG"):
            raise SystemExit(f"render_icons: could not write {path}")
        manifest["pngs"][f"{size}x{size}"] = sha256(path.read_bytes())
    (icons / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare the committed PNGs with a fresh render")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_sizes()
        if stale:
            print(f"render_icons: out of date: {', '.join(stale)}; run "
                  "`python packaging/render_icons.py`", file=sys.stderr)
            return 1
        print(f"render_icons: all {len(SIZES)} PNGs match their SVGs")
        return 0
    manifest = write_all()
    for size in SIZES:
        digest = manifest["pngs"][f"{size}x{size}"]
        print(f"{size:>4} px  {digest[:12]}  {png_path(ICONS, size).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
