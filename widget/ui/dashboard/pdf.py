"""`driftcheck report --pdf`: the dashboard's week on paper, one or two A4 pages.

Something a person may choose to bring to a counsellor, so it says plainly what was counted
and what was not. Page one: the week in words, its numbers, each day by app and the apps'
table (every cell filled, said as the dashboard's table says it). Page two: the last twelve
weeks with the usual range and the trend, the hours of the week, and the self-check answers
(never the private notes). A week with nothing counted is one page that says so, and still
shows that week's self-check answers. Every duration is `widget.core.format`'s. While the
person shares their time with other computers (issue 16), page one says that the figures count
all of them, time on two at once once, and gives each computer's own time in the week.

The charts are the dashboard's own (`widget.ui.dashboard.charts`, the heat map widget) in the light
palette, drawn as vectors by Qt's own PDF writer: no extra dependency.

Pages are laid out in CSS pixels (96 to the inch) on a painter scaled to the writer's
resolution, so text stays text and lines stay lines.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCharts import QChart
from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QPoint, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QGraphicsScene, QWidget

from widget.core.checkin import ANSWERS
from widget.core.dashboard import (
    ALL_COMPUTERS,
    DashboardData,
    computers_in_words,
    week_caption,
    week_comparison,
)
from widget.core.format import duration, durations_with_total
from widget.owner_only import write_owner_only
from widget.ui.dashboard import charts
from widget.ui.dashboard.heatmap import HeatMap
from widget.ui.dashboard.table import AppTableModel, say_change
from widget.ui.dashboard.theme import Palette, make_palette
from widget.ui.dashboard.window import checkin_caption, explanation, week_title, weeks_caption

CSS_DPI = 96
RESOLUTION = 300  # dots per inch of the PDF's coordinate system (the output is vectors)
MARGIN_MM = 15.0
GAP = 14.0  # CSS pixels between blocks
FOOTER = ("Made on this device by driftcheck on {date}. Nothing in it was sent anywhere. "
          "The numbers are the time the chosen apps were in front while the keyboard or "
          "mouse was in use; they say nothing about what was said.")


def write_report_pdf(data: DashboardData, path: Path, *, now: datetime | None = None) -> int:
    """Write the report of `data`'s week to `path` (owner-only, replaced whole); the number
    of pages written. Needs a QApplication (the charts and the heat map are widgets' kin)."""
    path = Path(path)
    # Drawn in memory (a few hundred KB), then written through the descriptor of a file born
    # owner-only (widget.owner_only): never reopened by name, where a link swapped in by
    # someone who can write the folder would take the report elsewhere.
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pages = _paint(data, buffer, now or datetime.now(UTC))
    buffer.close()
    write_owner_only(path, bytes(buffer.data().data()), prefix=f".{path.name}.")
    return pages


def _paint(data: DashboardData, device: QIODevice, now: datetime) -> int:
    writer = QPdfWriter(device)
    writer.setResolution(RESOLUTION)
    writer.setTitle(f"driftcheck: week {data.week}")
    writer.setCreator("driftcheck")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))
    scale = RESOLUTION / CSS_DPI
    page = writer.pageLayout().paintRectPixels(RESOLUTION)
    width, height = page.width() / scale, page.height() / scale
    palette = make_palette(False, QColor("white"), QColor("#1a1a1a"))
    painter = QPainter(writer)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        page_one = _Page(painter, width, height)
        page_one.text(_summary_html(data))
        if data.computers:
            page_one.text(_computers_html(data))
        footer = FOOTER.format(date=f"{now.astimezone():%d %B %Y}")
        if data.report.total_s <= 0:
            page_one.text(_week_checkins_html(data))
            page_one.footer(footer)
            return 1
        page_one.chart("Each day, by app", charts.day_chart(data, palette), 250)
        page_one.text(_apps_html(data))
        page_one.footer(footer)
        writer.newPage()
        page_two = _Page(painter, width, height)
        page_two.chart("The last twelve weeks", charts.weeks_chart(data, palette), 250)
        page_two.text(_paragraphs(weeks_caption(data) + "\n\n" + explanation(data)),
                      size=9.0)
        page_two.widget("When in the week", _heat_map(data, palette), 190)
        if any(c.answer is not None for c in data.checkins):
            page_two.chart("Your self-check answers", charts.checkin_chart(data, palette),
                           180)
            said = f"{checkin_caption(data)}\n\n{charts.describe_checkins(data)}"
        else:
            said = "No self-check answers in these twelve weeks."
        page_two.text(_paragraphs(f"{said} Private notes are never printed."), size=9.0)
        page_two.footer(footer)
        return 2
    finally:
        painter.end()


