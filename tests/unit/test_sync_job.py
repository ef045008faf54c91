"""The tracker's side of sharing (issue 16): the sync job writes this computer's file and reads
the others' (a missing folder is no error, and says since when it is stale), and the tray's
reminders over `MergedStore` notify when the combined total crosses a goal, which this
computer's own time alone does not."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import Run
from widget.core import settings as S
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.core.options import Options
from widget.paths import DB_NAME
from widget.services.devices import SyncJob, load_keys, names_of, others_of
from widget.services.reminders import Reminders
from widget.store.db import Store
from widget.store.resident import ResidentStore
from widget.sync.folder import FolderView, SharedFolder, create_identity
from widget.sync.format import parse_name
from widget.sync.reader import MergedStore

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # a Monday afternoon (UTC as local)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync"
    folder.mkdir()
    (folder / ".stfolder").mkdir()
    return folder


def _sharing(run: Run, data: Path, shared: Path, name: str,
             intervals: list[Interval]) -> ResidentStore:
    assert run("apps", "add", "replika", data_dir=data).code == 0
    full = Store.open(data / DB_NAME)
    try:
        for interval in intervals:
            full.insert_interval(interval)
    finally:
        full.close()
    assert run("devices", "share", str(shared), "--name", name, data_dir=data).code == 0
    return ResidentStore.open(data / DB_NAME)


@pytest.fixture
def laptop(run: Run, tmp_path: Path, shared: Path) -> Iterator[ResidentStore]:
    store = _sharing(run, tmp_path / "laptop", shared, "Laptop",
                     [Interval("replika", NOW - timedelta(minutes=90),
                               NOW - timedelta(minutes=70))])
    yield store
    store.close()


@pytest.fixture
def desktop_file(tmp_path: Path, shared: Path) -> str:
    """The desktop's file in the folder, written as its own driftcheck would: 25 minutes
    of Replika that do not overlap the laptop's 20."""
    data = tmp_path / "desktop"
    data.mkdir(mode=0o700)
    identity = create_identity(data, "Desktop", sealed=False)
    folder = SharedFolder(shared, data, identity, None, Clock(), UTC)
    outcome = folder.write({"2026-12": [Interval("replika", NOW - timedelta(minutes=60),
                                                 NOW - timedelta(minutes=35))]},
                           {"replika": "Replika"})
    assert outcome.written == ("2026-12",)
    return identity.device_id


def test_the_job_writes_this_computers_month_and_reads_the_others(
        laptop: ResidentStore, desktop_file: str, shared: Path) -> None:
    for name in list(shared.iterdir()):  # the share's own writing gone: the job writes again
        if (parsed := parse_name(name.name)) and parsed.device_id != desktop_file:
            name.unlink()
    seen: list[FolderView] = []
    clock = Clock()
    job = SyncJob(laptop, laptop.path.parent, UTC, seen.append, now=clock)
    job()
    mine = [p for p in shared.iterdir() if (n := parse_name(p.name)) and n.device_id
            != desktop_file]
    assert [parse_name(p.name).month for p in mine] == ["2026-12"]  # type: ignore[union-attr]
    assert [d.name for d in seen[-1].devices] == ["Desktop"]
    assert seen[-1].unavailable_since is None


def test_a_missing_folder_is_no_error_and_says_since_when(
        laptop: ResidentStore, desktop_file: str, shared: Path, tmp_path: Path) -> None:
    seen: list[FolderView] = []
    clock = Clock()
    job = SyncJob(laptop, laptop.path.parent, UTC, seen.append, now=clock)
    job()
    assert seen[-1].unavailable_since is None
    away = tmp_path / "unmounted"
    shutil.move(shared, away)
    clock.now = NOW + timedelta(minutes=10)
    job()  # no exception: tracking goes on
    assert seen[-1].unavailable_since == NOW + timedelta(minutes=10)
    assert job.last_outcome is not None and job.last_outcome.problem
    assert "cannot be reached" in " ".join(seen[-1].notes)
    assert [d.name for d in seen[-1].devices] == ["Desktop"]  # its last good copy stays
    shutil.move(away, shared)
    clock.now = NOW + timedelta(minutes=20)
    job()
    assert seen[-1].unavailable_since is None


def test_sharing_off_the_job_does_nothing(laptop: ResidentStore, shared: Path) -> None:
    S.put(laptop, S.SYNC_ON, False)
    before = sorted(p.name for p in shared.iterdir())
    seen: list[FolderView] = []
    SyncJob(laptop, laptop.path.parent, UTC, seen.append)()
    assert seen == [] and sorted(p.name for p in shared.iterdir()) == before


