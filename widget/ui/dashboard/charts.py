"""The dashboard's charts, built from `DashboardData` and a `Palette`.

Each builder returns a finished `QChart` (no view, no window), so the dashboard shows it in a
`QChartView` and a printed report can draw the same chart onto a `QPainter` (a `QChartView`
over it, `render()`ed). Each `describe_*` says in words what its chart shows, for the
accessible description and for anyone who would rather read than look.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QAbstractAxis,
    QAbstractSeries,
    QAreaSeries,
    QBarCategoryAxis,
    QBarSet,
    QCategoryAxis,
    QChart,
    QLegend,
    QLegendMarker,
    QLineSeries,
    QScatterSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen

from widget.core import format as fmt
from widget.core.calendar import week_monday
from widget.core.checkin import ANSWERS
from widget.core.dashboard import USUAL_RANGE, DashboardData, WeekPoint
from widget.core.format import about, day_label, duration, durations_with_total
from widget.ui.dashboard.theme import Palette
from widget.ui.plain import as_html

HOUR = 3600.0
MINUTE = 60.0
# The answers' own scale, in their own words: a place on it is how the time felt, not how
# much of it there was (the hours are on the twelve-week chart, never on this one).
ANSWER_AXIS = {1: "Adds to my life", 3: "In between", 5: "Replacing connection"}
APP_KEY_PREFIX = "app:"  # a bar set's object name: the app it stands for
NICE_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600)  # whole minutes or whole hours


def week_label(week: str) -> str:
    """A week by its Monday, as people say it: '23 Nov'."""
    return fmt.week_label(week_monday(week))


def _unit(top_s: float) -> tuple[str, float]:
    """Minutes for small numbers, hours once they grow past two and a half hours."""
    return ("minutes", MINUTE) if top_s <= 2.5 * HOUR else ("hours", HOUR)


# --- shared look ---------------------------------------------------------------------------------


def new_chart(palette: Palette) -> QChart:
    """An empty chart on the palette's ground: no animation, a small legend at the bottom."""
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setBackgroundBrush(QBrush(palette.window))
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
    chart.setPlotAreaBackgroundVisible(False)
    legend = chart.legend()
    legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
    legend.setLabelColor(palette.text)
    # Shapes as drawn (a dashed line, a triangle): the legend never relies on colour alone.
    legend.setMarkerShape(legend.MarkerShape.MarkerShapeFromSeries)
    return chart


