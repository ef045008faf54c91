"""Two computers, for real (issue 16): two real Syncthing 1.19 devices on loopback
(tests/helpers/syncthing.py), two driftcheck data folders each running the real `driftcheck
track` against real windows on its own Xvfb display, with focus that overlaps across them and
focus that does not. After Syncthing carries the files, `driftcheck status --json` on each
says the day's sum with the overlap counted once (exactly merge.py's all-devices total of the
two databases), and `--this-device` its own; a conflict copy, a temporary and a file cut short
put into the folder change nothing; the folder moved away (unmounted) and back: tracking goes
on and the merged view says since when it is stale; no socket but AF_UNIX in driftcheck's
processes, no title in the shared folder, and the sealed files carry no readable app id."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.e2e.desktop import (
    ActivePerson,
    XSession,
    end_process,
    missing_tools,
    start_session,
    stop_processes,
)
from tests.helpers.program import ProgramLog, Tracker, driftcheck_argv, program_env
from tests.helpers.skips import skip_or_fail
from tests.helpers.syncthing import SyncthingCluster
from tests.helpers.waiting import wait_for
from widget.core.calendar import day_window, local_day
from widget.desktop.localzone import local_zone
from widget.paths import DB_NAME, SYNC_CACHE_NAME
from widget.store.resident import ResidentStore
from widget.sync.compact import is_kept_name
from widget.sync.format import parse_name
from widget.sync.merge import histories_of, window_totals

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

CHAT_TITLE = "Secret chat 5d1e | character.ai — Mozilla Firefox"
KOBOLD_TITLE = "KoboldCpp private story 88c2"
NOTES_TITLE = "Private notes a9f0"
TITLES = [b"Secret chat 5d1e", b"private story 88c2", b"Private notes a9f0"]
APP_IDS = [b"koboldcpp", b"character-ai", b"KoboldCpp", b"Character.AI"]
PASSPHRASE = "two computers, one mirror 4c7b"


@pytest.fixture
def displays(tmp_path: Path) -> Iterator[tuple[XSession, XSession]]:
    missing = missing_tools()
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed")
    (tmp_path / "xa").mkdir()
    (tmp_path / "xb").mkdir()
    first, first_procs = start_session(tmp_path / "xa")
    try:
        second, second_procs = start_session(tmp_path / "xb")
    except BaseException:
        stop_processes(first_procs)
        raise
    try:
        yield first, second
    finally:
        for session, procs in ((first, first_procs), (second, second_procs)):
            session.close_windows()
            stop_processes(procs)


def dc(xs: XSession, data: Path, *args: str, check: bool = True
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(driftcheck_argv("--data-dir", str(data), *args),
                          env=program_env(xs.env), capture_output=True, text=True,
                          timeout=120, check=check)


def status(xs: XSession, data: Path, *args: str) -> dict[str, Any]:
    return json.loads(dc(xs, data, "status", "--json", *args).stdout)


class SocketWatch:
    """Every socket of the given processes, sampled until stopped: the families seen."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.families: set[int] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for pid in self.pids:
                try:
                    for conn in psutil.Process(pid).net_connections(kind="all"):
                        self.families.add(int(conn.family))
                except psutil.Error:
                    continue
            self.samples += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def expected_today(data_dirs: list[Path]) -> tuple[dict[str, Any], Any]:
    """merge.py's totals of today over the databases' own intervals."""
    tz = local_zone()
    start, end = day_window(local_day(datetime.now(UTC), tz, 4), tz, 4)
    histories = {}
    for data in data_dirs:
        store = ResidentStore.open(data / DB_NAME)
        try:
            histories[data.name] = histories_of(store.intervals_overlapping(start, end))
        finally:
            store.close()
    return histories, window_totals(histories, start, end)


def shared_bytes(*folders: Path) -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for folder in folders for path in folder.rglob("*")
            if path.is_file() and ".stfolder" not in path.parts]


