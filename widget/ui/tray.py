"""The tray icon (or, with no tray, a small window) showing today's time."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMenu,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from widget.core.days import day_window, local_day
from widget.core.model import Measure
from widget.core.options import Options
from widget.core.status import TodayStatus, format_duration, today_status
from widget.localzone import local_zone
from widget.store.db import Store


class TodayService:
    """What the tray asks for: today's status, computed by the core from the store."""

    def __init__(self, store: Store, options: Options) -> None:
        self._store = store
        self._options = options
        self._tz = local_zone()

    def today(self) -> TodayStatus:
        now = datetime.now(UTC)
        day = local_day(now, self._tz, self._options.day_start_hour)
        window = day_window(day, self._tz, self._options.day_start_hour)
        mode = Measure(str(self._store.get_setting("tracker.mode") or "foreground"))
        return today_status(self._store.intervals_overlapping(*window), day=day, window=window,
                            tracked=[a.key for a in self._store.list_apps()],
                            names=self._store.app_names(), tracker_mode=mode)


def ring_icon(approximate: bool) -> QIcon:
    """A ring, drawn at each size so it stays crisp; dashed when time is approximate."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = max(2.0, size / 8)
        pen = QPen(QColor("#3b8ea5"), width)
        if approximate:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        inset = width / 2 + 1
        painter.drawEllipse(QRectF(inset, inset, size - 2 * inset, size - 2 * inset))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class TrayPresence(QObject):
    changed = Signal()

    def __init__(self, service: TodayService) -> None:
        super().__init__()
        self._service = service
        self._approximate: bool | None = None
        self._menu = QMenu()
        quit_action = QAction("Quit driftcheck", self._menu)
        quit_action.triggered.connect(QApplication.quit)
        self._menu.addAction(quit_action)
        self._tray: QSystemTrayIcon | None = None
        self._window: QWidget | None = None
        self._label = QLabel()
        self.changed.connect(self.refresh)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(60_000)

    def show(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon()
            self._tray.setContextMenu(self._menu)
            self.refresh()  # icon and tooltip first: a tray must never get an empty slot
            self._tray.show()
            return
        self._window = QWidget()
        self._window.setWindowTitle("driftcheck")
        layout = QVBoxLayout(self._window)
        layout.addWidget(self._label)
        note = QLabel("There is no system tray on this desktop, so driftcheck shows today "
                      "here instead.")
        note.setWordWrap(True)
        layout.addWidget(note)
        quit_button = QPushButton("Quit driftcheck")
        quit_button.clicked.connect(QApplication.quit)
        layout.addWidget(quit_button)
        self.refresh()
        self._window.show()

    def refresh(self) -> None:
        status = self._service.today()
        text = f"Today {format_duration(status.total_seconds)}"
        approximate = status.mode is Measure.APPROXIMATE
        if approximate:
            text += " (approximate)"
        self._label.setText(text)
        if self._tray is not None:
            self._tray.setToolTip(text)
            if approximate != self._approximate:
                self._tray.setIcon(ring_icon(approximate))
        elif self._window is not None and approximate != self._approximate:
            self._window.setWindowIcon(ring_icon(approximate))
        self._approximate = approximate