def whole_ticks(top: float, most: int = 6) -> tuple[int, int]:
    """(step, ticks) of an axis from 0 in whole units that holds `top` (in units) with a
    little room: the smallest nice step that needs at most `most` intervals."""
    room = max(top * 1.08, 1.0)
    step = next((s for s in NICE_STEPS if room / s <= most), NICE_STEPS[-1])
    intervals = max(1, -(-room // step))
    return step, int(intervals) + 1


def _value_axis(palette: Palette, title: str, top: float) -> QValueAxis:
    """A value axis from 0 whose labels are whole minutes (or whole hours): '0, 1, 2',
    never '0.5' or '1.5'."""
    axis = QValueAxis()
    step, ticks = whole_ticks(top)
    axis.setRange(0.0, float(step * (ticks - 1)))
    axis.setTickCount(ticks)
    axis.setLabelFormat("%d")
    axis.setTitleText(title)
    return axis


def _style_axis(axis: QAbstractAxis, palette: Palette) -> None:
    axis.setLabelsColor(palette.text)
    axis.setTitleBrush(QBrush(palette.muted))
    font = QFont(axis.titleFont())
    font.setBold(False)
    axis.setTitleFont(font)
    axis.setLinePenColor(palette.muted)
    axis.setGridLineColor(palette.grid)
    axis.setMinorGridLineVisible(False)


def _attach(chart: QChart, series: QAbstractSeries, *axes: QAbstractAxis) -> None:
    chart.addSeries(series)
    for axis in axes:
        series.attachAxis(axis)
    # Lines and points keep their drawn shape in the legend; bars and areas get filled
    # squares (from the series, Qt draws theirs hollow).
    for marker in chart.legend().markers(series):
        if marker.type() in (QLegendMarker.LegendMarkerType.LegendMarkerTypeBar,
                             QLegendMarker.LegendMarkerType.LegendMarkerTypeArea):
            marker.setShape(QLegend.MarkerShape.MarkerShapeRectangle)


def _axes(chart: QChart, palette: Palette, labels: Sequence[str], y: QAbstractAxis
          ) -> QBarCategoryAxis:
    x = QBarCategoryAxis()
    x.append(list(labels))
    x.setGridLineVisible(False)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    for axis in (x, y):
        _style_axis(axis, palette)
    return x


def _bar_set(name: str, values: Sequence[float], color: QColor, app: str = "") -> QBarSet:
    """A set of bars named `name` in the legend (literally: a legend renders rich text), of
    the app `app` when it is one (see `app_of`)."""
    bars = QBarSet(as_html(name))
    bars.setObjectName(APP_KEY_PREFIX + app if app else "")
    bars.append(list(values))
    bars.setBrush(QBrush(color))
    bars.setPen(QPen(color))
    return bars


def _line(name: str, points: Sequence[tuple[float, float]], pen: QPen) -> QLineSeries:
    line = QLineSeries()
    line.setName(name)
    for x, y in points:
        line.append(x, y)
    line.setPen(pen)
    return line


# --- this week by day ------------------------------------------------------------------------


def day_chart(data: DashboardData, palette: Palette) -> QChart:
    """The seven days of the shown week, each a stack of its apps, with the daily goal as a
    dashed line across them."""
    report = data.report
    days = list(report.per_day)
    goal = report.daily_goal_s
    top = max([sum(apps.values()) for apps in report.per_day.values()] + [goal or 0.0, 1.0])
    unit_name, unit = _unit(top)
    chart = new_chart(palette)
    y = _value_axis(palette, unit_name, top / unit)
    x = _axes(chart, palette, [day_label(d) for d in days], y)
    stacks = QStackedBarSeries()
    stacks.setBarWidth(0.62)
    colors = palette.app_colors([row.key for row in data.apps])
    for key in report.per_app:
        stacks.append(_bar_set(report.names.get(key, key),
                               [report.per_day[d].get(key, 0.0) / unit for d in days],
                               colors[key], app=key))
    _attach(chart, stacks, x, y)
    counted = counted_days(data)
    if counted:
        # two computers with different apps at once: the stack is taller than the day, and
        # a mark shows where the day's time counted once ends
        marks = QScatterSeries()
        marks.setName(COUNTED_ONCE)
        marks.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeRectangle)
        marks.setMarkerSize(11)
        marks.setColor(palette.text)
        marks.setBorderColor(palette.window)
        for index, seconds in counted.items():
            marks.append(index, seconds / unit)
        _attach(chart, marks, x, y)
    if goal:
        pen = QPen(palette.goal, 2, Qt.PenStyle.DashLine)
        _attach(chart, _line(f"Daily goal, {duration(goal)}",
                             [(-0.5, goal / unit), (len(days) - 0.5, goal / unit)], pen), x, y)
    if not report.per_app:
        chart.legend().hide()
    return chart


COUNTED_ONCE = "The day, each moment once"  # the day chart's mark, where apps overlapped


def counted_days(data: DashboardData) -> dict[int, float]:
    """The days (by index) whose apps add up to more than the day's time counted once (two
    computers with different apps in front at once), with that time."""
    report = data.report
    totals = report.day_totals
    return {index: totals[day] for index, (day, apps) in enumerate(report.per_day.items())
            if sum(apps.values()) - totals[day] >= 0.5}


def describe_days(data: DashboardData) -> str:
    report = data.report
    totals = report.day_totals  # each moment once, also across computers
    days = "; ".join(f"{d:%A} {duration(totals[d])}" for d in report.per_day)
    goal = (f" Your daily goal is {duration(report.daily_goal_s)}."
            if report.daily_goal_s else "")
    marked = (" Where two of your computers had different apps in front at once, the apps "
              "reach higher than the day, and a square marks where the day's time ends."
              if counted_days(data) else "")
    return f"Time per day of this week, stacked by app: {days}.{goal}{marked}"


def app_of(bars: QBarSet) -> str:
    """The key of the app whose bars these are ("" for a set of no one app)."""
    name = bars.objectName()
    return name.removeprefix(APP_KEY_PREFIX) if name.startswith(APP_KEY_PREFIX) else ""


def day_tip(data: DashboardData, index: int, app: str) -> str:
    """A bar's tooltip in the day chart: 'Tue 17: Character.AI 58 min of the day's 1 h 26 min'
    (the app's part said in its day's unit, so the parts add up to the day)."""
    report = data.report
    day = list(report.per_day)[index]
    apps = report.per_day[day]
    keys = list(apps)
    parts, total = durations_with_total([apps[k] for k in keys])
    said = dict(zip(keys, parts, strict=True))
    name = report.names.get(app, app)
    if index in counted_days(data):
        return (f"{day_label(day)}: {name} {said.get(app, duration(0))} of the apps' "
                f"{total}; the day counts {duration(report.day_totals[day])}, each moment "
                "once (two of your computers at once)")
    return f"{day_label(day)}: {name} {said.get(app, duration(0))} of the day's {total}"


def week_tip(data: DashboardData, index: int) -> str:
    """A bar's tooltip in the twelve-week chart: 'Week of 16 Nov: 5 h 59 min (usual range
    about 4 h 30 min to 5 h 30 min)'."""
    point = data.weeks[index]
    if point.total_s is None:
        return f"Week of {week_label(point.week)}: before your history began"
    said = f"Week of {week_label(point.week)}: {duration(point.total_s)}"
    if not point.complete:
        said += " so far"
    if point.band is not None:
        said += f" ({USUAL_RANGE} about {about(point.band[0])} to {about(point.band[1])})"
    return said


# --- the last twelve weeks ---------------------------------------------------------------------


def weeks_chart(data: DashboardData, palette: Palette) -> QChart:
    """Twelve weeks of use as bars, the usual range shaded behind them, the Theil-Sen trend
    as a dashed line, the weekly goal as a dotted one, and the weeks the drift signal points
    at marked with triangles."""
    points = data.weeks
    highs = [p.band[1] for p in points if p.band is not None]
    trend = data.trend
    trend_values = [] if trend is None else [trend.value_at(i) for i in range(len(trend.weeks))]
    goal = data.weekly_goal_s
    top = max([p.total_s or 0.0 for p in points] + highs + trend_values + [goal or 0.0, 1.0])
    unit_name, unit = _unit(top)
    chart = new_chart(palette)
    y = _value_axis(palette, unit_name, top / unit)
    x = _axes(chart, palette, [week_label(p.week) for p in points], y)

    band = _band(points, unit, palette)
    if band is not None:
        _attach(chart, band, x, y)
    stacks = QStackedBarSeries()
    stacks.setBarWidth(0.55)
    last_open = not points[-1].complete
    stacks.append(_bar_set("Your weeks", [(p.total_s or 0.0) / unit if p.complete else 0.0
                                          for p in points], palette.week))
    if last_open:
        stacks.append(_bar_set("This week so far", [0.0] * (len(points) - 1)
                               + [(points[-1].total_s or 0.0) / unit], palette.week_so_far))
    _attach(chart, stacks, x, y)

    index = {p.week: i for i, p in enumerate(points)}
    if trend is not None:
        pen = QPen(palette.trend, 2.5, Qt.PenStyle.DashLine)
        line = [(index[w], trend.value_at(k) / unit) for k, w in enumerate(trend.weeks)
                if w in index]
        _attach(chart, _line("Trend", line, pen), x, y)
    if goal:
        pen = QPen(palette.goal, 2, Qt.PenStyle.DotLine)
        _attach(chart, _line(f"Weekly goal, {duration(goal)}",
                             [(-0.5, goal / unit), (len(points) - 0.5, goal / unit)], pen), x, y)
    if data.drift_weeks:
        marks = QScatterSeries()
        marks.setName("Rising weeks")
        marks.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeTriangle)
        marks.setMarkerSize(13)
        marks.setColor(palette.drift)
        marks.setBorderColor(palette.text)
        lift = y.max() * 0.05
        for week in data.drift_weeks:
            total = points[index[week]].total_s or 0.0
            marks.append(index[week], total / unit + lift)
        _attach(chart, marks, x, y)
    return chart


