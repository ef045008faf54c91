"""Start at login: a real XDG autostart file on Linux; the Windows Run value and the macOS
LaunchAgent through a fake writer (unverified on those systems)."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from widget.desktop.autostart import (
    RUN_VALUE,
    desktop_entry,
    desktop_exec,
    is_start_at_login,
    launch_command,
    set_start_at_login,
)
from widget.errors import AutostartRefused

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


# --- what an entry cannot carry (issue 11, finding 7) -----------------------------------------

UNCARRIABLE = ["\n", "\r", "\x1b[2J", "\t", "\x00", "\x7f", "\u2028", "\u2029", "\u202e",
               "\u200b", "\udcff"]


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
@pytest.mark.parametrize("char", UNCARRIABLE, ids=ascii)
def test_a_command_an_entry_cannot_carry_is_refused_and_nothing_is_written(
        platform: str, char: str, tmp_path: Path) -> None:
    fake = FakeWriter()
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    command = [f"/opt/drift{char}check/bin/driftcheck", "--data-dir", "/d"]
    with pytest.raises(AutostartRefused) as refused:
        set_start_at_login(True, platform, env, fake, command=command)
    assert fake.entries == {}
    sentence = str(refused.value)
    assert sentence.count(". ") == 0 and sentence.endswith(".")
    assert sentence.isprintable() and sentence.isascii(), sentence
    assert "start it yourself" in sentence
    # And for real on Linux: no file, not even the temporary one.
    if platform == "linux":
        with pytest.raises(AutostartRefused):
            set_start_at_login(True, platform, env, command=command)
        assert not (tmp_path / "config" / "autostart").exists()


def test_the_refusal_is_also_in_the_argument_after_the_program(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    with pytest.raises(AutostartRefused):
        set_start_at_login(True, "linux", env, command=["/usr/bin/driftcheck", "a\nHidden=true"])
    assert not (tmp_path / "autostart").exists()


def test_a_refused_command_leaves_the_entry_already_there(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    set_start_at_login(True, "linux", env, command=COMMAND)
    before = (tmp_path / "autostart" / "driftcheck.desktop").read_bytes()
    with pytest.raises(AutostartRefused):
        set_start_at_login(True, "linux", env, command=["/opt/x\r/driftcheck"])
    assert (tmp_path / "autostart" / "driftcheck.desktop").read_bytes() == before


def test_every_value_of_the_desktop_entry_is_checked() -> None:
    with pytest.raises(AutostartRefused):
        desktop_entry(["/usr/bin/driftcheck\nTerminal=true"])
    for line in desktop_entry(["/usr/bin/driftcheck"]).splitlines():
        assert line.isprintable() and "\u202e" not in line


def test_windows_refuses_a_quote_it_could_not_carry() -> None:
    with pytest.raises(AutostartRefused):
        set_start_at_login(True, "win32", {}, FakeWriter(),
                           command=['C:\\a" b\\driftcheck.exe'])


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (apt: desktop-file-utils)")
def test_a_path_with_letters_beyond_ascii_still_starts_at_login(tmp_path: Path) -> None:
    """UTF-8 text is carried (GLib and desktop-file-validate accept it), so a home folder
    named José keeps its start at login."""
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    set_start_at_login(True, "linux", env, command=["/home/José/.local/bin/driftcheck"])
    entry = tmp_path / "autostart" / "driftcheck.desktop"
    assert "Exec=/home/José/.local/bin/driftcheck\n" in entry.read_text(encoding="utf-8")
    out = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_a_planted_link_at_the_temporary_name_is_not_followed(tmp_path: Path) -> None:
    """The entry is written through a file made new (O_EXCL, O_NOFOLLOW), so a link left at
    driftcheck.desktop.tmp cannot make it write over the file the link points at."""
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    folder = tmp_path / "config" / "autostart"
    folder.mkdir(parents=True)
    precious = tmp_path / "notes.txt"
    precious.write_text("mine\n")
    (folder / "driftcheck.desktop.tmp").symlink_to(precious)
    set_start_at_login(True, "linux", env, command=COMMAND)
    assert precious.read_text() == "mine\n"
    entry = folder / "driftcheck.desktop"
    assert not entry.is_symlink() and entry.read_text().startswith("[Desktop Entry]\n")
    assert not os.path.lexists(folder / "driftcheck.desktop.tmp")
