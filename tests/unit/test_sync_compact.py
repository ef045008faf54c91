"""The sync child and the tray's side of it (issue 16's memory): the kept months round-trip
exactly, a cut or changed kept file is refused and the last good read stays, the files are
owner-only, the tray's loader never loads the file format's decoding or `cryptography`, a
read of an old week over months loaded only when reached equals the full history's, and the
real child process writes this computer's month and leaves the others' read."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import Run
from widget.core.model import Interval, Measure
from widget.paths import DB_NAME, SYNC_CACHE_NAME
from widget.services.devices import ChildSyncJob, others_of
from widget.store.db import Store
from widget.store.resident import ResidentStore
from widget.sync import compact
from widget.sync.folder import FolderView, SharedFolder, create_identity, load_identity
from widget.sync.format import split_by_month
from widget.sync.merge import History, histories_of, window_totals
from widget.sync.reader import MergedReader

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
APPS = ("replika", "character-ai", "nomi")


def dense(days: int, seed: int = 3, end: datetime = NOW) -> list[Interval]:
    """Intervals every few minutes for `days` days before `end`, of three apps, some
    approximate, varied lengths (a deterministic walk, not random)."""
    out = []
    at = end - timedelta(days=days)
    k = seed
    while at < end - timedelta(minutes=30):
        k = (k * 1103515245 + 12345) % 2**31
        length = timedelta(seconds=5 + k % 1700, milliseconds=k % 1000)
        out.append(Interval(APPS[k % 3], at, at + length,
                            Measure.APPROXIMATE if k % 11 == 0 else Measure.FOREGROUND))
        at += length + timedelta(seconds=1 + (k >> 8) % 900)
    return out


def test_a_kept_month_round_trips_every_interval_exactly() -> None:
    for month in histories_of(dense(70)):
        data = compact.history_bytes(month)
        back = compact.history_from_bytes(data)
        assert back.all() == month.all()
        assert (back.base_ms, back.keys, list(back.starts), list(back.lengths),
                list(back.apps)) == (month.base_ms, month.keys, list(month.starts),
                                     list(month.lengths), list(month.apps))
    empty = History.of(())
    assert compact.history_from_bytes(compact.history_bytes(empty)).all() == []


def test_a_cut_or_changed_kept_month_is_refused() -> None:
    month = histories_of(dense(20))[-1]
    data = compact.history_bytes(month)
    for cut in (0, 5, len(compact.MAGIC) + 3, len(data) // 2, len(data) - 1):
        with pytest.raises(compact.CacheDamaged):
            compact.history_from_bytes(data[:cut])
    for at in (len(compact.MAGIC) + 1, len(data) // 3, len(data) - 6, len(data) - 1):
        flipped = bytearray(data)
        flipped[at] ^= 0x10
        with pytest.raises(compact.CacheDamaged):
            compact.history_from_bytes(bytes(flipped))


def _shared_with_other(tmp_path: Path, intervals: list[Interval]) -> tuple[Path, Path]:
    """A shared folder with another computer's files, and this computer's data folder."""
    shared, other, mine = tmp_path / "Sync", tmp_path / "other", tmp_path / "mine"
    shared.mkdir()
    for folder in (other, mine):
        folder.mkdir(mode=0o700)
    writer = SharedFolder(shared, other, create_identity(other, "Desktop", False), None,
                          lambda: NOW, UTC)
    outcome = writer.write(split_by_month(intervals), {app: app.title() for app in APPS})
    assert outcome.problem is None
    create_identity(mine, "Laptop", False)
    return shared, mine


def _read_and_keep(shared: Path, mine: Path) -> tuple[SharedFolder, FolderView]:
    identity = load_identity(mine)
    assert identity is not None
    folder = SharedFolder(shared, mine, identity, None, lambda: NOW, UTC)
    view = folder.read()
    compact.write_view(mine / SYNC_CACHE_NAME, view, folder.kept_digests(), folder.memo())
    return folder, view


def test_the_kept_read_loads_as_read_and_owner_only(tmp_path: Path) -> None:
    intervals = dense(100)
    shared, mine = _shared_with_other(tmp_path, intervals)
    _folder, view = _read_and_keep(shared, mine)
    loaded = compact.load_view(mine / SYNC_CACHE_NAME)
    assert [(d.device_id, d.name, d.last_written, d.stale_since, d.problems)
            for d in loaded.devices] == [(d.device_id, d.name, d.last_written, d.stale_since,
                                          d.problems) for d in view.devices]
    assert (loaded.this_name, loaded.notes, loaded.read_at) == (view.this_name, view.notes,
                                                                 view.read_at)
    (device,) = loaded.devices
    assert device.intervals() == sorted(intervals, key=lambda iv: (iv.start, iv.end))
    assert device.newest is not None and device.newest.apps == {a: a.title() for a in APPS}
    cache = mine / SYNC_CACHE_NAME
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    kept = list(cache.iterdir())
    assert any(p.name.endswith(compact.HISTORY_SUFFIX) for p in kept)
    for path in kept:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert compact.is_kept_name(path.name) or path.name.endswith(".dcsync"), path
    assert not compact.is_kept_name("notes.txt")


def test_a_cut_or_changed_kept_read_is_refused(tmp_path: Path) -> None:
    shared, mine = _shared_with_other(tmp_path, dense(40))
    _read_and_keep(shared, mine)
    index = mine / SYNC_CACHE_NAME / compact.INDEX_NAME
    whole = index.read_bytes()
    for broken in (whole[: len(whole) // 2], whole[:-3], whole.replace(b"Desktop", b"Dasktop")):
        index.write_bytes(broken)
        with pytest.raises(compact.CacheDamaged):
            compact.load_view(mine / SYNC_CACHE_NAME)


def test_an_old_week_over_months_loaded_when_reached_equals_the_full_history(
        tmp_path: Path) -> None:
    intervals = dense(200)
    shared, mine = _shared_with_other(tmp_path, intervals)
    _folder, view = _read_and_keep(shared, mine)
    loaded = compact.load_view(mine / SYNC_CACHE_NAME)
    lazy = others_of(loaded)
    (parts,) = lazy.values()
    assert all(isinstance(h, compact.LazyHistory) and not h.is_loaded for h in parts)
    this_week = (NOW - timedelta(days=2), NOW)
    full = {"desktop": histories_of(intervals)}
    for history in parts:  # the resting tray's read: this week's month alone is loaded
        history.overlapping(*this_week)
    assert [h.is_loaded for h in parts] == [h is parts[-1] for h in parts]
    old_week = (NOW - timedelta(days=150), NOW - timedelta(days=143))
    expected = window_totals(full, *old_week)
    got = window_totals({"desktop": parts}, *old_week)
    assert expected.all_devices > 3600 and got == expected
    local = ResidentStore.open(_empty_store(tmp_path))
    try:
        eager = MergedReader(local, others_of(view))
        fresh = MergedReader(local, others_of(compact.load_view(mine / SYNC_CACHE_NAME)))
        assert fresh.intervals_overlapping(*old_week) == eager.intervals_overlapping(*old_week)
        assert fresh.seconds_in([old_week, this_week]) == eager.seconds_in([old_week,
                                                                             this_week])
        assert fresh.first_use() == eager.first_use()
    finally:
        local.close()


def test_one_computer_alone_and_a_16_week_read_load_only_the_months_they_reach(
        tmp_path: Path) -> None:
    """Another computer shown alone: its first use loads its first month only, and the
    dashboard's 16 weeks of totals load the months those weeks touch, not its whole history
    (the tray's memory); the all-computers reader's 16 weeks too."""
    from widget.sync.one_device import OneDeviceReader

    shared, mine = _shared_with_other(tmp_path, dense(200))
    _read_and_keep(shared, mine)
    local = ResidentStore.open(_empty_store(tmp_path))
    try:
        (parts,) = others_of(compact.load_view(mine / SYNC_CACHE_NAME)).values()
        alone = OneDeviceReader(local, parts)
        assert alone.first_use() is not None
        assert not any(h.is_loaded for h in parts)  # the first start is in the index
        weeks = [(NOW - timedelta(weeks=k + 1), NOW - timedelta(weeks=k)) for k in range(16)]
        (fresh,) = others_of(compact.load_view(mine / SYNC_CACHE_NAME)).values()
        MergedReader(local, {"desktop": fresh}).seconds_in(weeks)
        reached = sum(h.is_loaded for h in fresh)
        assert 0 < reached <= 6 < len(fresh), (reached, len(fresh))
    finally:
        local.close()


def test_a_kept_read_whose_index_was_lost_keeps_every_month_file(tmp_path: Path) -> None:
    """With the index before unreadable, the child cannot tell which months the tray's read
    still names: it removes none (a read the tray holds may load them later)."""
    shared, mine = _shared_with_other(tmp_path, dense(100))
    _folder, view = _read_and_keep(shared, mine)
    cache = mine / SYNC_CACHE_NAME
    months = {p.name for p in cache.iterdir() if p.name.endswith(compact.HISTORY_SUFFIX)}
    (cache / compact.INDEX_NAME).write_bytes(b"cut sh")
    fewer = replace(view, devices=tuple(replace(d, files=dict(list(d.files.items())[-1:]))
                                        for d in view.devices))
    compact.write_view(cache, fewer, {}, {})
    assert months <= {p.name for p in cache.iterdir()}


def test_a_kept_month_gone_under_a_read_leaves_that_month_out_without_an_error(
        tmp_path: Path) -> None:
    intervals = dense(70)
    shared, mine = _shared_with_other(tmp_path, intervals)
    _read_and_keep(shared, mine)
    (parts,) = others_of(compact.load_view(mine / SYNC_CACHE_NAME)).values()
    newest = parts[-1]
    assert isinstance(newest, compact.LazyHistory)
    newest._path.write_bytes(newest._path.read_bytes()[:-1])  # someone cut it
    local = ResidentStore.open(_empty_store(tmp_path))
    try:
        reader = MergedReader(local, {"desktop": parts})
        week = (NOW - timedelta(days=3), NOW)
        assert reader.intervals_overlapping(*week) == []
        assert reader.seconds_in([week]) == [0.0]
        assert len(newest) == 0
        older = (NOW - timedelta(days=60), NOW - timedelta(days=50))
        assert reader.seconds_in([older])[0] > 0  # the other months stand
    finally:
        local.close()


def _empty_store(tmp_path: Path) -> Path:
    path = tmp_path / "local" / DB_NAME
    path.parent.mkdir(mode=0o700)
    Store.open(path).close()
    return path


def test_the_next_child_takes_the_kept_read_without_decoding_again(tmp_path: Path) -> None:
    shared, mine = _shared_with_other(tmp_path, dense(70))
    first, view = _read_and_keep(shared, mine)
    assert first.decodes > 0
    identity = load_identity(mine)
    assert identity is not None
    again = SharedFolder(shared, mine, identity, None, lambda: NOW, UTC)
    second = again.read()
    assert again.decodes == 0
    assert [d.intervals() for d in second.devices] == [d.intervals() for d in view.devices]


def test_the_trays_loader_never_loads_the_file_formats_decoding_or_cryptography(
        tmp_path: Path) -> None:
    shared, mine = _shared_with_other(tmp_path, dense(40))
    _read_and_keep(shared, mine)
    code = (
        "import sys\n"
        "from datetime import UTC, datetime, timedelta\n"
        "from pathlib import Path\n"
        "import widget.tracking\n"
        "import widget.services.devices as D\n"
        "from widget.sync.compact import load_view\n"
        "from widget.sync.reader import MergedStore\n"
        f"view = load_view(Path({str(mine / SYNC_CACHE_NAME)!r}))\n"
        "others = D.others_of(view)\n"
        "names = D.names_of(view)\n"
        "n = sum(len(h.all()) for parts in others.values() for h in parts)\n"
        "assert n > 1000, n\n"
        "heavy = ['hashlib', 'gzip', 'cryptography', 'widget.sync.format',\n"
        "         'widget.sync.folder', 'widget.sync.crypto']\n"
        "print([m for m in heavy if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


# --- the real child process -------------------------------------------------------------------


def _sharing(run: Run, data: Path, shared: Path) -> ResidentStore:
    assert run("apps", "add", "replika", data_dir=data).code == 0
    now = datetime.now(UTC)
    full = Store.open(data / DB_NAME)
    try:
        full.insert_interval(Interval("replika", now - timedelta(minutes=50),
                                      now - timedelta(minutes=30)))
    finally:
        full.close()
    assert run("devices", "share", str(shared), "--name", "Laptop", data_dir=data).code == 0
    return ResidentStore.open(data / DB_NAME)


def test_the_child_writes_this_computers_month_and_leaves_the_others_read(
        run: Run, tmp_path: Path) -> None:
    shared = tmp_path / "Sync"
    shared.mkdir()
    (shared / ".stfolder").mkdir()
    desktop = tmp_path / "desktop"
    desktop.mkdir(mode=0o700)
    now = datetime.now(UTC).replace(microsecond=0)
    theirs = [Interval("replika", now - timedelta(minutes=25), now - timedelta(minutes=5))]
    SharedFolder(shared, desktop, create_identity(desktop, "Desktop", False), None,
                 lambda: datetime.now(UTC), UTC).write(split_by_month(theirs),
                                                       {"replika": "Replika"})
    laptop = tmp_path / "laptop"
    store = _sharing(run, laptop, shared)
    try:
        for path in list(shared.iterdir()):  # the share's own writing gone: the child writes
            if path.name.startswith("driftcheck-") and "Desktop" not in path.name:
                identity = load_identity(laptop)
                assert identity is not None
                if identity.device_id in path.name:
                    path.unlink()
        seen: list[FolderView] = []
        job = ChildSyncJob(store, laptop, seen.append)
        job()
        identity = load_identity(laptop)
        assert identity is not None
        assert any(identity.device_id in p.name for p in shared.iterdir())
        assert [d.name for d in seen[-1].devices] == ["Desktop"]
        assert [iv for d in seen[-1].devices for iv in d.intervals()] == theirs
        assert job.last_view is seen[-1] and job.last_seconds is not None

        # a child that fails (here: the database moved away under it) keeps the last read
        database = laptop / DB_NAME
        database.rename(tmp_path / "aside.sqlite3")
        try:
            job()
        finally:
            (tmp_path / "aside.sqlite3").rename(database)
        assert len(seen) == 1 and job.last_view is seen[0]
        job()  # and a good child again gives a read
        assert len(seen) == 2
    finally:
        store.close()



def test_a_frozen_build_syncs_in_its_own_process(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Its program has no `-m` to start the child with (packaging/launcher.py)."""
    from widget.services.devices import SyncJob, tracker_sync_job

    store = ResidentStore.open(_empty_store(tmp_path))
    try:
        assert isinstance(tracker_sync_job(store, tmp_path), ChildSyncJob)
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        assert isinstance(tracker_sync_job(store, tmp_path), SyncJob)
    finally:
        store.close()


AUDITED_CHILD = """
import os, runpy, sys
seen = []
def hook(event, args):
    if event.startswith("socket.") or event in ("sqlite3.connect", "subprocess.Popen"):
        seen.append(event)
sys.addaudithook(hook)
sys.argv = ["widget.sync.child", sys.argv[1]]
try:
    runpy.run_module("widget.sync.child", run_name="__main__")
finally:
    with open(os.environ["AUDIT_OUT"], "w") as out:
        out.write("\\n".join(seen))
"""


def test_the_child_opens_no_socket_and_starts_no_program(run: Run, tmp_path: Path) -> None:
    """The tracker's audit hook does not reach the child (a Python of its own): it is audited
    here, with the other computer's files to read and this computer's month to write."""
    shared = tmp_path / "Sync"
    shared.mkdir()
    (shared / ".stfolder").mkdir()
    other = tmp_path / "desktop"
    other.mkdir(mode=0o700)
    SharedFolder(shared, other, create_identity(other, "Desktop", False), None,
                 lambda: NOW, UTC).write(split_by_month(dense(40)),
                                         {app: app.title() for app in APPS})
    laptop = tmp_path / "laptop"
    _sharing(run, laptop, shared).close()
    out = tmp_path / "audit.txt"
    done = subprocess.run([sys.executable, "-c", AUDITED_CHILD, str(laptop)], input="{}",
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "AUDIT_OUT": str(out)})
    assert done.returncode == 0, done.stderr
    assert '"devices": 1' in done.stdout
    events = out.read_text().split()
    assert "sqlite3.connect" in events  # the hook was live while the child worked
    assert [e for e in events if e != "sqlite3.connect"] == []


