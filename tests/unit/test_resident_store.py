"""The tracker's lean store: the same file and the same answers as `Store` (the contract both
keep: test_store_contract.py), without SQLAlchemy in the process; how `open_for_tracking`
gets a file ready for it."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine

from widget.core.model import Rule, RuleKind, TrackedApp
from widget.errors import StoreError
from widget.store import Store
from widget.store.codec import SCHEMA_VERSION
from widget.store.migrations import LATEST_VERSION, MIGRATIONS
from widget.store.resident import ResidentStore, open_for_tracking

NOMI = TrackedApp("nomi", "Nomi", (Rule(RuleKind.TITLE, "nomi.ai"),))


def test_the_lean_store_knows_the_newest_schema() -> None:
    assert SCHEMA_VERSION == LATEST_VERSION


def test_a_missing_file_is_created_through_the_full_store(tmp_path: Path) -> None:
    path = tmp_path / "data" / "db.sqlite3"
    lean = open_for_tracking(path)
    try:
        assert lean.list_apps() == []
    finally:
        lean.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_the_lean_store_keeps_a_small_page_cache(tmp_path: Path) -> None:
    # The tray app holds this connection for days; SQLite's default would keep 2 MB of pages.
    lean = open_for_tracking(tmp_path / "db.sqlite3")
    try:
        assert lean._db.execute("PRAGMA cache_size").fetchone() == (-256,)
    finally:
        lean.close()


def test_an_older_file_is_upgraded_through_the_full_store_keeping_its_apps(
        tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = create_engine(URL.create("sqlite", database=str(path)))
    with engine.begin() as conn:
        MIGRATIONS[0][2](conn)  # the file as driftcheck's first schema wrote it
        conn.exec_driver_sql("PRAGMA user_version = 1")
        conn.exec_driver_sql("INSERT INTO tracked_apps (key, name, source, added_ms) "
                             "VALUES ('nomi', 'Nomi', 'catalog', 0)")
        conn.exec_driver_sql("INSERT INTO match_rules (app_id, kind, pattern) "
                             "VALUES (1, 'title', 'nomi.ai')")
    engine.dispose()
    lean = open_for_tracking(path)
    try:
        assert lean.list_apps() == [NOMI]
    finally:
        lean.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_a_ready_file_is_opened_without_sqlalchemy_one_that_is_not_with_it(
        tmp_path: Path) -> None:
    """The full store is loaded only for a file that needs it (here: a missing one), and the
    tracker's every other start stays lean."""
    code = ("import sys; from pathlib import Path; "
            "from widget.store.resident import open_for_tracking; "
            "open_for_tracking(Path(sys.argv[1])).close(); "
            "print('sqlalchemy' in sys.modules)")
    path = tmp_path / "db.sqlite3"

    def loads_sqlalchemy() -> bool:
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                             text=True, check=True, cwd=Path(__file__).resolve().parents[2])
        return {"True": True, "False": False}[out.stdout.strip()]

    assert loads_sqlalchemy(), "a missing file is created through the full store"
    assert not loads_sqlalchemy(), "the file it made is opened lean"


def test_a_newer_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store.open(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version"):
        open_for_tracking(path)
    assert path.read_bytes() == before


def test_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store.open(path).close()
    os.chmod(path, 0o644)
    old = os.umask(0o022)
    try:
        lean = ResidentStore.open(path)
        lean.set_setting("x", 1)
        lean.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_tracking_path_does_not_load_sqlalchemy() -> None:
    """The tracker runs all day: SQLAlchemy alone would be ~25 MB of its memory."""
    code = ("import sys, widget.cli, widget.datafolder, widget.commands.track, "
            "widget.commands.doctor, widget.tracking, widget.store.resident, widget.store.api, "
            "widget.services.dashboard, "
            "widget.probes.choose, widget.probes.x11; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
