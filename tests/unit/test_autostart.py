"""Start at login: a real XDG autostart file on Linux; the Windows Run value and the macOS
LaunchAgent through a fake writer (unverified on those systems)."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from widget.autostart import (
    RUN_VALUE,
    desktop_exec,
    is_start_at_login,
    launch_command,
    set_start_at_login,
)

COMMAND = ["/opt/drift check/bin/driftcheck"]


class FakeWriter:
    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def read(self, name: str) -> bytes | None:
        return self.entries.get(name)

    def write(self, name: str, data: bytes) -> None:
        self.entries[name] = data

    def remove(self, name: str) -> None:
        self.entries.pop(name, None)


def test_linux_writes_and_removes_the_xdg_autostart_file(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    entry = tmp_path / "config" / "autostart" / "driftcheck.desktop"
    assert not is_start_at_login("linux", env)
    set_start_at_login(True, "linux", env, command=COMMAND)
    assert entry.is_file() and is_start_at_login("linux", env)
    text = entry.read_text()
    assert text.startswith("[Desktop Entry]\n")
    assert 'Exec="/opt/drift check/bin/driftcheck"' in text
    set_start_at_login(True, "linux", env, command=COMMAND)  # twice is fine
    set_start_at_login(False, "linux", env)
    assert not entry.exists() and not is_start_at_login("linux", env)
    set_start_at_login(False, "linux", env)  # and so is removing what is not there


def test_without_xdg_config_home_it_goes_under_home(tmp_path: Path) -> None:
    set_start_at_login(True, "linux", {"HOME": str(tmp_path)}, command=COMMAND)
    assert (tmp_path / ".config" / "autostart" / "driftcheck.desktop").is_file()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (apt: desktop-file-utils)")
def test_the_desktop_file_is_valid(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    set_start_at_login(True, "linux", env,
                       command=[sys.executable, "-m", "widget", "--data-dir", "/d/100% mine"])
    out = subprocess.run(["desktop-file-validate", str(tmp_path / "autostart" /
                                                       "driftcheck.desktop")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_the_exec_line_quotes_and_escapes_per_the_spec() -> None:
    assert desktop_exec(["/usr/bin/driftcheck"]) == "/usr/bin/driftcheck"
    assert desktop_exec(["/a b/python", "-m", "widget"]) == '"/a b/python" -m widget'
    assert desktop_exec(["/x/100%"]) == "/x/100%%"
    # A backslash: escaped inside the quotes, then again as a string value.
    assert desktop_exec(["C:\\x y"]) == '"C:\\\\\\\\x y"'
    # What a launcher runs, after undoing the string escape, is the same arguments (the spec's
    # quoting is the shell's double quoting).
    args = ["/a b/py", "$HOME", "`x`", 'say "hi"', "back\\slash"]
    line = desktop_exec(args).replace("\\\\", "\\")
    out = subprocess.run(["sh", "-c", "printf '%s\\n' " + line], capture_output=True,
                         text=True, check=True)
    assert out.stdout.splitlines() == args


def test_the_command_is_the_console_script_when_that_runs(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "driftcheck"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert launch_command(str(script), "/usr/bin/python3") == [str(script.resolve())]
    assert launch_command("/somewhere/widget/__main__.py", "/venv/bin/python") == [
        "/venv/bin/python", "-m", "widget"]


def test_windows_uses_the_run_value() -> None:
    fake = FakeWriter()
    env = {"HOME": "C:\\Users\\me"}
    assert not is_start_at_login("win32", env, fake)
    set_start_at_login(True, "win32", env, fake, command=["C:\\Program Files\\driftcheck.exe"])
    assert fake.entries == {RUN_VALUE: b'"C:\\Program Files\\driftcheck.exe"'}
    assert is_start_at_login("win32", env, fake)
    set_start_at_login(False, "win32", env, fake)
    assert fake.entries == {} and not is_start_at_login("win32", env, fake)


def test_macos_uses_a_launch_agent() -> None:
    fake = FakeWriter()
    env = {"HOME": "/Users/me"}
    set_start_at_login(True, "darwin", env, fake, command=["/Applications/driftcheck"])
    (name, data), = fake.entries.items()
    assert name == "/Users/me/Library/LaunchAgents/org.driftcheck.plist"
    agent = plistlib.loads(data)
    assert agent["Label"] == "org.driftcheck"
    assert agent["ProgramArguments"] == ["/Applications/driftcheck"]
    assert agent["RunAtLoad"] is True
    assert is_start_at_login("darwin", env, fake)
    set_start_at_login(False, "darwin", env, fake)
    assert not is_start_at_login("darwin", env, fake)
