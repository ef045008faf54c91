"""Where each browser looks for native messaging hosts, and the files that let it start
driftcheck's: the host manifest (`io.github.driftcheck.json`) and the launcher it names, a
small script in the data folder that runs this driftcheck for that folder.

Linux's places are the ones the browsers document and were checked here with Chromium and
Firefox ESR; the macOS places and the Windows registry keys are written as the browsers
document them but were never tried (and the host itself does not run on Windows yet).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from widget.browser import CHROMIUM_EXTENSION_ID, GECKO_ID, NATIVE_HOST_NAME
from widget.paths import BROWSER_LAUNCHER_NAME

MANIFEST_NAME = f"{NATIVE_HOST_NAME}.json"
FIREFOX_FOLDER = "native-messaging-hosts"  # under Firefox's root (~/.mozilla on Linux)
CHROMIUM_FOLDER = "NativeMessagingHosts"  # under a Chromium-family user data dir
LAUNCHER_MODE = 0o700
MANIFEST_MODE = 0o600  # the browser runs as this user; nobody else needs to read it


@dataclass(frozen=True, slots=True)
class Browser:
    key: str  # as `--browser` names it
    name: str  # as a person does
    linux: str  # the profile root, under $XDG_CONFIG_HOME (Chromium family) or $HOME (Firefox)
    macos: str  # under ~/Library/Application Support
    windows_key: str  # under HKEY_CURRENT_USER (unverified)

    @property
    def firefox(self) -> bool:
        return self.key == "firefox"


BY_KEY: Mapping[str, Browser] = {b.key: b for b in (
    Browser("firefox", "Firefox", ".mozilla", "Mozilla", r"Software\Mozilla"),
    Browser("chromium", "Chromium", "chromium", "Chromium", r"Software\Chromium"),
    Browser("chrome", "Google Chrome", "google-chrome", "Google/Chrome", r"Software\Google\Chrome"),
    Browser("brave", "Brave", "BraveSoftware/Brave-Browser", "BraveSoftware/Brave-Browser",
            r"Software\BraveSoftware\Brave-Browser"),
    Browser("edge", "Microsoft Edge", "microsoft-edge", "Microsoft Edge",
            r"Software\Microsoft\Edge"),
    Browser("vivaldi", "Vivaldi", "vivaldi", "Vivaldi", r"Software\Vivaldi"),
)}


def profile_root(browser: Browser, env: Mapping[str, str] = os.environ,
                 platform: str = sys.platform) -> Path:
    """The per-user folder the browser keeps its profiles (and host manifests) under."""
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    if platform == "darwin":
        return home / "Library" / "Application Support" / browser.macos
    if browser.firefox:
        return home / browser.linux
    xdg = env.get("XDG_CONFIG_HOME")
    config = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".config"
    return config / browser.linux


def manifest_folder(browser: Browser, root: Path, platform: str = sys.platform) -> Path:
    """Where, under the browser's profile root `root`, it reads host manifests."""
    if browser.firefox:
        return root / ("NativeMessagingHosts" if platform == "darwin" else FIREFOX_FOLDER)
    return root / CHROMIUM_FOLDER


def registry_key(browser: Browser) -> str:
    """The HKEY_CURRENT_USER key whose default value names the manifest (Windows, unverified)."""
    return rf"{browser.windows_key}\NativeMessagingHosts\{NATIVE_HOST_NAME}"


def manifest(browser: Browser, launcher: Path) -> dict[str, object]:
    """The host manifest: only driftcheck's own extension may start the host."""
    allowed = ({"allowed_extensions": [GECKO_ID]} if browser.firefox
               else {"allowed_origins": [f"chrome-extension://{CHROMIUM_EXTENSION_ID}/"]})
    return {"name": NATIVE_HOST_NAME,
            "description": "driftcheck: which tracked companion app is in the tab in front, "
                           "on this device only",
            "path": str(launcher), "type": "stdio", **allowed}


def launcher_script(data_dir: Path, executable: str = sys.executable,
                    frozen: bool = bool(getattr(sys, "frozen", False))) -> str:
    """The launcher: this Python (or the frozen program) as `driftcheck --data-dir <folder>
    browser-host`, passing on what the browser gives. `exec`, so that the host's parent is
    the browser, whose process it names to the tracker."""
    program = [executable] if frozen else [executable, "-m", "widget"]
    command = shlex.join([*program, "--data-dir", str(data_dir), "browser-host"])
    return ("#!/bin/sh\n"
            "# Written by `driftcheck browser install`: the browser starts this for driftcheck's\n"
            "# extension; it serves the driftcheck of the data folder it is in.\n"
            f'exec {command} "$@"\n')


def write_launcher(data_dir: Path) -> Path:
    """Write (or rewrite) the launcher in the data folder, 0700; its path."""
    path = data_dir / BROWSER_LAUNCHER_NAME
    _write(path, launcher_script(data_dir.absolute()).encode("utf-8"), LAUNCHER_MODE)
    return path


def write_manifest(browser: Browser, folder: Path, launcher: Path) -> tuple[Path, str | None]:
    """Write the browser's host manifest into `folder` (made if missing): its path, and the
    launcher the manifest it replaced named, when that was another one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_NAME
    before = named_launcher(path)
    text = json.dumps(manifest(browser, launcher), indent=2) + "\n"
    _write(path, text.encode("utf-8"), MANIFEST_MODE)
    return path, before if before not in (None, str(launcher)) else None


def named_launcher(path: Path) -> str | None:
    """The `path` a host manifest names, or None when there is no readable manifest there."""
    if not path.is_file():  # never a FIFO: reading one would wait for a writer
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    launcher = data.get("path") if isinstance(data, dict) else None
    return launcher if isinstance(launcher, str) else None


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace `path`'s bytes, never through a symbolic link, and give it `mode`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, mode)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
