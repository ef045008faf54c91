"""`driftcheck devices` in-process (issue 16): two data folders sharing one folder, `status`
and `report` reading all devices (overlap once) or `--this-device`, the passphrase kept
owner-only and never in the settings, `stop --remove-my-file` and `wipe` touching only this
computer's files."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import Run, one_sentence
from tests.helpers.computers import fill
from widget import paths
from widget.core.calendar import day_window, local_day
from widget.core.format import duration
from widget.core.model import Interval
from widget.paths import DB_NAME
from widget.store.db import Store
from widget.sync.format import parse_name
from widget.sync.merge import histories_of, window_totals

NOW = datetime.now(UTC).replace(microsecond=0)
HERE = [Interval("replika", NOW - timedelta(minutes=50), NOW - timedelta(minutes=20))]
THERE = [Interval("replika", NOW - timedelta(minutes=35), NOW - timedelta(minutes=5)),
         Interval("character-ai", NOW - timedelta(minutes=4), NOW - timedelta(minutes=2))]


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def pair(tmp_path: Path, run: Run) -> tuple[Path, Path, Path]:
    """Laptop and desktop data folders, one folder with Syncthing's marker, both sharing."""
    shared = tmp_path / "Sync" / "driftcheck"
    shared.mkdir(parents=True)
    (shared.parent / ".stfolder").mkdir()
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    fill(laptop, HERE)
    fill(desktop, THERE)
    for folder, name in ((laptop, "Laptop"), (desktop, "Desktop")):
        result = run("devices", "share", str(shared), "--name", name, data_dir=folder)
        assert result.code == 0, result.err
        assert "never a window's title" in result.out.lower()
    assert run("devices", "sync", data_dir=laptop).code == 0  # the desktop's file read
    return laptop, desktop, shared


def _today() -> tuple[datetime, datetime]:
    return day_window(local_day(NOW, UTC, 4), UTC, 4)


def test_status_counts_all_computers_with_the_overlap_once(run: Run, pair: tuple[Path, ...]
                                                           ) -> None:
    laptop, desktop, _shared = pair
    expected = window_totals({"l": histories_of(HERE), "d": histories_of(THERE)}, *_today())
    merged = json.loads(run("status", "--json", data_dir=laptop).out)
    assert merged["total_seconds"] == round(expected.all_devices, 1)
    assert {a["id"]: a["seconds"] for a in merged["apps"]} == {
        k: round(v, 1) for k, v in expected.by_app.items()}
    devices = {d["name"]: d for d in merged["devices"]}
    assert devices["Laptop"]["this_device"] and devices["Laptop"]["seconds"] == round(
        expected.by_device["l"], 1)
    assert devices["Desktop"]["seconds"] == round(expected.by_device["d"], 1)
    assert devices["Desktop"]["last_written"] is not None
    alone = json.loads(run("status", "--json", "--this-device", data_dir=laptop).out)
    assert alone["total_seconds"] == round(expected.by_device["l"], 1)
    assert alone["devices"] == [] and alone["sharing"] is None
    # the desktop has not read the laptop's newest file yet: a sync reads it
    run("devices", "sync", data_dir=desktop)
    there = json.loads(run("status", "--json", data_dir=desktop).out)
    assert there["total_seconds"] == merged["total_seconds"]
    text = run("status", data_dir=laptop).out
    assert "All your computers" in text and "Desktop: last wrote" in text
    assert f"Laptop: this computer, {duration(expected.by_device['l'])} today" in text
    assert f"; {duration(expected.by_device['d'])} today" in text


def test_report_json_has_each_device(run: Run, pair: tuple[Path, ...]) -> None:
    laptop, _desktop, _shared = pair
    report = json.loads(run("report", "--json", data_dir=laptop).out)
    assert {d["name"] for d in report["devices"]} == {"Laptop", "Desktop"}
    alone = json.loads(run("report", "--json", "--this-device", data_dir=laptop).out)
    assert alone["devices"] == []
    said = run("report", data_dir=laptop).out
    assert "Your computers: Laptop " in said and ", Desktop " in said
    assert "Your computers" not in run("report", "--this-device", data_dir=laptop).out


def test_devices_list(run: Run, pair: tuple[Path, ...]) -> None:
    laptop, _desktop, shared = pair
    listed = json.loads(run("devices", "list", "--json", data_dir=laptop).out)
    assert listed["folder"] == str(shared)
    assert [(d["name"], d["this_device"]) for d in listed["devices"]] == [
        ("Laptop", True), ("Desktop", False)]
    assert "Desktop: last wrote" in run("devices", "list", data_dir=laptop).out


