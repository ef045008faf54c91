"""The compact widget: today per app against its goal, the week so far, Check in, and a place
for a message when the desktop has no notification service.

The person opens it themselves, so it names apps even in discreet mode.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QMenu,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widget.core.days import APPS_ADD_UP_TO_MORE
from widget.core.format import duration, used_of, when_said
from widget.core.text import printable
from widget.core.today import TodayView, shown_apps
from widget.desktop.notify import OPEN_LABELS, SNOOZE_LABEL
from widget.ui.plain import plain_label, plain_tooltip

if TYPE_CHECKING:
    from widget.sync.folder import FolderView

BAR_STYLE = ("QProgressBar { border: 1px solid palette(mid); border-radius: 3px; "
             "background: palette(base); max-height: 8px; }"
             "QProgressBar::chunk { background: #1f9e98; border-radius: 2px; }")
NO_TRAY_NOTE = ("Your desktop has no tray area, so driftcheck lives in this small window "
                "instead. Closing it is fine: tracking carries on quietly, and starting "
                "driftcheck again brings the window back.")


def paused_text(until: datetime, now: datetime, tz: tzinfo) -> str:
    """'Paused until 14:30', 'Paused until tomorrow, 04:00' (another day is named)."""
    return f"Paused until {when_said(until, now, tz)}"


OVERLAP_TEXT = APPS_ADD_UP_TO_MORE


def computers_line(shared: FolderView | None) -> str | None:
    """'All your computers: Laptop, Desk', once another computer's time has been read while
    sharing is on (`shared`: the last read of the folder; None while sharing is off)."""
    if shared is None:
        return None
    others = [printable(d.name) for d in shared.devices
              if not d.is_self and d.last_written is not None]
    if not others:
        return None
    return f"All your computers: {', '.join([shared.this_name, *others])}"


def stale_line(shared: FolderView | None, now: datetime, tz: tzinfo) -> str | None:
    """Since when the other computers' time has not been refreshed, gently; None when it is
    fresh (or sharing is off, or no other computer was read)."""
    if computers_line(shared) is None:
        return None
    assert shared is not None
    if shared.unavailable_since is not None:
        return (f"Not refreshed since {when_said(shared.unavailable_since, now, tz)}: the "
                "shared folder cannot be reached just now. This computer keeps counting.")
    stale = [f"{printable(d.name)} not refreshed since {when_said(d.stale_since, now, tz)}"
             for d in shared.devices if not d.is_self and d.stale_since is not None]
    return "; ".join(stale) + "." if stale else None


def overlaps(view: TodayView, shared: FolderView | None) -> bool:
    """Whether today's apps add up to more than today's total because different apps were in
    front on two computers at once (`widget.sync.reader` counts that moment once in the
    total): only while other computers are counted (`computers_line`)."""
    return computers_line(shared) is not None \
        and sum(row.seconds for row in view.apps) > view.total_seconds + 1


def today_figure(view: TodayView, shown_total: int, shared: FolderView | None) -> float:
    """Today's figure beside the apps: their shown sum (`shown_apps`), or the total counted
    once when they add up to more (`overlaps`)."""
    return view.total_seconds if overlaps(view, shared) else shown_total


EMPTY_TEXT = "No apps are counted yet. Choose the ones you would like driftcheck to notice."
CHOOSE_APPS = "Choose apps..."


class CompactWidget(QWidget):
    check_in_requested = Signal()
    choose_apps_requested = Signal()
    dashboard_requested = Signal()
    message_action = Signal(str, str)  # (alert_id, "snooze" | "not-now")
    closing = Signal()

    def __init__(self, tz: tzinfo, *, as_window: bool = False,
                 menu: QMenu | None = None, dashboard: bool = False) -> None:
        """`as_window`: an ordinary window (no tray on this desktop) with the tray's menu behind
        a button; otherwise a small frameless panel opened from the tray icon."""
        flags = Qt.WindowType.Window if as_window else (
            Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint)
        super().__init__(None, flags)
        self.setWindowTitle("driftcheck")
        self.setObjectName("compact")
        self._tz = tz
        self._alert_id: str | None = None
        self._opens = False  # the shown message's first button opens (not snoozes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)

        head = QHBoxLayout()
        self.today_label = plain_label("Today")
        font = self.today_label.font()
        font.setBold(True)
        self.today_label.setFont(font)
        head.addWidget(self.today_label, 1)
        self.menu_button: QPushButton | None = None
        if menu is not None:
            # A push button draws its menu arrow beside its text (a tool button drew it over
            # the text's corner).
            self.menu_button = QPushButton("Menu")
            self.menu_button.setToolTip("Pause, settings and quit")
            self.menu_button.setAutoDefault(False)
            self.menu_button.setMenu(menu)
            head.addWidget(self.menu_button)
        layout.addLayout(head)
        self.computers_label = plain_label()  # sharing with other computers: their names
        self.computers_label.setWordWrap(True)
        self.computers_label.setObjectName("computers")
        self.computers_label.hide()
        layout.addWidget(self.computers_label)
        self.stale_label = plain_label()
        self.stale_label.setWordWrap(True)
        self.stale_label.hide()
        layout.addWidget(self.stale_label)
        self.paused_label = plain_label()
        self.paused_label.hide()
        layout.addWidget(self.paused_label)

        self.today_bar = goal_bar("bar-today")  # the goal for all apps together
        layout.addWidget(self.today_bar)
        self.empty = QWidget()  # no apps tracked: the way forward, not a dead end
        empty_box = QVBoxLayout(self.empty)
        empty_box.setContentsMargins(0, 4, 0, 4)
        self.empty_label = plain_label(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.choose_apps_button = QPushButton(CHOOSE_APPS)
        self.choose_apps_button.clicked.connect(self.choose_apps_requested.emit)
        choose_row = QHBoxLayout()
        choose_row.addWidget(self.choose_apps_button)
        choose_row.addStretch(1)
        empty_box.addWidget(self.empty_label)
        empty_box.addLayout(choose_row)
        self.empty.hide()
        layout.addWidget(self.empty)
        self._rows = QGridLayout()
        self._rows.setColumnStretch(1, 1)
        layout.addLayout(self._rows)
        self.overlap_label = plain_label(OVERLAP_TEXT)
        self.overlap_label.setWordWrap(True)
        self.overlap_label.hide()
        layout.addWidget(self.overlap_label)
        self.week_label = plain_label()
        layout.addWidget(self.week_label)
        self.week_bar = goal_bar("bar-week")
        layout.addWidget(self.week_bar)
        self.approx_label = plain_label("Some of today's time is approximate: counted while "
                                        "the app was open and you were at the computer.")
        self.approx_label.setWordWrap(True)
        self.approx_label.hide()
        layout.addWidget(self.approx_label)

        self.note_label = plain_label(NO_TRAY_NOTE)
        self.note_label.setWordWrap(True)
        self.note_label.hide()
        layout.addWidget(self.note_label)

        self.message = QFrame()
        self.message.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self.message)
        self.message_title = plain_label()
        self.message_title.setFont(font)
        self.message_body = plain_label()
        self.message_body.setWordWrap(True)
        box.addWidget(self.message_title)
        box.addWidget(self.message_body)
        answers = QHBoxLayout()
        self.snooze_button = QPushButton("Snooze 15 min")
        self.not_now_button = QPushButton("Not now")
        self.snooze_button.clicked.connect(
            lambda: self._answer("default" if self._opens else "snooze"))
        self.not_now_button.clicked.connect(lambda: self._answer("not-now"))
        answers.addStretch(1)
        answers.addWidget(self.snooze_button)
        answers.addWidget(self.not_now_button)
        box.addLayout(answers)
        self.message.hide()
        layout.addWidget(self.message)

        buttons = QHBoxLayout()
        self.check_in_button = QPushButton("Check in")
        self.check_in_button.clicked.connect(self.check_in_requested.emit)
        self.dashboard_button = QPushButton("Dashboard")
        self.dashboard_button.clicked.connect(self.dashboard_requested.emit)
        self.dashboard_button.setVisible(dashboard)  # shown once the dashboard exists
        buttons.addStretch(1)
        buttons.addWidget(self.check_in_button)
        buttons.addWidget(self.dashboard_button)
        layout.addLayout(buttons)
        self.setMinimumWidth(280)

    def show_view(self, view: TodayView, now: datetime,
                  shared: FolderView | None = None) -> None:
        """Today as `view` says; `shared`, the last read of the shared folder while sharing is
        on, names the computers counted and says since when they were not refreshed."""
        rows, total = shown_apps(view)  # the rows add up to the total shown above them...
        figure = today_figure(view, total, shared)  # ...unless computers overlapped: said below
        self.today_label.setText(f"Today {used_of(figure, view.daily_goal_seconds)}")
        computers = computers_line(shared)
        self.computers_label.setText(computers or "")
        self.computers_label.setVisible(computers is not None)
        stale = stale_line(shared, now, self._tz)
        self.stale_label.setText(stale or "")
        self.stale_label.setVisible(stale is not None)
        self.overlap_label.setVisible(overlaps(view, shared))
        if view.paused_until is not None:
            self.paused_label.setText(paused_text(view.paused_until, now, self._tz))
        self.paused_label.setVisible(view.paused_until is not None)
        self.approx_label.setVisible(view.approximate)
        while self._rows.count():
            item = self._rows.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.deleteLater()
        self.empty.setVisible(not view.apps)
        for i, (row, shown) in enumerate(rows):
            goal = row.goal_seconds
            self._rows.addWidget(plain_label(row.name), i, 0)
            bar = goal_bar(f"bar-{row.key}")
            fill_bar(bar, row.seconds, goal, "today", shown=shown)
            self._rows.addWidget(bar, i, 1)
            amount = plain_label(used_of(shown, goal))
            amount.setObjectName(f"amount-{row.key}")
            amount.setAlignment(Qt.AlignmentFlag.AlignRight)
            self._rows.addWidget(amount, i, 2)
        self.week_label.setText(
            f"This week so far: {used_of(view.week_seconds, view.weekly_goal_seconds)}")
        fill_bar(self.today_bar, view.total_seconds, view.daily_goal_seconds, "today",
                 shown=figure)
        fill_bar(self.week_bar, view.week_seconds, view.weekly_goal_seconds, "this week")
        # once the rows just added are shown (Qt shows them from the event loop)
        QTimer.singleShot(0, self.fit_text)

    def show_note(self, shown: bool) -> None:
        self.note_label.setVisible(shown)
        self.fit_text()

    def fit_text(self) -> None:
        """Grow to the height the wrapped text needs at this width, when a line appeared
        after the widget was shown (the computers' names, why the apps add up to more, the
        no-tray note): never clipped, and never shrunk below what the person made it."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def show_message(self, alert_id: str, title: str, body: str) -> None:
        """A notification shown here instead (no notification service on this desktop)."""
        self._alert_id = alert_id
        # A message whose click opens something (the week's summary: the dashboard) offers
        # that here, instead of a snooze it has no use for.
        self._opens = alert_id in OPEN_LABELS
        self.snooze_button.setText(OPEN_LABELS.get(alert_id, SNOOZE_LABEL))
        self.message_title.setText(title)
        self.message_body.setText(body)
        self.message.show()
        self.setMinimumWidth(max(self.minimumWidth(), 320))
        self.adjustSize()  # the wrapped text gets the height it needs

    def hide_message(self) -> None:
        """The message was answered elsewhere (the desktop's notification, the balloon)."""
        self._alert_id = None
        self.message.hide()
        self.adjustSize()

    def _answer(self, key: str) -> None:
        alert_id, self._alert_id = self._alert_id, None
        self.message.hide()
        if alert_id is not None:
            self.message_action.emit(alert_id, key)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)


def goal_bar(name: str) -> QProgressBar:
    """A calm bar of use against a goal (never red); hidden until there is a goal."""
    bar = QProgressBar()
    bar.setObjectName(name)
    bar.setTextVisible(False)
    bar.setStyleSheet(BAR_STYLE)
    bar.setMaximumHeight(8)
    bar.hide()
    return bar


def fill_bar(bar: QProgressBar, seconds: float, goal: int | None, period: str, *,
             shown: float | None = None) -> None:
    """`shown`: the seconds as the label beside the bar says them, for its tooltip."""
    bar.setVisible(bool(goal))
    if not goal:
        bar.setToolTip("")
        return
    bar.setRange(0, max(1, goal))
    bar.setValue(min(int(seconds), goal))
    said = duration(seconds if shown is None else shown)
    bar.setToolTip(plain_tooltip(f"{said} of your {duration(goal)} goal for {period}"))
