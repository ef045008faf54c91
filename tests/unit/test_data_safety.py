"""Nothing lost, nothing silently replaced (issue 10 §2): `demo-data --force` beside a running
tracker, and a data folder given as empty text."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.cli import one_sentence
from widget.paths import DATA_DIR_ENV, DB_NAME, default_data_dir


def _rows(folder: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(folder / DB_NAME) as conn:
        return conn.execute("SELECT * FROM intervals ORDER BY id").fetchall()


@contextmanager
def _tray_running(folder: Path) -> Iterator[None]:
    """The lock a running tray app holds (widget.desktop.single_instance)."""
    from widget.desktop.single_instance import SingleInstance

    running = SingleInstance(folder)
    assert running.acquire()
    try:
        yield
    finally:
        running.release()


@contextmanager
def _track_running(folder: Path) -> Iterator[None]:
    """The lock `driftcheck track` holds while it runs (widget.datafolder.take_tracking_lock)."""
    from widget.datafolder import take_tracking_lock

    fd = take_tracking_lock(folder)
    assert fd is not None and fd >= 0
    try:
        yield
    finally:
        os.close(fd)


@pytest.mark.parametrize("running", [_tray_running, _track_running], ids=["tray", "track"])
def test_demo_data_force_refuses_while_a_tracker_runs_on_the_folder(  # type: ignore[no-untyped-def]
        run, data: Path, running: Callable[[Path], contextmanager[None]]) -> None:
    assert run("demo-data", "--weeks", "2", "--seed", "7").code == 0
    rows = _rows(data)
    with running(data):  # type: ignore[attr-defined]
        result = run("demo-data", "--weeks", "2", "--seed", "8", "--force")
    assert result.code == 1
    line = one_sentence(result.err)
    assert "still running" in line and "demo-data --force" in line
    # The database the tracker writes into was neither renamed nor changed.
    assert (data / DB_NAME).is_file()
    assert not [p for p in data.iterdir() if ".before-demo-" in p.name]
    assert _rows(data) == rows


def test_demo_data_force_goes_ahead_once_the_tracker_has_stopped(run, data: Path  # type: ignore[no-untyped-def]
                                                                 ) -> None:
    assert run("demo-data", "--weeks", "2", "--seed", "7").code == 0
    with _tray_running(data):
        assert run("demo-data", "--weeks", "2", "--seed", "8", "--force").code == 1
    assert run("demo-data", "--weeks", "2", "--seed", "8", "--force").code == 0
    assert len([p for p in data.iterdir() if p.name.endswith(tuple("0123456789Z"))
                and ".before-demo-" in p.name]) == 1


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_data_dir_option_is_refused(run, tmp_path: Path, value: str,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--data-dir", value, "status", data_dir=None)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "--data-dir" in result.err
    assert "folder's path" in result.err
    assert list(tmp_path.iterdir()) == []  # nothing made in the current folder


@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_data_dir_variable_is_refused(run, tmp_path: Path, value: str,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, value)
    for argv in (("status",), ("apps", "list"), ("demo-data", "--weeks", "1")):
        result = run(*argv, data_dir=None)
        assert result.code == 1, argv
        assert DATA_DIR_ENV in one_sentence(result.err)
    # Neither the current folder nor the usual one was used.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
    assert list(home.iterdir()) == []


def test_default_data_dir_refuses_empty_but_not_unset() -> None:
    from widget.errors import UsageError

    with pytest.raises(UsageError):
        default_data_dir({DATA_DIR_ENV: "", "HOME": "/home/u"}, "linux")
    assert default_data_dir({"HOME": "/home/u"}, "linux") == Path(
        "/home/u/.local/share/driftcheck")
