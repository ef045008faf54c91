"""An app's name, a note, a folder or a window title is shown as the words it is, never as rich
text (issue 11, finding 4, the window side): an app named `<b style='color:red'>BIG</b>` reads
so in every window, tooltip, legend and message box, instead of turning bold and red.

Every window is opened over a real store holding such a name and note, and walked: every label
is plain text (but the one rich label of our own words), no tooltip holds the tag unescaped, a
chart's legend draws the name literally, and the name is seen somewhere (so a walk that found
nothing cannot pass). A source check keeps every later label, tooltip and message box on the
same path.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QFormLayout,
    QGraphicsTextItem,
    QLabel,
    QListWidget,
    QMessageBox,
    QToolTip,
    QWidget,
)
from pytestqt.qtbot import QtBot
from shiboken6 import getCppPointer

from widget.catalog_data import load_catalog
from widget.core.catalog import custom_app
from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Foreground, Interval
from widget.core.rules import CountCheck
from widget.core.today import today_view
from widget.services.dashboard import load_dashboard
from widget.store import Store
from widget.ui.compact import CompactWidget
from widget.ui.dashboard.window import DashboardWindow
from widget.ui.dialogs.answers import AnswersDialog
from widget.ui.dialogs.app_picker import AppPicker, RunningApp
from widget.ui.dialogs.count_check import CountCheckBox
from widget.ui.dialogs.goals import GoalsDialog
from widget.ui.dialogs.settings import SettingsDialog, delete_confirmation
from widget.ui.dialogs.welcome import WelcomeDialog
from widget.ui.plain import RICH_TEXT_LABEL, plain_tooltip
from widget.ui.tray import tooltip_text

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

TAG = "<b style='color:red'>BIG</b>"
NAME = f"{TAG} & R&amp;D"  # a tag, a bare ampersand and an entity, all to be shown as typed
NOTE = f"I talked with {TAG} <img src='x'> tonight"
TITLE = f"<h1>{TAG}</h1> - Mozilla Firefox"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 20, 0, tzinfo=BERLIN).astimezone(UTC)  # Thursday of 2026-W48
UI = Path(__file__).resolve().parents[2] / "widget" / "ui"


@pytest.fixture
def named(tmp_path: Path) -> Iterator[Store]:
    """A store whose one tracked app has NAME, used today and on three days before; a note
    with a tag in it; a daily goal for the app."""
    store = Store.open(tmp_path / "db.sqlite3", clock=lambda: NOW)
    app = custom_app(NAME, ["kira"], [f"*{TAG}*"], False)
    store.add_app(app)
    for days in range(4):
        start = NOW - timedelta(days=days, hours=2)
        store.insert_interval(Interval(app.key, start, start + timedelta(minutes=40)))
    store.replace_goals([Goal(GoalKind.DAILY, app.key, 30 * 60)])
    asked = NOW - timedelta(days=2)
    store.add_checkin(Checkin(asked=asked, answered=asked, answer=2, note=NOTE))
    try:
        yield store
    finally:
        store.close()


def as_qt_shows(text: str) -> str:
    """The words Qt draws for a tooltip's (or an automatic label's) text: rich text when
    Qt.mightBeRichText says so, else the text as it is."""
    document = QTextDocument()
    if GuiQt.mightBeRichText(text):
        document.setHtml(text)
    else:
        document.setPlainText(text)
    return document.toPlainText()


def drawn_as_markup(text: str) -> bool:
    """`text` holds the tag, and Qt would draw it as a tag (bold and red)."""
    return TAG in text and TAG not in as_qt_shows(text)


def form_labels(root: QWidget) -> set[int]:
    """The labels QFormLayout made from a row's words (ours, written in the code)."""
    made: set[int] = set()
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and item.widget() is not None:
                made.add(getCppPointer(item.widget())[0])
    return made


