"""A damaged database at start is set aside with a timestamp and a fresh one begins; the person
is told once. A file that is merely busy, from a newer driftcheck, or damaged while another
process still uses it is never moved.

The three kinds of damage are those SQLite reports differently: bytes that are no database
("file is not a database", at the first read), a file cut short ("database disk image is
malformed", at the first read) and a valid header over damaged pages (opens and reads its
version; only `PRAGMA quick_check` finds it).
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.errors import DamagedStore, StoreError
from widget.store import Store
from widget.store.migrations import LATEST_VERSION, read_version
from widget.store.recovery import examine, take_notices
from widget.store.resident import ResidentStore, open_for_tracking

DB = "driftcheck.sqlite3"
T0 = datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),))
STAMPED = re.compile(r"^driftcheck\.sqlite3\.corrupt-\d{8}T\d{6}Z$")
PAGE = 1024


def healthy(path: Path, intervals: int = 400) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(path)
    try:
        store.add_app(REPLIKA)
        for i in range(intervals):
            start = T0 - timedelta(days=30) + timedelta(minutes=10 * i)
            store.insert_interval(Interval("replika", start, start + timedelta(minutes=5)))
    finally:
        store.close()


def garbage(path: Path) -> None:
    size = path.stat().st_size
    path.write_bytes(random.Random(5).randbytes(size))


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damaged_pages(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(4 * PAGE)  # the header and the schema page stay as they were
        f.write(random.Random(7).randbytes(3 * PAGE))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage bytes": garbage,
    "truncated": truncated,
    "valid header, damaged pages": damaged_pages,
}


def interval_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM intervals").fetchone()[0])
    finally:
        conn.close()


def set_aside_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{DB}.corrupt-*"))


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_sqlite_names_each_kind_of_damage_and_examine_catches_it(tmp_path: Path,
                                                                 damage: str) -> None:
    path = tmp_path / DB
    healthy(path)
    assert examine(path) == LATEST_VERSION
    DAMAGE[damage](path)
    with pytest.raises(DamagedStore) as caught:
        examine(path)
    expected = "file is not a database" if damage == "garbage bytes" \
        else "database disk image is malformed"
    assert expected in str(caught.value)


@pytest.mark.parametrize("way_in", ["Store.open", "open_for_tracking"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_file_is_set_aside_whole_and_a_fresh_one_starts(
        tmp_path: Path, damage: str, way_in: str) -> None:
    path = tmp_path / DB
    healthy(path)
    DAMAGE[damage](path)
    damaged_bytes = path.read_bytes()

    if way_in == "Store.open":
        opened: Store | object = Store.open(path, clock=lambda: T0)
    else:
        opened = open_for_tracking(path)
    try:
        assert opened.list_apps() == []  # type: ignore[attr-defined]
    finally:
        opened.close()  # type: ignore[attr-defined]

    [aside] = [p for p in set_aside_files(tmp_path) if STAMPED.match(p.name)]
    if way_in == "Store.open":
        assert aside.name == f"{DB}.corrupt-20260301T101500Z"
    assert aside.read_bytes() == damaged_bytes, "set aside byte for byte, not repaired"
    assert read_version(path) == LATEST_VERSION
    assert interval_count(path) == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert list(tmp_path.glob("*.bak")) == [], "damage is not an old schema"


def test_its_wal_goes_with_it_and_never_reaches_the_fresh_file(tmp_path: Path) -> None:
    """As after a kill -9: the damaged file has a -wal full of frames. SQLite would replay a
    -wal left at the old name into the fresh file."""
    source = tmp_path / "source" / DB
    healthy(source, intervals=50)
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    with writer:
        writer.executemany("INSERT INTO intervals (app_id, start_ms, end_ms, measure) "
                           "VALUES (1, ?, ?, 0)", [(i * 1000, i * 1000 + 500) for i in range(300)])
    data = tmp_path / "data"
    data.mkdir()
    path = data / DB
    for suffix in ("", "-wal"):
        path.with_name(DB + suffix).write_bytes(source.with_name(DB + suffix).read_bytes())
    writer.close()
    wal = path.with_name(DB + "-wal").read_bytes()
    assert len(wal) > 300 * 32
    damaged_pages(path)

    Store.open(path, clock=lambda: T0).close()

    aside = data / f"{DB}.corrupt-20260301T101500Z"
    assert aside.with_name(aside.name + "-wal").read_bytes() == wal
    assert interval_count(path) == 0  # the old frames were not replayed into it
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_the_person_is_told_once_on_stderr(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "replika").code == 0
    garbage(data / DB)
    first = run("status")
    assert first.code == 0, first.err
    lines = first.err.splitlines()
    assert len(lines) == 1, first.err
    assert re.fullmatch(
        rf"driftcheck: the database in {re.escape(str(data))} was damaged, so it was set aside "
        rf"as {DB}\.corrupt-\d{{8}}T\d{{6}}Z \(nothing in it was deleted\) and a fresh one "
        r"was started\.", lines[0]), lines[0]
    assert "Traceback" not in first.err
    again = run("status")
    assert again.code == 0 and again.err == "", "told once"
    assert run("apps", "list").out.startswith("You are not tracking any apps yet")


def test_the_tracker_s_way_in_tells_once_too(data: Path) -> None:
    """`driftcheck track` opens through the lean store: the same set-aside and the same line."""
    healthy(data / DB)
    truncated(data / DB)
    store = open_for_tracking(data / DB)
    store.close()
    told = take_notices(data)
    assert len(told) == 1 and "was damaged, so it was set aside" in told[0]
    assert take_notices(data) == []


def test_two_set_asides_in_the_same_second_keep_both(tmp_path: Path) -> None:
    path = tmp_path / DB
    for _ in range(2):
        healthy(path)
        garbage(path)
        Store.open(path, clock=lambda: T0).close()
    names = [p.name for p in set_aside_files(tmp_path) if not p.name.endswith(("-wal", "-shm"))
             and not p.name.endswith(".notice")]
    assert names == [f"{DB}.corrupt-20260301T101500Z", f"{DB}.corrupt-20260301T101500Z-2"]
    assert len(take_notices(tmp_path)) == 2


def test_a_newer_file_is_refused_even_when_its_pages_are_damaged(tmp_path: Path) -> None:
    """A newer driftcheck's file is not ours to judge: refused and left exactly as it is (the
    sentence names the damage when the schema cannot even be listed)."""
    path = tmp_path / DB
    healthy(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    damaged_pages(path)
    before = path.read_bytes()
    for open_it in (Store.open, open_for_tracking):
        with pytest.raises(StoreError, match=r"newer version of driftcheck|malformed"):
            open_it(path)
        assert path.read_bytes() == before
    assert set_aside_files(tmp_path) == []


def test_a_busy_file_is_not_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another connection holds the write lock of a rollback-journal file (an old file, or
    another program): "database is locked", never set aside."""
    path = tmp_path / DB
    healthy(path, intervals=10)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("BEGIN EXCLUSIVE")
    before = path.read_bytes()
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect",
                        lambda *a, **k: real_connect(*a, **{**k, "timeout": 0.2}))
    try:
        with pytest.raises(StoreError) as caught:
            Store.open(path)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert "database is locked" in str(caught.value)
    assert "damaged" not in str(caught.value)
    assert path.read_bytes() == before
    assert set_aside_files(tmp_path) == []


