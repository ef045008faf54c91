"""The hour-by-weekday heat map: a small painted grid (QtCharts has no heat map).

Rows are the week's local days, columns the clock hours in the order of a local day (from
the day start round to it), so a late night sits at the end of its evening's row. A cell
darkens with the share of its hour that was in use; the quiet hours are outlined with a
dashed line; an hour the clocks skipped is hatched. The grid takes keyboard focus: the arrow
keys move a cursor whose cell is said in words (`cell_text`, the `cell_changed` signal, the
tooltip and the accessible description).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QFocusEvent,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from widget.core.alerts import say_clock
from widget.core.dashboard import HourGrid
from widget.core.format import duration
from widget.ui.dashboard.theme import Palette, heat_color
from widget.ui.plain import plain_tooltip

_MOVES = {Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1), Qt.Key.Key_Up: (-1, 0),
          Qt.Key.Key_Down: (1, 0)}


class HeatMap(QWidget):
    cell_changed = Signal(str)  # the cursor's cell, in words

    def __init__(self, palette: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heat-map")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Hours of use by weekday")
        self._palette = palette
        self.grid: HourGrid | None = None
        self.cursor_cell = (0, 0)  # (row, column in hour order)

    # --- data ---------------------------------------------------------------------------------

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self.update()

    def set_grid(self, grid: HourGrid) -> None:
        self.grid = grid
        busiest = max(((r, c) for r in range(7) for c in range(24)),
                      key=lambda rc: self._seconds(*rc), default=(0, 0))
        self.cursor_cell = busiest if self._seconds(*busiest) > 0 else (0, 0)
        self.setAccessibleDescription(self.summary())
        self.update()

    def _seconds(self, row: int, column: int) -> float:
        if self.grid is None:
            return 0.0
        return self.grid.seconds[row][self.grid.hour_order[column]]

    def cell_text(self, row: int, column: int) -> str:
        """'Saturday 21:00-22:00: 45 min (quiet hours)'."""
        if self.grid is None:
            return ""
        hour = self.grid.hour_order[column]
        day = self.grid.days[row]
        when = f"{day:%A} {say_clock(hour * 60)}-{say_clock((hour + 1) % 24 * 60)}"
        if (row, hour) in self.grid.missing:
            return f"{when}: this hour did not happen (the clocks went forward)"
        used = self._seconds(row, column)
        amount = duration(used)  # '0 min', '30 s', '45 min': as the table and the PDF say it
        quiet = " (quiet hours)" if hour in self.grid.quiet_hours else ""
        return f"{when}: {amount}{quiet}"

    def summary(self) -> str:
        grid = self.grid
        if grid is None or grid.busiest <= 0:
            return "No use in any hour of the week."
        row, column = max(((r, c) for r in range(7) for c in range(24)),
                          key=lambda rc: self._seconds(*rc))
        text = f"Darker cells mean more of that hour in use. The fullest hour: " \
               f"{self.cell_text(row, column)}."
        if grid.quiet_hours:
            quiet = grid.quiet_s  # to the minute; the outlined cells are whole hours
            fell = f"{duration(quiet)} fell in them" if duration(quiet) != duration(0) \
                else "none of the week's time fell in them"
            text += f" Quiet hours are outlined; {fell}."
        return text + " Use the arrow keys to read each hour."

    # --- geometry -----------------------------------------------------------------------------

    def _layout(self) -> tuple[int, int, float, float]:
        """(left, top, cell width, cell height) of the grid inside the widget."""
        metrics = QFontMetrics(self.font())
        left = metrics.horizontalAdvance("Wed 00") + 10
        top = metrics.height() + 6
        bottom = metrics.height() + 12
        width = max(1.0, (self.width() - left - 6) / 24)
        height = max(1.0, min(40.0, (self.height() - top - bottom) / 7))
        return left, top, width, height

    def _cell_rect(self, row: int, column: int) -> QRectF:
        left, top, width, height = self._layout()
        return QRectF(left + column * width, top + row * height, width, height)

    def _cell_at(self, point: QPoint) -> tuple[int, int] | None:
        left, top, width, height = self._layout()
        column = int((point.x() - left) // width)
        row = int((point.y() - top) // height)
        return (row, column) if 0 <= row < 7 and 0 <= column < 24 else None

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(metrics.horizontalAdvance("Wed 00") + 24 * 20 + 16,
                     7 * 32 + 2 * metrics.height() + 20)

    def minimumSizeHint(self) -> QSize:
        return QSize(24 * 12 + 60, 7 * 14 + 40)

    # --- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        palette = self._palette
        painter.fillRect(self.rect(), palette.window)
        if self.grid is None:
            return
        left, top, width, height = self._layout()
        painter.setPen(palette.text)
        for row, day in enumerate(self.grid.days):
            rect = QRectF(0, top + row * height, left - 8, height)
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{day:%a}")
        painter.setPen(palette.muted)
        for column, hour in enumerate(self.grid.hour_order):
            if hour % 2 == 0:
                rect = QRectF(left + column * width - 10, 0, width + 20, top - 2)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{hour:02d}")
        for row in range(7):
            for column, hour in enumerate(self.grid.hour_order):
                cell = self._cell_rect(row, column).adjusted(1, 1, -1, -1)
                if (row, hour) in self.grid.missing:
                    painter.fillRect(cell, QBrush(palette.grid, Qt.BrushStyle.BDiagPattern))
                    continue
                share = min(1.0, self.grid.seconds[row][hour] / 3600)
                painter.fillRect(cell, heat_color(palette, share ** 0.7 if share else 0.0))
        self._paint_quiet(painter, left, top, width, height)
        if self.hasFocus():
            pen = QPen(palette.text, 2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._cell_rect(*self.cursor_cell).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.setPen(palette.muted)
        legend = QRect(0, int(top + 7 * height + 4), self.width(), self.height())
        words = "Lighter: a few minutes of the hour; darker: all of it."
        if self.grid.quiet_hours:
            words += "  Dashed outline: your quiet hours."
        painter.drawText(legend, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, words)
        painter.end()

    def _paint_quiet(self, painter: QPainter, left: int, top: int, width: float,
                     height: float) -> None:
        """One dashed outline around each run of quiet columns."""
        assert self.grid is not None
        quiet = [hour in self.grid.quiet_hours for hour in self.grid.hour_order]
        pen = QPen(self._palette.quiet, 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        column = 0
        while column < 24:
            if not quiet[column]:
                column += 1
                continue
            end = column
            while end < 24 and quiet[end]:
                end += 1
            painter.drawRect(QRectF(left + column * width, top, (end - column) * width,
                                    7 * height).adjusted(1, 1, -1, -1))
            column = end

    # --- keyboard and pointer -------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        move = _MOVES.get(Qt.Key(event.key()))
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                      Qt.KeyboardModifier.KeypadModifier)
        if move is None or not plain:
            super().keyPressEvent(event)
            return
        row = max(0, min(6, self.cursor_cell[0] + move[0]))
        column = max(0, min(23, self.cursor_cell[1] + move[1]))
        self.cursor_cell = (row, column)
        text = self.cell_text(row, column)
        self.setAccessibleDescription(text)
        self.setToolTip(plain_tooltip(text))
        self.cell_changed.emit(text)
        self.update()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.cell_changed.emit(self.cell_text(*self.cursor_cell))
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self._cell_at(event.position().toPoint())
        if cell is not None:
            self.cursor_cell = cell
            self.cell_changed.emit(self.cell_text(*cell))
            self.update()
        super().mousePressEvent(event)

    def event(self, event: object) -> bool:
        if isinstance(event, QHelpEvent) and event.type() == QHelpEvent.Type.ToolTip:
            cell = self._cell_at(event.pos())
            if cell is not None:
                QToolTip.showText(event.globalPos(), plain_tooltip(self.cell_text(*cell)), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)  # type: ignore[arg-type]
