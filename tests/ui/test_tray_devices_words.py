"""The tray's words while the person shares their time (issue 16): its today panel and tooltip
name all the computers counted once another computer's time has been read, say why the apps
add up to more than the total when two computers had different apps in front at once, and
say gently since when the other computers were not refreshed; with sharing off nothing of it
shows and today counts this computer alone again.

Real stores and a real shared folder: the other computer ("Desk") shares through
`widget.services.share` from its own data folder, this one reads its files, and the tray reads
`MergedStore` fed by `SharedReads` as the app wires it (widget/app.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QLabel, QSystemTrayIcon, QWidget
from pytestqt.qtbot import QtBot

from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.paths import DB_NAME
from widget.services.devices import open_shared
from widget.services.share import SharedReads, check_share, start_sharing, stop_sharing
from widget.services.today import TodayService
from widget.store import Store
from widget.sync.reader import MergedStore
from widget.ui.compact import OVERLAP_TEXT
from widget.ui.tray import TrayPresence

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")
NOW = datetime.now(UTC).replace(microsecond=0)
# a zone where it is about noon now: "today" holds the last hours whenever the test runs
NOON_HERE = timezone(timedelta(hours=12 - NOW.hour))
APPS = (TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),)),
        TrackedApp("character-ai", "Character.AI", (Rule(RuleKind.PROCESS, "characterai"),)))


def _use(app: str, minutes_ago: int, minutes: int) -> Interval:
    start = NOW - timedelta(minutes=minutes_ago)
    return Interval(app, start, start + timedelta(minutes=minutes))


def _computer(folder: Path, intervals: list[Interval]) -> Store:
    folder.mkdir(mode=0o700)
    store = Store.open(folder / DB_NAME)
    for app in APPS:
        store.add_app(app)
    for interval in intervals:
        store.insert_interval(interval)
    return store


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "Sync" / "driftcheck"
    folder.mkdir(parents=True)
    (folder.parent / ".stfolder").mkdir()
    return folder


def _desk(tmp_path: Path, shared: Path, intervals: list[Interval],
          passphrase: str | None = None) -> None:
    desk = _computer(tmp_path / "desk", intervals)
    try:
        start_sharing(desk, check_share(desk.path.parent, shared, "Desk", passphrase, False),
                      NOON_HERE, share_goals=False, share_notes=False)
    finally:
        desk.close()


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Store]:
    store = _computer(tmp_path / "laptop", [_use("replika", 50, 30)])  # 30 min here
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def tray_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A desktop with a tray (offscreen has none), so the tooltip is set."""
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    monkeypatch.setattr(QSystemTrayIcon, "setVisible", lambda self, visible=True: None)
    monkeypatch.setattr(QSystemTrayIcon, "show", lambda self: None)


class Tray:
    """The tray app's wiring of sharing (widget/app.py), over this computer's store."""

    def __init__(self, qtbot: QtBot, store: Store) -> None:
        self.store = store
        self.merged = MergedStore(store)
        self.reads = SharedReads(self.merged)
        self.presence = TrayPresence(TodayService(self.merged, Options(), tz=NOON_HERE),
                                     None, self.merged, now=lambda: NOW, tz=NOON_HERE,
                                     shared=self.reads.current)
        self.presence.show()
        self.presence.show_compact()
        assert self.presence.compact is not None
        qtbot.addWidget(self.presence.compact)

    def sync(self) -> None:
        """What the tracker's sync job does: a read of the folder handed to the tray."""
        shared = open_shared(self.store.path.parent, self.store.all_settings(), NOON_HERE)
        assert shared is not None
        self.reads.take(shared.read())
        self.presence.refresh()

    def words(self) -> list[str]:
        compact = self.presence.compact
        assert compact is not None
        return [label.text() for label in (compact.today_label, compact.computers_label,
                                           compact.stale_label, compact.overlap_label)
                if label.isVisibleTo(compact)]

    @property
    def tooltip(self) -> str:
        assert self.presence.tray is not None
        return self.presence.tray.toolTip()


def _share(store: Store, shared: Path) -> None:
    start_sharing(store, check_share(store.path.parent, shared, "Laptop", None, False),
                  NOON_HERE, share_goals=False, share_notes=False)


def test_the_panel_names_all_the_computers_counted(qtbot: QtBot, tray_here: None,
                                                   tmp_path: Path, shared: Path,
                                                   laptop: Store) -> None:
    _desk(tmp_path, shared, [_use("replika", 15, 10)])  # 10 min there, not at the same time
    _share(laptop, shared)
    tray = Tray(qtbot, laptop)
    assert not any("computers" in w for w in tray.words())  # nothing read yet
    tray.sync()
    words = tray.words()
    assert "All your computers: Laptop, Desk" in words
    assert "Today 40 min" in words  # 30 here + 10 there, the rows adding up to it
    assert OVERLAP_TEXT not in words
    assert "All your computers: Laptop, Desk" in tray.tooltip
    assert "Today 40 min" in tray.tooltip and OVERLAP_TEXT not in tray.tooltip


