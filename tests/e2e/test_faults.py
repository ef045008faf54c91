"""What months of running bring, done for real to the real program (issue 5, "Faults"):
kill -9 at random moments, the process stopped (SIGSTOP) and continued, a full disk, a
read-only data folder, and a damaged database meeting the tray app. The X server going away is
in test_x_restart.py; clock jumps and suspend through the injected clock are in
tests/unit/test_faults_clock.py; damaged files one by one in tests/unit/test_faults_store.py.

The disk faults mount a tiny tmpfs, which needs root (as `make test` and CI run); elsewhere
they skip loudly, and REQUIRE_X11=1 turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import kill_rounds
from tests.e2e.desktop import ActivePerson, NotificationDesktop, XSession, end_process, wait_for
from tests.helpers.program import (
    ProgramLog,
    Tracker,
    app_env,
    driftcheck,
    integrity_check,
    program_env,
    settle_first_run,
    stored_seconds,
)
from tests.helpers.skips import skip_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

DB = "driftcheck.sqlite3"
KILL_ROUNDS = int(os.environ.get("DRIFTCHECK_KILL_ROUNDS", "10"))
KILL_SEED = int(os.environ.get("DRIFTCHECK_KILL_SEED", str(kill_rounds.DEFAULT_SEED)))


# --- kill -9 --------------------------------------------------------------------------------


def test_kill_9_at_random_moments_keeps_the_file_whole_and_loses_at_most_one_sample(
        screen_on_failure: XSession, tmp_path: Path) -> None:
    """DRIFTCHECK_KILL_ROUNDS=50 (bench/bench_faults.py) runs the long version; the seed is
    printed, and DRIFTCHECK_KILL_SEED repeats a run."""
    data = tmp_path / "data"
    assert driftcheck(data, "apps", "add", kill_rounds.APP).returncode == 0
    print(f"\nkill -9 rounds: {KILL_ROUNDS}, seed {KILL_SEED} "
          f"(DRIFTCHECK_KILL_SEED={KILL_SEED} repeats them)")
    rounds = kill_rounds.run_rounds(screen_on_failure, data, KILL_ROUNDS, KILL_SEED)
    print(kill_rounds.summary(rounds))
    assert all(r.ok for r in rounds), kill_rounds.summary(rounds)
    assert {r.phase for r in rounds} >= {"tracked", "switched"}


# --- SIGSTOP --------------------------------------------------------------------------------

# Longer than two sampling intervals (the builder's gap) and than APScheduler's misfire grace
# (5 s): every branch a stop of several minutes takes is taken, so the length adds nothing.
STOPPED_S = 10.0


def test_a_stopped_tracker_counts_none_of_the_stopped_time(
        screen_on_failure: XSession, tmp_path: Path) -> None:
    xs = screen_on_failure
    data = tmp_path / "data"
    assert driftcheck(data, "apps", "add", kill_rounds.APP).returncode == 0
    tracked = xs.spawn(kill_rounds.APP, "KoboldCpp console")
    xs.activate(xs.spawn("notes", "Notes"))
    tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "30",
                      err=tmp_path / "stderr.txt")
    try:
        with ActivePerson(xs):  # the person goes on using it all along
            front = xs.activate(tracked)
            time.sleep(2.5)
            os.kill(tracker.proc.pid, signal.SIGSTOP)
            before = time.monotonic() - front
            time.sleep(STOPPED_S)
            os.kill(tracker.proc.pid, signal.SIGCONT)
            continued = time.monotonic()
            time.sleep(2.5)
            tracker.stop()
            after = time.monotonic() - continued
    finally:
        tracker.end()
    counted = stored_seconds(data)
    print(f"\nin front {before:.2f} s, stopped {STOPPED_S:g} s, in front {after:.2f} s; "
          f"stored {counted:.2f} s")
    # At most one interval before the stop (closed at the last sample) and one after it (the
    # first sample after SIGCONT starts again) go uncounted; none of the stop counts.
    assert before + after - 2 * 1.0 - 0.3 <= counted <= before + after + 0.3
    assert integrity_check(data) == "ok"
    assert "Traceback" not in tracker.said()


# --- a full disk and a read-only folder -------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of our own (root only: `mount` needs CAP_SYS_ADMIN)."""
    if os.geteuid() != 0:
        skip_or_fail("not root, so no tmpfs can be mounted for the disk-fault tests")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs",
                           str(mount)], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        skip_or_fail(f"mounting a tmpfs failed ({done.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], capture_output=True,
                       timeout=30)
        if subprocess.run(["umount", str(mount)], capture_output=True, timeout=30).returncode:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk`; returns the file that holds them."""
    filler = disk / "filler"
    chunk = random.Random(3).randbytes(64 * 1024)
    with filler.open("wb", buffering=0) as f:
        for size in (64 * 1024, 4096, 1):
            try:
                while True:
                    f.write(chunk[:size])
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
    return filler


def test_a_full_disk_keeps_the_time_in_memory_and_writes_it_when_space_returns(
        screen_on_failure: XSession, tmp_path: Path, tiny_disk: Path) -> None:
    xs = screen_on_failure
    data = tiny_disk / "data"
    assert driftcheck(data, "apps", "add", kill_rounds.APP).returncode == 0
    tracked = xs.spawn(kill_rounds.APP, "KoboldCpp console")
    other = xs.spawn("notes", "Notes")
    xs.activate(other)
    tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "30",
                      err=tmp_path / "stderr.txt")
    db = data / DB
    try:
        with ActivePerson(xs):
            front = xs.activate(tracked)
            time.sleep(1.5)
            filler = fill(tiny_disk)
            wait_for(lambda: "could not be written" in tracker.said(), 15,
                     "the tracker to meet the full disk")
            time.sleep(1.5)
            # While the disk is full, one interval closes and another opens: both must wait.
            first = xs.activate(other) - front
            time.sleep(1.5)
            back = xs.activate(tracked)
            time.sleep(1.5)
            behind = first + (time.monotonic() - back) - stored_seconds(data)
            assert behind >= 2.5, f"the writes did not fail ({behind:.2f} s behind)"
            assert tracker.proc.poll() is None, "no crash"
            one = driftcheck(data, "goals", "set", "--daily", "45m")  # a one-shot command
            filler.unlink()  # space returns

            def in_front() -> float:
                return first + time.monotonic() - back

            wait_for(lambda: stored_seconds(data) >= in_front() - 1.0, 10,
                     "the kept time to be written")
            focused = in_front()
            counted = stored_seconds(data)
            tracker.stop()
    finally:
        tracker.end()
    print(f"\n{behind:.2f} s behind while the disk was full; after: in front {focused:.2f} s, "
          f"stored {counted:.2f} s")
    assert focused - 1.0 - 0.3 <= counted <= focused + 0.3
    said = tracker.said().splitlines()
    assert len(said) == 1, said  # one line, not one per sample
    assert said[0].startswith("driftcheck: store error: The driftcheck database at ")
    assert said[0].endswith("could not be written (database or disk is full).")
    assert "Traceback" not in tracker.said()
    assert one.returncode == 1
    assert one.stderr.splitlines() == [
        f"driftcheck: The driftcheck database at {db} could not be read or written "
        "(database or disk is full)."], one.stderr
    assert integrity_check(data) == "ok"


def test_a_read_only_data_folder_is_one_sentence_and_changes_nothing(
        tmp_path: Path, tiny_disk: Path) -> None:
    """A read-only mount, which holds for root too (chmod would not)."""
    data = tiny_disk / "data"
    assert driftcheck(data, "apps", "add", "replika").returncode == 0
    damaged = tiny_disk / "damaged"
    assert driftcheck(damaged, "apps", "add", "replika").returncode == 0
    (damaged / DB).write_bytes(b"not a database at all\n" * 100)
    files = {p: p.read_bytes() for p in tiny_disk.rglob("*") if p.is_file()}
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True, timeout=30)

    env = program_env(QT_QPA_PLATFORM="offscreen")  # the tray app gets that far
    for folder in (data, damaged):
        for command in (["status"], ["apps", "add", "nomi"], ["track"], []):
            done = driftcheck(folder, *command, env=env)
            assert done.returncode == 1, (command, done.stderr)
            assert done.stderr.splitlines() == [
                f"driftcheck: The data folder {folder} cannot be used (Read-only file system); "
                "choose another with --data-dir."], (command, done.stderr)
    # Past the folder, at the store: a damaged file on a read-only disk is not set aside.
    from widget.errors import StoreError
    from widget.store import Store

    with pytest.raises(StoreError, match="is damaged and could not be set aside"):
        Store.open(damaged / DB)
    assert {p: p.read_bytes() for p in tiny_disk.rglob("*") if p.is_file()} == files


# --- a damaged database and the tray app ------------------------------------------------------


def test_the_tray_app_says_once_that_a_damaged_database_was_set_aside(
        desktop: NotificationDesktop, xsession: XSession, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settle_first_run(data)
    with contextlib.suppress(FileNotFoundError):
        (data / f"{DB}-wal").unlink()
    (data / DB).write_bytes(random.Random(9).randbytes(20_000))
    env = {**app_env(xsession), "DBUS_SESSION_BUS_ADDRESS": desktop.env[
        "DBUS_SESSION_BUS_ADDRESS"]}

    def said_afresh() -> int:
        return desktop.monitored().count("driftcheck started afresh")

    log = ProgramLog(data)

    for start in (1, 2):
        err = tmp_path / f"tray-{start}.txt"
        with err.open("wb") as sink:
            app = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=sink)
        try:
            log.wait("started", more_than=start - 1, proc=app, step=0.1)
            if start == 1:
                wait_for(lambda: said_afresh() == 1, 20, "the notification")
            # What it says at a start, it says before its event loop runs, and SIGTERM ends it
            # from that loop: once it has ended by SIGTERM, it has said all it would.
            app.send_signal(signal.SIGTERM)
            assert app.wait(timeout=30) == 0, err.read_text()
        finally:
            end_process(app)
        assert err.read_text() == ""
    assert said_afresh() == 1, "told once, not at every start"
    received = sum(int(desktop.dunstctl("count", what))
                   for what in ("waiting", "displayed", "history"))
    assert received == 1, "dunst too got one message from the two starts"
    bodies = [line for line in desktop.monitored().splitlines() if "was damaged" in line]
    assert bodies and "so it was set aside as driftcheck.sqlite3.corrupt-" in bodies[0]
    [aside] = [p for p in data.glob(f"{DB}.corrupt-*") if p.name[-1] == "Z"]
    assert aside.stat().st_size == 20_000
    assert integrity_check(data) == "ok"