def _band(points: Sequence[WeekPoint], unit: float, palette: Palette) -> QAreaSeries | None:
    """The usual range as steps: each week's own band across its slot."""
    upper, lower = QLineSeries(), QLineSeries()
    for i, point in enumerate(points):
        if point.band is None:
            continue
        low, high = point.band
        for edge in (i - 0.5, i + 0.5):
            upper.append(edge, high / unit)
            lower.append(edge, low / unit)
    if upper.count() == 0:
        return None
    band = QAreaSeries(upper, lower)
    upper.setParent(band)  # the area keeps its edges (PySide would collect them otherwise)
    lower.setParent(band)
    band.setName(USUAL_RANGE.capitalize())
    band.setBrush(QBrush(palette.band))
    outline = QColor(palette.band)
    outline.setAlpha(200)
    band.setPen(QPen(outline, 1))
    return band


def describe_weeks(data: DashboardData) -> str:
    known = [p for p in data.weeks if p.total_s is not None]
    if not known:
        return "Weekly use over twelve weeks: no weeks with tracked time yet."
    weeks = "; ".join(f"week of {week_label(p.week)} {duration(p.total_s or 0.0)}"
                      + ("" if p.complete else " so far") for p in known)
    usual = data.weeks[-1].baseline_s
    parts = [f"Weekly use: {weeks}."]
    if usual is not None:
        parts.append(f"Your usual week, before this one: {duration(usual)}.")
    if data.weekly_goal_s:
        parts.append(f"Your weekly goal is {duration(data.weekly_goal_s)}.")
    if data.trend is not None:
        parts.append(f"The trend line changes by about "
                     f"{duration(abs(data.trend.slope_s_per_week))} a week "
                     f"({'up' if data.trend.slope_s_per_week >= 0 else 'down'}).")
    if data.drift_weeks:
        parts.append("A triangle marks the weeks of "
                     + ", ".join(week_label(w) for w in data.drift_weeks) + ".")
    return " ".join(parts)


