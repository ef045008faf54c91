"""Settings' "Other computers" page over real stores, a real shared folder and a real worker
thread (issue 16): turning on writes this computer's identity, settings and month files into
the folder; what cannot be used is said in the page and nothing is saved; a passphrase seals
the files; turning off asks, then removes only this computer's files or leaves them, and stops
writing either way. The command's side: tests/unit/test_devices_command.py."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from widget import paths
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.paths import DB_NAME
from widget.services.devices import SyncJob
from widget.services.share import check_share, start_sharing
from widget.store import Store
from widget.sync.folder import load_identity
from widget.sync.format import decode, parse_name, read_readable
from widget.sync.merge import histories_of
from widget.sync.reader import MergedStore
from widget.ui.dialogs.settings import SettingsDialog
from widget.ui.dialogs.sharing import (
    BUSY,
    KEEP,
    LEAVE,
    NEEDS_PASSPHRASE,
    NOT_NOW,
    NOT_STARTED,
    NOT_THE_SAME,
    REMOVE,
    USE_GOALS,
    USE_GOALS_QUESTION,
    SharingPage,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
NOW = datetime.now(UTC).replace(microsecond=0)
LAST_MONTH = NOW.replace(day=1) - timedelta(days=3)


def _fill(store: Store) -> None:
    store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),)))
    for start in (LAST_MONTH, NOW - timedelta(minutes=50)):
        store.insert_interval(Interval("replika", start, start + timedelta(minutes=30)))


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Store]:
    data = tmp_path / "laptop"
    data.mkdir(mode=0o700)
    store = Store.open(data / DB_NAME)
    _fill(store)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def syncthing(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync" / "driftcheck"
    folder.mkdir(parents=True)
    (folder.parent / ".stfolder").mkdir()
    return folder


@pytest.fixture
def cloud(tmp_path: Path) -> Path:
    folder = tmp_path / "Dropbox"
    folder.mkdir()
    return folder


@pytest.fixture
def desktop_file(tmp_path: Path, syncthing: Path) -> dict[str, bytes]:
    """Another computer ("Desktop") sharing into the Syncthing folder: its files' bytes."""
    data = tmp_path / "desktop"
    data.mkdir(mode=0o700)
    store = Store.open(data / DB_NAME)
    try:
        _fill(store)
        start_sharing(store, check_share(data, syncthing, "Desktop", None, False), UTC,
                      share_goals=False, share_notes=False)
    finally:
        store.close()
    files = {f.name: f.read_bytes() for f in syncthing.iterdir() if parse_name(f.name)}
    assert files
    return files


def _page(qtbot: QtBot, store: Store | MergedStore) -> tuple[SettingsDialog, SharingPage]:
    dialog = SettingsDialog(store, data_dir=store.path.parent)
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.sharing)
    return dialog, dialog.sharing


def _wait_idle(qtbot: QtBot, page: SharingPage) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=20_000)


def _turn_on(qtbot: QtBot, page: SharingPage, folder: Path, name: str = "Laptop",
             passphrase: str = "", again: str | None = None, none: bool = False) -> bool:
    page.share.click()
    assert page.form.isVisible()
    page.folder.setText(str(folder))
    page.name.setText(name)
    page.passphrase.setText(passphrase)
    page.again.setText(passphrase if again is None else again)
    page.no_passphrase.setChecked(none)
    if not page.start_sharing():
        return False
    with qtbot.waitSignal(page.work_done, timeout=20_000):
        pass
    return True


def _mine(folder: Path, store: Store) -> list[Path]:
    identity = load_identity(store.path.parent)
    assert identity is not None
    return sorted(f for f in folder.iterdir()
                  if (p := parse_name(f.name)) is not None and p.device_id == identity.device_id)


def _nothing_saved(store: Store, folder: Path) -> None:
    data = store.path.parent
    assert not (data / paths.SYNC_IDENTITY_NAME).exists()
    assert not (data / paths.SYNC_PASSPHRASE_NAME).exists()
    assert store.get_setting("sync.on") is None and store.get_setting("sync.folder") is None
    assert [f for f in folder.iterdir() if parse_name(f.name)] == []