def test_a_folder_that_is_not_syncthings_asks_for_a_passphrase(run: Run, tmp_path: Path,
                                                                data: Path) -> None:
    plain = tmp_path / "Dropbox"
    plain.mkdir()
    refused = run("devices", "share", str(plain), "--name", "Laptop")
    assert refused.code != 0 and "--passphrase-file" in one_sentence(refused.err)
    assert not (data / paths.SYNC_IDENTITY_NAME).exists()
    missing = run("devices", "share", str(tmp_path / "nowhere"), "--name", "Laptop")
    assert missing.code != 0 and "There is no folder" in one_sentence(missing.err)


def test_a_passphrase_seals_the_file_and_is_kept_owner_only(run: Run, tmp_path: Path,
                                                             data: Path) -> None:
    fill(data, HERE)
    plain = tmp_path / "Dropbox"
    plain.mkdir()
    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery staple\n")
    result = run("devices", "share", str(plain), "--name", "Laptop", "--passphrase-file",
                 str(secret))
    assert result.code == 0, result.err
    kept = data / paths.SYNC_PASSPHRASE_NAME
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text() == "correct horse battery staple"
    files = list(plain.iterdir())
    assert files and all(b"replika" not in f.read_bytes().lower() for f in files)
    assert all(b"laptop" not in f.read_bytes().lower() for f in files)
    with sqlite3.connect(data / DB_NAME) as db:
        dumped = "\n".join(db.iterdump())
    assert "horse" not in dumped
    assert "horse" not in run("settings").out


def test_stop_with_remove_my_file_takes_only_this_computers_files(
        run: Run, pair: tuple[Path, ...]) -> None:
    laptop, _desktop, shared = pair
    ids = {parse_name(f.name).device_id for f in shared.iterdir()  # type: ignore[union-attr]
           if parse_name(f.name)}
    mine = json.loads(run("devices", "list", "--json", data_dir=laptop).out)["devices"][0]["id"]
    assert mine in ids and len(ids) == 2
    result = run("devices", "stop", "--remove-my-file", data_dir=laptop)
    assert result.code == 0 and "share again" in result.out
    left = {parse_name(f.name).device_id for f in shared.iterdir()  # type: ignore[union-attr]
            if parse_name(f.name)}
    assert left == ids - {mine}
    alone = json.loads(run("status", "--json", data_dir=laptop).out)
    assert alone["devices"] == [] and alone["sharing"] is None
    assert run("devices", "sync", data_dir=laptop).code != 0  # off: says how to start


def test_wipe_removes_the_sync_files_and_leaves_the_other_computers_files(
        run: Run, pair: tuple[Path, ...]) -> None:
    import subprocess
    import sys

    from widget.sync.compact import is_kept_name

    laptop, _desktop, shared = pair
    other_files = {f.name: f.read_bytes() for f in shared.iterdir()
                   if (p := parse_name(f.name)) is not None and not _is_mine(run, laptop, p)}
    # the tracker's sync child leaves its read (the tray's kept months and index) there too
    child = subprocess.run([sys.executable, "-P", "-m", "widget.sync.child", str(laptop)],
                           input="{}", capture_output=True, text=True, timeout=60, check=False)
    assert child.returncode == 0, child.stderr
    kept = [f.name for f in (laptop / paths.SYNC_CACHE_NAME).iterdir() if is_kept_name(f.name)]
    assert other_files and any(name.endswith(".dchist") for name in kept), kept
    result = run("wipe", "--yes", data_dir=laptop)
    assert result.code == 0, result.err
    assert not laptop.exists() or not any(laptop.iterdir())
    after = {f.name: f.read_bytes() for f in shared.iterdir() if parse_name(f.name)}
    assert after == other_files  # the desktop's files, byte for byte; the laptop's gone
    assert (shared.parent / ".stfolder").exists()


def _is_mine(run: Run, folder: Path, parsed: object) -> bool:
    mine = json.loads(run("devices", "list", "--json", data_dir=folder).out)["devices"][0]["id"]
    return getattr(parsed, "device_id", None) == mine