def risks(root: QWidget) -> list[str]:
    """Every place under `root` where Qt could draw a text as rich text or markup."""
    found: list[str] = []
    ours = form_labels(root)
    for widget in [root, *root.findChildren(QWidget)]:
        what = f"{type(widget).__name__} {widget.objectName()!r}"
        if isinstance(widget, QLabel) and getCppPointer(widget)[0] not in ours \
                and widget.objectName() != RICH_TEXT_LABEL \
                and widget.textFormat() != Qt.TextFormat.PlainText \
                and not isinstance(widget.parent(), QMessageBox):
            found.append(f"{what} {widget.text()[:50]!r} is not plain text")
        if drawn_as_markup(widget.toolTip()):
            found.append(f"{what}'s tooltip holds the tag: {widget.toolTip()[:80]!r}")
    for listing in root.findChildren(QListWidget):
        for row in range(listing.count()):
            if drawn_as_markup(listing.item(row).toolTip()):
                found.append(f"list item {listing.item(row).text()!r}'s tooltip holds the tag")
    return found


def shown_texts(root: QWidget) -> list[str]:
    """What is drawn as words: plain labels, and the text of every chart item (legends)."""
    texts = [label.text() for label in root.findChildren(QLabel)
             if label.textFormat() == Qt.TextFormat.PlainText]
    for view in root.findChildren(QChartView):
        texts += [item.toPlainText() for item in view.chart().scene().items()
                  if isinstance(item, QGraphicsTextItem)]
    return texts


def test_the_compact_widget_shows_the_name_and_a_message_literally(
        qtbot: QtBot, named: Store) -> None:
    widget = CompactWidget(BERLIN)
    qtbot.addWidget(widget)
    view = today_view(named.intervals_overlapping(NOW - timedelta(days=7), NOW),
                      named.list_goals(), named.app_names(), NOW, BERLIN, 4,
                      tracked=[a.key for a in named.list_apps()])
    widget.show_view(view, NOW)
    widget.show_message("near|all|2026-11-26", NAME, f"{NAME}: 80% of today's goal")
    assert risks(widget) == []
    texts = shown_texts(widget)
    assert NAME in texts and f"{NAME}: 80% of today's goal" in texts


def test_the_tray_tooltip_names_the_app_as_written(named: Store) -> None:
    view = today_view(named.intervals_overlapping(NOW - timedelta(days=7), NOW),
                      named.list_goals(), named.app_names(), NOW, BERLIN, 4,
                      tracked=[a.key for a in named.list_apps()])
    said = tooltip_text(view, NOW, BERLIN, discreet=False)
    assert f"{NAME} 40 min of 30 min" in as_qt_shows(plain_tooltip(said))
    first = f"{NAME} 40 min of 30 min"  # a tooltip that begins with the name looks rich to Qt
    assert GuiQt.mightBeRichText(first) and as_qt_shows(plain_tooltip(first)) == first


