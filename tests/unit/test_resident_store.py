"""The tracker's lean store: the same file and the same answers as `Store`, without
SQLAlchemy in the process."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.errors import RowGone, StoreError, UnknownApp
from widget.store import Store
from widget.store.codec import SCHEMA_VERSION
from widget.store.migrations import LATEST_VERSION
from widget.store.resident import ResidentStore, open_for_tracking

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
NOMI = TrackedApp("nomi", "Nomi", (Rule(RuleKind.TITLE, "nomi.ai"),))
KINDROID = TrackedApp("kindroid", "Kindroid", (Rule(RuleKind.PROCESS, "kindroid"),
                                               Rule(RuleKind.TITLE, "Kindroid")))


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


@pytest.fixture
def both(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "db.sqlite3"
    full = Store.open(path)
    full.add_app(NOMI)
    full.add_app(KINDROID)
    lean = ResidentStore.open(path)
    yield full, lean
    lean.close()
    full.close()


def test_it_reads_the_same_apps_and_writes_intervals_the_full_store_reads(both) -> None:  # type: ignore[no-untyped-def]
    full, lean = both
    assert lean.list_apps() == full.list_apps()
    full.remove_app("nomi")
    assert [a.key for a in lean.list_apps()] == ["kindroid"]
    row = lean.insert_interval(Interval("kindroid", T0, T0, Measure.APPROXIMATE))
    lean.update_interval_end(row, T0 + timedelta(seconds=12.3456))
    got = full.intervals_overlapping(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert got == [Interval("kindroid", T0, T0 + timedelta(seconds=12.346), Measure.APPROXIMATE)]
    lean.delete_interval(row)
    assert full.interval_count() == 0


def test_the_lean_store_keeps_a_small_page_cache(both) -> None:  # type: ignore[no-untyped-def]
    # The tray app holds this connection for days; SQLite's default would keep 2 MB of pages.
    _full, lean = both
    assert lean._db.execute("PRAGMA cache_size").fetchone() == (-256,)


def test_settings_round_trip_between_the_two(both) -> None:  # type: ignore[no-untyped-def]
    full, lean = both
    lean.set_setting("tracker.mode", "approximate")
    full.set_setting("idle_after", 240)
    assert full.get_setting("tracker.mode") == "approximate"
    assert lean.all_settings()["idle_after"] == 240


def test_a_vanished_row_and_an_unknown_app_are_named_errors(both) -> None:  # type: ignore[no-untyped-def]
    full, lean = both
    row = lean.insert_interval(Interval("nomi", T0, T0 + timedelta(seconds=5)))
    lean.delete_interval(row)
    with pytest.raises(RowGone):
        lean.update_interval_end(row, T0 + timedelta(seconds=10))
    with pytest.raises(UnknownApp):
        lean.insert_interval(Interval("nobody", T0, T0))
    assert full.interval_count() == 0  # the failed insert left nothing half-written


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
    code = ("import sys, widget.commands, widget.track_cli, widget.doctor, widget.tracking, "
            "widget.store.resident, "
            "widget.probes.choose, widget.probes.x11; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_its_reads_agree_with_the_full_store(both) -> None:  # type: ignore[no-untyped-def]
    from widget.core.checkin import Checkin
    from widget.core.goals import Goal, GoalKind

    full, lean = both
    full.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60),
                        Goal(GoalKind.QUIET_HOURS, None, None, 23 * 60, 6 * 60),
                        Goal(GoalKind.SESSION, "kindroid", 3600)])
    for k in range(5):  # one spanning the window's start, three inside, one after
        start = T0 + timedelta(minutes=20 * k - 10)
        lean.insert_interval(Interval("kindroid" if k % 2 else "nomi", start,
                                      start + timedelta(minutes=15)))
    window = (T0, T0 + timedelta(hours=1))
    assert lean.intervals_overlapping(*window) == full.intervals_overlapping(*window)
    assert len(lean.intervals_overlapping(*window)) == 4
    assert lean.list_goals() == full.list_goals()
    assert lean.app_names() == full.app_names() == {"nomi": "Nomi", "kindroid": "Kindroid"}
    lean.set_setting("discreet", False)
    assert lean.get_setting("discreet") is False and lean.get_setting("nothing") is None
    checkin = Checkin(asked=T0, answered=T0 + timedelta(minutes=1), answer=2, note="mine",
                      week_seconds=3600)
    lean.add_checkin(checkin)
    assert full.list_checkins() == [checkin]


def _shm(path: Path) -> bytes:
    return path.with_name(path.name + "-shm").read_bytes()


def test_own_writes_are_not_changes_by_others_and_asking_reads_nothing(both) -> None:  # type: ignore[no-untyped-def]
    _full, lean = both
    assert lean.changed_by_others(), "nothing known yet: look"
    assert not lean.changed_by_others()
    row = lean.insert_interval(Interval("nomi", T0, T0 + timedelta(seconds=5)))
    lean.update_interval_end(row, T0 + timedelta(seconds=10))
    lean.set_setting("tracker.mode", "foreground")
    shm = _shm(lean.path)
    assert not lean.changed_by_others(), "the tracker's own writes are not news"
    assert _shm(lean.path) == shm, "asking wrote nothing to the WAL index"
    # The premise: a read after a write does move the read mark in the -shm file.
    lean.list_apps()
    assert _shm(lean.path) != shm


def test_another_connection_writing_is_seen_once(both) -> None:  # type: ignore[no-untyped-def]
    full, lean = both
    lean.changed_by_others()
    lean.insert_interval(Interval("nomi", T0, T0 + timedelta(seconds=5)))
    assert not lean.changed_by_others()
    full.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),)))
    assert lean.changed_by_others(), "`apps add` from a terminal is seen"
    assert not lean.changed_by_others()
    # Written by another, then by us before we asked: still seen.
    full.remove_app("replika")
    lean.insert_interval(Interval("nomi", T0 + timedelta(seconds=5), T0 + timedelta(seconds=9)))
    assert lean.changed_by_others()