def test_the_sync_files_are_ours_by_name() -> None:
    for name in (paths.SYNC_IDENTITY_NAME, paths.SYNC_STATE_NAME, paths.SYNC_PASSPHRASE_NAME,
                 paths.SYNC_CACHE_NAME, ".driftcheck-sync-ab3_x9zq.tmp"):
        assert paths.is_ours(name), name
    for name in ("sync-identity.json.bak", ".driftcheck-sync-.tmp",
                 "driftcheck-0123456789abcdef0123456789abcdef-2026-12.dcsync"):
        assert not paths.is_ours(name), name
    assert os.sep not in paths.SYNC_CACHE_NAME


def test_doctor_names_the_folder_each_computer_and_a_missing_folder(
        run: Run, pair: tuple[Path, ...], tmp_path: Path) -> None:
    laptop, _desktop, shared = pair
    said = run("doctor", data_dir=laptop).out
    line = next(ln for ln in said.splitlines() if ln.strip().startswith("Devices:"))
    assert "Laptop (this computer)" in line and str(shared) in line and "Desktop: last wrote" \
        in line
    shared.rename(tmp_path / "unplugged")
    said = run("doctor", data_dir=laptop).out
    assert "cannot be reached since" in said and "keeps tracking" in said
    report = json.loads(run("doctor", "--json", data_dir=laptop).out)["devices"]
    assert report["unavailable_since"] is not None
    assert report["devices"] and "Desktop" in report["devices"][0]  # its last good copy
    merged = json.loads(run("status", "--json", data_dir=laptop).out)
    assert merged["sharing"]["unavailable_since"] == report["unavailable_since"]
    assert {d["name"] for d in merged["devices"]} == {"Laptop", "Desktop"}


def test_sharing_again_with_a_passphrase_replaces_this_computers_plain_files(
        run: Run, pair: tuple[Path, ...], tmp_path: Path) -> None:
    laptop, _desktop, shared = pair
    before = json.loads(run("devices", "list", "--json", data_dir=laptop).out)["devices"]
    secret = tmp_path / "pass"
    secret.write_text("a passphrase for both\n")
    again = run("devices", "share", str(shared), "--name", "Laptop", "--passphrase-file",
                str(secret), data_dir=laptop)
    assert again.code == 0, again.err
    ids = {n.device_id for f in shared.iterdir() if (n := parse_name(f.name))}
    assert before[0]["id"] not in ids and len(ids) == 2  # the new identity and the desktop's
    assert json.loads(run("status", "--json", data_dir=laptop).out)["total_seconds"] > 0


def test_a_sync_already_writing_never_brings_a_removed_file_back(
        run: Run, pair: tuple[Path, ...]) -> None:
    """Turning sharing off with "remove this computer's files" while the tracker's sync child
    is between its look at the setting and its write: the child's write lands first and is
    removed, or finds sharing off and writes nothing. Either way no file of this computer is
    left in the folder (both orders, through the writers' lock)."""
    import threading

    from widget.services import devices as D
    from widget.services.share import stop_sharing

    laptop, _desktop, shared = pair
    mine = json.loads(run("devices", "list", "--json", data_dir=laptop).out)["devices"][0]["id"]

    def my_files() -> list[str]:
        return [f.name for f in shared.iterdir()
                if (p := parse_name(f.name)) is not None and p.device_id == mine]

    store = Store.open(laptop / DB_NAME)
    try:
        folder = D.open_shared(laptop, store.all_settings(), UTC)
        assert folder is not None and my_files()
        # 1. the child holds the lock, having found sharing on: stopping waits for its write
        stopped: list[object] = []
        with D.sync_lock(laptop):
            stopping = threading.Thread(target=lambda: stopped.append(
                stop_sharing(store, UTC, remove_my_files=True)))
            stopping.start()
            stopping.join(timeout=0.5)
            assert stopping.is_alive() and not stopped  # waits on the lock
            for path in list(shared.iterdir()):  # the child's write of this month, late
                if path.name in my_files():
                    path.unlink()
            folder._last_written.clear()
            assert D._write_own(folder, store, D.months_to_write(datetime.now(UTC))).written
            assert my_files()
        stopping.join(timeout=10)
        assert stopped and my_files() == []
        # 2. sharing off first: a write that comes after writes nothing
        assert D.write_own(folder, store, D.months_to_write(datetime.now(UTC))).written == ()
        assert my_files() == []
    finally:
        store.close()


