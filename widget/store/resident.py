"""The always-running processes' way into the database, on the stdlib sqlite3 driver.

`driftcheck track` and the tray app run all day, so what they load stays resident: SQLAlchemy
alone is 25-45 MB of it. What they do every few seconds or minutes is a handful of statements
(read the tracked apps, goals, names, today's intervals and settings; write the open interval,
settings and a check-in), so they use this. Creating and upgrading the file, the command line
and the dialogs that change apps and goals go through `Store` (SQLAlchemy), which the tray
loads only when such a dialog is opened; `open_for_tracking` creates or upgrades through it.
Both keep the contract written in `widget.store.api` (`StoreContract`), which says what each
method returns and when.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.goals import Goal
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, TrackedApp
from widget.errors import RowGone, StoreError, UnknownApp
from widget.paths import ensure_private_dir, make_private
from widget.store import recovery
from widget.store.changes import ChangeWatch, Stamp
from widget.store.codec import (
    MARK_MODULUS,
    MEASURE_APPROXIMATE,
    MEASURE_TO_DB,
    SCHEMA_VERSION,
    apply_pragmas,
    apps_from_rows,
    checkin_values,
    decode_setting,
    encode_setting,
    from_ms,
    goals_from_rows,
    intervals_from_rows,
    kept_checkin,
    span_ms,
    to_ms,
)

if TYPE_CHECKING:
    from widget.store.api import StoreContract

_APPS = ("SELECT id, key, name, source, any_window_titles FROM tracked_apps "
         "WHERE removed_ms IS NULL ORDER BY added_ms, id")
_APPS_REMOVED_TOO = ("SELECT id, key, name, source, any_window_titles FROM tracked_apps "
                     "ORDER BY added_ms, id")
_RULES = "SELECT app_id, kind, pattern FROM match_rules ORDER BY id"
_APP_ID = "SELECT id FROM tracked_apps WHERE key = ?"
_INSERT = "INSERT INTO intervals (app_id, start_ms, end_ms, measure) VALUES (?, ?, ?, ?)"
_UPDATE_END = "UPDATE intervals SET end_ms = ? WHERE id = ?"
_DELETE = "DELETE FROM intervals WHERE id = ?"
_NAMES = "SELECT key, name FROM tracked_apps"
_GOALS = ("SELECT a.key, g.kind, g.limit_seconds, g.quiet_start_min, g.quiet_end_min "
          "FROM goals g LEFT JOIN tracked_apps a ON g.app_id = a.id ORDER BY g.id")
# The tracker never lets an interval last longer than max_span, so the start index bounds it.
_OVERLAPPING = ("SELECT a.key, i.start_ms, i.end_ms, i.measure FROM intervals i "
                "JOIN tracked_apps a ON i.app_id = a.id "
                "WHERE i.start_ms >= ? AND i.start_ms < ? AND i.end_ms > ? "
                "ORDER BY i.start_ms, i.id")
_SPANS = ("SELECT start_ms, end_ms FROM intervals "
          "WHERE start_ms >= ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms, id")
_APP_SPANS = ("SELECT i.start_ms, i.end_ms, a.key, i.measure FROM intervals i "
              "JOIN tracked_apps a ON i.app_id = a.id "
              "WHERE i.start_ms >= ? AND i.start_ms < ? AND i.end_ms > ? "
              "ORDER BY i.start_ms, i.id")
_GET = "SELECT value FROM settings WHERE key = ?"
_ADD_CHECKIN = ("INSERT INTO checkins (asked_ms, answered_ms, answer, note, week_seconds) "
                "VALUES (:asked_ms, :answered_ms, :answer, :note, :week_seconds)")
_CHECKINS = ("SELECT asked_ms, answered_ms, answer, note, week_seconds FROM checkins "
             "WHERE asked_ms >= ? ORDER BY asked_ms, id")
_CHECKIN_HISTORY = ("SELECT id, asked_ms, answered_ms, answer, note, week_seconds FROM checkins "
                    "ORDER BY asked_ms, id")
_CHANGE_CHECKIN = ("UPDATE checkins SET answer = ?, note = ?, "
                   "answered_ms = COALESCE(answered_ms, asked_ms) WHERE id = ?")
_DELETE_CHECKIN = "DELETE FROM checkins WHERE id = ?"
_FIRST_USE = "SELECT MIN(start_ms) FROM intervals"  # one step down the start index
# A rollup: the milliseconds of use inside one window, summed by SQLite (no row leaves it).
_SECONDS_IN = ("SELECT COALESCE(SUM(MIN(end_ms, ?) - MAX(start_ms, ?)), 0) FROM intervals "
               "WHERE start_ms >= ? AND start_ms < ? AND end_ms > ?")
_APP_SECONDS_IN = ("SELECT a.key, SUM(MIN(i.end_ms, ?) - MAX(i.start_ms, ?)) AS ms "
                   "FROM intervals i JOIN tracked_apps a ON i.app_id = a.id "
                   "WHERE i.start_ms >= ? AND i.start_ms < ? AND i.end_ms > ? "
                   "GROUP BY a.key HAVING ms > 0")
# A mark of one window's own time: its ms inside, how many intervals reach it, their starts.
_MARKS = ("SELECT COALESCE(SUM(MIN(end_ms, :hi) - MAX(start_ms, :lo)), 0), COUNT(*), "
          f"COALESCE(SUM((MAX(start_ms, :lo) % {MARK_MODULUS}) * (MIN(end_ms, :hi) "
          f"% {MARK_MODULUS}) % {MARK_MODULUS} * (app_id + 1)), 0) FROM intervals "
          "WHERE start_ms >= :from_ms AND start_ms < :hi AND end_ms > :lo")
_SET = ("INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


class ResidentStore:
    """One connection, one lock, short transactions. Thread-safe. Keeps `StoreContract`."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._lock = threading.Lock()
        self._app_ids: dict[str, int] = {}
        self._changes = ChangeWatch(path)
        self._closed = False

    def changed_by_others(self) -> bool:
        """Whether another connection may have written since this was last asked; this
        store's own writes do not count (`widget.store.changes` says how, without a read)."""
        with self._lock:  # not between one of our commits and its note in `_changes`
            return self._changes.changed_by_others()

    @classmethod
    def open(cls, path: Path) -> ResidentStore:
        """Open an existing, undamaged database at the current schema version; StoreError
        otherwise (`open_for_tracking` first creates, upgrades or sets aside what needs it)."""
        ensure_private_dir(path.parent)
        _check_as_it_is(path)
        return cls._connect(path)

    @classmethod
    def _connect(cls, path: Path) -> ResidentStore:
        """Open the file `_check_as_it_is` (or `Store.open`) found ready, and hold it."""
        try:
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
            raise StoreError(f"The driftcheck database at {path} could not be opened "
                             f"({error}).") from error
        store = cls(path, connection)
        for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            make_private(file)
        recovery.hold(path)
        return store

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                recovery.release(self.path)
            self._db.close()

    def list_apps(self, include_removed: bool = False) -> list[TrackedApp]:
        with self._lock, self._transaction():
            apps = self._db.execute(_APPS_REMOVED_TOO if include_removed else _APPS)
            return apps_from_rows(apps.fetchall(),
                                  self._db.execute(_RULES).fetchall())

    def app_names(self) -> dict[str, str]:
        with self._lock, self._transaction():
            return dict(self._db.execute(_NAMES).fetchall())

    def list_goals(self) -> list[Goal]:
        with self._lock, self._transaction():
            return goals_from_rows(self._db.execute(_GOALS).fetchall())

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        """Intervals that share some time with [start, end), as `Store.intervals_overlapping`."""
        lo, hi = to_ms(start), to_ms(end)
        with self._lock, self._transaction():
            rows = self._db.execute(_OVERLAPPING, (lo - span_ms(max_span), hi, lo)).fetchall()
        return intervals_from_rows(rows)

    def spans_ms(self, start: datetime, end: datetime,
                 max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        """The intervals' (start, end) in ms, as `Store.spans_ms`."""
        lo, hi = to_ms(start), to_ms(end)
        with self._lock, self._transaction():
            rows = self._db.execute(_SPANS, (lo - span_ms(max_span), hi, lo)).fetchall()
        return [(int(a), int(b)) for a, b in rows]

    def app_spans_ms(self, start: datetime, end: datetime,
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, str, bool]]:
        """The intervals' (start, end, app, approximate), as `Store.app_spans_ms`."""
        lo, hi = to_ms(start), to_ms(end)
        with self._lock, self._transaction():
            rows = self._db.execute(_APP_SPANS, (lo - span_ms(max_span), hi, lo)).fetchall()
        return [(s, e, app, measure == MEASURE_APPROXIMATE) for s, e, app, measure in rows]

    def window_marks(self, windows: Sequence[tuple[datetime, datetime]],
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, int]]:
        """Each window's mark, as `Store.window_marks`."""
        marks = []
        with self._lock, self._transaction():
            for start, end in windows:
                lo, hi = to_ms(start), to_ms(end)
                if hi <= lo:
                    marks.append((0, 0, 0))
                    continue
                ms, count, mixed = self._db.execute(_MARKS, {
                    "lo": lo, "hi": hi, "from_ms": lo - span_ms(max_span)}).fetchone()
                marks.append((int(ms), int(count), int(mixed)))
        return marks

    def get_setting(self, key: str) -> object | None:
        with self._lock, self._transaction():
            row = self._db.execute(_GET, (key,)).fetchone()
        return None if row is None else decode_setting(key, row[0])

    def add_checkin(self, checkin: Checkin) -> int:
        with self._lock, self._transaction():
            return int(self._db.execute(_ADD_CHECKIN, checkin_values(checkin)).lastrowid or 0)

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        """Check-ins asked at or after `since` (all when None), oldest first, as
        `Store.list_checkins`."""
        lo = -(2**63) if since is None else to_ms(since)
        with self._lock, self._transaction():
            rows = self._db.execute(_CHECKINS, (lo,)).fetchall()
        return [Checkin(from_ms(asked), None if answered is None else from_ms(answered),
                        answer, note, week_seconds)
                for asked, answered, answer, note, week_seconds in rows]

    def checkin_history(self) -> list[KeptCheckin]:
        """Every check-in kept, with its row id, as `Store.checkin_history`. Any thread."""
        with self._lock, self._transaction():
            rows = self._db.execute(_CHECKIN_HISTORY).fetchall()
        return [kept_checkin(row) for row in rows]

    def change_checkin(self, checkin_id: int, answer: int, note: str | None) -> None:
        """Set a check-in's answer and note, as `Store.change_checkin`; RowGone without it."""
        with self._lock, self._transaction():
            changed = self._db.execute(_CHANGE_CHECKIN, (answer, note, checkin_id)).rowcount
        if changed != 1:
            raise RowGone("That check-in is no longer kept.")

    def delete_checkin(self, checkin_id: int) -> None:
        """Remove a check-in for good, as `Store.delete_checkin`; RowGone without it."""
        with self._lock, self._transaction():
            gone = self._db.execute(_DELETE_CHECKIN, (checkin_id,)).rowcount
        if gone != 1:
            raise RowGone("That check-in is no longer kept.")

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        """Seconds of use of all apps inside each [start, end) window, summed in SQL: the
        dashboard's weekly totals without turning every interval of sixteen weeks into an
        object (the start index bounds each window, as in `intervals_overlapping`)."""
        totals = []
        with self._lock, self._transaction():
            for start, end in windows:
                lo, hi = to_ms(start), to_ms(end)
                if hi <= lo:
                    totals.append(0.0)
                    continue
                (ms,) = self._db.execute(_SECONDS_IN, (hi, lo, lo - span_ms(max_span), hi,
                                                       lo)).fetchone()
                totals.append(ms / 1000)
        return totals

    def app_seconds_in(self, start: datetime, end: datetime,
                       max_span: timedelta = MAX_SPAN) -> dict[str, float]:
        """Each app's seconds inside [start, end), as `Store.app_seconds_in`."""
        lo, hi = to_ms(start), to_ms(end)
        if hi <= lo:
            return {}
        with self._lock, self._transaction():
            rows = self._db.execute(_APP_SECONDS_IN,
                                    (hi, lo, lo - span_ms(max_span), hi, lo)).fetchall()
        return {key: ms / 1000 for key, ms in rows}

    def first_use(self) -> datetime | None:
        """When the earliest stored interval began (removed apps' history included), or None
        with no history at all: what tells "before the history" from a week of no use."""
        with self._lock, self._transaction():
            (first,) = self._db.execute(_FIRST_USE).fetchone()
        return None if first is None else from_ms(int(first))

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
        return _Transaction(self._db, self.path, self._changes)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK; sqlite3 errors become StoreError."""

    def __init__(self, db: sqlite3.Connection, path: Path, changes: ChangeWatch) -> None:
        self._db = db
        self._path = path
        self._changes = changes
        self._before: Stamp = None

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(f"The driftcheck database at {self._path} could not be written "
                             f"({error}).") from error
        self._before = self._changes.before_write()  # under the write lock: nobody else writes

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if error is None:
            try:
                self._db.execute("COMMIT")
                self._changes.own_commit(self._before)
                return
            except sqlite3.Error as commit_error:
                # A full disk may have rolled it back already; a second error would hide
                # the first, which is the one that says what happened.
                with contextlib.suppress(sqlite3.Error):
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                raise StoreError(f"The driftcheck database at {self._path} could not be "
                                 f"written ({commit_error}).") from commit_error
        with contextlib.suppress(sqlite3.Error):
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise StoreError(f"The driftcheck database at {self._path} could not be written "
                             f"({error}).") from error


def _check_as_it_is(path: Path) -> None:
    """Refuse, read-only, a file this store cannot open as it is: missing, damaged
    (DamagedStore), unreadable, or at another schema version (older or newer): StoreError."""
    if not path.exists():
        raise StoreError(f"There is no driftcheck database at {path} yet.")
    try:
        version = recovery.examine(path)
    except sqlite3.Error as error:
        raise StoreError(f"The driftcheck database at {path} could not be opened "
                         f"({error}).") from error
    if version != SCHEMA_VERSION:
        raise StoreError(f"The database at {path} is at schema {version}, "
                         f"not {SCHEMA_VERSION}.")


def open_for_tracking(path: Path) -> ResidentStore:
    """The tracker's store. A file the lean store cannot open as it is goes through the full
    `Store` first (which loads SQLAlchemy once, for that run only): a missing one is created,
    a damaged one set aside and started afresh, an older one upgraded; a newer or unreadable
    one is refused there, with a sentence for the person. Then it is opened, once."""
    ensure_private_dir(path.parent)
    try:
        _check_as_it_is(path)
    except StoreError:
        from widget.store.db import Store

        Store.open(path).close()
    return ResidentStore._connect(path)


if TYPE_CHECKING:
    def _keeps_the_contract(store: ResidentStore) -> StoreContract:
        return store  # mypy checks every method of the contract against this store
