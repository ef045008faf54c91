"""Schema steps: old files upgrade without losing a row; files we cannot read stay untouched."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Connection, UniqueConstraint, create_engine, inspect

from tests.helpers.fs import mode
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.errors import StoreError
from widget.store import Store, migrations, models
from widget.store.migrations import LATEST_VERSION, MIGRATIONS, migrate, read_version

T0_MS = 1_741_600_800_000  # 2025-03-10 10:00 UTC
T0 = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)


def make_v1_file(path: Path, intervals: int = 1000) -> None:
    """A file exactly as driftcheck 1 wrote it: the v1 SQL, then data put in with raw SQL."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        v1 = MIGRATIONS[0]
        assert v1[0] == 1
        v1[2](conn)
        conn.exec_driver_sql("PRAGMA user_version = 1")
    engine.dispose()
    raw = sqlite3.connect(path)
    with raw:
        raw.executemany(
            "INSERT INTO tracked_apps (id, key, name, source, any_window_titles, added_ms,"
            " removed_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (1, "replika", "Replika", "catalog", 0, T0_MS - 1000, None),
                (2, "custom-pi", "Pi", "custom", 1, T0_MS - 500, None),
                (3, "nomi", "Nomi", "catalog", 0, T0_MS - 200, T0_MS - 100),
            ],
        )
        raw.executemany(
            "INSERT INTO match_rules (app_id, kind, pattern) VALUES (?, ?, ?)",
            [
                (1, "process", "Replika"),
                (1, "title", "replika.com"),
                (2, "title", "pi.ai"),
                (3, "process", "Nomi*"),
            ],
        )
        raw.executemany(
            "INSERT INTO intervals (app_id, start_ms, end_ms, measure) VALUES (?, ?, ?, ?)",
            [
                (1 + i % 3, T0_MS + i * 60_000, T0_MS + i * 60_000 + 30_000, i % 2)
                for i in range(intervals)
            ],
        )
        raw.executemany(
            "INSERT INTO settings (key, value) VALUES (?, ?)",
            [("theme", '"dark"'), ("sample_seconds", "5"), ("paused", "false")],
        )
    raw.close()


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_steps_are_numbered_one_by_one() -> None:
    assert [version for version, _, _ in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_a_fresh_file_gets_every_step_and_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert migrate(engine) == (0, LATEST_VERSION)
        assert migrate(engine) == (LATEST_VERSION, LATEST_VERSION)
    finally:
        engine.dispose()
    assert read_version(path) == LATEST_VERSION
    assert list(tmp_path.glob("*.bak")) == []


def test_a_v1_file_upgrades_keeping_every_row(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "driftcheck.sqlite"
    make_v1_file(path)

    store = Store.open(path)
    try:
        assert read_version(path) == LATEST_VERSION
        assert store.list_apps(include_removed=True) == [
            TrackedApp(
                "replika",
                "Replika",
                (Rule(RuleKind.PROCESS, "Replika"), Rule(RuleKind.TITLE, "replika.com")),
            ),
            TrackedApp("custom-pi", "Pi", (Rule(RuleKind.TITLE, "pi.ai"),), True, "custom"),
            TrackedApp("nomi", "Nomi", (Rule(RuleKind.PROCESS, "Nomi*"),)),
        ]
        assert [app.key for app in store.list_apps()] == ["replika", "custom-pi"]
        assert store.interval_count() == 1000
        everything = store.intervals_overlapping(T0, T0 + timedelta(days=1))
        assert len(everything) == 1000
        assert everything[0] == Interval("replika", T0, T0 + timedelta(seconds=30))
        assert everything[999] == Interval(
            "replika",
            T0 + timedelta(minutes=999),
            T0 + timedelta(minutes=999, seconds=30),
            Measure.APPROXIMATE,
        )
        assert store.all_settings() == {"theme": "dark", "sample_seconds": 5, "paused": False}
        assert store.integrity_ok()
        # The upgraded file takes new rows in the new tables and the old ones.
        store.insert_interval(Interval("nomi", T0 - timedelta(hours=1), T0))
    finally:
        store.close()

    live = sqlite3.connect(path)
    tables = {row[0] for row in live.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"goals", "checkins"} <= tables
    live.execute("INSERT INTO goals (kind, limit_seconds, created_ms) VALUES ('daily', 3600, 1)")
    live.execute("INSERT INTO checkins (asked_ms, answer) VALUES (1, 0)")
    live.close()

    backup = tmp_path / "driftcheck.sqlite.v1.bak"
    assert backup.exists()
    assert mode(backup) == 0o600
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone() == (1,)
    assert old.execute("SELECT count(*) FROM intervals").fetchone() == (1000,)
    assert "goals" not in {r[0] for r in old.execute("SELECT name FROM sqlite_master")}
    old.close()
    assert list(tmp_path.glob("*.partial")) == []


def test_reopening_an_upgraded_file_writes_no_second_backup(tmp_path: Path) -> None:
    path = tmp_path / "driftcheck.sqlite"
    make_v1_file(path, intervals=10)
    Store.open(path).close()
    backup = tmp_path / "driftcheck.sqlite.v1.bak"
    first = backup.stat().st_mtime_ns
    Store.open(path).close()
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == ["driftcheck.sqlite.v1.bak"]
    assert backup.stat().st_mtime_ns == first


def test_the_backup_includes_rows_still_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "driftcheck.sqlite"
    make_v1_file(path, intervals=0)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    with writer:
        writer.executemany(
            "INSERT INTO intervals (app_id, start_ms, end_ms, measure) VALUES (1, ?, ?, 0)",
            [(T0_MS + i, T0_MS + i + 1) for i in range(50)],
        )
    try:
        assert (tmp_path / "driftcheck.sqlite-wal").stat().st_size > 0
        Store.open(path).close()
    finally:
        writer.close()
    old = sqlite3.connect(tmp_path / "driftcheck.sqlite.v1.bak")
    assert old.execute("SELECT count(*) FROM intervals").fetchone() == (50,)
    old.close()


def test_live_schema_matches_the_models(tmp_path: Path) -> None:
    """The frozen SQL steps and `models` must describe the same tables, so neither drifts."""
    store = Store.open(tmp_path / "driftcheck.sqlite")
    try:
        inspector = inspect(store._engine)
        declared = models.Base.metadata.tables
        assert set(inspector.get_table_names()) == set(declared)
        dialect = store._engine.dialect
        for name, table in declared.items():
            live_columns = {c["name"]: c for c in inspector.get_columns(name)}
            assert set(live_columns) == set(table.columns.keys()), name
            for column in table.columns:
                live = live_columns[column.name]
                where = f"{name}.{column.name}"
                assert str(live["type"]) == column.type.compile(dialect), where
                assert bool(live["nullable"]) == bool(column.nullable), where
                server_default: Any = column.server_default
                expected_default = None if server_default is None else server_default.arg.text
                assert live["default"] == expected_default, where
            live_pk = inspector.get_pk_constraint(name)["constrained_columns"]
            assert live_pk == [c.name for c in table.primary_key.columns], name

            live_indexes = {
                i["name"]: tuple(i["column_names"]) for i in inspector.get_indexes(name)
            }
            declared_indexes = {i.name: tuple(c.name for c in i.columns) for i in table.indexes}
            assert live_indexes == declared_indexes, name

            live_unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
            declared_unique = {
                tuple(c.name for c in con.columns)
                for con in table.constraints
                if isinstance(con, UniqueConstraint)
            } | {(c.name,) for c in table.columns if c.unique}
            assert live_unique == declared_unique, name

            # PRAGMA, not the inspector: SQLAlchemy does not read ON DELETE from a column's
            # inline REFERENCES clause.
            with store._engine.connect() as conn:
                live_fks = {
                    ((row[3],), row[2], (row[4],), row[6].upper())
                    for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({name})")
                }
            declared_fks = {
                (
                    (fk.parent.name,),
                    fk.column.table.name,
                    (fk.column.name,),
                    (fk.ondelete or "").upper(),
                )
                for fk in table.foreign_keys
            }
            assert live_fks == declared_fks, name

            live_checks = {c["name"] for c in inspector.get_check_constraints(name)}
            declared_checks = {
                con.name for con in table.constraints if isinstance(con, CheckConstraint)
            }
            assert live_checks == declared_checks, name
    finally:
        store.close()


def test_a_file_from_a_newer_driftcheck_is_refused_untouched(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "driftcheck.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE future (x)")
    raw.execute("INSERT INTO future VALUES (1)")
    raw.execute("PRAGMA user_version = 999")
    raw.commit()
    raw.close()
    before = path.read_bytes()

    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert str(caught.value) == (
        "This data was written by a newer version of driftcheck (schema 999); "
        "please update driftcheck to open it."
    )
    assert path.read_bytes() == before

    engine = create_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(StoreError):
            migrate(engine)
    finally:
        engine.dispose()
    assert path.read_bytes() == before
    assert list(tmp_path.glob("*.bak")) == []


def test_a_garbage_file_is_set_aside_untouched_not_upgraded(tmp_path: Path) -> None:
    """Damage is not an old schema: nothing is migrated or backed up; the bytes are kept under
    another name (tests/unit/test_faults_store.py has the rest)."""
    path = tmp_path / "driftcheck.sqlite"
    garbage = b"this is not a database, just some bytes\n" * 200
    path.write_bytes(garbage)
    Store.open(path).close()
    [aside] = tmp_path.glob("driftcheck.sqlite.corrupt-*[0-9Z]")
    assert aside.read_bytes() == garbage
    assert read_version(path) == LATEST_VERSION
    assert list(tmp_path.glob("*.bak")) == []


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE intervals (whatever)")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a driftcheck database"):
        Store.open(path)
    assert path.read_bytes() == before


def test_a_failed_step_leaves_the_file_at_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "driftcheck.sqlite"
    Store.open(path).close()

    def broken(conn: Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")

    steps: list[tuple[int, str, Any]] = [*MIGRATIONS, (LATEST_VERSION + 1, "broken", broken)]
    monkeypatch.setattr(migrations, "MIGRATIONS", steps)
    monkeypatch.setattr(migrations, "LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(StoreError):
        Store.open(path)

    assert read_version(path) == LATEST_VERSION
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall() == []
    raw.close()


# --- through the real command line ---------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def make_v2_file(path: Path) -> None:
    """A file as driftcheck at schema 2 left it: v1's data, then goals."""
    make_v1_file(path, intervals=300)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        assert MIGRATIONS[1][0] == 2
        MIGRATIONS[1][2](conn)
        conn.exec_driver_sql("PRAGMA user_version = 2")
        conn.exec_driver_sql(
            "INSERT INTO goals (app_id, kind, limit_seconds, quiet_start_min, quiet_end_min,"
            " created_ms) VALUES (NULL, 'daily', 2700, NULL, NULL, 1), (1, 'weekly', 18000,"
            " NULL, NULL, 2), (NULL, 'quiet_hours', NULL, 1380, 360, 3)")
    engine.dispose()


def every_row(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DRIFTCHECK_DATA_DIR", "DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=60,
                          env={**env, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("version", [1, 2])
def test_the_cli_upgrades_an_older_file_keeping_every_row_of_every_table(
        tmp_path: Path, version: int) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    path = data / "driftcheck.sqlite3"
    (make_v1_file if version == 1 else make_v2_file)(path)
    before = every_row(path)
    assert sum(len(rows) for rows in before.values()) > 300

    done = cli(data, "goals", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    after = every_row(path)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} changed in the upgrade"
    assert set(after) - set(before) >= {"checkins"}
    assert read_version(path) == LATEST_VERSION
    assert every_row(data / f"driftcheck.sqlite3.v{version}.bak") == before
    if version == 2:  # the goals came through, as the person sees them
        goals = json.loads(done.stdout)
        assert [(g["kind"], g["app"]) for g in goals] == [
            ("daily", None), ("weekly", "replika"), ("quiet_hours", None)]


@pytest.mark.parametrize("command", [["status"], ["track"], ["apps", "add", "replika"]])
def test_the_cli_refuses_a_newer_file_in_one_sentence_leaving_it_as_it_was(
        tmp_path: Path, command: list[str]) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    path = data / "driftcheck.sqlite3"
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    before = path.read_bytes()

    done = cli(data, *command)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "driftcheck: This data was written by a newer version of driftcheck (schema 999); "
        "please update driftcheck to open it."]
    assert done.stdout == ""
    assert path.read_bytes() == before
    # Reading a WAL-mode file's version makes SQLite create its (empty) -wal and -shm; no
    # backup, no set-aside copy, no other file.
    assert {p.name for p in data.iterdir()} <= {"driftcheck.log", "driftcheck.sqlite3",
                                                 "driftcheck.sqlite3-wal", "driftcheck.sqlite3-shm"}
    wal = data / "driftcheck.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
