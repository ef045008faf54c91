"""The full store against real SQLite files in a temp dir: its files, pragmas, query plan and
size on disk, and what it alone does. What both stores keep: test_store_contract.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.helpers.fakes import FakeClock
from tests.helpers.fs import mode
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.store import Store
from widget.store.db import from_ms, to_ms

T0 = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)

REPLIKA = TrackedApp(
    key="replika",
    name="Replika",
    rules=(Rule(RuleKind.PROCESS, "Replika"), Rule(RuleKind.TITLE, "replika.com")),
)
CHARACTER = TrackedApp(
    key="character-ai",
    name="Character.AI",
    rules=(Rule(RuleKind.TITLE, "character.ai"),),
    any_window_titles=True,
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def store(tmp_path: Path, loose_umask: None) -> Iterator[Store]:
    # Each row the store stamps gets a later moment than the one before.
    opened = Store.open(tmp_path / "data" / "driftcheck.sqlite",
                        clock=FakeClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC), step=1.0))
    try:
        yield opened
    finally:
        opened.close()


def pragma(store: Store, name: str) -> Any:
    with store._engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


# --- files and modes ----------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX-only")
def test_dir_is_0700_and_db_wal_shm_are_0600_after_writes(store: Store) -> None:
    store.add_app(REPLIKA)
    store.insert_interval(Interval("replika", at(0), at(1)))
    files = store.files()
    names = {f.name for f in files}
    assert names == {"driftcheck.sqlite", "driftcheck.sqlite-wal", "driftcheck.sqlite-shm"}
    assert mode(store.path.parent) == 0o700
    for file in files:
        assert mode(file) == 0o600, file


def test_wal_and_foreign_keys_are_on(store: Store) -> None:
    assert pragma(store, "journal_mode") == "wal"
    assert pragma(store, "foreign_keys") == 1
    assert pragma(store, "synchronous") == 1  # NORMAL
    assert pragma(store, "busy_timeout") == 5000
    assert pragma(store, "page_size") == 1024
    assert pragma(store, "cache_size") == -256  # KiB: see codec.apply_pragmas


def test_foreign_keys_cascade_a_hard_delete(store: Store) -> None:
    store.add_app(REPLIKA)
    store.insert_interval(Interval("replika", at(0), at(1)))
    with store._engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM tracked_apps WHERE key = 'replika'")
    assert store.interval_count() == 0


def test_integrity_ok_on_a_fresh_store(store: Store) -> None:
    assert store.integrity_ok()


def test_close_folds_the_wal_back(store: Store) -> None:
    store.add_app(REPLIKA)
    store.close()
    assert [f.name for f in store.files()] == ["driftcheck.sqlite"]
    reopened = Store.open(store.path)
    try:
        assert reopened.list_apps() == [REPLIKA]
    finally:
        reopened.close()


# --- apps ---------------------------------------------------------------------------------


def test_remove_app_says_whether_it_removed_and_keeps_the_history(store: Store) -> None:
    store.add_app(REPLIKA)
    store.insert_interval(Interval("replika", at(0), at(5)))
    assert store.remove_app("replika") is True
    assert store.remove_app("replika") is False  # already removed
    assert store.remove_app("nobody") is False
    assert store.list_apps() == []
    store.add_app(REPLIKA)
    assert store.list_apps() == [REPLIKA]
    assert store.interval_count() == 1


# --- intervals ----------------------------------------------------------------------------


def test_intervals_overlapping_uses_the_start_index(store: Store) -> None:
    store.add_app(REPLIKA)
    for minute in range(0, 600, 5):
        store.insert_interval(Interval("replika", at(minute), at(minute + 3)))
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM intervals" in statement:
            captured.append((statement, params))

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        store.intervals_overlapping(at(60), at(120))
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)
    (statement, params), *_ = captured
    with store._engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
    print("\n".join(plan))
    interval_steps = [step for step in plan if "intervals" in step]
    assert interval_steps
    assert all(
        "USING INDEX" in step or "USING COVERING INDEX" in step for step in interval_steps
    ), plan


def test_milliseconds_round_half_up_the_same_way_both_ways() -> None:
    assert to_ms(datetime(1970, 1, 1, 0, 0, 0, 1500, tzinfo=UTC)) == 2
    assert to_ms(datetime(1970, 1, 1, 0, 0, 0, 1499, tzinfo=UTC)) == 1
    assert to_ms(datetime(1969, 12, 31, 23, 59, 59, 998500, tzinfo=UTC)) == -1
    moment = datetime(2025, 3, 10, 10, 0, 0, 123000, tzinfo=UTC)
    assert from_ms(to_ms(moment)) == moment
    assert from_ms(to_ms(moment)).tzinfo is UTC
    with pytest.raises(ValueError):
        to_ms(datetime(2025, 3, 10))


# --- size on disk -------------------------------------------------------------------------


def test_a_thousand_intervals_take_under_100_kb(store: Store) -> None:
    store.add_app(REPLIKA)
    store.add_app(CHARACTER)
    for i in range(1000):
        app = "replika" if i % 3 else "character-ai"
        start = at(i * 7) + timedelta(milliseconds=137 * i)
        store.insert_interval(Interval(app, start, start + timedelta(minutes=5, seconds=i % 60)))
    assert pragma(store, "wal_checkpoint(TRUNCATE)") == 0
    size = store.path.stat().st_size
    print(f"\ndatabase with 1,000 intervals: {size} bytes")
    assert size < 100_000


def test_an_end_update_appends_about_one_page_to_the_wal(store: Store) -> None:
    store.add_app(REPLIKA)
    for i in range(200):
        store.insert_interval(Interval("replika", at(i), at(i + 0.5)))
    row = store.insert_interval(Interval("replika", at(300), at(300)))
    wal = store.path.with_name(store.path.name + "-wal")
    assert pragma(store, "wal_checkpoint(TRUNCATE)") == 0
    store.update_interval_end(row, at(300.05))  # restarts the WAL (header + first frame)
    before = wal.stat().st_size
    updates = 100
    for i in range(updates):
        store.update_interval_end(row, at(300.1) + timedelta(seconds=5 * i))
    per_update = (wal.stat().st_size - before) / updates
    print(f"\nWAL bytes per end_ms update: {per_update:.0f}")
    assert per_update <= 1024 + 24  # one 1 KiB page plus its frame header
