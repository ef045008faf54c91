"""The tray's ring: today's use against the daily goal, filling clockwise from twelve o'clock.

Looks (one `RingLook` each, also the tray's cache key):
- a goal: a teal arc over a faint track; at or over the goal the ring is full and a small dot
  sits in its middle (no red: reaching a goal is information, not an alarm);
- no goal: the empty track alone (a fill against a made-up amount would read like a goal the
  person never set; the tooltip tells the time);
- paused: the hollow track with two pause bars;
- approximate: the same, dashed.
Every stroke has a light halo under it so the ring reads on dark and on light panels. Each size
is painted on its own pixmap, never scaled, so thin lines stay crisp.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap

from widget.core.today import TodayView

SIZES = (16, 22, 24, 32, 48, 64, 128)
TEAL = QColor("#1f9e98")
TRACK = QColor(120, 150, 155, 150)  # a muted blue-grey, half transparent
HALO = QColor(255, 255, 255, 150)  # the light outline that keeps the ring visible on dark


@dataclass(frozen=True, slots=True)
class RingLook:
    """What the ring shows; equal looks draw identical icons."""

    fill: float | None  # 0..1 in 1/48ths, None without a goal
    over: bool = False
    paused: bool = False
    approximate: bool = False


def ring_look(view: TodayView) -> RingLook:
    return RingLook(fill=view.fill, over=view.over, paused=view.paused_until is not None,
                    approximate=view.approximate)


def _pen(color: QColor, width: float, dashed: bool) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    if dashed:
        pen.setDashPattern([2.0, 1.2])  # in units of the pen's width: clear gaps even at 16 px
    return pen


def paint_ring(painter: QPainter, size: int, look: RingLook) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    width = max(2.5, size / 6.5)
    inset = width / 2 + max(1.0, size / 32)
    rect = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    dashed = look.approximate
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(_pen(HALO, width + max(1.0, size / 24), dashed))
    painter.drawEllipse(rect)
    painter.setPen(_pen(TRACK, width, dashed))
    painter.drawEllipse(rect)
    centre = QPointF(size / 2, size / 2)
    if look.paused:
        bar_w, bar_h, gap = max(1.5, size / 10), size * 0.34, max(1.5, size / 12)
        painter.setPen(Qt.PenStyle.NoPen)
        for x in (centre.x() - gap / 2 - bar_w, centre.x() + gap / 2):
            bar = QRectF(x, centre.y() - bar_h / 2, bar_w, bar_h)
            painter.setBrush(HALO)
            painter.drawRect(bar.adjusted(-0.5, -0.5, 0.5, 0.5))
            painter.setBrush(TEAL)
            painter.drawRect(bar)
        return
    if look.fill:
        span = -round(look.fill * 360 * 16)  # negative: clockwise; from 12 o'clock
        painter.setPen(_pen(TEAL, width, dashed))
        painter.drawArc(rect, 90 * 16, span)
    if look.over:
        radius = max(1.5, size / 9)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HALO)
        painter.drawEllipse(centre, radius + 0.75, radius + 0.75)
        painter.setBrush(TEAL)
        painter.drawEllipse(centre, radius, radius)


def ring_image(look: RingLook, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        paint_ring(painter, size, look)
    finally:
        painter.end()  # an image destroyed mid-paint takes the process down
    return image


def ring_icon(look: RingLook) -> QIcon:
    """The ring painted at every tray and window size."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(QPixmap.fromImage(ring_image(look, size)))
    return icon
