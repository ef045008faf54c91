"""The tracker's narrow way into the database, on the stdlib sqlite3 driver.

`driftcheck track` runs all day, so what it loads stays resident: SQLAlchemy alone is ~25 MB
of it. The tracker needs only a handful of statements (read the tracked apps, write the open
interval, note its mode), so it uses this instead. Everything else (creating and upgrading the
file, the command line, the UI) goes through `Store`; `open_for_tracking` falls back to it
when the file is missing or needs an upgrade.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from widget.core.model import Interval, TrackedApp
from widget.errors import RowGone, StoreError, UnknownApp
from widget.paths import ensure_private_dir, make_private
from widget.store.codec import (
    MEASURE_TO_DB,
    SCHEMA_VERSION,
    apply_pragmas,
    apps_from_rows,
    decode_setting,
    encode_setting,
    to_ms,
)

_APPS = ("SELECT id, key, name, source, any_window_titles FROM tracked_apps "
         "WHERE removed_ms IS NULL ORDER BY added_ms, id")
_RULES = "SELECT app_id, kind, pattern FROM match_rules ORDER BY id"
_APP_ID = "SELECT id FROM tracked_apps WHERE key = ?"
_INSERT = "INSERT INTO intervals (app_id, start_ms, end_ms, measure) VALUES (?, ?, ?, ?)"
_UPDATE_END = "UPDATE intervals SET end_ms = ? WHERE id = ?"
_DELETE = "DELETE FROM intervals WHERE id = ?"
_SET = ("INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


class SamplingStore:
    """One connection, one lock, short transactions. Thread-safe."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._lock = threading.Lock()
        self._app_ids: dict[str, int] = {}

    @classmethod
    def open(cls, path: Path) -> SamplingStore:
        """Open an existing database at the current schema version; StoreError otherwise."""
        try:
            ensure_private_dir(path.parent)
            if not path.exists():
                raise StoreError(f"There is no driftcheck database at {path} yet.")
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                (version,) = connection.execute("PRAGMA user_version").fetchone()
                if version != SCHEMA_VERSION:
                    raise StoreError(f"The database at {path} is at schema {version}, "
                                     f"not {SCHEMA_VERSION}.")
                apply_pragmas(connection)
            except BaseException:
                connection.close()
                raise
        except sqlite3.Error as error:
            raise StoreError(f"The driftcheck database at {path} could not be read: it may be "
                             f"damaged ({error}).") from error
        store = cls(path, connection)
        for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            make_private(file)
        return store

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def list_apps(self) -> list[TrackedApp]:
        with self._lock, self._transaction():
            return apps_from_rows(self._db.execute(_APPS).fetchall(),
                                  self._db.execute(_RULES).fetchall())

    def all_settings(self) -> dict[str, object]:
        with self._lock, self._transaction():
            rows = self._db.execute("SELECT key, value FROM settings").fetchall()
        return {key: decode_setting(key, raw) for key, raw in rows}

    def set_setting(self, key: str, value: object) -> None:
        with self._lock, self._transaction():
            self._db.execute(_SET, (key, encode_setting(value)))

    def insert_interval(self, iv: Interval) -> int:
        with self._lock, self._transaction():
            app_id = self._app_id(iv.app)
            cursor = self._db.execute(_INSERT, (app_id, to_ms(iv.start), to_ms(iv.end),
                                                MEASURE_TO_DB[iv.measure]))
            return int(cursor.lastrowid or 0)

    def update_interval_end(self, row_id: int, end: datetime) -> None:
        with self._lock, self._transaction():
            changed = self._db.execute(_UPDATE_END, (to_ms(end), row_id)).rowcount
        if changed != 1:
            raise RowGone("The interval being extended is no longer in the database.")

    def delete_interval(self, row_id: int) -> None:
        with self._lock, self._transaction():
            self._db.execute(_DELETE, (row_id,))

    def _app_id(self, key: str) -> int:
        app_id = self._app_ids.get(key)
        if app_id is None:
            row = self._db.execute(_APP_ID, (key,)).fetchone()
            if row is None:
                raise UnknownApp(f"No app with the id {key!r} is being tracked.")
            app_id = self._app_ids[key] = int(row[0])
        return app_id

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK; sqlite3 errors become StoreError."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(f"The driftcheck database at {self._path} could not be written "
                             f"({error}).") from error

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if error is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as commit_error:
                self._db.execute("ROLLBACK")
                raise StoreError(f"The driftcheck database at {self._path} could not be "
                                 f"written ({commit_error}).") from commit_error
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise StoreError(f"The driftcheck database at {self._path} could not be written "
                             f"({error}).") from error


def open_for_tracking(path: Path) -> SamplingStore:
    """The tracker's store. A missing or older file is first created or upgraded through the
    full `Store` (which loads SQLAlchemy once, for that run only)."""
    try:
        return SamplingStore.open(path)
    except StoreError:
        from widget.store.db import Store

        Store.open(path).close()  # creates, upgrades, or raises a sentence for the person
        return SamplingStore.open(path)
