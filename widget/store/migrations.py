"""Versioned schema steps on `PRAGMA user_version`, in frozen SQL.

Each step is written out by hand and never generated from `models`, so a step that has
shipped never changes: a file at version N always becomes exactly the same thing at N+1.
To change the schema, append a step here and change `models` to match (a test compares the
two). Every step runs in its own transaction together with its `user_version` bump, so a
failed step leaves the file at the previous version. Before a file that holds data is
upgraded, a private copy is written next to it as `<db>.v<N>.bak`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

from widget.errors import StoreError
from widget.paths import make_private, private_file

Step = Callable[[Connection], None]

_WRITE_OPTION = "driftcheck_write"


def _sql(*statements: str) -> Step:
    """A step that runs fixed SQL statements, one at a time (sqlite3 runs one per call)."""

    def run(conn: Connection) -> None:
        for statement in statements:
            conn.exec_driver_sql(statement)

    return run


_V1 = _sql(
    """
    CREATE TABLE tracked_apps (
        id INTEGER NOT NULL PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        any_window_titles BOOLEAN NOT NULL DEFAULT 0,
        added_ms INTEGER NOT NULL,
        removed_ms INTEGER
    )
    """,
    """
    CREATE TABLE match_rules (
        id INTEGER NOT NULL PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES tracked_apps (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        pattern TEXT NOT NULL,
        UNIQUE (app_id, kind, pattern)
    )
    """,
    """
    CREATE TABLE intervals (
        id INTEGER NOT NULL PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES tracked_apps (id) ON DELETE CASCADE,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        measure SMALLINT NOT NULL,
        CONSTRAINT ck_intervals_end_after_start CHECK (end_ms >= start_ms)
    )
    """,
    # No index on end_ms: the open interval's end_ms is rewritten every few seconds.
    "CREATE INDEX ix_intervals_start ON intervals (start_ms)",
    "CREATE INDEX ix_intervals_app_start ON intervals (app_id, start_ms)",
    """
    CREATE TABLE settings (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
)

_V2 = _sql(
    """
    CREATE TABLE goals (
        id INTEGER NOT NULL PRIMARY KEY,
        app_id INTEGER REFERENCES tracked_apps (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        limit_seconds INTEGER,
        quiet_start_min INTEGER,
        quiet_end_min INTEGER,
        created_ms INTEGER NOT NULL
    )
    """,
)

_V3 = _sql(
    """
    CREATE TABLE checkins (
        id INTEGER NOT NULL PRIMARY KEY,
        asked_ms INTEGER NOT NULL,
        answered_ms INTEGER,
        answer INTEGER,
        note TEXT,
        week_seconds INTEGER
    )
    """,
)

MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "tracked apps, match rules, intervals, settings", _V1),
    (2, "goals", _V2),
    (3, "check-ins", _V3),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def read_version(path: Path) -> int:
    """`user_version` of an existing file, read without changing a byte of it."""
    version, _has_tables = _peek(path)
    return version


def check_openable(path: Path) -> int:
    """Refuse, before anything writes to it, a file this code must not upgrade; returns its
    version.

    Store.open calls this first because its own connection sets WAL mode, which rewrites the
    header of any file it touches. Raises StoreError for a file from a newer driftcheck or a
    SQLite file that is not driftcheck's, and sqlite3.Error for a damaged file.
    """
    version, has_tables = _peek(path)
    _refuse(version, has_tables, path)
    return version


def _peek(path: Path) -> tuple[int, bool]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        # Reading sqlite_master also makes a file that is not a database fail here.
        (tables,) = conn.execute(_COUNT_TABLES).fetchone()
    finally:
        conn.close()
    return int(version), bool(tables)


_COUNT_TABLES = "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"


def _refuse(version: int, has_tables: bool, where: object) -> None:
    if version > LATEST_VERSION:
        raise StoreError(
            f"This data was written by a newer version of driftcheck (schema {version}); "
            "please update driftcheck to open it."
        )
    if version == 0 and has_tables:
        raise StoreError(
            f"The file at {where} is not a driftcheck database, so it was left as it is."
        )


def use_real_transactions(engine: Engine) -> None:
    """Make `engine.begin()` emit BEGIN itself, so DDL is transactional and reads are
    repeatable.

    Python 3.11's sqlite3 only opens a transaction before INSERT/UPDATE/DELETE, which would
    let a half-run migration step commit. See "Serializable isolation / Savepoints /
    Transactional DDL" in SQLAlchemy's pysqlite docs. A connection with the execution option
    `driftcheck_write=True` takes the write lock up front (BEGIN IMMEDIATE), so a write
    transaction waits on busy_timeout instead of failing half-way.
    """
    if not event.contains(engine, "begin", _emit_begin):
        event.listen(engine, "begin", _emit_begin)


def _emit_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(_WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def migrate(engine: Engine) -> tuple[int, int]:
    """Bring the file behind `engine` to `LATEST_VERSION`; returns (from, to).

    Refuses a file newer than this code with StoreError, and a file at version 0 that already
    holds tables (not a driftcheck file). Backs up a file with data before its first step.
    """
    use_real_transactions(engine)
    with engine.connect() as conn:
        current = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        has_tables = bool(conn.exec_driver_sql(_COUNT_TABLES).scalar_one())
    _refuse(current, has_tables, engine.url.database)
    if current == LATEST_VERSION:
        return current, current
    if has_tables:
        backup(engine, current)
    for version, _title, step in MIGRATIONS:
        if version <= current:
            continue
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                step(conn)
                conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
    return current, LATEST_VERSION


def backup_path(db_path: Path, version: int) -> Path:
    return db_path.with_name(f"{db_path.name}.v{version}.bak")


def backup(engine: Engine, version: int) -> Path:
    """Write a consistent, private (0600) copy of the database to `<db>.v<version>.bak`.

    Uses SQLite's online backup, which also copies what is still in the -wal file. A backup
    left by an earlier, interrupted upgrade is replaced: the file as it is now is the one
    an upgrade must not lose.
    """
    database = engine.url.database
    if not database:
        raise StoreError("An in-memory database cannot be backed up before an upgrade.")
    target = backup_path(Path(database), version)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)
    with engine.connect() as conn:
        source: Any = conn.connection.driver_connection
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
        finally:
            dest.close()
    make_private(partial)
    os.replace(partial, target)
    return target