def test_the_dashboard_draws_the_name_literally_in_legend_table_and_tooltips(
        qtbot: QtBot, named: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    window = DashboardWindow(lambda week: load_dashboard(named, week, NOW, BERLIN, 4))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show_week(None)
    window.show()
    qtbot.waitExposed(window)
    assert risks(window) == []
    assert NAME in shown_texts(window), "the day chart's legend says the name as written"
    table = window.table.model()
    cells = [str(table.index(r, 0).data()) for r in range(table.rowCount())]
    assert NAME in cells

    tips: list[str] = []
    monkeypatch.setattr(QToolTip, "showText", lambda _pos, text, *_: tips.append(text))
    [stacks] = [s for s in window.day_view.chart().series() if hasattr(s, "barSets")
                and s.barSets()]
    bar_set = stacks.barSets()[0]
    stacks.hovered.emit(True, 3, bar_set)  # as the chart does under the pointer
    assert tips and NAME in as_qt_shows(tips[-1])


def test_the_apps_dialogs_show_the_name_and_a_running_program_literally(
        qtbot: QtBot, named: Store) -> None:
    running = [RunningApp("kira", NAME), RunningApp(TAG, TAG)]
    picker = AppPicker(named, load_catalog(), "linux", lambda: running)
    qtbot.addWidget(picker)
    picker.load()
    assert risks(picker) == []
    tips = [as_qt_shows(picker.apps.item(r).toolTip()) for r in range(picker.apps.count())]
    assert any(TAG in tip for tip in tips), "the own app's tooltip says its pattern as written"
    picker.apps.setCurrentRow(next(r for r, tip in enumerate(tips) if TAG in tip))
    assert TAG in picker.how.text() and "<qt>" not in picker.how.text()

    welcome = WelcomeDialog(named, load_catalog(), lambda: NOW, first_run=True,
                            platform="linux", running=lambda: running, tz=BERLIN)
    qtbot.addWidget(welcome)
    welcome.load()
    assert risks(welcome) == []

    goals = GoalsDialog(named, lambda: NOW, tz=BERLIN)
    qtbot.addWidget(goals)
    goals.load()
    assert risks(goals) == []


def test_is_it_counted_now_shows_a_window_title_literally(qtbot: QtBot, named: Store) -> None:
    [app] = named.list_apps()
    found = CountCheck(Foreground("firefox", 42, title=TITLE), app, in_browser=True,
                       sees_front=True, probe="x11")
    box = CountCheckBox(lambda: found, countdown_s=0)
    qtbot.addWidget(box)
    box.start()
    qtbot.waitUntil(lambda: box.answer.isVisibleTo(box) and TAG in box.answer.text())
    assert risks(box) == []
    assert NAME in box.answer.text()


def test_notes_settings_and_messages_are_plain(qtbot: QtBot, named: Store,
                                               tmp_path: Path) -> None:
    answers = AnswersDialog(named, BERLIN)
    qtbot.addWidget(answers)
    answers.load()
    answers.show_notes.setChecked(True)
    assert risks(answers) == []
    table = answers.table
    assert NOTE in [table.item(r, c).text() for r in range(table.rowCount())
                    for c in range(table.columnCount()) if table.item(r, c) is not None]

    folder = tmp_path / TAG.replace("/", "_")
    settings = SettingsDialog(named, data_dir=folder)
    qtbot.addWidget(settings)
    settings.load()
    assert risks(settings) == []

    box = delete_confirmation(settings)
    assert box.textFormat() == Qt.TextFormat.PlainText


# --- the source keeps every later label, tooltip and message box on the same path ----------


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) == name
                 or getattr(node.func, "attr", None) == name)]


def wrapped_in(tree: ast.AST, wrapper: str) -> set[int]:
    return {id(arg) for call in calls(tree, wrapper) for arg in call.args}


def test_every_label_tooltip_and_message_box_in_the_ui_goes_through_plain() -> None:
    loose: list[str] = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "plain.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in calls(tree, "QLabel"):
            loose.append(f"{path.name}:{call.lineno} QLabel( (use plain_label)")
        boxed = wrapped_in(tree, "plain_box")
        for call in calls(tree, "QMessageBox"):
            if id(call) not in boxed:
                loose.append(f"{path.name}:{call.lineno} QMessageBox( outside plain_box")
        for method in ("setToolTip", "showText"):
            for call in calls(tree, method):
                text = call.args[-1] if method == "setToolTip" else call.args[1]
                literal = isinstance(text, ast.Constant) or (
                    isinstance(text, ast.JoinedStr) and all(
                        isinstance(v, ast.Constant) or (isinstance(v.value, ast.Call)
                        and getattr(v.value.func, "id", "") == "duration")
                        for v in text.values))
                plain = isinstance(text, ast.Call) and getattr(text.func, "id", "") in (
                    "plain_tooltip", "as_html")
                if not (literal or plain):
                    loose.append(f"{path.name}:{call.lineno} {method} of a text not ours")
    assert loose == []