PAGE_SCRIPT = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
app = QApplication(["driftcheck"])
from widget.store.resident import ResidentStore
from widget.sync.reader import MergedStore
from widget.ui.dialogs.sharing import SharingPage, Work
data = Path(sys.argv[1])
store = MergedStore(ResidentStore.open(data / sys.argv[2]))
page = SharingPage(store, data)
done = []
# An event loop until the page's work is done, not a loop of processEvents(): in PySide6 6.12
# each Python call of it takes one reference from None, and some thousands end the process.
loop = QEventLoop()
page.work_done.connect(lambda: (done.append(1), loop.quit()))
page.load()
if not done:
    loop.exec()
for work in list(Work.running):  # its thread ends just after it said it was done
    work.wait(10000)
print(json.dumps({"others": page.others.text(), "this": page.this_computer.text(),
                  "loaded": sorted(m for m in ("widget.sync.folder", "widget.sync.format",
                                               "gzip", "cryptography") if m in sys.modules)}))
"""


def test_settings_page_shows_the_others_from_the_kept_read_without_the_sharing_code(
        run: Run, pair: tuple[Path, ...]) -> None:
    """The tray's Settings page, while sharing, names the other computers from the read the
    sync child left (no file format, gzip or OpenSSL loaded into the tray for it: ~5 MB, and
    ~9 more with a passphrase); before any child ran it reads the folder itself."""
    import subprocess
    import sys

    laptop, _desktop, _shared = pair
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def page() -> dict[str, object]:
        done = subprocess.run([sys.executable, "-c", PAGE_SCRIPT, str(laptop), DB_NAME], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    first = page()  # no kept read yet: the folder itself
    assert "Desktop" in str(first["others"]) and "widget.sync.folder" in first["loaded"]
    child = subprocess.run([sys.executable, "-P", "-m", "widget.sync.child", str(laptop)],
                           input="{}", capture_output=True, text=True, timeout=60, check=False)
    assert child.returncode == 0, child.stderr
    kept = page()
    assert "Desktop" in str(kept["others"]) and kept["this"] == "This computer: Laptop"
    assert kept["loaded"] == [], kept


def test_the_goals_another_computer_shares_are_shown_and_taken_when_asked(
        run: Run, pair: tuple[Path, ...]) -> None:
    """The desktop shares its goals (--share-goals): `devices list` on the laptop shows them,
    `devices use-goals Desktop` makes them the laptop's (an app the laptop does not track is
    left out, said); a computer that shares none is refused in a sentence; nothing is taken
    without asking."""
    laptop, desktop, shared = pair
    assert run("apps", "add", "nomi", data_dir=desktop).code == 0
    for goal in (("--daily", "30m"), ("--quiet", "23:00-06:00"),
                 ("--weekly", "3h", "--app", "nomi")):
        assert run("goals", "set", *goal, data_dir=desktop).code == 0, goal
    assert run("goals", "set", "--daily", "2h", data_dir=laptop).code == 0
    refused = run("devices", "use-goals", "Desktop", data_dir=laptop)
    assert refused.code != 0 and "does not share its goals" in refused.err
    assert one_sentence(refused.err)
    again = run("devices", "share", str(shared), "--name", "Desktop", "--share-goals",
                data_dir=desktop)
    assert again.code == 0, again.err
    assert run("devices", "sync", data_dir=laptop).code == 0
    before = json.loads(run("goals", "list", "--json", data_dir=laptop).out)
    assert [g["limit_seconds"] for g in before] == [7200]  # shown, not taken
    listed = run("devices", "list", data_dir=laptop).out
    assert "its goals" in listed and "30 min, all tracked apps" in listed
    there = json.loads(run("devices", "list", "--json", data_dir=laptop).out)["devices"][1]
    assert sorted(g["kind"] for g in there["goals"]) == ["daily", "quiet_hours", "weekly"]
    taken = run("devices", "use-goals", "desktop", data_dir=laptop)
    assert taken.code == 0, taken.err
    assert "Your goals here are now Desktop's" in taken.out and "Left out:" in taken.out
    after = json.loads(run("goals", "list", "--json", data_dir=laptop).out)
    assert sorted((g["kind"], g["app"], g["limit_seconds"]) for g in after) == [
        ("daily", None, 1800), ("quiet_hours", None, None)]
    unknown = run("devices", "use-goals", "Work", data_dir=laptop)
    assert unknown.code != 0 and "No other computer called Work" in unknown.err
