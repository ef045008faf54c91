"""The compact widget shows the right numbers for a fixed day: today per app against its
goal, and the week so far, read from a real store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QLabel, QMenu, QProgressBar, QPushButton
from pytestqt.qtbot import QtBot

from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.core.today import today_view
from widget.services.today import TodayService
from widget.store import Store
from widget.ui.compact import EMPTY_TEXT, CompactWidget

# The offscreen platform says these of every top-level window; they are not driftcheck's doing.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 26 November 2026, 20:00 in Berlin; the week began on Monday the 23rd at 04:00.
NOW = datetime(2026, 11, 26, 20, 0, tzinfo=BERLIN).astimezone(UTC)
APPS = (TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),)),
        TrackedApp("character-ai", "Character.AI", (Rule(RuleKind.TITLE, "Character.AI"),)))
GOALS = [Goal(GoalKind.DAILY, "replika", 45 * 60), Goal(GoalKind.DAILY, "character-ai", 30 * 60),
         Goal(GoalKind.WEEKLY, None, 5 * 3600)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def use(app: str, start: datetime, minutes: float,
        measure: Measure = Measure.FOREGROUND) -> Interval:
    return Interval(app, start, start + timedelta(minutes=minutes), measure)


WEEK = [
    use("replika", at(22, 23, 0), 60),  # Sunday night: last week
    use("replika", at(23, 2, 0), 30),  # Monday 02:00 still belongs to Sunday
    use("replika", at(23, 21, 0), 60),
    use("character-ai", at(24, 22, 0), 60),
    use("replika", at(25, 23, 30), 32),
    use("replika", at(26, 19, 0), 38),
    use("character-ai", at(26, 3, 30), 10),  # 03:30 Thursday: Wednesday's late night
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "db.sqlite3")
    for app in APPS:
        opened.add_app(app)
    for interval in WEEK:
        opened.insert_interval(interval)
    opened.replace_goals(GOALS)
    try:
        yield opened
    finally:
        opened.close()


def texts(widget: CompactWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]


def test_the_week_and_today_from_a_real_store(store: Store) -> None:
    view = TodayService(store, Options(), now=lambda: NOW, tz=BERLIN)()
    assert view.total_seconds == 38 * 60
    assert view.daily_goal_seconds == 75 * 60  # no all-apps goal: the per-app goals together
    assert [(r.key, r.seconds, r.goal_seconds) for r in view.apps] == [
        ("replika", 38 * 60, 45 * 60), ("character-ai", 0, 30 * 60)]
    # Monday 60 + Tuesday 60 + Wednesday 32 + 10 + today 38; Sunday's night is last week.
    assert view.week_seconds == (60 + 60 + 32 + 10 + 38) * 60
    assert view.weekly_goal_seconds == 5 * 3600
    assert not view.approximate


def test_the_widget_shows_the_numbers(qtbot: QtBot, store: Store) -> None:
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    widget.show_view(TodayService(store, Options(), now=lambda: NOW, tz=BERLIN)(), NOW)
    widget.show()
    shown = texts(widget)
    assert shown[0] == "Today 38 min of 1 h 15 min"
    assert "Replika" in shown and "38 min of 45 min" in shown
    assert "Character.AI" in shown and "0 min of 30 min" in shown
    assert "This week so far: 3 h 20 min of 5 h" in shown
    bar = widget.findChild(QProgressBar, "bar-replika")
    assert bar is not None and bar.maximum() == 45 * 60 and bar.value() == 38 * 60
    assert "#1f9e98" in bar.styleSheet() and "red" not in bar.styleSheet()


def test_an_all_apps_goal_is_the_days_goal() -> None:
    goals = [Goal(GoalKind.DAILY, None, 2 * 3600), Goal(GoalKind.DAILY, "replika", 45 * 60)]
    view = today_view(WEEK, goals, {"replika": "Replika"}, NOW, BERLIN, 4)
    assert view.daily_goal_seconds == 2 * 3600
    assert view.weekly_goal_seconds is None


def test_over_the_goal_the_bar_is_full_and_says_so_calmly(qtbot: QtBot) -> None:
    intervals = [*WEEK, use("replika", at(26, 12, 0), 20, Measure.APPROXIMATE)]
    view = today_view(intervals, GOALS, {"replika": "Replika"}, NOW, BERLIN, 4,
                      tracked=["replika"])
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    widget.show_view(view, NOW)
    widget.show()
    assert "58 min of 45 min" in texts(widget)
    bar = widget.findChild(QProgressBar, "bar-replika")
    assert bar is not None and bar.value() == bar.maximum()
    assert widget.approx_label.isVisible()  # some of today's time was approximate


def test_a_week_without_goals_and_no_apps_yet(qtbot: QtBot) -> None:
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    widget.show_view(today_view([], [], {}, NOW, BERLIN, 4), NOW)
    widget.show()
    shown = texts(widget)
    assert shown[0] == "Today 0 min"
    assert EMPTY_TEXT in shown, "it says what to do, not only that nothing is tracked"
    assert "This week so far: 0 min" in shown
    assert not [bar for bar in widget.findChildren(QProgressBar) if bar.isVisible()]
    assert widget.choose_apps_button.isVisible()
    assert widget.choose_apps_button.text() == "Choose apps..."
    asked: list[bool] = []
    widget.choose_apps_requested.connect(lambda: asked.append(True))
    widget.choose_apps_button.click()
    assert asked == [True]
    widget.show_view(today_view([], [], {"replika": "Replika"}, NOW, BERLIN, 4,
                                tracked=["replika"]), NOW)
    assert not widget.choose_apps_button.isVisible(), "with an app tracked, no empty state"


def test_the_windows_menu_button_draws_its_arrow_beside_its_text(qtbot: QtBot) -> None:
    menu = QMenu()
    widget = CompactWidget(BERLIN, as_window=True, menu=menu)
    qtbot.addWidget(widget)
    widget.show()
    button = widget.menu_button
    # A QPushButton lays the menu arrow out beside the text; the QToolButton drew it over the
    # corner of the word.
    assert isinstance(button, QPushButton) and button.menu() is menu
    text_width = button.fontMetrics().horizontalAdvance(button.text())
    assert button.sizeHint().width() >= text_width + 16


def test_goals_for_all_apps_together_get_their_own_bars(qtbot: QtBot) -> None:
    from widget.core.goals import Goal, GoalKind
    from widget.core.model import Interval

    start = NOW - timedelta(minutes=40)
    view = today_view([Interval("replika", start, start + timedelta(minutes=30))],
                      [Goal(GoalKind.DAILY, None, 45 * 60), Goal(GoalKind.WEEKLY, None, 5 * 3600)],
                      {"replika": "Replika"}, NOW, BERLIN, 4, tracked=["replika"])
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    widget.show_view(view, NOW)
    widget.show()
    today = widget.findChild(QProgressBar, "bar-today")
    week = widget.findChild(QProgressBar, "bar-week")
    assert today.isVisible() and (today.value(), today.maximum()) == (30 * 60, 45 * 60)
    assert week.isVisible() and week.maximum() == 5 * 3600


def test_check_in_and_the_dashboard_are_offered(qtbot: QtBot) -> None:
    widget = CompactWidget(BERLIN, dashboard=True)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.check_in_button.isVisible()
    assert widget.dashboard_button.isVisible()
    with qtbot.waitSignal(widget.check_in_requested):
        widget.check_in_button.click()
    with qtbot.waitSignal(widget.dashboard_requested):
        widget.dashboard_button.click()


def minutes_said(text: str) -> int:
    """Whole minutes in a figure like '1 h 31 min' (the figure before any ' of ')."""
    figure = text.split(" of ")[0]
    hours = re.search(r"(\d+) h", figure)
    minutes = re.search(r"(\d+) min", figure)
    return (int(hours[1]) * 60 if hours else 0) + (int(minutes[1]) if minutes else 0)


def test_the_rows_add_up_to_todays_total(qtbot: QtBot) -> None:
    """Seen: 1 h 30 and 1 h 11 under a total of 2 h 42. Each row is now said in the total's
    unit and rounded so that the rows sum to it."""
    intervals = [use("replika", at(26, 10, 0), 90.6), use("character-ai", at(26, 14, 0), 71.6)]
    view = today_view(intervals, GOALS, {"replika": "Replika", "character-ai": "Character.AI"},
                      NOW, BERLIN, 4, tracked=["replika", "character-ai"])
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    widget.show_view(view, NOW)
    widget.show()
    rows = [widget.findChild(QLabel, f"amount-{key}").text() for key in ("replika",
                                                                       "character-ai")]
    assert widget.today_label.text() == "Today 2 h 42 min of 1 h 15 min"
    assert rows == ["1 h 31 min of 45 min", "1 h 11 min of 30 min"]
    assert sum(minutes_said(row) for row in rows) == minutes_said(
        widget.today_label.text().removeprefix("Today "))
    bar = widget.findChild(QProgressBar, "bar-replika")
    assert bar.toolTip() == "1 h 31 min of your 45 min goal for today"


def test_seconds_are_said_under_ten_minutes(qtbot: QtBot) -> None:
    """A two-minute goal needs seconds: 119.9 s was shown as "1 min", and "Today 11 min of
    2" had no unit."""
    goals = [Goal(GoalKind.DAILY, None, 120)]
    view = today_view([use("replika", at(26, 19, 0), 119.9 / 60)], goals,
                      {"replika": "Replika"}, NOW, BERLIN, 4, tracked=["replika"])
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    widget.show_view(view, NOW)
    assert widget.today_label.text() == "Today 1 min 59 s of 2 min"
    assert widget.findChild(QLabel, "amount-replika").text() == "1 min 59 s"


def test_a_week_across_the_clock_change_counts_every_hour() -> None:
    # Sunday 25 October 2026 is 25 hours long in Berlin; the week from Monday the 19th.
    now = datetime(2026, 10, 25, 23, 0, tzinfo=BERLIN).astimezone(UTC)
    start = datetime(2026, 10, 25, 4, 0, tzinfo=BERLIN).astimezone(UTC)
    intervals = [Interval("replika", start, start + timedelta(hours=19))]
    view = today_view(intervals, [], {}, now, BERLIN, 4)
    assert view.total_seconds == 19 * 3600 == view.week_seconds