def test_with_sharing_off_nothing_is_said_and_this_computer_counts_alone(
        qtbot: QtBot, tray_here: None, tmp_path: Path, shared: Path, laptop: Store) -> None:
    _desk(tmp_path, shared, [_use("replika", 15, 10)])
    _share(laptop, shared)
    tray = Tray(qtbot, laptop)
    tray.sync()
    assert "All your computers: Laptop, Desk" in tray.words()
    stop_sharing(laptop, NOON_HERE, remove_my_files=False)  # as from a terminal
    tray.presence.refresh()
    assert tray.words() == ["Today 30 min"]
    assert "computers" not in tray.tooltip
    assert tray.merged.others == {}


def test_a_computer_whose_file_could_not_be_read_is_not_named(
        qtbot: QtBot, tray_here: None, tmp_path: Path, shared: Path, laptop: Store) -> None:
    # sealed with a passphrase this computer was not given: nothing of it is counted
    _desk(tmp_path, shared, [_use("replika", 15, 10)], passphrase="only on the desk")
    _share(laptop, shared)
    tray = Tray(qtbot, laptop)
    tray.sync()
    assert tray.reads.current() is not None
    assert tray.words() == ["Today 30 min"]


def test_never_shared_nothing_changes(qtbot: QtBot, tray_here: None, laptop: Store) -> None:
    tray = Tray(qtbot, laptop)
    assert tray.words() == ["Today 30 min"]
    assert "computers" not in tray.tooltip


def test_different_apps_at_once_on_two_computers_are_said(
        qtbot: QtBot, tray_here: None, tmp_path: Path, shared: Path, laptop: Store) -> None:
    # Character.AI on the desk during the laptop's Replika: 30 min of wall time in all
    _desk(tmp_path, shared, [_use("character-ai", 50, 30)])
    _share(laptop, shared)
    tray = Tray(qtbot, laptop)
    tray.sync()
    words = tray.words()
    assert "Today 30 min" in words, words  # counted once, as the ring and the goals count
    assert OVERLAP_TEXT in words
    compact = tray.presence.compact
    assert compact is not None
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # earlier rows
    amounts = {label.objectName(): label.text() for label in compact.findChildren(QLabel)
               if label.objectName().startswith("amount-")}
    assert amounts == {"amount-replika": "30 min", "amount-character-ai": "30 min"}
    # discreet (the default): the tooltip names no app, so there are no rows to explain
    assert "Today 30 min" in tray.tooltip and OVERLAP_TEXT not in tray.tooltip
    laptop.set_setting("discreet", False)
    tray.presence.refresh()
    assert "Replika 30 min" in tray.tooltip and OVERLAP_TEXT in tray.tooltip


def test_a_folder_out_of_reach_is_said_gently(qtbot: QtBot, tray_here: None, tmp_path: Path,
                                               shared: Path, laptop: Store) -> None:
    _desk(tmp_path, shared, [_use("replika", 15, 10)])
    _share(laptop, shared)
    tray = Tray(qtbot, laptop)
    tray.sync()
    assert not any(w.startswith("Not refreshed") for w in tray.words())
    shared.parent.rename(tmp_path / "unplugged")
    tray.sync()
    said = [w for w in tray.words() if w.startswith("Not refreshed since ")]
    assert said and "cannot be reached just now" in said[0]
    assert "All your computers: Laptop, Desk" in tray.words()  # its last good copy counts
    assert "Today 40 min" in tray.words()


def _clipped(compact: QWidget) -> list[str]:
    """The wrapped lines of the widget that do not get the height their text needs."""
    return [label.text() for label in compact.findChildren(QLabel)
            if label.wordWrap() and label.isVisibleTo(compact) and label.text()
            and label.height() < label.heightForWidth(label.width())]


def test_lines_that_appear_after_the_widget_opened_are_never_cut(
        qtbot: QtBot, tray_here: None, tmp_path: Path, shared: Path, laptop: Store) -> None:
    """The widget opens with today alone; the first read of the folder then adds the
    computers' names and why the apps add up to more: it grows to show them whole (it kept
    its first height, and the sentences were cut, as a person saw under Xvfb)."""
    _desk(tmp_path, shared, [_use("character-ai", 50, 30)])
    _share(laptop, shared)
    tray = Tray(qtbot, laptop)
    compact = tray.presence.compact
    assert compact is not None
    compact.show()
    qtbot.waitExposed(compact)
    before = compact.height()
    tray.sync()
    assert OVERLAP_TEXT in tray.words()
    qtbot.waitUntil(lambda: _clipped(compact) == [], timeout=3000)
    assert compact.height() > before
    compact.show_note(True)  # no tray area: the note below the week
    qtbot.waitUntil(lambda: _clipped(compact) == [], timeout=3000)
