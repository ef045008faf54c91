"""The dashboard window, offscreen, on demo history read through the tray's lean store: the
week's total against a week report computed on its own, the drift marked and explained,
navigation by buttons and keys, the empty and one-day states, accessible names, and light
and dark; and the tray's way of opening it (one window, no SQLAlchemy)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCharts import QAbstractSeries, QChartView
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from widget.catalog_data import load_catalog
from widget.core.calendar import iso_week, local_day, week_monday
from widget.core.catalog import entry_to_app
from widget.core.checkin import Checkin
from widget.core.dashboard import NO_BASELINE, DashboardData
from widget.core.format import about, duration, durations_with_total
from widget.core.model import Interval
from widget.core.report import WeekReport, week_report, weekly_totals
from widget.services.dashboard import load_dashboard
from widget.services.demo import DEMO_APPS, DEMO_GOALS, demo_intervals
from widget.store import Store
from widget.store.resident import ResidentStore
from widget.ui.dashboard.window import EMPTY_TEXT, TITLE, DashboardWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

REPO = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=BERLIN).astimezone(UTC)  # Thursday of 2026-W48
TODAY = local_day(NOW, BERLIN, 4)
DEMO = demo_intervals(7, 12, BERLIN, 4, TODAY)
NAMES = {"replika": "Replika", "character-ai": "Character.AI", "sillytavern": "SillyTavern"}

Source = Callable[[str | None], DashboardData]


def make_store(path: Path, intervals: list[Interval], checkins: list[Checkin] = ()  # type: ignore[assignment]
               ) -> Path:
    full = Store.open(path, clock=lambda: NOW)
    try:
        catalog = load_catalog()
        for key in DEMO_APPS:
            full.add_app(entry_to_app(catalog.get(key), "linux"))
        for interval in intervals:
            full.insert_interval(interval)
        full.replace_goals(list(DEMO_GOALS))
        for checkin in checkins:
            full.add_checkin(checkin)
    finally:
        full.close()
    return path


@pytest.fixture
def lean(tmp_path: Path) -> Iterator[Callable[..., Source]]:
    """Makes a store from intervals and gives the dashboard's source over it."""
    opened: list[ResidentStore] = []

    def source(intervals: list[Interval], checkins: list[Checkin] = ()) -> Source:  # type: ignore[assignment]
        path = make_store(tmp_path / f"db{len(opened)}.sqlite3", intervals, checkins)
        store = ResidentStore.open(path)
        opened.append(store)
        return lambda week: load_dashboard(store, week, NOW, BERLIN, 4)

    yield source
    for store in opened:
        store.close()


@pytest.fixture
def window(qtbot: QtBot, lean: Callable[..., Source]) -> DashboardWindow:
    answered = NOW - timedelta(days=4, hours=1)  # last Sunday evening
    shown = DashboardWindow(lean(DEMO, [Checkin(asked=answered, answered=answered, answer=3)]))
    qtbot.addWidget(shown)
    shown.show_week(None)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def independent_report(week: str) -> WeekReport:
    """The week report straight from the demo intervals, without the dashboard's loader."""
    monday = week_monday(week)
    before = [iso_week(monday - timedelta(weeks=k)) for k in range(12, 0, -1)]
    totals = weekly_totals(DEMO, before, BERLIN, 4)
    first = iso_week(local_day(DEMO[0].start, BERLIN, 4))
    history = {w: t for w, t in totals.items() if week_monday(w) >= week_monday(first)}
    return week_report(DEMO, week, history, list(DEMO_GOALS), NAMES, BERLIN, 4, now=NOW)


def series(view: QChartView, name: str) -> list[QAbstractSeries]:
    return [s for s in view.chart().series() if s.name() == name]


def label(window: DashboardWindow, name: str) -> str:
    found = window.findChild(QLabel, name)
    assert found is not None, name
    return found.text()


# --- what it shows -----------------------------------------------------------------------------


