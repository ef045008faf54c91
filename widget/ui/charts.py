"""The dashboard's charts, built from `DashboardData` and a `Palette`.

Each builder returns a finished `QChart` (no view, no window), so the dashboard shows it in a
`QChartView` and a printed report can draw the same chart onto a `QPainter` (a `QChartView`
over it, `render()`ed). Each `describe_*` says in words what its chart shows, for the
accessible description and for anyone who would rather read than look.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

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

from widget.core.alerts import say_duration
from widget.core.checkin import ANSWERS
from widget.core.dashboard import DashboardData, WeekPoint
from widget.core.report import week_monday
from widget.ui.theme import Palette

HOUR = 3600.0
MINUTE = 60.0
ANSWER_AXIS = {1: "Adds", 3: "In between", 5: "Replaces"}


def week_label(week: str) -> str:
    """A week by its Monday, as people say it: '23 Nov'."""
    monday = week_monday(week)
    return f"{monday.day} {monday:%b}"


def day_label(day: date) -> str:
    return f"{day:%a} {day.day}"


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


def _value_axis(palette: Palette, title: str, top: float) -> QValueAxis:
    axis = QValueAxis()
    axis.setRange(0.0, max(top * 1.08, 1.0))
    axis.applyNiceNumbers()
    axis.setLabelFormat("%.1f" if axis.max() <= 4 else "%.0f")
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


def _bar_set(name: str, values: Sequence[float], color: QColor) -> QBarSet:
    bars = QBarSet(name)
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
                               colors[key]))
    _attach(chart, stacks, x, y)
    if goal:
        pen = QPen(palette.goal, 2, Qt.PenStyle.DashLine)
        _attach(chart, _line(f"Daily goal, {say_duration(goal)}",
                             [(-0.5, goal / unit), (len(days) - 0.5, goal / unit)], pen), x, y)
    if not report.per_app:
        chart.legend().hide()
    return chart


def describe_days(data: DashboardData) -> str:
    report = data.report
    days = "; ".join(f"{d:%A} {say_duration(sum(apps.values()))}"
                     for d, apps in report.per_day.items())
    goal = (f" Your daily goal is {say_duration(report.daily_goal_s)}."
            if report.daily_goal_s else "")
    return f"Time per day of this week, stacked by app: {days}.{goal}"


# --- the last twelve weeks ---------------------------------------------------------------------


def weeks_chart(data: DashboardData, palette: Palette) -> QChart:
    """Twelve weeks of use as bars, the usual range as a band behind them, the Theil-Sen trend
    as a dashed line and the weeks the drift signal points at marked with triangles."""
    points = data.weeks
    highs = [p.band[1] for p in points if p.band is not None]
    trend = data.trend
    trend_values = [] if trend is None else [trend.value_at(i) for i in range(len(trend.weeks))]
    top = max([p.total_s or 0.0 for p in points] + highs + trend_values + [1.0])
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
    if data.drift_weeks:
        marks = QScatterSeries()
        marks.setName("Drift signal")
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
    band.setName("Usual range")
    band.setBrush(QBrush(palette.band))
    outline = QColor(palette.band)
    outline.setAlpha(200)
    band.setPen(QPen(outline, 1))
    return band


def describe_weeks(data: DashboardData) -> str:
    known = [p for p in data.weeks if p.total_s is not None]
    if not known:
        return "Weekly use over twelve weeks: no weeks with tracked time yet."
    weeks = "; ".join(f"week of {week_label(p.week)} {say_duration(p.total_s or 0.0)}"
                      + ("" if p.complete else " so far") for p in known)
    usual = data.weeks[-1].baseline_s
    parts = [f"Weekly use: {weeks}."]
    if usual is not None:
        parts.append(f"Your usual week, before this one: {say_duration(usual)}.")
    if data.trend is not None:
        parts.append(f"The trend line changes by about "
                     f"{say_duration(abs(data.trend.slope_s_per_week))} a week "
                     f"({'up' if data.trend.slope_s_per_week >= 0 else 'down'}).")
    if data.drift_weeks:
        parts.append("The drift signal marks the weeks of "
                     + ", ".join(week_label(w) for w in data.drift_weeks) + ".")
    return " ".join(parts)


# --- self-check answers beside weekly use ------------------------------------------------------


def checkin_chart(data: DashboardData, palette: Palette) -> QChart:
    """Weekly use as pale bars (left axis) and each self-check answer as a point on the right
    axis, from "adds to my life" (1) up to "is replacing connection" (5)."""
    points = data.weeks
    top = max([p.total_s or 0.0 for p in points] + [1.0])
    unit_name, unit = _unit(top)
    chart = new_chart(palette)
    y = _value_axis(palette, unit_name, top / unit)
    x = _axes(chart, palette, [week_label(p.week) for p in points], y)
    use = QStackedBarSeries()
    use.setBarWidth(0.5)
    pale = QColor(palette.week)
    pale.setAlpha(95)
    use.append(_bar_set("Weekly use", [(p.total_s or 0.0) / unit for p in points], pale))
    _attach(chart, use, x, y)

    answers_axis = QCategoryAxis()
    answers_axis.setRange(0.5, 5.5)
    answers_axis.setStartValue(0.5)
    for value, label in ANSWER_AXIS.items():
        answers_axis.append(label, value)
    answers_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    answers_axis.setTitleText("Your answer")
    chart.addAxis(answers_axis, Qt.AlignmentFlag.AlignRight)
    _style_axis(answers_axis, palette)
    answers_axis.setGridLineVisible(False)

    index = {p.week: i for i, p in enumerate(points)}
    dots = QScatterSeries()
    dots.setName("Self-check answer")
    dots.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeCircle)
    dots.setMarkerSize(12)
    dots.setColor(palette.answer)
    dots.setBorderColor(palette.text)
    for checkin in data.checkins:
        if checkin.answer in (1, 2, 3, 4, 5) and checkin.week in index:
            dots.append(index[checkin.week] + (checkin.at.weekday() - 3) / 10, checkin.answer)
    _attach(chart, dots, x, answers_axis)
    return chart


def describe_checkins(data: DashboardData) -> str:
    answered = [c for c in data.checkins if c.answer is not None]
    if not answered:
        return ("Your self-check answers will appear here beside each week's use, once you "
                "have answered one.")
    said = "; ".join(f"week of {week_label(c.week)}: {ANSWERS[c.answer or 0].lower()}"
                     for c in answered)
    skipped = len(data.checkins) - len(answered)
    tail = f" {skipped} skipped, which is fine too." if skipped else ""
    return f"Your self-check answers beside weekly use: {said}.{tail}"
