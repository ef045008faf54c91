"""The command line run in-process, and what its answers must look like."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from widget.cli import main
from widget.core.checkin import Checkin
from widget.paths import DB_NAME
from widget.store.db import Store

TABLES = ("tracked_apps", "match_rules", "intervals", "goals", "checkins", "settings")
# The note of the history seed_history makes.
SEEDED_NOTE = "a private sentence about a hard week"


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]  # the `run` fixture: run(*argv, data_dir=folder)


def call(*argv: str) -> Result:
    """The command line in-process, for module-wide fixtures and hypothesis (which cannot use
    the function-scoped `run`): output captured, log handlers closed, umask restored."""
    out, err = io.StringIO(), io.StringIO()
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        os.umask(umask)
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()
    return Result(code, out.getvalue(), err.getvalue())


def one_sentence(err: str) -> str:
    """The one line of a refusal: "driftcheck: ..." ending with a full stop, no traceback,
    never "something unexpected"; returns it."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("driftcheck: ") and lines[0].endswith("."), err
    assert "Traceback" not in err and "unexpected" not in err, err
    return lines[0]


def one_error_line(err: str) -> str:
    """The one line of an error: "driftcheck: ...", no traceback, no usage text; returns it."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("driftcheck: "), err
    assert "Traceback" not in err, err
    assert "usage:" not in err, err
    return lines[0]


def table_digests(folder: Path) -> dict[str, str]:
    """sha256 of each table's rows in row order: equal digests, byte-identical content."""
    with sqlite3.connect(folder / DB_NAME) as conn:
        return {table: hashlib.sha256(repr(conn.execute(
            f"SELECT * FROM {table} ORDER BY rowid").fetchall()).encode()).hexdigest()
            for table in TABLES}


def seed_history(run: Run, folder: Path, seed: int = 3) -> None:
    """History with every kind of row: demo weeks, an app of one's own, a removed app that
    keeps its history, goals for all apps and for one, check-ins with a note, preferences."""
    for argv in (("demo-data", "--weeks", "6", "--seed", str(seed)),
                 ("apps", "add", "--name", "My bot", "--process", "mybot*", "--title",
                  "My Bot -", "--any-window"),
                 ("goals", "set", "--app", "replika", "--daily", "30m", "--session", "1h"),
                 ("checkin", "--answer", "4", "--note", SEEDED_NOTE),
                 ("checkin", "--answer", "0"),
                 ("apps", "remove", "sillytavern"),
                 ("settings", "sample_interval", "7")):
        result = run(*argv, data_dir=folder)
        assert result.code == 0, (argv, result.err)
    store = Store.open(folder / DB_NAME)
    try:
        store.set_setting("checkin.time", "20:30")
        store.set_setting("discreet", False)
        store.set_setting("alerts.snoozed", {"x": "2026-01-01T00:00:00+00:00"})  # transient
    finally:
        store.close()


def stored_checkins(data: Path) -> list[Checkin]:
    """The check-ins kept in the data folder `data`."""
    store = Store.open(data / DB_NAME)
    try:
        return store.list_checkins()
    finally:
        store.close()