class _Page:
    """Blocks stacked from the top of one page, in CSS pixels."""

    def __init__(self, painter: QPainter, width: float, height: float) -> None:
        self.painter = painter
        self.width = width
        self.height = height
        self.y = 0.0

    def text(self, body: str, *, size: float = 10.5) -> None:
        doc = QTextDocument()
        font = QFont("DejaVu Sans")
        font.setPointSizeF(size)
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(body)
        doc.setTextWidth(self.width)
        self.painter.save()
        self.painter.translate(0, self.y)
        doc.drawContents(self.painter, QRectF(0, 0, self.width, doc.size().height()))
        self.painter.restore()
        self.y += doc.size().height() + GAP

    def heading(self, title: str) -> None:
        self.text(f"<b>{html.escape(title)}</b>", size=11.5)
        self.y -= GAP * 0.6

    def chart(self, title: str, chart: QChart, height: float) -> None:
        self.heading(title)
        for axis in chart.axes():  # paper is narrower than the window: smaller labels
            font = QFont(axis.labelsFont())
            font.setPointSizeF(7.0)
            axis.setLabelsFont(font)
        scene = QGraphicsScene()
        scene.addItem(chart)
        chart.resize(QSizeF(self.width, height))
        layout = chart.layout()
        if layout is not None:
            layout.activate()  # lay out axes and labels at this size now, not on an event
        scene.render(self.painter, QRectF(0, self.y, self.width, height),
                     QRectF(0, 0, self.width, height))
        self.y += height + GAP

    def widget(self, title: str, widget: QWidget, height: float) -> None:
        self.heading(title)
        widget.resize(int(self.width), int(height))
        widget.ensurePolished()
        widget.render(self.painter, QPoint(0, int(self.y)))
        self.y += height + GAP

    def footer(self, body: str) -> None:
        doc = QTextDocument()
        font = QFont("DejaVu Sans")
        font.setPointSizeF(8.0)
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setPlainText(body)
        doc.setTextWidth(self.width)
        self.painter.save()
        self.painter.translate(0, self.height - doc.size().height())
        doc.drawContents(self.painter)
        self.painter.restore()


def _heat_map(data: DashboardData, palette: Palette) -> HeatMap:
    heat = HeatMap(palette)
    heat.set_grid(data.grid)
    return heat


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part)


def _summary_html(data: DashboardData) -> str:
    r = data.report
    rows: list[tuple[str, str]] = []
    if r.baseline_s is not None:
        rows.append(("A usual week (the four before)", duration(r.baseline_s)))
    if r.change_pct is not None:
        rows.append((f"Against {_against(data)}", f"{r.change_pct:+.0f}%"))
    if r.sessions.count:
        rows.append(("Sessions", f"{r.sessions.count}, typically "
                                 f"{duration(r.sessions.median_s)}, the longest "
                                 f"{duration(r.sessions.longest_s)}"))
    if r.quiet_share is not None:
        rows.append(("In your quiet hours", f"{100 * r.quiet_share:.0f}% of the time"))
    if r.days_over_goal is not None and r.daily_goal_s is not None:
        rows.append((f"Days past your daily goal of {duration(r.daily_goal_s)}",
                     str(r.days_over_goal)))
    table = "".join(f"<tr><td style='padding:2px 16px 2px 0'>{html.escape(k)}</td>"
                    f"<td style='padding:2px 0'><b>{html.escape(v)}</b></td></tr>"
                    for k, v in rows)
    # The total said once, with the days that had use, as the dashboard's header says it.
    total = (f"<p style='font-size:14pt'><b>{html.escape(duration(r.total_s))}</b> "
             f"{html.escape(week_caption(data))}</p>")
    words = html.escape(week_comparison(data)) if r.total_s > 0 else \
        "Nothing was counted in this week, so there is nothing more to show for it."
    return (f"<p style='font-size:18pt'><b>Your week: {html.escape(week_title(data))}</b>"
            f"</p><p style='color:#555'>ISO week {html.escape(r.week)}, from driftcheck, "
            f"the private mirror of your time with AI companions.</p>"
            f"{total}<p style='font-size:12pt'>{words}</p><table>{table}</table>")


