"""`driftcheck wipe`: every kind of trace removed, nothing of anyone else's touched, a question
first (and a refusal when there is no one to ask), and a refusal while driftcheck runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from widget import paths
from widget.desktop.autostart import is_start_at_login, set_start_at_login
from widget.logs import LOG_NAME
from widget.paths import DB_NAME
from widget.services.wipe import PROMPT
from widget.store.migrations import backup_path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFO, flock, symlinks")
ROOT = Path(__file__).resolve().parents[2]
SECRET = "words that must never be printed"

OURS = [
    DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm",
    backup_path(Path(DB_NAME), 2).name, f"{backup_path(Path(DB_NAME), 1).name}.partial",
    f"{DB_NAME}.before-demo-20260301T101500Z", f"{DB_NAME}.before-demo-20260301T101500Z-wal",
    f"{DB_NAME}.before-demo-20260301T101500Z-shm",
    f"{DB_NAME}.before-import-20260302T080000Z", f"{DB_NAME}.before-import-20260302T080000Z-2",
    f"{DB_NAME}.before-import-20260302T080000Z-2.partial",
    f"{DB_NAME}.corrupt-20260303T090000Z", f"{DB_NAME}.corrupt-20260303T090000Z-2-wal",
    LOG_NAME, f"{LOG_NAME}.1", paths.LOCK_NAME, ".driftcheck-export-k2j_x9a1.tmp",
]
NOT_OURS = ["notes.txt", f"{DB_NAME}.mine", f"my-{DB_NAME}", f"{LOG_NAME}.old", "driftcheck",
            f"{DB_NAME}.before-demo-yesterday", ".driftcheck-export-.tmp"]


@pytest.fixture(autouse=True)
def _config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The usual data folder (the one the start-at-login entry opens)."""
    return tmp_path / "share" / "driftcheck"


@pytest.fixture
def filled(run, data: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A data folder with every kind of trace (real ones first, then made ones), an autostart
    entry, and files that are not driftcheck's, among them a symlink leading out."""
    assert run("demo-data", "--weeks", "2").code == 0
    for name in OURS:
        path = data / name
        if not path.exists():
            path.write_text(SECRET)
    os.mkfifo(data / paths.FIFO_NAME, 0o600)
    for name in NOT_OURS:
        (data / name).write_text(SECRET) if name != "driftcheck" else (data / name).mkdir()
    outside = tmp_path / "outside.sqlite3"
    outside.write_text(SECRET)
    (data / f"{DB_NAME}-journal").symlink_to(outside)  # ours by name: the link goes, not this
    set_start_at_login(True, command=["/usr/bin/driftcheck"])
    assert is_start_at_login()
    return data


def test_the_names_match_what_the_program_makes() -> None:
    from widget.desktop import single_instance

    assert (paths.LOCK_NAME, paths.FIFO_NAME) == (single_instance.LOCK_NAME,
                                                    single_instance.FIFO_NAME)
    # (a .notice is left out of OURS: any command that runs takes it, refused or not)
    for name in [*OURS, paths.FIFO_NAME, f"{DB_NAME}.corrupt-20260303T090000Z.notice"]:
        assert paths.is_ours(name), name
    for name in NOT_OURS:
        assert not paths.is_ours(name), name
    recovery = pytest.importorskip("widget.store.recovery")
    for suffix in ("", *recovery.COMPANIONS, recovery.NOTICE_SUFFIX):
        name = f"{DB_NAME}{recovery.CORRUPT_INFIX}20260101T000000Z{suffix}"
        assert paths.is_ours(name), name


def test_wipe_removes_every_trace_and_nothing_else(run, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("wipe", "--yes")
    assert result.code == 0, result.err
    left = sorted(p.name for p in filled.iterdir())
    assert left == sorted(NOT_OURS)
    assert not is_start_at_login()
    assert not (tmp_path / "config" / "autostart" / "driftcheck.desktop").exists()
    assert (tmp_path / "outside.sqlite3").read_text() == SECRET
    for name in [*OURS, paths.FIFO_NAME, f"{DB_NAME}-journal"]:
        assert f"Removed {name}\n" in result.out
    assert SECRET not in result.out + result.err
    assert filled.is_dir()  # it still holds someone else's files


def test_a_trial_folder_s_wipe_leaves_the_start_at_login_entry(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    trial = tmp_path / "trial"
    assert run("demo-data", "--weeks", "1", data_dir=trial).code == 0
    set_start_at_login(True, command=["/usr/bin/driftcheck"])
    result = run("wipe", "--yes", data_dir=trial)
    assert result.code == 0, result.err
    assert is_start_at_login(), "the usual folder's entry stays"
    assert "start-at-login" not in "".join(
        line for line in result.out.splitlines(keepends=True) if line.startswith("Removed"))
    assert f"kept in {trial} is gone" in result.out
    nothing = run("wipe", "--yes", data_dir=tmp_path / "never-used")
    assert nothing.code == 0 and is_start_at_login()


def test_an_emptied_folder_goes_too(run, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--weeks", "1").code == 0
    (data / f"{LOG_NAME}.1").write_text("rotated")
    result = run("wipe", "--yes")
    assert result.code == 0, result.err
    assert not data.exists()
    assert f"the folder {data}" in result.out
    again = run("wipe", "--yes")
    assert again.code == 0 and "nothing to remove" in again.out


def test_without_yes_and_without_a_terminal_it_refuses(run, filled: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = sorted(p.name for p in filled.iterdir())
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))
    result = run("wipe")
    assert result.code == 1 and "--yes" in result.err and "no terminal" in result.err
    assert sorted(p.name for p in filled.iterdir()) == before
    assert is_start_at_login()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer", ["no\n", "y\n", "", "YES please\n"])
def test_anything_but_yes_cancels(run, filled: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                  answer: str) -> None:
    before = sorted(p.name for p in filled.iterdir())
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    result = run("wipe")
    assert result.code == 1
    assert PROMPT in result.out and "Nothing was removed." in result.out
    assert sorted(p.name for p in filled.iterdir()) == before
    assert is_start_at_login()


def test_yes_at_the_question_goes_on(run, filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", _Terminal(" Yes \n"))
    result = run("wipe")
    assert result.code == 0, result.err
    assert sorted(p.name for p in filled.iterdir()) == sorted(NOT_OURS)


def test_it_refuses_while_the_tray_app_runs(run, filled: Path) -> None:  # type: ignore[no-untyped-def]
    from widget.desktop.single_instance import SingleInstance

    (filled / paths.FIFO_NAME).unlink()  # the running one makes its own
    running = SingleInstance(filled)
    assert running.acquire()
    before = sorted(p.name for p in filled.iterdir())
    try:
        result = run("wipe", "--yes")
        after = sorted(p.name for p in filled.iterdir())
    finally:
        running.release()
    assert result.code == 1 and "Quit" in result.err and "running" in result.err
    assert after == before
    assert run("wipe", "--yes").code == 0  # once it has quit


def test_it_refuses_while_another_program_has_the_database_open(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--weeks", "1").code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sqlite3, sys
            conn = sqlite3.connect(sys.argv[1])
            conn.execute("SELECT count(*) FROM intervals").fetchone()
            print("open", flush=True)
            sys.stdin.readline()
        """), str(data / DB_NAME)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        result = run("wipe", "--yes")
    finally:
        holder.communicate("\n", timeout=10)
    assert result.code == 1 and str(holder.pid) in result.err
    assert (data / DB_NAME).exists()
    assert run("wipe", "--yes").code == 0  # once it has let go
