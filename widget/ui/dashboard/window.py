"""The dashboard window: one ISO week and the weeks before it, drawn from `DashboardData`.

It reads through a `source` (a week, or None for this week, in; `DashboardData` out), so the
tray hands it the lean store's loader and tests hand it anything. It draws and never decides:
the numbers, the drift signal and the words come from `widget.core`. Back and forward go a
week at a time (buttons, Alt+Left / Alt+Right, Page Up / Page Down; Alt+Home for this week),
never past this week and never before the history began; a week not begun yet is refused.
While this week is shown it is read again once a minute and redrawn only when it changed
(and on Monday it moves on). It is the person's own window, so it names apps (discreet mode
is for what others may glimpse), but its title does not.

It opens inside the screen's available area, and what matters most (the week with its total,
the drift in words, the self-check) sits at the top, visible without scrolling; the charts
below it may scroll. The default view speaks plainly; the method behind the words is one
click away ("How is this worked out?").

While the person shares their time with other computers (issue 16: `DashboardData.computers`
is not empty), a sentence under the total says whose time the figures count, a card lists each
computer's own time in the week, and a filter (all computers, this one, or one other) redraws
the whole window for that choice, through `by_computer`. Reads run on the Qt main thread, as
every read of this window does (`load_dashboard` is a few tens of milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCharts import QBarSet, QChart, QChartView, QStackedBarSeries
from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCursor,
    QFont,
    QHideEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from widget.core.calendar import week_monday
from widget.core.dashboard import (
    ALL_COMPUTERS,
    HOW_WORKED_OUT,
    NO_BASELINE,
    USUAL_RANGE,
    DashboardData,
    computers_in_words,
    drift_in_words,
    how_worked_out,
    shift_week,
    usual_range_in_words,
    week_caption,
    week_comparison,
)
from widget.core.format import duration, week_span
from widget.errors import DriftcheckError
from widget.ui.dashboard import charts
from widget.ui.dashboard.heatmap import HeatMap
from widget.ui.dashboard.table import (
    AppTableModel,
    ComputerTableModel,
    app_table,
    computer_table,
)
from widget.ui.dashboard.theme import Palette, Theme, is_dark, make_palette, window_palette
from widget.ui.dialogs.form import window_title
from widget.ui.plain import plain_box, plain_label, plain_tooltip

Source = Callable[[str | None], DashboardData]
# A week (None: this week) of one choice of computers: ALL_COMPUTERS, THIS_COMPUTER or another
# computer's id (`widget.services.dashboard.ComputerDashboards.load`).
ComputerSource = Callable[[str | None, str], DashboardData]

TITLE = window_title("Dashboard")  # "driftcheck — Dashboard", as every window
EMPTY_HEADING = "Your weeks will appear here"
EMPTY_TEXT = ("Nothing has been counted yet, so there is nothing to show. Once driftcheck has "
              "seen some time in the companion apps you chose, this window shows each day of "
              "your week, how your weeks compare with a usual one, the hours of the day you "
              "tend to spend with them, and your own self-check answers.\n\nAll of it stays on "
              "this device: nothing here leaves it.")
NO_APPS_HEADING = "No apps are chosen yet"
NO_APPS_TEXT = ("driftcheck counts time only in the apps you choose, and none are chosen yet, "
                "so there is nothing to show. Choose one or more companion apps and this "
                "window will show your weeks with them: each day, how a week compares with a "
                "usual one, the hours of the day, and your own self-check answers.\n\nAll of "
                "it stays on this device: nothing here leaves it.")
CHOOSE_APPS = "Choose apps..."  # the compact widget's empty state says the same
NOT_BEGUN = "{week} has not begun yet, so there is nothing to show for it; here is this week."
PREFERRED = QSize(1200, 900)  # on a screen with room for it
# Room left on the available area for the window manager's frame: its sides and bottom
# (FRAME_SIDE each) and its title bar (TITLE_ROOM, above the window's own area).
FRAME_SIDE = 8
TITLE_ROOM = 36
PREVIOUS_KEYS = ("Alt+Left", "PgUp")
NEXT_KEYS = ("Alt+Right", "PgDown")
THIS_WEEK_KEYS = ("Alt+Home",)
FOLLOW_MS = 60_000  # this week, shown, is read again once a minute
ALL_LABEL = "All computers"
COMPUTERS_TITLE = "Your computers"
# A chart view shows that it has the keyboard focus by its border (its own colours: a style
# sheet's palette() would be the application's, not a forced theme's).
VIEW_STYLE = ("QChartView {{ border: 2px solid transparent; border-radius: 4px; }}"
              "QChartView:focus {{ border-color: {focus}; }}")


def week_title(data: DashboardData) -> str:
    """'23 - 29 November 2026' (the months named when the week spans two)."""
    return week_span(week_monday(data.week), list(data.report.per_day)[-1])


def explanation(data: DashboardData) -> str:
    """The drift in plain words (or why there is none yet) and what the usual range means
    (or that it comes after four weeks)."""
    drift = drift_in_words(data.report.drift, data.report.trend_weeks)
    usual = NO_BASELINE if data.weeks[-1].band is None else usual_range_in_words()
    return f"{drift}\n\n{usual}"


def weeks_caption(data: DashboardData) -> str:
    """How to read the twelve-week chart, one mark at a time."""
    parts = ["Each bar is a week's time."]
    if any(p.band is not None for p in data.weeks):
        parts.append(f"The shaded {USUAL_RANGE} is what a usual week looked like then.")
    if data.trend is not None:
        parts.append("The dashed line is the trend.")
    if data.weekly_goal_s:
        parts.append(f"The dotted line is your weekly goal, {duration(data.weekly_goal_s)}.")
    if data.drift_weeks:
        parts.append("A triangle marks each week of the rise described above.")
    return " ".join(parts)


def checkin_caption(data: DashboardData) -> str:
    """Under the self-check chart: the latest answer in words, and that an answer is not an
    amount of time."""
    from widget.core.checkin import ANSWERS

    answered = [c for c in data.checkins if c.answer is not None]
    apart = ("Each point is an answer, how the time felt; it is not an amount of time (the "
             "hours are in the twelve-week chart).")
    if not answered:
        return ("Your self-check answers will appear here, week by week, once you have "
                "answered one. " + apart)
    last = answered[-1]
    said = ANSWERS.get(last.answer or 0, "")
    week = charts.week_label(last.week)
    return f"Your latest answer, in the week of {week}: \u201c{said}\u201d. {apart}"


def fitted_geometry(available: QRect, preferred: QSize = PREFERRED) -> QRect:
    """The window's place: at most `preferred`, always inside `available` (the screen less
    its panels) with room for the frame the window manager adds, centred in it."""
    room_w, room_h = 2 * FRAME_SIDE, TITLE_ROOM + FRAME_SIDE
    width = max(320, min(preferred.width(), available.width() - room_w))
    height = max(240, min(preferred.height(), available.height() - room_h))
    left = available.x() + (available.width() - width) // 2
    top = available.y() + TITLE_ROOM + max(0, (available.height() - room_h - height) // 2)
    return QRect(left, top, width, height)


def _label(text: str = "", *, name: str = "", wrap: bool = True, scale: float = 1.0,
           bold: bool = False) -> QLabel:
    label = plain_label(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    if scale != 1.0 or bold:
        font = QFont(label.font())
        font.setPointSizeF(font.pointSizeF() * scale)
        font.setBold(bold)
        label.setFont(font)
    return label


def _card(title: str, body: QWidget, caption: QLabel | None = None, *,
          beside: bool = False) -> QFrame:
    """A framed section: a heading, then the chart (or grid, or table) with its words under
    it, or `beside` it on the right for the wide sections."""
    card = QFrame()
    card.setObjectName("card")
    card.setFrameShape(QFrame.Shape.StyledPanel)  # no style sheet: it would cut the palette
    layout = QVBoxLayout(card)
    layout.setContentsMargins(10, 8, 10, 10)
    layout.addWidget(_label(title, bold=True, scale=1.1))
    row = QHBoxLayout()
    row.addWidget(body, 3)
    grows = body.sizePolicy().verticalPolicy() == QSizePolicy.Policy.Expanding
    layout.addLayout(row, 1 if grows else 0)
    if caption is not None:
        if beside:
            caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            caption.setMinimumWidth(300)
            caption.setMaximumWidth(380)
            row.addSpacing(8)
            row.addWidget(caption, 1)
        else:
            layout.addWidget(caption)
    if not grows:
        layout.addStretch(1)
    return card


def _chart_view(name: str) -> QChartView:
    view = QChartView()
    view.setObjectName(name)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    view.setMinimumHeight(280)
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return view


class DashboardWindow(QWidget):
    choose_apps = Signal()  # "Choose apps..." on the empty page: the owner opens the apps dialog

    def __init__(self, source: Source, *, theme: Theme | None = None,
                 parent: QWidget | None = None, by_computer: ComputerSource | None = None
                 ) -> None:
        """`source` reads a week; `by_computer`, when given, reads a week of the computers
        chosen in the filter instead (all of them first), and the filter is offered when its
        data names more than one computer."""
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("dashboard")
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self._source = source
        self._by_computer = by_computer
        self.computer = ALL_COMPUTERS  # the filter's choice
        self._theme = theme
        self.data: DashboardData | None = None
        if theme is not None:
            self.setPalette(window_palette(theme))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.addLayout(self._build_header())
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_content())
        self.empty_page = self._build_message_page(EMPTY_HEADING, EMPTY_TEXT, "empty")
        self.choose_apps_button = QPushButton(CHOOSE_APPS)
        self.choose_apps_button.setObjectName("choose-apps")
        self.choose_apps_button.clicked.connect(self.choose_apps)
        empty_layout = self.empty_page.layout()
        assert isinstance(empty_layout, QVBoxLayout)
        empty_layout.insertWidget(3, self.choose_apps_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.stack.addWidget(self.empty_page)
        self.error_page = self._build_message_page("The numbers could not be read just now",
                                                   "", "error")
        self.stack.addWidget(self.error_page)
        outer.addWidget(self.stack, 1)
        self._shortcuts()
        for first, second in ((self.previous_button, self.this_week_button),
                              (self.this_week_button, self.next_button),
                              (self.next_button, self.how_button),
                              (self.how_button, self.checkin_view),
                              (self.checkin_view, self.day_view), (self.day_view, self.heat_map),
                              (self.heat_map, self.table),
                              (self.table, self.computer_view),
                              (self.computer_view, self.weeks_view)):
            QWidget.setTabOrder(first, second)
        self.method_box: QMessageBox | None = None
        self.fit_to_screen()
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self.follow)

    # --- building -----------------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        left = QVBoxLayout()
        self.title_label = _label(name="week-title", scale=1.45, bold=True)
        self.total_label = _label(name="week-total", scale=1.9, bold=True, wrap=False)
        self.total_caption = _label(name="week-total-caption", wrap=False)
        totals = QHBoxLayout()
        totals.addWidget(self.total_label)
        totals.addWidget(self.total_caption, 0, Qt.AlignmentFlag.AlignBottom)
        totals.addStretch(1)
        self.words_label = _label(name="week-words")
        self.words_label.setAccessibleName("The week beside a usual week")
        self.notice_label = _label(name="week-notice")
        self.notice_label.hide()
        self.computers_label = _label(name="computers-words")
        self.computers_label.setAccessibleName("Which computers the figures count")
        self.computers_label.hide()
        left.addWidget(self.title_label)
        left.addLayout(totals)
        left.addWidget(self.words_label)
        left.addWidget(self.computers_label)
        left.addWidget(self.notice_label)
        header.addLayout(left, 1)

        nav = QHBoxLayout()
        nav.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.previous_button = self._nav_button("\u2039 Previous week", "Show the week before",
                                                PREVIOUS_KEYS, self.previous_week)
        self.this_week_button = self._nav_button("This week", "Back to this week",
                                                 THIS_WEEK_KEYS, self.this_week)
        self.next_button = self._nav_button("Next week \u203a", "Show the week after",
                                            NEXT_KEYS, self.next_week)
        for button in (self.previous_button, self.this_week_button, self.next_button):
            nav.addWidget(button)
        self.computer_box = QComboBox()
        self.computer_box.setObjectName("computer-filter")
        self.computer_box.setAccessibleName("Which computers to show")
        self.computer_box.setToolTip(plain_tooltip(
            "Show all your computers together, or one of them alone"))
        self.computer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.computer_box.activated.connect(self._computer_chosen)
        self.computer_box.hide()
        right = QVBoxLayout()
        right.setAlignment(Qt.AlignmentFlag.AlignTop)
        right.addLayout(nav)
        right.addWidget(self.computer_box, 0, Qt.AlignmentFlag.AlignRight)
        header.addLayout(right)
        return header

    def _nav_button(self, text: str, what: str, keys: tuple[str, ...],
                    slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        readable = " or ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
                               for k in keys)
        button.setToolTip(plain_tooltip(f"{what} ({readable})"))
        button.setAccessibleName(what)
        button.setAccessibleDescription(f"Keys: {readable}")
        # The bound method itself, never a lambda around it: a lambda held by a child would
        # keep the window alive from inside it, and end it from inside the child at exit.
        button.clicked.connect(slot)
        return button

    def _build_content(self) -> QScrollArea:
        self.day_view = _chart_view("chart-days")
        self.day_view.setAccessibleName("The week by day")
        self.weeks_view = _chart_view("chart-weeks")
        self.weeks_view.setAccessibleName("The last twelve weeks")
        self.checkin_view = _chart_view("chart-checkins")
        self.checkin_view.setAccessibleName("Self-check answers, week by week")
        self.checkin_view.setMinimumHeight(170)
        self.checkin_view.setMaximumHeight(200)
        self.heat_map = HeatMap(self.chart_palette())
        self.drift_label = _label(name="drift-explanation", scale=1.1)  # what matters most
        self.drift_label.setAccessibleName("Your weeks in words")
        self.how_button = QPushButton(HOW_WORKED_OUT)
        self.how_button.setObjectName("how-worked-out")
        self.how_button.setToolTip("The method behind these words and the usual range")
        self.how_button.clicked.connect(self.show_method)
        self.weeks_label = _label(name="weeks-caption")
        self.heat_label = _label(name="heat-caption")
        self.heat_map.cell_changed.connect(self.heat_label.setText)
        self.checkin_label = _label(name="checkin-caption")
        self.table_model = AppTableModel(self)
        self.table = app_table(self.table_model)
        self.computer_model = ComputerTableModel(self)
        self.computer_view = computer_table(self.computer_model)

        words = QWidget()
        words_layout = QVBoxLayout(words)
        words_layout.setContentsMargins(0, 0, 0, 0)
        words_layout.addWidget(self.drift_label)
        words_layout.addWidget(self.how_button, 0, Qt.AlignmentFlag.AlignLeft)
        words_layout.addStretch(1)
        self.days_card = _card("This week by day", self.day_view)
        grid = QGridLayout()
        grid.setSpacing(12)
        # What matters most first, visible without scrolling: the drift in words and the
        # self-check. The rest may scroll.
        grid.addWidget(_card("Your weeks in words", words), 0, 0)
        grid.addWidget(_card("Your self-check", self.checkin_view, self.checkin_label), 0, 1)
        grid.addWidget(self.days_card, 1, 0)
        grid.addWidget(_card("When in the day", self.heat_map, self.heat_label), 1, 1)
        grid.addWidget(_card("Per app", self.table), 2, 0, 1, 2)
        self.computers_card = _card(COMPUTERS_TITLE, self.computer_view)
        self.computers_card.setObjectName("computers-card")
        self.computers_card.hide()  # shown only while sharing with another computer
        grid.addWidget(self.computers_card, 3, 0, 1, 2)
        grid.addWidget(_card("The last twelve weeks", self.weeks_view, self.weeks_label,
                             beside=True), 4, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        inner = QWidget()
        inner.setLayout(grid)
        scroll = QScrollArea()
        scroll.setObjectName("dashboard-content")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        self.content_scroll = scroll
        return scroll

    def _build_message_page(self, heading: str, text: str, name: str) -> QWidget:
        page = QWidget()
        page.setObjectName(f"{name}-page")
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = _label(heading, name=f"{name}-heading", scale=1.4, bold=True)
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        body = _label(text, name=f"{name}-text")
        body.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        body.setFixedWidth(560)  # a wrapped label needs its width given to find its height
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(body)
        middle.addStretch(1)
        layout.addWidget(title)
        layout.addLayout(middle)
        layout.addStretch(2)
        return page

    def _shortcuts(self) -> None:
        for keys, slot in ((PREVIOUS_KEYS, self.previous_week), (NEXT_KEYS, self.next_week),
                           (THIS_WEEK_KEYS, self.this_week),
                           ((QKeySequence.StandardKey.Close,), self.close)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.activated.connect(slot)

    def fit_to_screen(self) -> None:
        """Place the window inside its screen's available area (never its bottom off-screen,
        as 1200x960 was on a 1280x800 screen)."""
        screen = self.screen()
        if screen is not None:
            self.setGeometry(fitted_geometry(screen.availableGeometry()))

    def show_method(self) -> None:
        """'How is this worked out?': the method, in a small window of its own."""
        box = self.method_box
        if box is None:
            box = plain_box(QMessageBox(QMessageBox.Icon.NoIcon,
                                        window_title("How it is worked out"), how_worked_out(),
                                        QMessageBox.StandardButton.Close, self))
            box.setObjectName("method")
            self.method_box = box
        box.open()

    # --- navigation ---------------------------------------------------------------------------

    def show_week(self, week: str | None) -> bool:
        """Read and draw ISO `week` (None: this week). A week that has not begun yet is
        refused (False): this week is shown instead, with a sentence saying why."""
        try:
            data = self._read(week)
            refused = week_monday(data.week) > week_monday(data.current_week)
            if refused:
                data = self._read(None)
        except DriftcheckError as error:
            text = self.error_page.findChild(QLabel, "error-text")
            assert text is not None
            text.setText(f"{error} Nothing was changed; please try again in a moment.")
            self.stack.setCurrentWidget(self.error_page)
            return False
        self.data = data
        self._render(data)
        self.notice_label.setText(NOT_BEGUN.format(week=f"The week {week}") if refused else "")
        self.notice_label.setVisible(refused)
        return not refused

    def follow(self) -> None:
        """While this week is shown, read it again and redraw if anything changed (the
        tracker adds to it as time is spent); on Monday it moves on to the new week. An
        earlier week is left as it is."""
        data = self.data
        if data is None or data.week != data.current_week or not self.isVisible():
            return
        try:
            fresh = self._read(None)
        except DriftcheckError:
            return  # the next minute tries again; what is shown stays
        if fresh != data:
            self.data = fresh
            self._render(fresh)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._follow_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._follow_timer.stop()

    def refresh(self) -> None:
        """Read the shown week again (the tray calls this when the window is opened again)."""
        self.show_week(self.data.week if self.data is not None else None)

    def _read(self, week: str | None) -> DashboardData:
        if self._by_computer is not None:
            return self._by_computer(week, self.computer)
        return self._source(week)

    def _computer_chosen(self, index: int) -> None:
        """A choice in the filter: the shown week read again for those computers."""
        key = self.computer_box.itemData(index)
        if isinstance(key, str) and key != self.computer:
            self.choose_computer(key)

    def choose_computer(self, key: str) -> None:
        """Show all computers (ALL_COMPUTERS), this one (THIS_COMPUTER) or another computer
        (its id) alone: every card redrawn for it, the shown week kept."""
        self.computer = key
        self.show_week(self.data.week if self.data is not None else None)

    def can_go_back(self) -> bool:
        data = self.data
        return data is not None and data.first_week is not None \
            and week_monday(data.week) > week_monday(data.first_week)

    def can_go_forward(self) -> bool:
        data = self.data
        return data is not None and week_monday(data.week) < week_monday(data.current_week)

    def previous_week(self) -> None:
        if self.data is not None and self.can_go_back():
            self.show_week(shift_week(self.data.week, -1))

    def next_week(self) -> None:
        if self.data is not None and self.can_go_forward():
            self.show_week(shift_week(self.data.week, 1))

    def this_week(self) -> None:
        self.show_week(None)

    # --- drawing ------------------------------------------------------------------------------

    def chart_palette(self) -> Palette:
        """The charts' colours on this window's own ground."""
        ours = self.palette()
        dark = self._theme == "dark" if self._theme is not None else is_dark(ours)
        return make_palette(dark, ours.color(QPalette.ColorRole.Window),
                            ours.color(QPalette.ColorRole.WindowText))

    def _render(self, data: DashboardData) -> None:
        self.previous_button.setEnabled(self.can_go_back())
        self.next_button.setEnabled(self.can_go_forward())
        self.this_week_button.setEnabled(data.week != data.current_week)
        self.notice_label.hide()
        if data.empty or (not data.apps_tracked and data.report.total_s <= 0):
            self.title_label.setText("Your weeks")
            self.total_label.clear()
            self.total_caption.clear()
            self.words_label.clear()
            self._set_empty(data.apps_tracked)
            self._render_computers(data)  # the filter stays, to choose another computer
            self.stack.setCurrentWidget(self.empty_page)
            return
        report = data.report
        self.title_label.setText(week_title(data))
        self.total_label.setText(duration(report.total_s))
        self.total_caption.setText(week_caption(data))
        self.words_label.setText(week_comparison(data))
        title = self.days_card.findChild(QLabel)
        if title is not None:
            title.setText("This week by day" if data.is_current else "That week by day")
        palette = self.chart_palette()
        focus = self.palette().color(QPalette.ColorRole.Highlight).name()
        for view, build, describe in (
                (self.day_view, charts.day_chart, charts.describe_days),
                (self.weeks_view, charts.weeks_chart, charts.describe_weeks),
                (self.checkin_view, charts.checkin_chart, charts.describe_checkins)):
            view.setBackgroundBrush(palette.window)
            view.setStyleSheet(VIEW_STYLE.format(focus=focus))
            self._set_chart(view, build(data, palette))
            view.setAccessibleDescription(describe(data))
        for view, slot in ((self.day_view, self._day_hovered),
                           (self.weeks_view, self._week_hovered)):
            for bars in view.chart().series():
                if isinstance(bars, QStackedBarSeries):
                    bars.hovered.connect(slot)  # a bound method: no lambda holding the window
        self.drift_label.setText(explanation(data))
        self.weeks_label.setText(weeks_caption(data))
        self.heat_map.set_palette(palette)
        self.heat_map.set_grid(data.grid)
        self.heat_label.setText(self.heat_map.summary())
        self.checkin_label.setText(checkin_caption(data))
        self.table_model.set_rows(data.apps, palette.app_colors([r.key for r in data.apps]),
                                  same_part=data.report.change_same_part,
                                  current=data.is_current)
        self._fit_table()
        self._render_computers(data)
        self.stack.setCurrentIndex(0)

    def _render_computers(self, data: DashboardData) -> None:
        """The sentence, the card and the filter of the person's computers: all hidden unless
        the week names more than one (sharing off looks as it always did)."""
        sharing = bool(data.computers)
        self.computers_label.setText(computers_in_words(data))
        self.computers_label.setVisible(sharing)
        self.computers_card.setVisible(sharing)
        self.computer_model.set_rows(data.computers, current=data.is_current)
        self._fit(self.computer_view, self.computer_model.rowCount())
        offered = sharing and self._by_computer is not None
        self.computer_box.setVisible(offered)
        self.computer = data.computer if offered else ALL_COMPUTERS
        if not offered:
            return
        items = [(ALL_COMPUTERS, ALL_LABEL), *((row.key, row.name) for row in data.computers)]
        box = self.computer_box
        if [(box.itemData(i), box.itemText(i)) for i in range(box.count())] != items:
            box.blockSignals(True)
            box.clear()
            for key, label in items:
                box.addItem(label, key)
            box.blockSignals(False)
        box.setCurrentIndex(max(0, box.findData(data.computer)))

    def _day_hovered(self, status: bool, index: int, bar_set: QBarSet) -> None:
        """A bar of the day chart under the pointer: its app's time of that day."""
        key = charts.app_of(bar_set)
        self._tip(self.day_view, status, lambda data: charts.day_tip(data, index, key))

    def _week_hovered(self, status: bool, index: int, _bar_set: QBarSet) -> None:
        """A bar of the twelve weeks under the pointer: that week's time."""
        self._tip(self.weeks_view, status, lambda data: charts.week_tip(data, index))

    def _tip(self, view: QChartView, status: bool,
             text: Callable[[DashboardData], str]) -> None:
        if not status or self.data is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), plain_tooltip(text(self.data)), view)

    def _set_empty(self, apps_tracked: bool) -> None:
        """The empty page: nothing counted yet, or no app chosen (then "Choose apps...")."""
        heading = self.empty_page.findChild(QLabel, "empty-heading")
        text = self.empty_page.findChild(QLabel, "empty-text")
        assert heading is not None and text is not None
        heading.setText(EMPTY_HEADING if apps_tracked else NO_APPS_HEADING)
        text.setText(EMPTY_TEXT if apps_tracked else NO_APPS_TEXT)
        self.choose_apps_button.setVisible(not apps_tracked)

    def _set_chart(self, view: QChartView, chart: QChart) -> None:
        old = view.chart()
        view.setChart(chart)
        if old is not None:
            old.deleteLater()  # setChart gives the old chart back to us

    def _fit_table(self) -> None:
        self._fit(self.table, self.table_model.rowCount())

    @staticmethod
    def _fit(table: QTableView, rows: int) -> None:
        height = table.horizontalHeader().sizeHint().height() \
            + max(2, rows) * table.verticalHeader().defaultSectionSize() + 4
        table.setFixedHeight(height)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.data is not None \
                and self._theme is None:
            self._render(self.data)  # the desktop turned light or dark: follow it