# --- self-check answers, on their own scale ------------------------------------------------------


def checkin_chart(data: DashboardData, palette: Palette) -> QChart:
    """Each self-check answer as a point over its week, on the answers' own scale from "adds
    to my life" (bottom) to "is replacing connection" (top). No hours on this chart: a high
    point is an answer, not more time (the time is on the twelve-week chart)."""
    points = data.weeks
    chart = new_chart(palette)
    # Every other week named, ending with the latest: twelve dates do not fit under a chart
    # half the window wide (they were cut to '14...').
    x = QCategoryAxis()
    x.setRange(-0.5, len(points) - 0.5)
    x.setStartValue(-0.5)
    for i in sorted(range(len(points) - 1, -1, -2)):
        x.append(week_label(points[i].week), i)
    x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    x.setGridLineVisible(False)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    answers_axis = QCategoryAxis()
    answers_axis.setRange(0.5, 5.5)
    answers_axis.setStartValue(0.5)
    for value, label in ANSWER_AXIS.items():
        answers_axis.append(label, value)
    answers_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    chart.addAxis(answers_axis, Qt.AlignmentFlag.AlignLeft)
    for axis in (x, answers_axis):
        _style_axis(axis, palette)
    answers_axis.setGridLineVisible(True)

    index = {p.week: i for i, p in enumerate(points)}
    dots = QScatterSeries()
    dots.setName("Your answer")
    dots.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeCircle)
    dots.setMarkerSize(12)
    dots.setColor(palette.answer)
    dots.setBorderColor(palette.text)
    for checkin in data.checkins:
        if checkin.answer in (1, 2, 3, 4, 5) and checkin.week in index:
            dots.append(index[checkin.week] + (checkin.at.weekday() - 3) / 10, checkin.answer)
    _attach(chart, dots, x, answers_axis)
    chart.legend().hide()  # one kind of point, named by the card's heading
    return chart


def describe_checkins(data: DashboardData) -> str:
    answered = [c for c in data.checkins if c.answer is not None]
    if not answered:
        return ("Your self-check answers will appear here, week by week, once you have "
                "answered one.")
    said = "; ".join(f"week of {week_label(c.week)}: {ANSWERS[c.answer or 0].lower()}"
                     for c in answered)
    skipped = len(data.checkins) - len(answered)
    tail = f" {skipped} skipped, which is fine too." if skipped else ""
    return f"Your self-check answers, week by week: {said}.{tail}"
