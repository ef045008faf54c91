"""The tray presence over a real temp store: what the person sees of today, and that it
follows new time as it is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QSystemTrayIcon, QWidget
from pytestqt.qtbot import QtBot

from widget.core.days import day_window, local_day
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.localzone import local_zone
from widget.store import Store
from widget.ui.tray import TodayService, TrayPresence, ring_icon

# The offscreen platform says this of every top-level window; it is not driftcheck's doing.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),))


def today_start() -> datetime:
    tz = local_zone()
    day = local_day(datetime.now(UTC), tz, Options().day_start_hour)
    return day_window(day, tz, Options().day_start_hour)[0]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "db.sqlite3")
    opened.add_app(REPLIKA)
    start = today_start() + timedelta(minutes=1)
    opened.insert_interval(Interval("replika", start, start + timedelta(minutes=38)))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def presence(qtbot: QtBot, store: Store) -> Iterator[TrayPresence]:
    shown = TrayPresence(TodayService(store, Options()))
    yield shown
    for widget in QApplication.topLevelWidgets():
        if widget.windowTitle() == "driftcheck":
            widget.close()


def fallback_window() -> QWidget:
    windows = [w for w in QApplication.topLevelWidgets()
               if w.windowTitle() == "driftcheck" and w.isVisible()]
    assert len(windows) == 1, "no tray here, so driftcheck shows one small window"
    return windows[0]


def today_text(window: QWidget) -> str:
    texts = [label.text() for label in window.findChildren(QLabel)]
    found = [t for t in texts if t.startswith("Today ")]
    assert len(found) == 1, texts
    return found[0]


def test_without_a_tray_a_window_shows_todays_time(presence: TrayPresence) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen has none
    presence.show()
    window = fallback_window()
    assert today_text(window) == "Today 38 min"
    assert not window.windowIcon().isNull()


def test_the_window_follows_new_time(qtbot: QtBot, presence: TrayPresence,
                                     store: Store) -> None:
    presence.show()
    window = fallback_window()
    start = today_start() + timedelta(minutes=50)
    store.insert_interval(Interval("replika", start, start + timedelta(minutes=7, seconds=30)))
    presence.changed.emit()
    qtbot.waitUntil(lambda: today_text(window) == "Today 45 min", timeout=2000)


def test_approximate_time_says_so(qtbot: QtBot, presence: TrayPresence, store: Store) -> None:
    presence.show()
    window = fallback_window()
    solid = window.windowIcon().pixmap(16, 16).toImage()
    start = today_start() + timedelta(minutes=50)
    store.insert_interval(Interval("replika", start, start + timedelta(minutes=2),
                                   Measure.APPROXIMATE))
    presence.changed.emit()
    qtbot.waitUntil(lambda: today_text(window) == "Today 40 min (approximate)", timeout=2000)
    assert window.windowIcon().pixmap(16, 16).toImage() != solid  # the ring is now dashed


def test_the_fallback_window_offers_a_way_to_quit(presence: TrayPresence) -> None:
    presence.show()
    window = fallback_window()
    buttons = [b.text() for b in window.findChildren(QAbstractButton)]
    actions = [a.text() for a in window.actions()]
    assert any("Quit" in text for text in buttons + actions)


def _ink(image: QImage) -> int:
    return sum(1 for x in range(image.width()) for y in range(image.height())
               if QColor.fromRgba(image.pixel(x, y)).alpha() > 0)


def test_the_ring_is_dashed_when_time_is_approximate(qtbot: QtBot) -> None:
    solid, dashed = ring_icon(False), ring_icon(True)
    assert not solid.isNull() and not dashed.isNull()
    solid_image = solid.pixmap(16, 16).toImage()
    dashed_image = dashed.pixmap(16, 16).toImage()
    assert solid_image.width() == dashed_image.width() == 16
    assert _ink(solid_image) > 0 and _ink(dashed_image) > 0
    assert solid_image != dashed_image
    assert _ink(dashed_image) < _ink(solid_image)  # gaps in the dashes
    # Drawn at each size, not scaled from one: the 48 px ring is its own pixmap.
    assert 48 in [s.width() for s in solid.availableSizes()]


def test_with_a_tray_the_icon_is_shown_with_its_ring_and_todays_time(
        qtbot: QtBot, presence: TrayPresence, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    shown: list[tuple[bool, str]] = []

    def record(self: QSystemTrayIcon, visible: bool = True) -> None:
        # What a real tray would get at the moment the icon appears (offscreen has no tray
        # to hand it to, so the real call is not made).
        shown.append((self.icon().isNull(), self.toolTip()))

    monkeypatch.setattr(QSystemTrayIcon, "setVisible", record)
    monkeypatch.setattr(QSystemTrayIcon, "show", record)
    presence.show()
    assert shown, "the tray icon was never shown"
    icon_missing, tooltip = shown[0]
    assert not icon_missing, "shown before it had an icon"
    assert tooltip == "Today 38 min"