def test_it_shows_this_weeks_total_and_words(window: DashboardWindow) -> None:
    expected = independent_report("2026-W48")
    assert expected.total_s > 0
    assert window.data is not None and window.data.week == "2026-W48"
    assert label(window, "week-total") == duration(expected.total_s)
    days_used = sum(1 for apps in list(expected.per_day.values())[:4] if sum(apps.values()))
    numbers = ("none", "one", "two", "three", "four")
    # said once, with the days that had use (not "2 min ... in 4 days", read as four of use)
    assert label(window, "week-total-caption") == \
        f"so far this week, with use on {numbers[days_used]} of its four days"
    assert expected.baseline_s is not None
    assert label(window, "week-words") == \
        f"A usual whole week is about {about(expected.baseline_s)}."
    assert label(window, "week-total") not in label(window, "week-words")
    assert label(window, "week-title") == "23 \u2013 29 November 2026"
    assert window.windowTitle() == TITLE
    assert not any(name in window.windowTitle() for name in NAMES.values())


def test_the_drift_is_marked_on_the_twelve_weeks_and_explained(window: DashboardWindow
                                                               ) -> None:
    assert independent_report("2026-W48").drift is not None  # the demo history drifts
    marks = series(window.weeks_view, "Rising weeks")
    assert len(marks) == 1 and marks[0].count() > 0  # type: ignore[attr-defined]
    assert series(window.weeks_view, "Trend") and series(window.weeks_view, "Usual range")
    words = label(window, "drift-explanation")
    assert words.startswith("Your weekly time has ")  # said as a person would say it
    assert " from about " in words and " to " in words
    assert "only you can say" in words and "The shaded usual range starts at" in words
    assert "A triangle marks the weeks of" in window.weeks_view.accessibleDescription()


def test_the_day_chart_stacks_apps_and_draws_the_daily_goal(window: DashboardWindow) -> None:
    assert window.data is not None
    stacks = [s for s in window.day_view.chart().series() if s.name() == ""]
    bar_sets = stacks[0].barSets()  # type: ignore[attr-defined]
    assert {b.label() for b in bar_sets} == {NAMES[k] for k in window.data.report.per_app}
    assert series(window.day_view, "Daily goal, 45 min")


def test_the_table_has_a_row_per_app(window: DashboardWindow) -> None:
    assert window.data is not None
    model = window.table.model()
    assert model.rowCount() == len(window.data.apps) > 0
    first = window.data.apps[0]
    assert model.index(0, 0).data() == first.name
    # Each app's week in the total's unit, the rows adding up to the week's total.
    said, total = durations_with_total([a.seconds for a in window.data.apps])
    assert [model.index(r, 1).data() for r in range(model.rowCount())] == said
    assert label(window, "week-total") == total
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None


def test_the_check_in_sits_beside_its_week(window: DashboardWindow) -> None:
    dots = series(window.checkin_view, "Your answer")
    assert dots and dots[0].count() == 1  # type: ignore[attr-defined]
    assert "week of 16 Nov: \u201cSomewhere in between\u201d" in label(window, "checkin-caption")


# --- navigation ---------------------------------------------------------------------------------


def test_back_and_forward_change_the_week_and_its_total(window: DashboardWindow) -> None:
    assert not window.next_button.isEnabled() and not window.this_week_button.isEnabled()
    window.next_week()  # cannot go past this week
    assert window.data is not None and window.data.week == "2026-W48"
    window.previous_button.click()
    assert window.data.week == "2026-W47"
    assert label(window, "week-total") == duration(independent_report("2026-W47").total_s)
    assert label(window, "week-total-caption").startswith("that week, with use on ")
    assert window.days_card.findChild(QLabel).text() == "That week by day"
    assert window.next_button.isEnabled() and window.this_week_button.isEnabled()
    window.previous_button.click()
    assert window.data.week == "2026-W46"
    window.next_button.click()
    assert window.data.week == "2026-W47"
    window.this_week_button.click()
    assert window.data.week == "2026-W48"