def test_two_computers_one_mirror(syncthing: SyncthingCluster,
                                  displays: tuple[XSession, XSession], tmp_path: Path) -> None:
    xa, xb = displays
    folder_a, folder_b = syncthing.a.folder, syncthing.b.folder
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    for xs, data, folder, name in ((xa, laptop, folder_a, "Laptop"),
                                   (xb, desktop, folder_b, "Desktop")):
        dc(xs, data, "apps", "add", "koboldcpp", "character-ai")
        said = dc(xs, data, "devices", "share", str(folder), "--name", name,
                  "--passphrase-file", str(secret)).stdout
        assert "protected with your passphrase" in said

    # --- real focus on two displays: overlapping, then not ----------------------------------
    kobold_a = xa.spawn("koboldcpp", KOBOLD_TITLE)
    notes_a = xa.spawn("notes", NOTES_TITLE)
    kobold_b = xb.spawn("koboldcpp", KOBOLD_TITLE)
    chat_b = xb.spawn("firefox", CHAT_TITLE)
    notes_b = xb.spawn("notes", NOTES_TITLE)
    xa.activate(notes_a)
    xb.activate(notes_b)
    trackers = [Tracker(xa, laptop, "--interval", "1", "--idle-after", "30", audited=True),
                Tracker(xb, desktop, "--interval", "1", "--idle-after", "30", audited=True)]
    watch = SocketWatch([t.proc.pid for t in trackers])
    try:
        with ActivePerson(xa), ActivePerson(xb):
            xa.activate(kobold_a)  # the laptop: koboldcpp for ~6 s
            time.sleep(3)
            xb.activate(kobold_b)  # the desktop too, ~3 s of them at the same time
            time.sleep(3)
            xa.activate(notes_a)
            time.sleep(2)
            xb.activate(chat_b)  # then character.ai on the desktop alone
            time.sleep(3)
            xb.activate(notes_b)
            # each tracker wrote its file at least once while it ran (every 5 s it looks)
            for tracker in trackers:
                tracker.log.wait("synced", proc=tracker.proc)
        for tracker in trackers:
            tracker.stop()  # and writes its file once more, with the last seconds
    finally:
        watch.stop()
        for tracker in trackers:
            tracker.end()
    syncthing.wait_synced()

    _histories, expected = expected_today([laptop, desktop])
    own_laptop, own_desktop = expected.by_device["laptop"], expected.by_device["desktop"]
    assert expected.by_app["koboldcpp"] < (expected.by_device_app["laptop"]["koboldcpp"]
                                           + expected.by_device_app["desktop"]["koboldcpp"] - 1)
    assert expected.all_devices < own_laptop + own_desktop - 1  # they did overlap
    for xs, data in ((xa, laptop), (xb, desktop)):
        merged = status(xs, data)
        assert merged["total_seconds"] == pytest.approx(expected.all_devices, abs=0.1)
        assert {a["id"]: a["seconds"] for a in merged["apps"]} == pytest.approx(
            {k: round(v, 1) for k, v in expected.by_app.items()}, abs=0.1)
        assert {d["name"]: d["seconds"] for d in merged["devices"]} == pytest.approx(
            {"Laptop": round(own_laptop, 1), "Desktop": round(own_desktop, 1)}, abs=0.1)
        assert merged["sharing"]["unavailable_since"] is None
    assert status(xa, laptop, "--this-device")["total_seconds"] == pytest.approx(
        own_laptop, abs=0.1)
    assert status(xb, desktop, "--this-device")["total_seconds"] == pytest.approx(
        own_desktop, abs=0.1)
    print(f"laptop {own_laptop:.1f} s, desktop {own_desktop:.1f} s, together "
          f"{expected.all_devices:.1f} s (koboldcpp {expected.by_app['koboldcpp']:.1f} s)")

    # --- privacy ------------------------------------------------------------------------------
    assert watch.samples > 10 and watch.families <= {int(socket.AF_UNIX)}, watch.families
    for tracker in trackers:
        assert not tracker.audit_log.exists() or tracker.audit_log.read_text() == ""
    files = shared_bytes(folder_a, folder_b, laptop / SYNC_CACHE_NAME, desktop / SYNC_CACHE_NAME)
    assert len([p for p, _ in files if parse_name(p.name)]) >= 4
    for path, content in files:
        # The tray's kept read (sync-cache/*.dchist, view.dcindex) is in the clear in the
        # owner-only data folder, as the database and the passphrase beside it are: apps
        # and names there, never a title. The folder's own files, and the kept copies of
        # them, stay sealed.
        kept = path.parent.name == SYNC_CACHE_NAME and is_kept_name(path.name)
        for word in [*TITLES] if kept else [*TITLES, *APP_IDS, b"Laptop", b"Desktop"]:
            assert word not in content, (word, path)

    # --- a conflict copy, a temporary and a file cut short change nothing -------------------
    before = [status(xa, laptop), status(xb, desktop)]
    laptop_id = json.loads((laptop / "sync-identity.json").read_text())["device"]
    laptop_file = next(p for p in folder_b.iterdir() if (n := parse_name(p.name)) is not None
                       and n.device_id == laptop_id and not n.conflict)
    whole = laptop_file.read_bytes()
    conflict = laptop_file.with_name(laptop_file.stem + ".sync-conflict-20261207-120000-"
                                     "ABCDEFG" + laptop_file.suffix)
    conflict.write_bytes(whole[: len(whole) // 2])
    (folder_b / f".syncthing.{laptop_file.name}.tmp").write_bytes(whole[:100])
    cut = folder_b / ".cut.tmp"
    cut.write_bytes(whole[: len(whole) // 3])
    cut.rename(laptop_file)  # the sync tool left it cut short, on the desktop's side
    syncthing.wait_synced()
    after = [status(xa, laptop), status(xb, desktop)]
    for was, now in zip(before, after, strict=True):
        assert now["total_seconds"] == was["total_seconds"]
        assert now["apps"] == was["apps"]
        assert [d["seconds"] for d in now["devices"]] == [d["seconds"] for d in was["devices"]]
    assert any("incomplete" in note for note in after[1]["sharing"]["notes"]), after[1]

    # --- the folder unmounted, and back -----------------------------------------------------
    away = tmp_path / "unplugged"
    shutil.move(str(folder_a), away)
    tracker = Tracker(xa, laptop, "--interval", "1", "--idle-after", "30")
    try:
        with ActivePerson(xa):
            xa.focus_for(kobold_a, 3)
            xa.activate(notes_a)
            tracker.log.wait("synced", more_than=tracker.log.count("synced"), proc=tracker.proc)
        tracker.stop()
    finally:
        tracker.end()
    alone = status(xa, laptop, "--this-device")
    assert alone["total_seconds"] > own_laptop + 2  # tracking went on
    merged = status(xa, laptop)
    assert merged["sharing"]["unavailable_since"] is not None
    assert any("cannot be reached since" in note for note in merged["sharing"]["notes"])
    assert {d["name"] for d in merged["devices"]} == {"Laptop", "Desktop"}  # kept copy
    assert dc(xa, laptop, "devices", "sync").returncode == 0  # no error: says so
    shutil.move(str(away), folder_a)
    dc(xa, laptop, "devices", "sync")
    assert status(xa, laptop)["sharing"]["unavailable_since"] is None



def test_the_tray_notifies_when_the_combined_total_crosses_the_goal(tmp_path: Path) -> None:
    """The real tray app with dunst: 20 minutes here and 30 on the other computer (its file in
    the shared folder) cross a daily goal of 45 minutes that this computer alone is far from:
    the goal's "reached" notification comes from this computer's tray."""
    from tests.e2e.desktop import NOTIFY_TOOLS, module_session, notification_desktop
    from widget.core.model import Interval
    from widget.core.options import instant_to_setting
    from widget.store import Store

    missing = [tool for tool in NOTIFY_TOOLS if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages dbus, dunst)")
    shared = tmp_path / "Sync"
    shared.mkdir()
    (shared / ".stfolder").mkdir()
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    tz = local_zone()
    now = datetime.now(UTC)
    hour = 4
    if now - day_window(local_day(now, tz, hour), tz, hour)[0] < timedelta(hours=1):
        hour = 0  # today began too recently to hold 50 minutes
    start = max(day_window(local_day(now, tz, hour), tz, hour)[0], now - timedelta(minutes=55))
    (tmp_path / "x").mkdir()
    with module_session(tmp_path / "x") as xs, notification_desktop(xs, tmp_path) as bus:
        for data, minutes, offset, name in ((laptop, 20, 0, "Laptop"),
                                            (desktop, 30, 22, "Desktop")):
            dc(xs, data, "apps", "add", "koboldcpp")
            store = Store.open(data / DB_NAME)
            try:
                store.set_setting("day_start_hour", hour)
                begin = start + timedelta(minutes=offset)
                store.insert_interval(Interval("koboldcpp", begin,
                                               begin + timedelta(minutes=minutes)))
                store.set_setting("first_run_done", True)
                store.set_setting("checkin.last_asked", instant_to_setting(now))
            finally:
                store.close()
            dc(xs, data, "devices", "share", str(shared), "--name", name)
        dc(xs, laptop, "goals", "set", "--daily", "45m")
        assert status(xs, laptop, "--this-device")["total_seconds"] == 20 * 60
        assert status(xs, laptop)["total_seconds"] == 50 * 60
        env = program_env(bus.env)
        env.pop("QT_QPA_PLATFORM", None)
        log = tmp_path / "app-stderr.txt"
        with log.open("wb") as err:
            app = subprocess.Popen(driftcheck_argv("--data-dir", str(laptop)), env=env,
                                   stdout=subprocess.DEVNULL, stderr=err)
        try:
            try:
                call = wait_for(bus.notify_call, 90, "the tray's Notify on the bus", step=0.2)
            except TimeoutError:
                raise AssertionError(f"no Notify; app said:\n{log.read_text()}") from None
            assert "goal" in call
            fired = wait_for(lambda: [i for i in _fired(laptop) if i.startswith("reached|")],
                             20, "the alert kept as shown")
            assert fired == [f"reached|daily:*|{local_day(now, tz, hour).isoformat()}"]
            assert ProgramLog(laptop).count("synced") >= 1
        finally:
            end_process(app, timeout=15)


def _fired(data: Path) -> list[str]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True,
                                            timeout=5)) as db:
        row = db.execute("SELECT value FROM settings WHERE key = 'alerts.fired'").fetchone()
    return [] if row is None else list(json.loads(row[0]))