def test_quitting_ends_a_child_that_hangs_and_the_last_sync_is_bounded(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared folder that hangs (a network drive gone) holds the child, never the person's
    quitting: `cancel` (the tracker's stop) kills the child running now and no scheduled sync
    starts another; `final`, the last sync, gives up after FINAL_TIMEOUT_S. The last read
    stays in use and the log says why by kind."""
    import threading

    from tests.helpers.waiting import wait_for
    from widget.services import devices

    shared = tmp_path / "Sync"
    shared.mkdir()
    (shared / ".stfolder").mkdir()
    store = _sharing(run, tmp_path / "laptop", shared)
    seen: list[FolderView] = []
    hangs = ["-c", "import sys, time; sys.stdin.read(); time.sleep(120)"]
    job = ChildSyncJob(store, tmp_path / "laptop", seen.append, args=hangs)
    try:
        running = threading.Thread(target=job)
        running.start()
        child = wait_for(lambda: job._child, 10, "the child to start")
        job.cancel()
        running.join(timeout=10)
        assert not running.is_alive() and child.poll() is not None
        started: list[object] = []
        monkeypatch.setattr(devices.subprocess, "Popen", lambda *a, **k: started.append(a))
        job()  # a scheduled sync after the stop began: none starts
        assert started == []
        monkeypatch.undo()
        monkeypatch.setattr(devices, "FINAL_TIMEOUT_S", 1.0)
        assert job.last_failure == "-15"  # asked to end (SIGTERM)
        job.final()  # the last sync, which would hang: ended after its time
        assert job._child is None and seen == [] and job.last_failure == "timeout"
    finally:
        store.close()


def test_the_child_asked_to_end_ends_as_an_exception_would(tmp_path: Path) -> None:
    """SIGTERM (the tracker's stop, or a folder that took too long) reaches the child as an
    exception, so whatever it was writing is cleaned up on the way out (`write_owner_only`
    removes its temporary file on any exception), rather than a kill mid-write. The signal is
    sent once the child catches SIGTERM (its /proc status says so), while it waits on stdin."""
    import signal

    from tests.helpers.waiting import wait_for

    child = subprocess.Popen([sys.executable, "-P", "-m", "widget.sync.child", str(tmp_path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _catches(child.pid, signal.SIGTERM), 20, "the child's SIGTERM handler")
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 1  # SystemExit(1), not -15 (killed where it stood)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()


def _catches(pid: int, signal_number: int) -> bool:
    """Whether process `pid` has a handler for `signal_number` (SigCgt in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal_number - 1) & 1)
    return False