def test_it_cannot_go_before_the_history(window: DashboardWindow) -> None:
    assert window.data is not None
    for _ in range(20):
        window.previous_week()
    assert window.data.week == window.data.first_week == "2026-W36"
    assert not window.previous_button.isEnabled()
    assert window.data.weeks[-1].total_s is not None


def test_keys_move_between_weeks(qtbot: QtBot, window: DashboardWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.previous_button.setFocus()
    assert window.data is not None

    def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
              ) -> str:
        qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)
        assert window.data is not None
        return window.data.week

    assert press(Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier) == "2026-W47"
    assert press(Qt.Key.Key_PageUp) == "2026-W46"
    assert press(Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier) == "2026-W47"
    assert press(Qt.Key.Key_PageUp) == "2026-W46"
    assert press(Qt.Key.Key_Home, Qt.KeyboardModifier.AltModifier) == "2026-W48"
    assert press(Qt.Key.Key_PageDown) == "2026-W48"  # never past this week
    window.table.setFocus()  # the keys work wherever the focus is
    assert press(Qt.Key.Key_PageUp) == "2026-W47"


def test_tab_goes_through_the_controls_in_reading_order(qtbot: QtBot,
                                                         window: DashboardWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.previous_button.setFocus()
    order = [window.this_week_button, window.next_button, window.how_button,
             window.checkin_view, window.day_view, window.heat_map, window.table,
             window.weeks_view]
    window.previous_week()  # so that "This week" and "Next week" take the focus too
    for expected in order:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is expected, expected.objectName()


def test_the_heat_map_is_read_with_the_arrow_keys(qtbot: QtBot, window: DashboardWindow
                                                  ) -> None:
    """As its description promises ("Use the arrow keys to read each hour."): every one of the
    week's 168 hours is reached by the arrow keys and said in words, and the edges hold."""
    heat = window.heat_map
    assert heat.accessibleDescription() == heat.summary()
    assert heat.summary().endswith(" Use the arrow keys to read each hour.")
    heat.setFocus()
    start = heat.cursor_cell
    qtbot.keyClick(heat, Qt.Key.Key_Right)
    assert heat.cursor_cell == (start[0], min(23, start[1] + 1))
    assert label(window, "heat-caption") == heat.cell_text(*heat.cursor_cell)
    assert heat.accessibleDescription() == heat.cell_text(*heat.cursor_cell)
    for key in [Qt.Key.Key_Up] * 7 + [Qt.Key.Key_Left] * 24:
        qtbot.keyClick(heat, key)
    assert heat.cursor_cell == (0, 0), "the top-left corner holds against Up and Left"
    said = {heat.accessibleDescription()}
    for row in range(7):
        for _ in range(23):
            qtbot.keyClick(heat, Qt.Key.Key_Left if row % 2 else Qt.Key.Key_Right)
            said.add(heat.accessibleDescription())
        if row < 6:
            qtbot.keyClick(heat, Qt.Key.Key_Down)
            said.add(heat.accessibleDescription())
    assert heat.cursor_cell == (6, 23)
    assert len(said) == 7 * 24, "each hour said once, in its own words"
    assert all(": " in text for text in said)


# --- empty, one day ---------------------------------------------------------------------------


def test_the_empty_state_says_what_will_appear(qtbot: QtBot, lean: Callable[..., Source]
                                               ) -> None:
    empty = DashboardWindow(lean([]))
    qtbot.addWidget(empty)
    empty.show_week(None)
    empty.show()
    qtbot.waitExposed(empty)
    assert empty.stack.currentWidget() is empty.empty_page
    assert label(empty, "empty-text") == EMPTY_TEXT
    assert "nothing here leaves it" in EMPTY_TEXT
    assert not empty.previous_button.isEnabled() and not empty.next_button.isEnabled()
    assert empty.grab().width() > 0


def test_one_day_of_use_makes_sense(qtbot: QtBot, lean: Callable[..., Source]) -> None:
    evening = datetime(2026, 11, 25, 20, 0, tzinfo=BERLIN).astimezone(UTC)
    one = DashboardWindow(lean([Interval("replika", evening, evening + timedelta(hours=1))]))
    qtbot.addWidget(one)
    one.show_week(None)
    one.show()
    qtbot.waitExposed(one)
    assert one.stack.currentIndex() == 0
    assert label(one, "week-total") == "1 h"
    words = label(one, "drift-explanation")
    assert NO_BASELINE in words and "Once there are four complete weeks" in words
    for name in ("Trend", "Rising weeks", "Usual range"):
        assert not series(one.weeks_view, name), name  # no trend drawn through one day
    assert not one.previous_button.isEnabled()  # the history began this week
    assert one.table.model().index(0, 3).data() == "no week before to compare"


# --- accessibility and themes ---------------------------------------------------------------


def test_every_chart_and_control_has_an_accessible_name(window: DashboardWindow) -> None:
    for widget in (window.day_view, window.weeks_view, window.checkin_view, window.heat_map,
                   window.table, window.previous_button, window.next_button,
                   window.this_week_button, window.words_label):
        assert widget.accessibleName(), widget.objectName()
    for chart in (window.day_view, window.weeks_view, window.checkin_view, window.heat_map):
        assert len(chart.accessibleDescription()) > 20, chart.objectName()
        assert chart.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert "Alt+Left" in window.previous_button.toolTip()


def test_dark_and_light_differ_and_follow_the_application(qtbot: QtBot,
                                                          lean: Callable[..., Source]) -> None:
    source = lean(DEMO)
    made = {}
    for theme in ("light", "dark"):
        made[theme] = DashboardWindow(source, theme=theme)  # type: ignore[arg-type]
        qtbot.addWidget(made[theme])
        made[theme].show_week(None)
    light, dark = made["light"].chart_palette(), made["dark"].chart_palette()
    assert not light.dark and dark.dark
    assert light.window.lightness() > 200 > 60 > dark.window.lightness()
    assert made["dark"].palette().color(QPalette.ColorRole.WindowText).lightness() > 180
    chart_ground = made["dark"].weeks_view.chart().backgroundBrush().color()
    assert chart_ground == dark.window != made["light"].weeks_view.chart().backgroundBrush().color()
    assert light.apps != dark.apps and QColor("#D55E00") not in (light.drift, dark.drift)

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    following = DashboardWindow(source)
    qtbot.addWidget(following)
    following.show_week(None)
    try:
        night = QPalette(before)
        night.setColor(QPalette.ColorRole.Window, QColor("#1e1f22"))
        night.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
        app.setPalette(night)
        qtbot.waitUntil(lambda: following.weeks_view.chart().backgroundBrush().color()
                        == QColor("#1e1f22"))
        assert following.chart_palette().dark
    finally:
        app.setPalette(before)


# --- from the tray ------------------------------------------------------------------------------


class NoTracker:
    """The controller's tracker is not needed to open the dashboard."""


def test_the_tray_opens_one_dashboard_and_brings_it_back(qtbot: QtBot, tmp_path: Path) -> None:
    from widget.core.options import Options
    from widget.ui.controller import TrayController

    path = make_store(tmp_path / "db.sqlite3", DEMO)
    store = ResidentStore.open(path)
    controller = TrayController(store, NoTracker(), Options(), tz=BERLIN,  # type: ignore[arg-type]
                                now=lambda: NOW)
    try:
        controller.open_dashboard()
        first = controller._dashboard
        assert first is not None and first.isVisible()
        qtbot.addWidget(first)
        first.previous_week()
        controller.open_dashboard()  # asked again: the same window, its week read afresh
        assert controller._dashboard is first and first.data is not None
        assert first.data.week == "2026-W47"
        with qtbot.waitSignal(first.destroyed):
            first.close()  # closing frees it
        assert controller._dashboard is None
        controller.open_dashboard()
        again = controller._dashboard
        assert again is not None and again.data is not None and again.data.week == "2026-W48"
        qtbot.addWidget(again)
    finally:
        store.close()



def test_the_tray_s_empty_dashboard_opens_the_apps_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    """Its "Choose apps..." is wired to the tray's apps dialog, also when the terminal asked
    for the week; closing that dialog has the tracker read the apps again."""
    from widget.core.options import Options
    from widget.ui.controller import TrayController
    from widget.ui.dialogs.welcome import WelcomeDialog

    class Tracker:
        reloads = 0

        def reload_apps(self) -> None:
            self.reloads += 1

    Store.open(tmp_path / "none.sqlite3").close()
    store = ResidentStore.open(tmp_path / "none.sqlite3")
    tracker = Tracker()
    controller = TrayController(store, tracker, Options(), tz=BERLIN,  # type: ignore[arg-type]
                                now=lambda: NOW)
    try:
        window = controller.open_dashboard("2026-W47")
        assert window is not None and window.data is not None
        assert window.data.week == "2026-W47"
        assert window.stack.currentWidget() is window.empty_page
        assert not controller._dialogs
        window.choose_apps_button.click()
        dialogs = [d for d in controller._dialogs if isinstance(d, WelcomeDialog)]
        assert len(dialogs) == 1 and dialogs[0].isVisible()
        dialogs[0].reject()
        assert tracker.reloads == 1 and not controller._dialogs
    finally:
        controller.close()
        store.close()


OPEN_FROM_THE_TRAY = """
import json, sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from PySide6.QtWidgets import QApplication
from widget.core.options import Options
from widget.store.resident import ResidentStore
from widget.ui.controller import TrayController

app = QApplication([])
store = ResidentStore.open(Path(sys.argv[1]))
now = datetime.fromisoformat(sys.argv[2])
controller = TrayController(store, None, Options(), tz=ZoneInfo("Europe/Berlin"), now=lambda: now)
controller.open_dashboard()
app.processEvents()
window = controller._dashboard
print(json.dumps({"sqlalchemy": sorted(m for m in sys.modules if m.startswith("sqlalchemy")),
                  "week": window.data.week, "total": window.data.report.total_s}))
store.close()
"""


def test_opening_the_dashboard_from_the_tray_loads_no_sqlalchemy(tmp_path: Path) -> None:
    path = make_store(tmp_path / "db.sqlite3", DEMO)
    done = subprocess.run([sys.executable, "-c", OPEN_FROM_THE_TRAY, str(path), NOW.isoformat()],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
                               "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["sqlalchemy"] == []
    assert seen["week"] == "2026-W48"
    assert seen["total"] == independent_report("2026-W48").total_s


# --- following this week while it is open ---------------------------------------------------


def test_this_week_follows_the_tracker_and_monday(qtbot: QtBot, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN).astimezone(UTC)
    week_before = evening - timedelta(weeks=1)
    path = make_store(tmp_path / "live.sqlite3", [
        Interval("replika", week_before, week_before + timedelta(hours=1)),
        Interval("replika", evening, evening + timedelta(hours=1))])
    store = ResidentStore.open(path)
    clock = {"now": NOW}
    shown = DashboardWindow(lambda week: load_dashboard(store, week, clock["now"], BERLIN, 4))
    qtbot.addWidget(shown)
    try:
        shown.show_week(None)
        shown.show()
        qtbot.waitExposed(shown)
        assert label(shown, "week-total") == "1 h"
        drawn: list[str] = []
        render = shown._render
        monkeypatch.setattr(shown, "_render", lambda data: (drawn.append(data.week),
                                                            render(data)))
        shown.follow()
        assert drawn == [], "nothing changed: nothing redrawn"

        later = NOW - timedelta(hours=2)  # Thursday afternoon: 30 more minutes
        store.insert_interval(Interval("replika", later, later + timedelta(minutes=30)))
        shown.follow()
        assert label(shown, "week-total") == "1 h 30 min"

        shown.previous_week()  # an earlier week stays as it is
        assert shown.data is not None and shown.data.week == "2026-W47"
        store.insert_interval(Interval("replika", NOW - timedelta(minutes=30), NOW))
        drawn.clear()
        shown.follow()
        assert drawn == []

        shown.this_week()
        assert label(shown, "week-total") == "2 h"
        clock["now"] = NOW + timedelta(days=4)  # Monday of 2026-W49
        shown.follow()
        assert shown.data is not None and shown.data.week == "2026-W49"
        assert label(shown, "week-total") == "0 min"
    finally:
        store.close()


def test_this_week_s_table_compares_with_the_same_days_before(window: DashboardWindow) -> None:
    model = window.table.model()
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Against the same days before"
    window.previous_week()  # a whole week: beside the whole week before it
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Against the week before"


# --- plain words, one click from the method ----------------------------------------------------

JARGON = ("Mann-Kendall", "p =", "p <", "Theil", "steadily ordered", "1 time in", "band",
          "signal")


def shown_texts(window: DashboardWindow) -> dict[str, str]:
    """Every text the default view shows or says: labels, buttons, tooltips, accessible names
    and descriptions, the charts' series (their legends), axis titles and labels."""
    from PySide6.QtCharts import QBarCategoryAxis, QCategoryAxis
    from PySide6.QtWidgets import QAbstractButton, QWidget

    texts: dict[str, str] = {}
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        name = widget.objectName() or type(widget).__name__
        if isinstance(widget, QLabel | QAbstractButton):
            texts[f"{name} text"] = widget.text()
        for what, text in (("tooltip", widget.toolTip()), ("name", widget.accessibleName()),
                           ("description", widget.accessibleDescription())):
            if text:
                texts[f"{name} {what}"] = text
    for view in (window.day_view, window.weeks_view, window.checkin_view):
        chart = view.chart()
        for s in chart.series():
            texts[f"{view.objectName()} series {s.name()}"] = s.name()
            for bar_set in getattr(s, "barSets", list)():
                texts[f"{view.objectName()} bars {bar_set.label()}"] = bar_set.label()
        for axis in chart.axes():
            texts[f"{view.objectName()} axis"] = axis.titleText()
            if isinstance(axis, QCategoryAxis):
                texts[f"{view.objectName()} answers"] = " ".join(axis.categoriesLabels())
            elif isinstance(axis, QBarCategoryAxis):
                texts[f"{view.objectName()} categories"] = " ".join(axis.categories())
    model = window.table.model()
    for column in range(model.columnCount()):
        texts[f"table header {column}"] = str(model.headerData(column, Qt.Orientation.Horizontal))
    texts["heat tooltip"] = window.heat_map.cell_text(*window.heat_map.cursor_cell)
    return texts


def test_the_default_view_speaks_no_statistics(window: DashboardWindow) -> None:
    for _ in range(2):  # this week, then the last complete one
        assert window.data is not None
        assert window.data.report.drift is not None, "the demo history drifts"
        texts = shown_texts(window)
        assert len(texts) > 40 and any("Your weekly time has" in t for t in texts.values())
        for where, text in texts.items():
            for word in JARGON:
                assert word not in text, f"{word!r} in {where}: {text!r}"
        assert texts["chart-weeks series Usual range"] == "Usual range"  # the one term
        window.previous_week()


def test_how_it_is_worked_out_is_one_click_away(qtbot: QtBot, window: DashboardWindow) -> None:
    from widget.core.dashboard import HOW_WORKED_OUT, how_worked_out

    assert window.how_button.text() == HOW_WORKED_OUT == "How is this worked out?"
    assert window.how_button.isVisibleTo(window)
    window.how_button.click()
    box = window.method_box
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert box.text() == how_worked_out()
    assert "Mann-Kendall" in box.text() and "Theil-Sen" in box.text()  # the method, named
    assert "usual range" in box.text() and "band" not in box.text()
    assert box.windowTitle() == "driftcheck \u2014 How it is worked out"
    box.close()


# --- the charts -----------------------------------------------------------------------------------


def test_the_weekly_goal_is_a_dotted_line_on_the_twelve_weeks(window: DashboardWindow) -> None:
    from PySide6.QtCharts import QLineSeries

    goal = series(window.weeks_view, "Weekly goal, 5 h")
    assert len(goal) == 1 and isinstance(goal[0], QLineSeries)
    line = goal[0]
    assert line.pen().style() == Qt.PenStyle.DotLine
    values = {line.at(i).y() for i in range(line.count())}
    assert values == {5.0}, "5 h, on the chart's hours axis"
    assert "The dotted line is your weekly goal, 5 h." in label(window, "weeks-caption")


def value_axis(view: QChartView):  # type: ignore[no-untyped-def]
    from PySide6.QtCharts import QValueAxis

    axes = [a for a in view.chart().axes() if isinstance(a, QValueAxis)]
    assert len(axes) == 1
    return axes[0]


def test_a_minutes_axis_shows_whole_minutes(qtbot: QtBot, lean: Callable[..., Source]) -> None:
    evening = datetime(2026, 11, 25, 20, 0, tzinfo=BERLIN).astimezone(UTC)
    seven = DashboardWindow(lean([Interval("replika", evening, evening + timedelta(minutes=7))]))
    qtbot.addWidget(seven)
    seven.show_week(None)
    axis = value_axis(seven.day_view)
    assert axis.titleText() == "minutes"
    step = (axis.max() - axis.min()) / (axis.tickCount() - 1)
    ticks = [axis.min() + k * step for k in range(axis.tickCount())]
    assert all(t == int(t) for t in ticks), ticks  # never 0.5 or 1.5
    assert axis.max() >= 45, "the daily goal of 45 min fits"
    assert axis.labelFormat() == "%d"


def test_whole_ticks_are_whole_and_hold_the_top() -> None:
    from widget.ui.dashboard.charts import whole_ticks

    for top in (0.0, 0.3, 1.0, 1.9, 2.0, 4.5, 7.0, 13.0, 45.0, 59.9, 60.0, 100.0, 149.0):
        step, ticks = whole_ticks(top)
        assert isinstance(step, int) and step >= 1
        assert step * (ticks - 1) >= top and ticks <= 7, (top, step, ticks)


def test_the_self_check_is_drawn_on_its_own_answer_axis(window: DashboardWindow) -> None:
    """An answer is not an amount of time: the chart has no hours on it at all, only the
    answers' own scale in their words, and its caption says so."""
    from PySide6.QtCharts import QCategoryAxis, QValueAxis

    from widget.ui.dashboard.charts import ANSWER_AXIS

    axes = window.checkin_view.chart().axes()
    assert not [a for a in axes if type(a) is QValueAxis], "no hours axis"
    answers = [a for a in axes if isinstance(a, QCategoryAxis)
               and a.alignment() == Qt.AlignmentFlag.AlignLeft]
    assert len(answers) == 1 and answers[0].categoriesLabels() == list(ANSWER_AXIS.values())
    assert "Replacing connection" in answers[0].categoriesLabels()
    dots = series(window.checkin_view, "Your answer")[0]
    assert answers[0] in dots.attachedAxes()
    assert "it is not an amount of time" in label(window, "checkin-caption")


# --- weeks: that week, not begun, across a new year ----------------------------------------------


def test_a_past_week_says_that_week(window: DashboardWindow) -> None:
    window.previous_week()
    assert label(window, "week-total-caption").startswith("that week, with use on ")
    assert window.days_card.findChild(QLabel).text() == "That week by day"
    assert window.table.model().headerData(1, Qt.Orientation.Horizontal) == "That week"
    window.this_week()
    assert window.days_card.findChild(QLabel).text() == "This week by day"
    assert window.table.model().headerData(1, Qt.Orientation.Horizontal) == "This week"


def test_a_week_not_begun_is_refused(window: DashboardWindow) -> None:
    assert not window.show_week("2026-W50")
    assert window.data is not None and window.data.week == "2026-W48"  # this week instead
    notice = window.findChild(QLabel, "week-notice")
    assert notice is not None and notice.isVisibleTo(window)
    assert notice.text().startswith("The week 2026-W50 has not begun yet")
    assert not window.next_button.isEnabled()
    window.previous_week()
    assert not notice.isVisibleTo(window), "said once, then gone"


def test_a_week_across_a_new_year_shows_both_years() -> None:
    from widget.core.dashboard import dashboard_data
    from widget.ui.dashboard.window import week_title

    data = dashboard_data([], "2026-W01", NOW, BERLIN, 4, goals=[], names={}, checkins=[],
                          first_use=None)
    assert week_title(data) == "29 December 2025 \u2013 4 January 2026"
    data = dashboard_data([], "2026-W05", NOW, BERLIN, 4, goals=[], names={}, checkins=[],
                          first_use=None)
    assert week_title(data) == "26 January \u2013 1 February 2026"


# --- nothing chosen yet ------------------------------------------------------------------------


def test_with_no_apps_chosen_it_offers_to_choose_some(qtbot: QtBot, tmp_path: Path) -> None:
    from widget.ui.dashboard.window import CHOOSE_APPS, NO_APPS_TEXT

    Store.open(tmp_path / "none.sqlite3").close()
    store = ResidentStore.open(tmp_path / "none.sqlite3")
    try:
        empty = DashboardWindow(lambda week: load_dashboard(store, week, NOW, BERLIN, 4))
        qtbot.addWidget(empty)
        empty.show_week(None)
        assert empty.stack.currentWidget() is empty.empty_page
        assert label(empty, "empty-text") == NO_APPS_TEXT
        assert "you chose" not in NO_APPS_TEXT
        assert empty.choose_apps_button.isVisibleTo(empty)
        assert empty.choose_apps_button.text() == CHOOSE_APPS == "Choose apps..."
        with qtbot.waitSignal(empty.choose_apps):
            empty.choose_apps_button.click()
    finally:
        store.close()


def test_the_bars_tooltips_say_durations_as_everywhere(qtbot: QtBot,
                                                       window: DashboardWindow) -> None:
    """Hovering a bar says its time through core.format: an app's part of a day in the day's
    unit (the parts add up to the day), a week with its usual range."""
    from PySide6.QtCharts import QStackedBarSeries
    from PySide6.QtWidgets import QToolTip

    from widget.ui.dashboard import charts

    data = window.data
    assert data is not None
    day = max(range(7), key=lambda d: len(list(data.report.per_day.values())[d]))
    apps = list(data.report.per_day.values())[day]
    parts, total = durations_with_total(list(apps.values()))
    tips = [charts.day_tip(data, day, k) for k in apps]
    for key, part, tip in zip(apps, parts, tips, strict=True):
        assert tip.endswith(f": {data.report.names[key]} {part} of the day's {total}"), tip
    assert charts.week_tip(data, 11).startswith(f"Week of 23 Nov: "
                                                f"{duration(data.report.total_s)} so far")
    assert " (usual range about " in charts.week_tip(data, 11)
    assert charts.week_tip(data, 0) == f"Week of 7 Sep: {duration(data.weeks[0].total_s or 0)}"

    stacks = [s for s in window.day_view.chart().series() if isinstance(s, QStackedBarSeries)]
    first = data.report.names[next(iter(apps))]
    bar_set = next(b for b in stacks[0].barSets() if b.label() == first)
    window.show()
    stacks[0].hovered.emit(True, day, bar_set)  # as the chart does under the pointer
    qtbot.waitUntil(lambda: QToolTip.text() == tips[0])
    stacks[0].hovered.emit(False, day, bar_set)