def test_a_damaged_file_still_in_use_elsewhere_is_not_moved(tmp_path: Path) -> None:
    """A running driftcheck (here a stand-in process) still has the file open: moving it
    would send its writes into the set-aside file. Refused with a sentence; the next start
    after that one quits sets it aside."""
    path = tmp_path / DB
    healthy(path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({str(path)!r})\n"
         "c.execute('PRAGMA journal_mode = WAL')\n"
         "c.execute('SELECT count(*) FROM tracked_apps').fetchone()\n"
         "print('open', flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        damaged_pages(path)
        with pytest.raises(StoreError) as caught:
            Store.open(path)
        assert "another driftcheck is still using it" in str(caught.value)
        assert set_aside_files(tmp_path) == []
    finally:
        holder.communicate("", timeout=10)
    Store.open(path).close()
    assert len([p for p in set_aside_files(tmp_path) if STAMPED.match(p.name)]) == 1


def test_a_damaged_file_this_process_has_open_is_not_moved(tmp_path: Path) -> None:
    """The tray holds the lean store while a dialog opens the full one: POSIX locks never
    conflict within a process, so only the process's own record can tell (and its locks
    must not be dropped by a probe)."""
    path = tmp_path / DB
    healthy(path)
    lean = ResidentStore.open(path)
    try:
        damaged_pages(path)
        with pytest.raises(StoreError) as caught:
            Store.open(path)
        assert "still using it" in str(caught.value)
        assert set_aside_files(tmp_path) == []
    finally:
        lean.close()
    Store.open(path).close()  # closed: now it is set aside
    assert len([p for p in set_aside_files(tmp_path) if STAMPED.match(p.name)]) == 1


def test_what_is_set_aside_stays_owner_only(tmp_path: Path) -> None:
    path = tmp_path / DB
    healthy(path, intervals=10)
    garbage(path)
    os.chmod(path, 0o644)
    Store.open(path).close()
    aside = set_aside_files(tmp_path)
    assert aside and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in aside)
