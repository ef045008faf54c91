"""The dashboard window: one ISO week and the weeks before it, drawn from `DashboardData`.

It reads through a `source` (a week, or None for this week, in; `DashboardData` out), so the
tray hands it the lean store's loader and tests hand it anything. It draws and never decides:
the numbers, the drift signal and the words come from `widget.core`. Back and forward go a
week at a time (buttons, Alt+Left / Alt+Right, Page Up / Page Down; Alt+Home for this week),
never past this week and never before the history began. While this week is shown it is read
again once a minute and redrawn only when it changed (and on Monday it moves on). It is the
person's own window, so it names apps (discreet mode is for what others may glimpse), but its
title does not.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCharts import QChart, QChartView
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import (
    QFont,
    QHideEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from widget.core.alerts import say_duration
from widget.core.dashboard import (
    NO_BASELINE,
    DashboardData,
    band_in_words,
    drift_in_words,
    shift_week,
)
from widget.core.report import week_monday
from widget.errors import DriftcheckError
from widget.ui import charts
from widget.ui.app_table import AppTableModel, app_table
from widget.ui.heatmap import HeatMap
from widget.ui.theme import Palette, Theme, is_dark, make_palette, window_palette

Source = Callable[[str | None], DashboardData]

TITLE = "driftcheck: your weeks"
EMPTY_HEADING = "Your weeks will appear here"
EMPTY_TEXT = ("Nothing has been counted yet, so there is nothing to show. Once driftcheck has "
              "seen some time in the companion apps you chose, this window shows each day of "
              "your week, how your weeks compare with a usual one, the hours of the day you "
              "tend to spend with them, and your own self-check answers.\n\nAll of it stays on "
              "this device: nothing here leaves it.")
PREVIOUS_KEYS = ("Alt+Left", "PgUp")
NEXT_KEYS = ("Alt+Right", "PgDown")
THIS_WEEK_KEYS = ("Alt+Home",)
FOLLOW_MS = 60_000  # this week, shown, is read again once a minute
# A chart view shows that it has the keyboard focus by its border (its own colours: a style
# sheet's palette() would be the application's, not a forced theme's).
VIEW_STYLE = ("QChartView {{ border: 2px solid transparent; border-radius: 4px; }}"
              "QChartView:focus {{ border-color: {focus}; }}")


def week_title(data: DashboardData) -> str:
    """'23 - 29 November 2026' (the months named when the week spans two)."""
    monday = week_monday(data.week)
    sunday = list(data.report.per_day)[-1]
    if monday.month == sunday.month:
        return f"{monday.day} \u2013 {sunday.day} {sunday:%B %Y}"
    if monday.year == sunday.year:
        return f"{monday.day} {monday:%B} \u2013 {sunday.day} {sunday:%B %Y}"
    return f"{monday.day} {monday:%B %Y} \u2013 {sunday.day} {sunday:%B %Y}"


def explanation(data: DashboardData) -> str:
    """The words beside the twelve weeks: the drift signal (or why there is none yet) and
    what the band means (or that it comes after four weeks)."""
    drift = drift_in_words(data.report.drift, len(data.report.trend_weeks))
    band = NO_BASELINE if data.weeks[-1].band is None else band_in_words()
    return f"{drift}\n\n{band}"


def _label(text: str = "", *, name: str = "", wrap: bool = True, scale: float = 1.0,
           bold: bool = False) -> QLabel:
    label = QLabel(text)
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
    def __init__(self, source: Source, *, theme: Theme | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("dashboard")
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self._source = source
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
        self.stack.addWidget(self.empty_page)
        self.error_page = self._build_message_page("The numbers could not be read just now",
                                                   "", "error")
        self.stack.addWidget(self.error_page)
        outer.addWidget(self.stack, 1)
        self._shortcuts()
        for first, second in ((self.previous_button, self.this_week_button),
                              (self.this_week_button, self.next_button),
                              (self.next_button, self.day_view), (self.day_view, self.heat_map),
                              (self.heat_map, self.table), (self.table, self.weeks_view),
                              (self.weeks_view, self.checkin_view)):
            QWidget.setTabOrder(first, second)
        self.resize(1200, 960)
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
        self.words_label.setAccessibleName("This week in words")
        left.addWidget(self.title_label)
        left.addLayout(totals)
        left.addWidget(self.words_label)
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
        header.addLayout(nav)
        return header

    def _nav_button(self, text: str, what: str, keys: tuple[str, ...],
                    slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        readable = " or ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
                               for k in keys)
        button.setToolTip(f"{what} ({readable})")
        button.setAccessibleName(what)
        button.setAccessibleDescription(f"Keys: {readable}")
        # The bound method itself, never a lambda around it: a lambda held by a child would
        # keep the window alive from inside it, and end it from inside the child at exit.
        button.clicked.connect(slot)
        return button

    def _build_content(self) -> QScrollArea:
        self.day_view = _chart_view("chart-days")
        self.day_view.setAccessibleName("This week by day")
        self.weeks_view = _chart_view("chart-weeks")
        self.weeks_view.setAccessibleName("The last twelve weeks")
        self.checkin_view = _chart_view("chart-checkins")
        self.checkin_view.setAccessibleName("Self-check answers beside weekly use")
        self.heat_map = HeatMap(self.chart_palette())
        self.drift_label = _label(name="drift-explanation")
        self.drift_label.setAccessibleName("What the twelve weeks show")
        self.heat_label = _label(name="heat-caption")
        self.heat_map.cell_changed.connect(self.heat_label.setText)
        self.checkin_label = _label(name="checkin-caption")
        self.table_model = AppTableModel(self)
        self.table = app_table(self.table_model)

        grid = QGridLayout()
        grid.setSpacing(12)
        grid.addWidget(_card("This week by day", self.day_view), 0, 0)
        grid.addWidget(_card("When in the day", self.heat_map, self.heat_label), 0, 1)
        grid.addWidget(_card("Per app", self.table), 1, 0, 1, 2)
        grid.addWidget(_card("The last twelve weeks", self.weeks_view, self.drift_label,
                             beside=True), 2, 0, 1, 2)
        grid.addWidget(_card("Your self-check beside your weeks", self.checkin_view,
                             self.checkin_label, beside=True), 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        inner = QWidget()
        inner.setLayout(grid)
        scroll = QScrollArea()
        scroll.setObjectName("dashboard-content")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        return scroll

    def _build_message_page(self, heading: str, text: str, name: str) -> QWidget:
        page = QWidget()
        page.setObjectName(f"{name}-page")
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = _label(heading, scale=1.4, bold=True)
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

    # --- navigation ---------------------------------------------------------------------------

    def show_week(self, week: str | None) -> None:
        """Read and draw ISO `week` (None: this week)."""
        try:
            data = self._source(week)
        except DriftcheckError as error:
            text = self.error_page.findChild(QLabel, "error-text")
            assert text is not None
            text.setText(f"{error} Nothing was changed; please try again in a moment.")
            self.stack.setCurrentWidget(self.error_page)
            return
        self.data = data
        self._render(data)

    def follow(self) -> None:
        """While this week is shown, read it again and redraw if anything changed (the
        tracker adds to it as time is spent); on Monday it moves on to the new week. An
        earlier week is left as it is."""
        data = self.data
        if data is None or data.week != data.current_week or not self.isVisible():
            return
        try:
            fresh = self._source(None)
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
        if data.empty:
            self.title_label.setText("Your weeks")
            self.total_label.clear()
            self.total_caption.clear()
            self.words_label.clear()
            self.stack.setCurrentWidget(self.empty_page)
            return
        report = data.report
        self.title_label.setText(week_title(data))
        self.total_label.setText(say_duration(report.total_s))
        self.total_caption.setText("so far this week" if not report.complete
                                   else "in that week")
        self.words_label.setText(report.words)
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
        self.drift_label.setText(explanation(data))
        self.heat_map.set_palette(palette)
        self.heat_map.set_grid(data.grid)
        self.heat_label.setText(self.heat_map.summary())
        self.checkin_label.setText(charts.describe_checkins(data))
        self.table_model.set_rows(data.apps, palette.app_colors([r.key for r in data.apps]),
                                  same_part=data.report.change_same_part)
        self._fit_table()
        self.stack.setCurrentIndex(0)

    def _set_chart(self, view: QChartView, chart: QChart) -> None:
        old = view.chart()
        view.setChart(chart)
        if old is not None:
            old.deleteLater()  # setChart gives the old chart back to us

    def _fit_table(self) -> None:
        rows = max(2, self.table_model.rowCount())
        height = self.table.horizontalHeader().sizeHint().height() \
            + rows * self.table.verticalHeader().defaultSectionSize() + 4
        self.table.setFixedHeight(height)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.data is not None \
                and self._theme is None:
            self._render(self.data)  # the desktop turned light or dark: follow it
