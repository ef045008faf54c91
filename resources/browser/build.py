"""Assembles the browser extension from its one source: the unpacked Chromium-family folder and
the Firefox `.xpi` (a zip).

Standard library only, and no import of `widget`: load it by its path (tests do, with
importlib) or run it, `python build.py DEST`, which writes DEST/chromium/ and DEST/firefox.xpi.
The source is extension/ (the scripts) with manifest-chromium.json (MV3, with the fixed public
key) or manifest-firefox.json (MV2, with the fixed gecko id) as its manifest.json; ids.json
names both ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "extension"
MANIFESTS = {"chromium": HERE / "manifest-chromium.json", "firefox": HERE / "manifest-firefox.json"}
IDS = HERE / "ids.json"
# A fixed moment for every zip entry, so that the same source makes the same .xpi.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def source_files() -> list[Path]:
    """The extension's scripts, in a stable order."""
    return sorted(p for p in SOURCE.iterdir() if p.is_file() and p.suffix == ".js")


def ids() -> dict[str, str]:
    """The native host's name and the extension's ids: {"native_host", "chromium", "firefox"}."""
    data = json.loads(IDS.read_text(encoding="utf-8"))
    return {key: str(data[key]) for key in ("native_host", "chromium", "firefox")}


def chromium_id(key: str) -> str:
    """The id Chromium gives an extension whose manifest `key` is `key` (base64 DER public key):
    the first 32 hex digits of its SHA-256, each mapped 0-f to a-p."""
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(digit, 16)) for digit in digest)


def manifest(browser: str) -> dict[str, object]:
    """The manifest of the `browser` ("chromium" or "firefox") build."""
    loaded: dict[str, object] = json.loads(MANIFESTS[browser].read_text(encoding="utf-8"))
    return loaded


def build_chromium(folder: Path) -> Path:
    """Write the unpacked Chromium-family extension to `folder` (replacing what was there);
    returns `folder`, the path to give `--load-extension` or "Load unpacked"."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in source_files():
        shutil.copyfile(path, folder / path.name)
    shutil.copyfile(MANIFESTS["chromium"], folder / "manifest.json")
    return folder


def build_firefox(xpi: Path) -> Path:
    """Write the Firefox extension to the zip `xpi` (replacing it); returns `xpi`."""
    xpi.parent.mkdir(parents=True, exist_ok=True)
    partial = xpi.with_name(xpi.name + ".partial")
    entries = [("manifest.json", MANIFESTS["firefox"])] + [(p.name, p) for p in source_files()]
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    partial.replace(xpi)
    return xpi


def build(dest: Path) -> tuple[Path, Path]:
    """Both builds into `dest`: (dest/chromium, dest/firefox.xpi)."""
    return build_chromium(dest / "chromium"), build_firefox(dest / "firefox.xpi")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python build.py DEST")
    for built in build(Path(sys.argv[1])):
        print(built)