def test_it_is_off_at_first_and_says_what_would_leave(qtbot: QtBot, laptop: Store) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert not page.share.isChecked() and not page.form.isVisible()
    page.share.click()
    said = page.what_goes.text()
    assert "Never a window's title" in said and "your goals" not in said
    assert not page.share_goals.isChecked() and not page.share_notes.isChecked()
    page.share_goals.setChecked(True)
    page.share_notes.setChecked(True)
    assert "your goals and your preferences" in page.what_goes.text()
    assert "your check-ins with their notes" in page.what_goes.text()
    assert page.name.text(), "the host name is offered"


def test_turning_on_writes_the_identity_settings_and_this_computers_months(
        qtbot: QtBot, laptop: Store, syncthing: Path) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, syncthing)
    assert not page.error.isVisible(), page.error.text()
    identity = load_identity(laptop.path.parent)
    assert identity is not None and identity.name == "Laptop" and identity.kdf is None
    assert laptop.get_setting("sync.on") is True
    assert laptop.get_setting("sync.folder") == str(syncthing)
    months = sorted(parse_name(f.name).month for f in _mine(syncthing, laptop))  # type: ignore[union-attr]
    assert months == sorted({f"{LAST_MONTH:%Y-%m}", f"{NOW:%Y-%m}"})
    for file in _mine(syncthing, laptop):
        assert stat.S_IMODE(file.stat().st_mode) & 0o077 == 0
    assert page.status.isVisible() and not page.form.isVisible()
    assert "Laptop" in page.this_computer.text()
    assert "No other computer's file" in page.others.text()


def test_a_cloud_folder_without_a_passphrase_is_refused_in_words(
        qtbot: QtBot, laptop: Store, cloud: Path) -> None:
    dialog, page = _page(qtbot, laptop)
    assert not _turn_on(qtbot, page, cloud)
    assert page.error.isVisible() and page.error.text() == NEEDS_PASSPHRASE
    assert not page.busy
    _nothing_saved(laptop, cloud)
    assert not dialog.save()  # Save does not pass it by
    assert page.error.text() == NOT_STARTED
    _nothing_saved(laptop, cloud)


def test_mismatched_passphrases_are_refused(qtbot: QtBot, laptop: Store, cloud: Path) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert not _turn_on(qtbot, page, cloud, passphrase="one sunny day", again="one sunny dya")
    assert page.error.text() == NOT_THE_SAME
    _nothing_saved(laptop, cloud)


@pytest.mark.parametrize(("where", "name", "said"), [
    ("nowhere", "Laptop", "There is no folder"),
    ("inside-data", "Laptop", "cannot be inside driftcheck's own data folder"),
    ("above-data", "Laptop", "would carry its whole database"),
    ("sync", "  ", "Please give this computer a name"),
    ("sync", "Lap\ttop", "cannot contain tabs"),
])
def test_what_cannot_be_used_is_said_and_nothing_is_saved(
        qtbot: QtBot, laptop: Store, syncthing: Path, where: str, name: str, said: str) -> None:
    data = laptop.path.parent
    folder = {"nowhere": data.parent / "nowhere", "inside-data": data / "inside",
              "above-data": data.parent, "sync": syncthing}[where]
    if where == "inside-data":
        folder.mkdir()
    _dialog, page = _page(qtbot, laptop)
    assert not _turn_on(qtbot, page, folder, name=name, none=True)
    assert said in page.error.text()
    _nothing_saved(laptop, syncthing)


def test_a_passphrase_seals_the_files(qtbot: QtBot, laptop: Store, cloud: Path) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, cloud, passphrase="correct horse battery staple")
    assert not page.error.isVisible(), page.error.text()
    files = _mine(cloud, laptop)
    assert len(files) == 2
    for file in files:
        data = file.read_bytes().lower()
        assert b"replika" not in data and b"laptop" not in data
    kept = laptop.path.parent / paths.SYNC_PASSPHRASE_NAME
    assert kept.read_text() == "correct horse battery staple"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert page.passphrase.text() == "" and page.again.text() == ""
    assert "protected with your passphrase" in page.said.text()


def test_no_passphrase_when_chosen_writes_readable_files(qtbot: QtBot, laptop: Store,
                                                         cloud: Path) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, cloud, none=True)
    files = _mine(cloud, laptop)
    assert len(files) == 2 and all(read_readable(f.read_bytes()).kdf is None for f in files)
    assert load_identity(laptop.path.parent).kdf is None  # type: ignore[union-attr]


