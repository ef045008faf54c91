"""The tray app's "Delete everything" (widget.services.wipe.wipe_for_running_app): the same
traces as `driftcheck wipe`, removed while this process holds the single-instance lock (which makes
`driftcheck wipe` refuse), this process's log closed first so that nothing is written
afterwards; the last words; and the refusal while another program has the database open."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from widget import datafolder as traces
from widget import paths
from widget.desktop.autostart import is_start_at_login, set_start_at_login
from widget.logs import LOG_NAME, setup_logging
from widget.paths import DB_NAME
from widget.services.wipe import farewell_text, others_using, wipe_for_running_app

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFO, flock")
ROOT = Path(__file__).resolve().parents[2]
NOT_OURS = ["notes.txt", f"my-{DB_NAME}", f"{LOG_NAME}.old"]


@pytest.fixture(autouse=True)
def _homes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The usual data folder (the one the start-at-login entry opens)."""
    return tmp_path / "share" / "driftcheck"


def test_it_removes_every_trace_under_the_lock_and_nothing_is_written_after(  # type: ignore[no-untyped-def]
        run, data: Path) -> None:
    assert run("demo-data", "--weeks", "1").code == 0
    os.mkfifo(data / paths.FIFO_NAME, 0o600)
    for name in NOT_OURS:
        (data / name).write_text("someone else's")
    set_start_at_login(True, command=["/usr/bin/driftcheck"])
    setup_logging(data, stderr=False)  # as the tray app logs: into the folder
    logging.getLogger("test").info("before the wipe")
    lock = traces.take_tracking_lock(data)  # the very lock the running tray app holds
    assert lock is not None
    try:
        refused = run("wipe", "--yes")
        assert refused.code == 1 and "running" in refused.err, "the terminal's wipe waits"
        assert traces.our_files(data)
        removed, failed = wipe_for_running_app(data)
        logging.getLogger("test").warning("after the wipe: goes nowhere on disk")
    finally:
        os.close(lock)
    assert failed == []
    assert traces.our_files(data) == []
    assert sorted(p.name for p in data.iterdir()) == sorted(NOT_OURS)
    assert not is_start_at_login()
    assert DB_NAME in removed and LOG_NAME in removed and paths.LOCK_NAME in removed
    assert any("start-at-login" in name for name in removed)


def test_an_emptied_usual_folder_goes_and_the_last_words_say_so(  # type: ignore[no-untyped-def]
        run, data: Path) -> None:
    assert run("demo-data", "--weeks", "1").code == 0
    setup_logging(data, stderr=False)
    removed, failed = wipe_for_running_app(data)
    assert not data.exists() and f"the folder {data}" in removed and failed == []
    said = farewell_text(data, failed)
    assert said.startswith("Everything driftcheck kept on this device has been deleted.")
    assert wipe_for_running_app(data) == ([], [])  # nothing left: nothing to do, no error


def test_the_last_words_for_a_trial_folder_and_for_what_stayed(tmp_path: Path) -> None:
    trial = tmp_path / "trial"
    said = farewell_text(trial, [])
    assert f"kept in {trial} has been deleted" in said and "start-at-login" in said
    one = farewell_text(trial, [DB_NAME])
    assert one == (f"Everything else is gone, but {DB_NAME} could not be removed; you can "
                   f"delete it yourself from {trial}.")
    assert "delete them yourself" in farewell_text(trial, [DB_NAME, LOG_NAME])


def test_another_program_with_the_database_open_is_named(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--weeks", "1").code == 0
    assert others_using(data) is None
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
        said = others_using(data)
    finally:
        holder.communicate("\n", timeout=10)
    assert said is not None and str(holder.pid) in said and "Delete everything again" in said
