"""The "Start at login" setting: an XDG autostart entry on Linux, the HKCU Run value on
Windows, a LaunchAgent on macOS.

Linux is tested for real. Windows and macOS write through a small `Writer` that the tests
replace with a fake; on those systems the real writes are unverified.
"""

from __future__ import annotations

import os
import plistlib
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from widget.errors import AutostartRefused

DESKTOP_NAME = "driftcheck.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "driftcheck"
AGENT_LABEL = "org.driftcheck"


# What no entry may carry: control characters (a line break would start a new key of the
# desktop file, as `Hidden=true` or another `Exec=`), lone surrogates (bytes that were not
# UTF-8, which none of the three formats can hold), line and paragraph separators, and the
# invisible format characters (bidirectional overrides, zero widths) that make a path read
# as another. Letters beyond ASCII are carried: GLib, KDE and desktop-file-validate take UTF-8.
_UNCARRIABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def check_carriable(values: Sequence[str], also: str = "") -> None:
    """Refuse, in one sentence, a command any of whose `values` holds a character no
    start-at-login entry can carry (or one of `also`, what one platform cannot quote)."""
    for value in values:
        for char in value:
            if char in also or unicodedata.category(char) in _UNCARRIABLE_CATEGORIES:
                shown = char.encode("unicode_escape", "backslashreplace").decode("ascii")
                raise AutostartRefused(
                    "driftcheck cannot start at login from where it is installed, because "
                    f"that folder's name holds a character ({shown}) a start-at-login entry "
                    "cannot carry, so please install it in a folder with a plain name or "
                    "start it yourself.")


class Writer(Protocol):
    """Where an autostart entry lives: a file path, or a registry value name under Run."""

    def read(self, name: str) -> bytes | None: ...
    def write(self, name: str, data: bytes) -> None: ...
    def remove(self, name: str) -> None: ...


class FileWriter:
    def read(self, name: str) -> bytes | None:
        try:
            return Path(name).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        """Through a file made new (O_EXCL, O_NOFOLLOW: a link left at the temporary name
        is removed, never followed), then renamed over the entry."""
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def remove(self, name: str) -> None:
        Path(name).unlink(missing_ok=True)


def _winreg() -> Any:
    import importlib

    return importlib.import_module("winreg")  # Windows only; mypy runs on Linux


class RunKeyWriter:  # pragma: no cover - Windows only, unverified
    """HKCU\\...\\Run values through winreg; the value is the command line, UTF-8 here."""

    def read(self, name: str) -> bytes | None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _ = winreg.QueryValueEx(key, name)
        except OSError:
            return None
        return str(value).encode()

    def write(self, name: str, data: bytes) -> None:
        winreg = _winreg()

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, data.decode())

    def remove(self, name: str) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0,
                                winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def launch_command(argv0: str | None = None, executable: str | None = None) -> list[str]:
    """How to start this driftcheck again: the console script when that is what runs, else
    `python -m widget` with this interpreter."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    script = Path(argv0)
    if script.stem == "driftcheck" and script.exists():
        return [str(script.resolve())]
    return [str(Path(executable).absolute()), "-m", "widget"]


_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def desktop_exec(command: Sequence[str]) -> str:
    """An Exec= value per the Desktop Entry spec: reserved characters inside double quotes
    (with `"`, `` ` ``, `$`, `\\` escaped), then the string escaping of `\\`, and `%` doubled."""
    parts = []
    for arg in command:
        if any(c in _RESERVED for c in arg):
            arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
        parts.append(arg.replace("%", "%%"))
    return " ".join(parts).replace("\\", "\\\\")


def desktop_entry(command: Sequence[str]) -> str:
    """The XDG autostart file; every value is checked, the fixed ones too."""
    values = {
        "Type": "Application",
        "Name": "driftcheck",
        "Comment": "A private mirror of the time you spend with AI companions",
        "Exec": desktop_exec(command),
        "Terminal": "false",
        "X-GNOME-Autostart-enabled": "true",
    }
    check_carriable([*command, *values.values()])
    return "\n".join(["[Desktop Entry]", *(f"{k}={v}" for k, v in values.items()), ""])


def launch_agent(command: Sequence[str]) -> bytes:
    """The LaunchAgent's plist, made by plistlib (XML 1.0 cannot hold control characters:
    plistlib would raise ValueError, so they are refused first, in words)."""
    check_carriable(command)
    return plistlib.dumps({"Label": AGENT_LABEL, "ProgramArguments": list(command),
                           "RunAtLoad": True, "ProcessType": "Interactive"})


def _windows_command(command: Sequence[str]) -> str:
    """The Run value's command line; a `"` could not be quoted (nor is it in a Windows
    path), so it is refused with the rest."""
    check_carriable(command, also='"')
    return " ".join(f'"{arg}"' if " " in arg else arg for arg in command)


def autostart_location(platform: str, env: Mapping[str, str]) -> str:
    """The file (Linux, macOS) or Run value name (Windows) of the entry."""
    if platform == "win32":
        return RUN_VALUE
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return str(home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist")
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return str(config / "autostart" / DESKTOP_NAME)


def _writer(platform: str, writer: Writer | None) -> Writer:
    if writer is not None:
        return writer
    return RunKeyWriter() if platform == "win32" else FileWriter()


def set_start_at_login(enabled: bool, platform: str = sys.platform,
                       env: Mapping[str, str] = os.environ, writer: Writer | None = None,
                       command: Sequence[str] | None = None) -> None:
    """Create or remove the entry that starts driftcheck when the person logs in."""
    out = _writer(platform, writer)
    name = autostart_location(platform, env)
    if not enabled:
        out.remove(name)
        return
    command = list(command) if command is not None else launch_command()
    if platform == "win32":
        data = _windows_command(command).encode()
    elif platform == "darwin":
        data = launch_agent(command)
    else:
        data = desktop_entry(command).encode()
    out.write(name, data)


def is_start_at_login(platform: str = sys.platform, env: Mapping[str, str] = os.environ,
                      writer: Writer | None = None) -> bool:
    data = _writer(platform, writer).read(autostart_location(platform, env))
    if data is None:
        return False
    if platform in ("win32", "darwin"):
        return True
    return b"X-GNOME-Autostart-enabled=false" not in data and b"Hidden=true" not in data
