"""Exports and imports at the table level: every row read in one transaction, every row
written in one.

This works on the stdlib driver, beside `Store`, because an export must carry what `Store`
does not hand out (when an app was added and removed, when a goal was set) and an import must
be one transaction across every table, settings included. Callers open the file through
`Store.open` first, so it exists at the current schema version.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from widget.core.goals import Goal, GoalKind
from widget.core.model import Rule, RuleKind
from widget.core.options import instant_to_setting
from widget.core.portable import (
    DEVICE_SETTINGS,
    AppRecord,
    CheckinRecord,
    GoalRecord,
    IntervalRecord,
    Snapshot,
    exported_settings,
)
from widget.errors import ExportRefused, StoreError
from widget.paths import make_private, private_file
from widget.store.codec import (
    MEASURE_FROM_DB,
    MEASURE_TO_DB,
    apply_pragmas,
    decode_setting,
    encode_setting,
    from_ms,
)

HISTORY_TABLES = ("tracked_apps", "intervals", "goals", "checkins")
_CLEAR_ORDER = ("checkins", "goals", "intervals", "match_rules", "tracked_apps")
_SET = ("INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


@contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreError(f"The driftcheck database at {path} could not be opened "
                         f"({error}).") from error
    try:
        apply_pragmas(conn)
        yield conn
    except sqlite3.Error as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(f"The driftcheck database at {path} could not be read or written "
                         f"({error}); nothing was changed.") from error
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def history_counts(path: Path) -> dict[str, int]:
    """Rows in each table that holds history (apps, intervals, goals, check-ins)."""
    with _connection(path) as conn:
        return {table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in HISTORY_TABLES}


def read_snapshot(path: Path, include_notes: bool) -> Snapshot:
    """Every row of the history tables and the preferences, in the store's order (by row id),
    read in one transaction. Check-in notes only when `include_notes`."""
    with _connection(path) as conn:
        conn.execute("BEGIN")
        apps = conn.execute("SELECT id, key, name, source, any_window_titles, added_ms, "
                            "removed_ms FROM tracked_apps ORDER BY id").fetchall()
        rules = conn.execute("SELECT app_id, kind, pattern FROM match_rules ORDER BY id"
                             ).fetchall()
        intervals = conn.execute(
            "SELECT a.key, i.start_ms, i.end_ms, i.measure FROM intervals i "
            "JOIN tracked_apps a ON a.id = i.app_id ORDER BY i.id").fetchall()
        goals = conn.execute(
            "SELECT a.key, g.kind, g.limit_seconds, g.quiet_start_min, g.quiet_end_min, "
            "g.created_ms FROM goals g LEFT JOIN tracked_apps a ON a.id = g.app_id "
            "ORDER BY g.id").fetchall()
        checkins = conn.execute("SELECT asked_ms, answered_ms, answer, note, week_seconds "
                                "FROM checkins ORDER BY id").fetchall()
        settings = conn.execute("SELECT key, value FROM settings").fetchall()
        conn.execute("COMMIT")
    try:
        by_app: dict[int, list[Rule]] = {}
        for app_id, kind, pattern in rules:
            by_app.setdefault(app_id, []).append(Rule(RuleKind(kind), pattern))
        return Snapshot(
            apps=tuple(AppRecord(key, name, source, bool(any_titles), added, removed,
                                 tuple(by_app.get(app_id, ())))
                       for app_id, key, name, source, any_titles, added, removed in apps),
            intervals=tuple(IntervalRecord(key, start, end, MEASURE_FROM_DB[measure])
                            for key, start, end, measure in intervals),
            goals=tuple(GoalRecord(Goal(GoalKind(kind), key, limit, q_start, q_end), created)
                        for key, kind, limit, q_start, q_end, created in goals),
            checkins=tuple(CheckinRecord(asked, answered, answer,
                                         note if include_notes else None, week)
                           for asked, answered, answer, note, week in checkins),
            settings=exported_settings(_readable(settings)),
            notes_included=include_notes,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ExportRefused("The database holds a row driftcheck does not understand, so "
                            "nothing was exported; `driftcheck doctor` may tell more.") from error


def _readable(rows: list[tuple[str, str]]) -> dict[str, object]:
    """Settings by key; one that cannot be read is left out (it reads as its default)."""
    settings: dict[str, object] = {}
    for key, raw in rows:
        try:
            settings[key] = decode_setting(key, raw)
        except StoreError:
            continue
    return settings


def write_snapshot(path: Path, snapshot: Snapshot, replace: bool) -> None:
    """Write `snapshot` in one transaction: all of it or, on any error, none of it.

    With `replace`, every history row and every setting but this device's own is deleted
    first; without it, a database that holds history is refused (checked again inside the
    transaction, so nothing can slip in between). Imported preferences overwrite the stored
    ones; `first_run_done` is set, and `checkin.last_asked` becomes the newest answered check-in, so
    the next check-in keeps its rhythm instead of coming at once.
    """
    with _connection(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        if replace:
            for table in _CLEAR_ORDER:
                conn.execute(f"DELETE FROM {table}")
            marks = ", ".join("?" for _ in DEVICE_SETTINGS)
            conn.execute(f"DELETE FROM settings WHERE key NOT IN ({marks})", DEVICE_SETTINGS)
        elif any(conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                 for table in HISTORY_TABLES):
            raise StoreError("The database gained history while the import was being "
                             "prepared; nothing was imported.")
        ids: dict[str, int] = {}
        for app in snapshot.apps:
            cursor = conn.execute(
                "INSERT INTO tracked_apps (key, name, source, any_window_titles, added_ms, "
                "removed_ms) VALUES (?, ?, ?, ?, ?, ?)",
                (app.key, app.name, app.source, app.any_window_titles, app.added_ms,
                 app.removed_ms))
            ids[app.key] = int(cursor.lastrowid or 0)
            conn.executemany("INSERT INTO match_rules (app_id, kind, pattern) VALUES (?, ?, ?)",
                             [(ids[app.key], r.kind.value, r.pattern) for r in app.rules])
        conn.executemany(
            "INSERT INTO intervals (app_id, start_ms, end_ms, measure) VALUES (?, ?, ?, ?)",
            ((ids[i.app], i.start_ms, i.end_ms, MEASURE_TO_DB[i.measure])
             for i in snapshot.intervals))
        conn.executemany(
            "INSERT INTO goals (app_id, kind, limit_seconds, quiet_start_min, quiet_end_min, "
            "created_ms) VALUES (?, ?, ?, ?, ?, ?)",
            ((None if g.goal.app is None else ids[g.goal.app], g.goal.kind.value,
              g.goal.limit_seconds, g.goal.quiet_start, g.goal.quiet_end, g.created_ms)
             for g in snapshot.goals))
        conn.executemany(
            "INSERT INTO checkins (asked_ms, answered_ms, answer, note, week_seconds) "
            "VALUES (?, ?, ?, ?, ?)",
            ((c.asked_ms, c.answered_ms, c.answer, c.note, c.week_seconds)
             for c in snapshot.checkins))
        settings: dict[str, object] = {**snapshot.settings, "first_run_done": True}
        settled = [c.asked_ms for c in snapshot.checkins if c.answer is not None]
        if settled:
            settings["checkin.last_asked"] = instant_to_setting(from_ms(max(settled)))
        conn.executemany(_SET, [(k, encode_setting(v)) for k, v in settings.items()])
        conn.execute("COMMIT")


def keep_copy(path: Path, stamp: str) -> Path:
    """A consistent private copy of the database, `<db>.before-import-<stamp>`, made with
    SQLite's online backup (which includes what is still in the -wal); never overwrites an
    earlier copy."""
    target = path.with_name(f"{path.name}.before-import-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.before-import-{stamp}-{number}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)
    try:
        source = sqlite3.connect(path)
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
        make_private(partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(f"A copy of the current database could not be kept ({error}), so "
                         "nothing was imported.") from error
    return target