def _stop(qtbot: QtBot, page: SharingPage, answer: str) -> None:
    page.share.click()
    box = page.question
    assert box is not None and box.isVisible()
    assert box.defaultButton().text() == LEAVE
    button = next(b for b in box.buttons() if b.text() == answer)
    assert isinstance(button, QPushButton)
    if answer == KEEP:
        button.click()
        return
    with qtbot.waitSignal(page.work_done, timeout=20_000):
        button.click()


def _shared_both(qtbot: QtBot, laptop: Store, syncthing: Path,
                 desktop_file: dict[str, bytes]) -> tuple[SettingsDialog, SharingPage]:
    dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, syncthing)
    assert "Desktop: last wrote" in page.others.text()
    return dialog, page


def test_turning_off_with_remove_takes_out_only_this_computers_files(
        qtbot: QtBot, laptop: Store, syncthing: Path, desktop_file: dict[str, bytes]) -> None:
    _dialog, page = _shared_both(qtbot, laptop, syncthing, desktop_file)
    assert len(_mine(syncthing, laptop)) == 2
    _stop(qtbot, page, REMOVE)
    assert laptop.get_setting("sync.on") is False
    assert _mine(syncthing, laptop) == []
    left = {f.name: f.read_bytes() for f in syncthing.iterdir() if parse_name(f.name)}
    assert left == desktop_file
    assert not page.share.isChecked() and not page.status.isVisible()
    assert "out of the shared folder" in page.said.text()


def test_turning_off_and_leaving_the_files_stops_writing(
        qtbot: QtBot, laptop: Store, syncthing: Path, desktop_file: dict[str, bytes]) -> None:
    _dialog, page = _shared_both(qtbot, laptop, syncthing, desktop_file)
    before = {f.name: f.read_bytes() for f in _mine(syncthing, laptop)}
    _stop(qtbot, page, LEAVE)
    assert laptop.get_setting("sync.on") is False
    assert {f.name: f.read_bytes() for f in _mine(syncthing, laptop)} == before
    assert "stay in the shared folder" in page.said.text()
    # the tracker's job, with more time recorded since: it writes nothing any more
    laptop.insert_interval(Interval("replika", NOW - timedelta(minutes=10),
                                    NOW - timedelta(minutes=5)))
    job = SyncJob(laptop, laptop.path.parent, UTC)
    job()
    assert job.last_outcome is None
    assert {f.name: f.read_bytes() for f in _mine(syncthing, laptop)} == before


def test_keep_sharing_changes_nothing(qtbot: QtBot, laptop: Store, syncthing: Path) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, syncthing)
    _stop(qtbot, page, KEEP)
    assert page.share.isChecked() and laptop.get_setting("sync.on") is True
    assert len(_mine(syncthing, laptop)) == 2


def test_opened_again_it_shows_the_folder_and_the_other_computers(
        qtbot: QtBot, laptop: Store, syncthing: Path, desktop_file: dict[str, bytes]) -> None:
    _shared_both(qtbot, laptop, syncthing, desktop_file)
    _dialog, page = _page(qtbot, laptop)
    assert page.share.isChecked() and page.status.isVisible()
    assert str(syncthing) in page.where.text() and "Laptop" in page.this_computer.text()
    _wait_idle(qtbot, page)
    assert "Desktop: last wrote" in page.others.text()


def test_the_trays_all_devices_store_follows_at_once(
        qtbot: QtBot, laptop: Store, syncthing: Path, desktop_file: dict[str, bytes]) -> None:
    merged = MergedStore(laptop)
    # a read left from before (sharing stopped from a terminal while the tray ran)
    away = NOW - timedelta(minutes=15)
    merged.refresh({"elsewhere": histories_of([Interval("replika", away,
                                                        away + timedelta(minutes=10))])})
    _dialog, page = _page(qtbot, merged)
    assert _turn_on(qtbot, page, syncthing)
    assert len(merged.others) == 1 and "elsewhere" not in merged.others
    # this computer's file holds this computer's time alone, never what it read of others
    assert laptop.get_setting("sync.on") is True
    written = [(iv.app, iv.start, iv.end) for f in _mine(syncthing, laptop)
               for iv in decode(f.read_bytes(), None).intervals]
    own = laptop.intervals_overlapping(LAST_MONTH - timedelta(days=1), NOW + timedelta(hours=1))
    assert sorted(written) == sorted((iv.app, iv.start, iv.end) for iv in own)
    _stop(qtbot, page, LEAVE)
    assert merged.others == {}


