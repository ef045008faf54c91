"""The tray icon and its menu, or, on a desktop with no tray, a small window in its place.

The tray draws what `TodayService` computed (a `TodayView`) and hands every choice to a
`TrayActions`; it decides nothing about tracking itself, apart from when a pause ends.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Protocol

import shiboken6
from PySide6.QtCore import QByteArray, QObject, QPoint, QRect, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from widget.core import settings as S
from widget.core.calendar import next_day_start
from widget.core.format import used_of, when_said
from widget.core.options import Options
from widget.core.settings import SettingsStore
from widget.core.today import TodayView, shown_apps
from widget.desktop.localzone import local_zone
from widget.ui.compact import (
    OVERLAP_TEXT,
    CompactWidget,
    computers_line,
    overlaps,
    paused_text,
    stale_line,
    today_figure,
)
from widget.ui.icon import RingLook, ring_icon, ring_look
from widget.ui.plain import plain_tooltip

if TYPE_CHECKING:
    from widget.sync.folder import FolderView

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TrayActions(Protocol):
    """What the tray asks of the rest of the app; each is called on the Qt main thread."""

    def pause(self, until: datetime) -> None: ...
    def resume(self) -> None: ...
    def check_in(self) -> None: ...
    def open_apps_goals(self) -> None: ...
    def open_settings(self) -> None: ...
    def quit(self) -> None: ...


class MemorySettings:
    """Settings kept in memory (tests, or a store that cannot be written)."""

    def __init__(self, values: dict[str, object] | None = None) -> None:
        self.values = dict(values or {})

    def get_setting(self, key: str) -> object | None:
        return self.values.get(key)

    def set_setting(self, key: str, value: object) -> None:
        self.values[key] = value


def tooltip_text(view: TodayView, now: datetime, tz: tzinfo, discreet: bool,
                 shared: FolderView | None = None) -> str:
    """'Today 38 min of 45 min'; in discreet mode no app is named (a tooltip is seen by anyone
    near the screen). The apps' times add up to the day's, but when two computers had
    different apps in front at once (said in a line). `shared`: the last read of the shared
    folder while sharing is on: the computers counted are named."""
    rows, total = shown_apps(view)
    figure = today_figure(view, total, shared)
    lines = [f"Today {used_of(figure, view.daily_goal_seconds)}"
             + (" (approximate)" if view.approximate else "")]
    for line in (computers_line(shared), stale_line(shared, now, tz)):
        if line is not None:
            lines.append(line)
    if not discreet:
        lines += [f"{row.name} {used_of(shown, row.goal_seconds)}"
                  for row, shown in rows if shown > 0]
        if overlaps(view, shared):
            lines.append(OVERLAP_TEXT)
    if view.paused_until is not None:
        lines.append(paused_text(view.paused_until, now, tz))
    return "\n".join(lines)


def until_text(end: datetime, now: datetime, tz: tzinfo) -> str:
    """The Pause item for the new day: 'Until tomorrow, 04:00', or 'Until 04:00' when the new
    day begins later tonight (after midnight, before the day start)."""
    return f"Until {when_said(end, now, tz)}"


def where_on_screen(icon: QRect, screen: QRect) -> str | None:
    """'top right', 'bottom left'...: where the tray icon sits; None when it cannot be told."""
    if icon.isEmpty() or screen.isEmpty() or not screen.contains(icon.center()):
        return None
    vertical = "top" if icon.center().y() < screen.center().y() else "bottom"
    horizontal = "left" if icon.center().x() < screen.center().x() else "right"
    return f"{vertical} {horizontal}"


def where_it_lives_text(where: str | None) -> str:
    """The one-time note after the first run: where driftcheck is now."""
    place = f"in the tray, {where}" if where else "in your panel's tray"
    return (f"driftcheck now lives {place}: the ring. Click it to see today; right-click it "
            "to pause, change apps and goals, or check in.")


def place_near(icon: QRect, size: tuple[int, int], screen: QRect) -> QPoint:
    """Top-left for a panel of `size` next to the tray icon, inside the screen."""
    width, height = size
    if icon.isEmpty() or not screen.contains(icon.center()):
        return QPoint(screen.right() - width - 8, screen.bottom() - height - 8)
    x = icon.center().x() - width // 2
    y = icon.bottom() + 4 if icon.center().y() < screen.center().y() \
        else icon.top() - height - 4
    x = max(screen.left() + 4, min(x, screen.right() - width - 4))
    y = max(screen.top() + 4, min(y, screen.bottom() - height - 4))
    return QPoint(x, y)


class TrayPresence(QObject):
    """The tray icon, its menu and the compact widget.

    `view` is called on every refresh (the tracker's `changed` and once a minute). `actions`
    None is the ground floor's tray: its menu has Quit alone. `shared`, called just before
    `view` on each refresh, gives the last read of the shared folder while sharing is on
    (None otherwise: nothing about other computers is said).
    """

    changed = Signal()
    message_action = Signal(str, str)  # (alert_id, "snooze" | "not-now") from the widget

    def __init__(self, view: Callable[[], TodayView], actions: TrayActions | None = None,
                 settings: SettingsStore | None = None, *, now: Now = _utc_now,
                 tz: tzinfo | None = None, day_start_hour: int = Options().day_start_hour,
                 refresh_ms: int = 60_000, dashboard: bool = False,
                 shared: Callable[[], FolderView | None] | None = None) -> None:
        super().__init__()
        self._view = view
        self._shared = shared
        self._actions = actions
        self._settings: SettingsStore = settings or MemorySettings()
        self._now = now
        self._tz = tz or local_zone()
        self._day_start_hour = day_start_hour
        self._dashboard = dashboard
        self.paused_until: datetime | None = None
        self.tray: QSystemTrayIcon | None = None
        self.compact: CompactWidget | None = None
        self.icon: QIcon = QIcon()
        self.icon_draws = 0
        self._look: RingLook | None = None
        self._last: TodayView | None = None
        self._stopped = False
        self.menu = self._build_menu()
        self.resume_timer = QTimer(self)
        self.resume_timer.setSingleShot(True)
        self.resume_timer.timeout.connect(self.refresh)
        self.changed.connect(self.refresh)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)

    # --- the menu ---------------------------------------------------------------------------

    def _add(self, menu: QMenu, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, menu)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menu(self) -> QMenu:
        menu = QMenu()
        menu.setToolTipsVisible(True)
        actions = self._actions
        if actions is not None:
            self.pause_menu = QMenu("Pause tracking", menu)
            self.pause_menu.setToolTipsVisible(True)
            self._add(self.pause_menu, "15 minutes", lambda: self.pause_for(timedelta(minutes=15)))
            self._add(self.pause_menu, "1 hour", lambda: self.pause_for(timedelta(hours=1)))
            self.tomorrow_action = self._add(self.pause_menu, "Until tomorrow",
                                             self.pause_until_tomorrow)
            self.tomorrow_action.setToolTip("When driftcheck's new day begins (Settings, "
                                            "Tracking)")
            self.pause_menu.aboutToShow.connect(self._say_until_when)
            self._say_until_when()
            self.pause_menu.addSeparator()
            self.resume_action = self._add(self.pause_menu, "Resume", self.resume)
            self.resume_action.setEnabled(False)
            menu.addMenu(self.pause_menu)
            self._add(menu, "Check in now", actions.check_in)
            dashboard = self._add(menu, "Open dashboard", self._open_dashboard)
            dashboard.setEnabled(self._dashboard)
            if not self._dashboard:
                dashboard.setToolTip("Coming soon")
            self.apps_action = self._add(menu, "Apps and goals...", actions.open_apps_goals)
            self._add(menu, "Settings...", actions.open_settings)
            menu.addSeparator()
        self._add(menu, "Quit driftcheck", self._quit)
        return menu

    def _open_dashboard(self) -> None:
        open_dashboard = getattr(self._actions, "open_dashboard", None)
        if open_dashboard is not None:
            open_dashboard()

    def _quit(self) -> None:
        self.save_place()
        if self._actions is not None:
            self._actions.quit()
        else:
            QApplication.quit()

    # --- pausing ----------------------------------------------------------------------------

    def pause_for(self, length: timedelta) -> None:
        self.pause(self._now() + length)

    def _say_until_when(self) -> None:
        """The exact end in the item: 'Until tomorrow, 04:00' (at 02:21: 'Until 04:00')."""
        now = self._now()
        self.tomorrow_action.setText(until_text(
            next_day_start(now, self._tz, self._day_start_hour), now, self._tz))

    def pause_until_tomorrow(self) -> None:
        self.pause(next_day_start(self._now(), self._tz, self._day_start_hour))

    def pause(self, until: datetime) -> None:
        """Pause tracking until `until`; it resumes by itself then (or at the first refresh
        after it, should the computer have slept through the moment)."""
        assert self._actions is not None
        self._actions.pause(until)
        self.paused_until = until
        wait_ms = max(0, int((until - self._now()).total_seconds() * 1000)) + 500
        self.resume_timer.start(min(wait_ms, 2**31 - 1))
        self.refresh()

    def resume(self) -> None:
        if self.paused_until is None:
            return
        self.paused_until = None
        self.resume_timer.stop()
        if self._actions is not None:
            self._actions.resume()
        self.refresh()

    # --- showing ----------------------------------------------------------------------------

    def show(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self)
            self.tray.setContextMenu(self.menu)
            self.tray.activated.connect(self._activated)
            self._look = None  # whatever was drawn before the tray existed: draw it again
            self.refresh()  # icon and tooltip first: a tray must never get an empty slot
            self.tray.show()
            return
        self.compact = self._make_compact(as_window=True)
        self._restore_place()
        told = S.get(self._settings, S.UI_NO_TRAY_TOLD)
        self.compact.show_note(not told)
        if not told:
            S.put(self._settings, S.UI_NO_TRAY_TOLD, True)
        self.refresh()
        self.compact.show()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.save_place)

    def _make_compact(self, as_window: bool) -> CompactWidget:
        compact = CompactWidget(self._tz, as_window=as_window,
                                menu=self.menu if as_window else None,
                                dashboard=self._dashboard)
        compact.message_action.connect(self.message_action.emit)
        if self._actions is not None:
            compact.check_in_requested.connect(self._actions.check_in)
            compact.choose_apps_requested.connect(self._actions.open_apps_goals)
        else:
            compact.check_in_button.hide()
        compact.dashboard_requested.connect(self._open_dashboard)
        if as_window:
            compact.closing.connect(self.save_place)
        else:  # the panel by the tray steps aside for what was chosen in it
            compact.dashboard_requested.connect(compact.hide)
            compact.check_in_requested.connect(compact.hide)
            compact.choose_apps_requested.connect(compact.hide)
        return compact

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_compact()

    def toggle_compact(self) -> None:
        if self.compact is not None and self.compact.isVisible():
            self.compact.hide()
        else:
            self.show_compact()

    def show_compact(self) -> None:
        """Open the widget (near the tray icon), or bring the window back."""
        if self.compact is None:
            self.compact = self._make_compact(as_window=self.tray is None)
            if self.tray is None:
                self._restore_place()
        self.refresh()
        self.compact.adjustSize()
        if self.tray is not None:
            screen = QGuiApplication.screenAt(self.tray.geometry().center()) \
                or QGuiApplication.primaryScreen()
            area = screen.availableGeometry() if screen is not None else QRect()
            size = self.compact.size()  # after adjustSize: minimum widths included
            self.compact.move(place_near(self.tray.geometry(),
                                         (size.width(), size.height()), area))
        self.compact.show()
        self.compact.raise_()
        self.compact.activateWindow()

    def stop(self) -> None:
        """The app is ending (Quit, or after "Delete everything"): the icon and the widget go,
        and no timer, refresh or saved place reads or writes the store any more."""
        self._stopped = True
        self._timer.stop()
        self.resume_timer.stop()
        if self.tray is not None:
            self.tray.hide()
        if self.compact is not None and shiboken6.isValid(self.compact):
            self.compact.hide()

    def say_where_it_lives(self) -> str | None:
        """Once ever (kept in "ui.where_told"): a bubble by the tray icon saying where
        driftcheck is now. Without a tray the window says so itself (its note)."""
        if self._stopped or self.tray is None or S.get(self._settings, S.UI_WHERE_TOLD):
            return None
        screen = QGuiApplication.screenAt(self.tray.geometry().center()) \
            or QGuiApplication.primaryScreen()
        area = screen.geometry() if screen is not None else QRect()
        text = where_it_lives_text(where_on_screen(self.tray.geometry(), area))
        self.tray.showMessage("driftcheck", text, QSystemTrayIcon.MessageIcon.Information,
                              15_000)
        S.put(self._settings, S.UI_WHERE_TOLD, True)
        return text

    def show_message(self, alert_id: str, title: str, body: str) -> None:
        """A notification, shown in the widget (the InWindowNotifier's target)."""
        self.show_compact()
        assert self.compact is not None
        self.compact.show_message(alert_id, title, body)

    # --- the window's place -----------------------------------------------------------------

    def _restore_place(self) -> None:
        saved = S.get(self._settings, S.UI_WINDOW_GEOMETRY)
        if self.compact is None or not isinstance(saved, str):
            return
        try:
            raw = base64.b64decode(saved, validate=True)
        except (binascii.Error, ValueError):
            return
        self.compact.restoreGeometry(QByteArray(raw))

    def save_place(self) -> None:
        if self.tray is None and self.compact is not None and not self._stopped:
            raw = bytes(self.compact.saveGeometry().data())
            S.put(self._settings, S.UI_WINDOW_GEOMETRY, base64.b64encode(raw).decode("ascii"))

    # --- refreshing -------------------------------------------------------------------------

    def refresh(self) -> None:
        if self._stopped:
            return
        now = self._now()
        if self.paused_until is not None and now >= self.paused_until:
            self.resume()  # refreshes again
            return
        shared = self._shared() if self._shared is not None else None  # before today's read
        view = self._view()
        if self.paused_until is not None:
            view = TodayView(view.total_seconds, view.daily_goal_seconds, view.apps,
                             view.week_seconds, view.weekly_goal_seconds, self.paused_until,
                             view.approximate)
        self._last = view
        look = ring_look(view)
        if look != self._look:
            self._look = look
            self.icon = ring_icon(look)
            self.icon_draws += 1
            if self.tray is not None:
                self.tray.setIcon(self.icon)
            if self.compact is not None:
                self.compact.setWindowIcon(self.icon)
        if self.tray is not None:
            discreet = S.get(self._settings, S.DISCREET)
            self.tray.setToolTip(plain_tooltip(tooltip_text(view, now, self._tz, discreet,
                                                            shared)))
        if self._actions is not None:
            paused = self.paused_until is not None
            self.pause_menu.setTitle(paused_text(self.paused_until, now, self._tz)
                                     if self.paused_until is not None else "Pause tracking")
            self.resume_action.setEnabled(paused)
            self._say_until_when()
            # While none are tracked the way in is named for what it does first.
            self.apps_action.setText("Apps and goals..." if view.apps else "Choose apps...")
        if self.compact is not None and not shiboken6.isValid(self.compact):
            self.compact = None  # closed for good (its owner deleted it): made anew if asked
        if self.compact is not None:
            if self.compact.windowIcon().cacheKey() != self.icon.cacheKey():
                self.compact.setWindowIcon(self.icon)
            self.compact.show_view(view, now, shared)

    @property
    def view(self) -> TodayView | None:
        """What was shown last."""
        return self._last
