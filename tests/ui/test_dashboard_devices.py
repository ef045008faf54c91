"""The dashboard window with the person's computers (issue 16), offscreen, over three real data
folders sharing one folder (tests/helpers/computers.py), read from the laptop as
`driftcheck dashboard` reads them: the filter is there only while sharing with another
computer; choosing one redraws the total, the apps and the hours for it alone; the computers'
card names each with its own time; a sentence says the figures count all of them. Sharing off
or `--this-device`, nothing of it shows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.helpers.cli import call
from tests.helpers.computers import AFTER, SECONDS, WEEK, share_three
from widget.core.dashboard import ALL_COMPUTERS, THIS_COMPUTER
from widget.core.format import duration
from widget.paths import DB_NAME
from widget.services.dashboard import ComputerDashboards, load_dashboard
from widget.services.devices import Reading, reader_for
from widget.store.resident import ResidentStore
from widget.ui.dashboard import charts
from widget.ui.dashboard.charts import COUNTED_ONCE
from widget.ui.dashboard.window import DashboardWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[tuple[ResidentStore, Path]]:
    folders = share_three(tmp_path)
    local = ResidentStore.open(folders["Laptop"] / DB_NAME)
    try:
        yield local, folders["Laptop"]
    finally:
        local.close()


def window_over(qtbot: QtBot, reading: Reading) -> DashboardWindow:
    """The window as `driftcheck dashboard` makes it, shown at WEEK."""
    dashboards = ComputerDashboards.of_reading(reading)
    shown = DashboardWindow(lambda week: dashboards.load(week, AFTER, UTC, 4),
                            by_computer=lambda week, computer: dashboards.load(
                                week, AFTER, UTC, 4, computer))
    qtbot.addWidget(shown)
    shown.show_week(WEEK)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def text(window: DashboardWindow, name: str) -> str:
    found = window.findChild(QLabel, name)
    assert found is not None, name
    return found.text()


def table(window: DashboardWindow) -> list[list[str]]:
    model = window.computer_model
    return [[str(model.index(r, c).data()) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def apps(window: DashboardWindow) -> list[str]:
    model = window.table_model
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


def choose(qtbot: QtBot, window: DashboardWindow, label: str) -> None:
    """Choose `label` in the filter as a person does with the keyboard: focus, arrow keys."""
    box = window.computer_box
    box.setFocus()
    target = box.findText(label)
    assert target >= 0, label
    while box.currentIndex() != target:
        key = Qt.Key.Key_Down if box.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(box, key)


def test_the_filter_redraws_the_week_for_one_computer(qtbot: QtBot,
                                                      laptop: tuple[ResidentStore, Path]
                                                      ) -> None:
    local, folder = laptop
    window = window_over(qtbot, reader_for(local, folder, UTC))
    box = window.computer_box
    assert box.isVisible()
    assert [box.itemText(i) for i in range(box.count())] == [
        "All computers", "This computer (Laptop)", "Desktop", "Work"]
    assert box.currentText() == "All computers"
    everything = text(window, "week-total")
    assert everything == duration(3 * 3600 + 5 * 60)  # Tuesday evening's overlap once
    assert "count all your computers together" in text(window, "computers-words")
    assert "counts once" in text(window, "computers-words")
    heat_all = window.heat_map.summary()

    choose(qtbot, window, "Desktop")
    assert window.computer != ALL_COMPUTERS and window.data is not None
    assert text(window, "week-total") == duration(SECONDS["Desktop"])
    assert window.data.report.total_s == SECONDS["Desktop"]
    assert apps(window) == ["Replika", "Character.AI"]  # its own: 1 h, then 45 min
    assert window.heat_map.summary() != heat_all
    assert text(window, "computers-words").startswith("These figures are Desktop's alone")
    assert window.data.first_week == "2026-W46" and window.can_go_back()
    window.previous_week()  # the choice stays while moving between weeks
    assert box.currentText() == "Desktop" and window.data.week == "2026-W47"
    window.previous_week()
    assert text(window, "week-total") == duration(75 * 60) and not window.can_go_back()
    window.next_week()
    window.next_week()
    assert text(window, "week-total") == duration(SECONDS["Desktop"])

    choose(qtbot, window, "Work")
    assert text(window, "week-total") == duration(SECONDS["Work"])
    assert apps(window) == ["Character.AI"]

    choose(qtbot, window, "This computer (Laptop)")
    assert window.computer == THIS_COMPUTER
    assert text(window, "week-total") == duration(SECONDS["Laptop"])
    assert apps(window) == ["Replika"]
    assert window.data is not None and window.data == ComputerDashboards.of_reading(
        reader_for(local, folder, UTC)).load(WEEK, AFTER, UTC, 4, THIS_COMPUTER)
    assert not window.can_go_back()  # this computer's history began that week

    choose(qtbot, window, "All computers")
    assert text(window, "week-total") == everything


def test_the_computers_card_names_each_with_its_own_time(qtbot: QtBot,
                                                         laptop: tuple[ResidentStore, Path]
                                                         ) -> None:
    local, folder = laptop
    window = window_over(qtbot, reader_for(local, folder, UTC))
    assert window.computers_card.isVisible()
    assert table(window) == [["This computer (Laptop)", duration(SECONDS["Laptop"])],
                             ["Desktop", duration(SECONDS["Desktop"])],
                             ["Work", duration(SECONDS["Work"])]]
    assert table(window)[1][1] == "1 h 45 min"
    header = window.computer_model.headerData(1, Qt.Orientation.Horizontal)
    assert header == "That week"  # a past week, as the apps' table says it


@pytest.mark.parametrize("how", ["this-device", "sharing-off"])
def test_without_other_computers_nothing_of_them_shows(qtbot: QtBot,
                                                       laptop: tuple[ResidentStore, Path],
                                                       tmp_path: Path, how: str) -> None:
    local, folder = laptop
    if how == "this-device":
        reading = reader_for(local, folder, UTC, this_device=True)
        expected = load_dashboard(local, WEEK, AFTER, UTC, 4)
    else:
        stopped = call("--data-dir", str(folder), "devices", "stop")
        assert stopped.code == 0, stopped.err
        reading = reader_for(local, folder, UTC)
        expected = load_dashboard(local, WEEK, AFTER, UTC, 4)
    window = window_over(qtbot, reading)
    assert window.data == expected
    assert not window.computer_box.isVisibleTo(window)
    assert not window.computers_card.isVisibleTo(window)
    assert not window.findChild(QLabel, "computers-words").isVisibleTo(window)  # type: ignore[union-attr]
    assert text(window, "week-total") == duration(SECONDS["Laptop"])


def test_without_a_way_to_choose_the_card_shows_but_not_the_filter(
        qtbot: QtBot, laptop: tuple[ResidentStore, Path]) -> None:
    local, folder = laptop
    dashboards = ComputerDashboards.of_reading(reader_for(local, folder, UTC))
    window = DashboardWindow(lambda week: dashboards.load(week, AFTER, UTC, 4))
    qtbot.addWidget(window)
    window.show_week(WEEK)
    window.show()
    qtbot.waitExposed(window)
    assert window.computers_card.isVisible() and not window.computer_box.isVisible()
    assert [row[0] for row in table(window)] == ["This computer (Laptop)", "Desktop", "Work"]


def test_the_day_chart_says_each_day_as_counted(qtbot: QtBot,
                                                laptop: tuple[ResidentStore, Path]) -> None:
    """Tuesday: 1 h 30 min across the three computers, though its apps' stacks reach 2 h."""
    local, folder = laptop
    window = window_over(qtbot, reader_for(local, folder, UTC))
    said = window.day_view.accessibleDescription()
    assert f"Tuesday {duration(90 * 60)};" in said
    assert "a square marks where the day's time ends" in said
    # the square stands on Tuesday's bar at the day's time counted once, not at its stack's
    assert window.data is not None
    days = list(window.data.report.per_day)
    tuesday = days.index(date(2026, 11, 24))
    (marks,) = [s for s in window.day_view.chart().series() if s.name() == COUNTED_ONCE]
    ((x, y),) = [(p.x(), p.y()) for p in marks.points()]  # type: ignore[attr-defined]
    (stacks,) = [s for s in window.day_view.chart().series() if s.name() == ""]
    stack = sum(b.at(tuesday) for b in stacks.barSets())  # type: ignore[attr-defined]
    assert x == tuesday and y == pytest.approx(stack * 90 / 120)  # 1 h 30 of the apps' 2 h
    tip = charts.day_tip(window.data, tuesday, "replika")
    assert f"the day counts {duration(90 * 60)}, each moment once" in tip
    # a day whose apps never overlapped keeps the short tip
    other = next(i for i in range(7) if i != tuesday and sum(
        list(window.data.report.per_day.values())[i].values()) > 0)
    assert "of the day's" in charts.day_tip(window.data, other, next(iter(
        list(window.data.report.per_day.values())[other])))


def test_one_computer_s_day_chart_has_no_counted_once_mark(
        qtbot: QtBot, laptop: tuple[ResidentStore, Path]) -> None:
    local, folder = laptop
    window = window_over(qtbot, reader_for(local, folder, UTC, this_device=True))
    assert not [s for s in window.day_view.chart().series() if s.name() == COUNTED_ONCE]
    assert "square" not in window.day_view.accessibleDescription()