def _week_checkins_html(data: DashboardData) -> str:
    """The self-check answers of the shown week itself, in words (for a week with nothing
    counted, which has no charts): a check-in says something even when no time was counted."""
    own = [c for c in data.checkins if c.week == data.week]
    if not own:
        return ("<p><b>Your self-check</b></p><p>No self-check in this week. Private notes "
                "are never printed.</p>")
    said = {c: "skipped, which is fine too" if c.answer is None
            else ANSWERS.get(c.answer, ANSWERS[0]) for c in own}
    items = "".join(f"<li>{c.at.astimezone():%A %d %B}: {html.escape(said[c])}</li>"
                    for c in own)
    return (f"<p><b>Your self-check in this week</b></p><ul>{items}</ul>"
            "<p>Private notes are never printed.</p>")


def _against(data: DashboardData) -> str:
    return "the same days of the week before" if data.report.change_same_part \
        else "the week before"


def _apps_html(data: DashboardData) -> str:
    """The per-app table in the dashboard's own words (its model's cells, so an app with no
    use reads the same on paper and on screen: '0 min', '0%'), every cell filled, the rows
    adding up to the total under them, and the header on one line."""
    model = AppTableModel()
    model.set_rows(data.apps, {}, same_part=data.report.change_same_part,
                   current=data.is_current)
    columns = model.columnCount()
    head = "".join(
        f"<th align='{'left' if c == 0 else 'right'}' style='white-space:nowrap; "
        f"padding:2px 6px'>{html.escape(str(model.headerData(c, _HORIZONTAL)))}</th>"
        for c in range(columns))
    body = []
    for r in range(model.rowCount()):
        cells = [str(model.index(r, c).data() or "\u2013") for c in range(columns)]
        body.append("<tr>" + "".join(
            f"<td align='{'left' if c == 0 else 'right'}' style='padding:2px 6px'>"
            f"{html.escape(text)}</td>" for c, text in enumerate(cells)) + "</tr>")
    parts = [row.seconds for row in data.apps]
    _, total = durations_with_total(parts)
    apart = ""
    if sum(parts) > data.report.total_s + 1:  # two apps on two computers at once (issue 16)
        total = duration(data.report.total_s)
        from widget.core.days import APPS_ADD_UP_TO_MORE

        apart = f"<p>{html.escape(APPS_ADD_UP_TO_MORE)}</p>"
    body.append(f"<tr><td style='padding:2px 6px'><b>Total</b></td><td align='right' "
                f"style='padding:2px 6px'><b>{html.escape(total)}</b></td>"
                "<td align='right' style='padding:2px 6px'>100%</td>"
                f"<td align='right' style='padding:2px 6px'>"
                f"{html.escape(say_change(data.report.change_s))}</td>"
                f"<td align='right' style='padding:2px 6px'>"
                f"{html.escape(duration(data.report.total_s / data.days_so_far))}</td></tr>")
    return (f"<p><b>By app</b></p><table width='100%' cellspacing='0'><tr>{head}</tr>"
            f"{''.join(body)}</table>{apart}")


def _computers_html(data: DashboardData) -> str:
    """Whose time the week counts, and each computer's own time in it (issue 16)."""
    said = html.escape(computers_in_words(data))
    if data.computer != ALL_COMPUTERS:
        return f"<p>{said}</p>"
    cell = "style='padding:2px 16px 2px 0'"
    rows = "".join(f"<tr><td {cell}>{html.escape(row.name)}</td>"
                   f"<td align='right' {cell}><b>{html.escape(duration(row.seconds))}</b>"
                   "</td></tr>" for row in data.computers)
    return f"<p><b>Your computers</b></p><p>{said}</p><table>{rows}</table>"


_HORIZONTAL = Qt.Orientation.Horizontal