class Sent:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def __call__(self, alert_id: str, title: str, body: str) -> bool:
        self.ids.append(alert_id)
        return True


def test_a_goal_crossed_by_the_combined_total_notifies_here(
        laptop: ResidentStore, desktop_file: str, shared: Path) -> None:
    full = Store.open(laptop.path)
    try:
        full.replace_goals([Goal(GoalKind.DAILY, None, 40 * 60)])
    finally:
        full.close()
    S.put(laptop, S.FIRST_RUN_DONE, True)
    S.put(laptop, S.CHECKIN_RHYTHM, "off")
    S.put(laptop, S.SUMMARY_WEEKLY, False)
    alone_sent = Sent()
    Reminders(laptop, Options(), UTC, alone_sent).evaluate(NOW)
    assert not [i for i in alone_sent.ids if "daily" in i], alone_sent.ids  # 20 of 40 here
    merged = MergedStore(laptop)
    keys = load_keys(laptop.path.parent)
    from widget.sync.folder import load_identity

    identity = load_identity(laptop.path.parent)
    assert identity is not None
    view = SharedFolder(shared, laptop.path.parent, identity, keys, Clock(), UTC).read()
    merged.refresh(others_of(view), names_of(view))
    sent = Sent()
    Reminders(merged, Options(), UTC, sent).evaluate(NOW)
    assert [i for i in sent.ids if i.startswith("reached|") and "daily" in i], sent.ids


def test_sharing_without_a_passphrase_never_loads_cryptography(tmp_path: Path) -> None:
    """`cryptography` adds ~9 MB to the tray: only a passphrase loads it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "from datetime import timedelta\n"
        "from widget.core.model import Interval\n"
        "from widget.sync.format import month_of\n"
        "from widget.sync.folder import SharedFolder, create_identity\n"
        "import widget.services.devices\n"
        f"root = Path({str(tmp_path)!r})\n"
        "(root / 'd').mkdir(mode=0o700); (root / 's').mkdir()\n"
        "ident = create_identity(root / 'd', 'Me', False)\n"
        "f = SharedFolder(root / 's', root / 'd', ident, None, lambda: datetime.now(UTC), UTC)\n"
        "now = datetime.now(UTC)\n"
        "iv = Interval('replika', now - timedelta(minutes=5), now)\n"
        "done = f.write({month_of(now): [iv]}, {'replika': 'Replika'})\n"
        "assert done.problem is None and done.written, done\n"
        "f.read()\n"
        "print('cryptography' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_the_in_process_job_works_the_totals_out_ahead_as_the_child_does(
        run: Run, tmp_path: Path, shared: Path) -> None:
    """A frozen build syncs in-process (`SyncJob`): its reads carry all computers' totals of
    the complete weeks and recent days, as the sync child's kept read does, and the next run
    keeps those whose marks still hold."""
    from widget.sync.reader import MergedReader

    ten_days_ago = NOW - timedelta(days=10)
    laptop = _sharing(run, tmp_path / "laptop", shared, "Laptop",
                      [Interval("replika", ten_days_ago, ten_days_ago + timedelta(minutes=40))])
    try:
        data = tmp_path / "desktop"
        data.mkdir(mode=0o700)
        desktop = SharedFolder(shared, data, create_identity(data, "Desktop", sealed=False),
                               None, Clock(), UTC)
        # 30 minutes of which the first 20 overlap the laptop's
        desktop.write({"2026-11": [Interval("replika", ten_days_ago + timedelta(minutes=20),
                                            ten_days_ago + timedelta(minutes=50))]},
                      {"replika": "Replika"})
        seen: list[FolderView] = []
        job = SyncJob(laptop, laptop.path.parent, UTC, seen.append, now=Clock())
        job()
        covered = seen[-1].covered
        day = (ten_days_ago.replace(hour=4, minute=0), ten_days_ago.replace(hour=4) +
               timedelta(days=1))  # the day starts at 4 (the default), UTC as local
        key = (int(day[0].timestamp() * 1000), int(day[1].timestamp() * 1000))
        assert covered[key].ms == 50 * 60_000  # each moment once
        assert covered[key].apps == (("replika", 50 * 60_000),)
        reader = MergedReader(laptop, others_of(seen[-1]), covered=covered)
        assert reader.seconds_in([day]) == [3000.0]
        job()
        assert seen[-1].covered == covered  # kept: nothing changed
    finally:
        laptop.close()