def test_the_question_is_plain(qtbot: QtBot, laptop: Store, syncthing: Path) -> None:
    _dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, syncthing)
    page.share.click()
    box = page.question
    assert isinstance(box, QMessageBox)
    assert {b.text() for b in box.buttons()} == {REMOVE, LEAVE, KEEP}
    assert box.escapeButton().text() == KEEP  # type: ignore[union-attr]
    box.reject()
    assert page.share.isChecked() and laptop.get_setting("sync.on") is True


def test_while_at_work_save_waits_and_a_failure_is_said(
        qtbot: QtBot, laptop: Store, syncthing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from widget.services import share

    release = threading.Event()

    def stuck_then_broken(*_args: object, **_kw: object) -> object:
        release.wait(20)
        raise ValueError("a bug")

    monkeypatch.setattr(share, "start_sharing", stuck_then_broken)
    dialog, page = _page(qtbot, laptop)
    page.share.click()
    page.folder.setText(str(syncthing))
    page.name.setText("Laptop")
    assert page.start_sharing()
    assert page.busy and not page.form.isEnabled()
    assert not dialog.save() and page.error.text() == BUSY
    with qtbot.waitSignal(page.work_done, timeout=20_000):
        release.set()
    assert not page.busy and page.form.isEnabled() and page.form.isVisible()
    assert page.share.isChecked(), "the form stays, to try again"
    assert "Something went wrong" in page.error.text() and "a bug" not in page.error.text()
    assert laptop.get_setting("sync.on") is None


@pytest.fixture
def desktop_goals(tmp_path: Path, syncthing: Path) -> list[Goal]:
    """Another computer ("Desktop") sharing its goals too: a daily hour for all apps, 30
    minutes of Replika, and a goal for an app the laptop does not track."""
    data = tmp_path / "desktop"
    data.mkdir(mode=0o700)
    store = Store.open(data / DB_NAME)
    goals = [Goal(GoalKind.DAILY, None, 3600), Goal(GoalKind.DAILY, "replika", 1800),
             Goal(GoalKind.WEEKLY, "nomi", 7200)]
    try:
        _fill(store)
        store.add_app(TrackedApp("nomi", "Nomi", (Rule(RuleKind.PROCESS, "nomi"),)))
        store.replace_goals(goals)
        start_sharing(store, check_share(data, syncthing, "Desktop", None, False), UTC,
                      share_goals=True, share_notes=False)
    finally:
        store.close()
    return goals


def _use_goals_button(page: SharingPage) -> QPushButton:
    (button,) = [b for b in page.goal_rows.findChildren(QPushButton)
                 if b.text() == "Use Desktop's goals..."]
    return button


def test_another_computers_shared_goals_are_used_here_only_when_asked(
        qtbot: QtBot, laptop: Store, syncthing: Path, desktop_goals: list[Goal]) -> None:
    laptop.replace_goals([Goal(GoalKind.WEEKLY, None, 5 * 3600)])
    _dialog, page = _page(qtbot, laptop)
    assert _turn_on(qtbot, page, syncthing)
    qtbot.waitUntil(lambda: bool(page.goal_rows.findChildren(QPushButton)), timeout=20_000)
    words = " ".join(label.text() for label in page.goal_rows.findChildren(QLabel))
    assert "Desktop shares its goals: Daily goal: 1 h, all tracked apps;" in words
    # "Not now" (the default, and Esc) changes nothing
    _use_goals_button(page).click()
    box = page.question
    assert box is not None and box.isVisible()
    assert box.text() == USE_GOALS_QUESTION.format(name="Desktop")
    assert box.defaultButton().text() == NOT_NOW and box.escapeButton().text() == NOT_NOW
    box.defaultButton().click()
    qtbot.waitUntil(lambda: page.question is None)
    assert laptop.list_goals() == [Goal(GoalKind.WEEKLY, None, 5 * 3600)]
    # asked: the desktop's goals for apps tracked here become this computer's
    _use_goals_button(page).click()
    box = page.question
    assert box is not None
    use = next(b for b in box.buttons() if b.text() == USE_GOALS.format(name="Desktop"))
    with qtbot.waitSignal(page.work_done, timeout=20_000):
        use.click()
    assert laptop.list_goals() == desktop_goals[:2]
    said = page.said.text()
    assert said.startswith("This computer's goals are now Desktop's: Daily goal: 1 h, all "
                           "tracked apps; Daily goal: 30 min, Replika.")
    assert "Left out, for apps this computer does not track: Weekly goal: 2 h, Nomi" in said
