"""Gentle notifications: the desktop's notification service, a tray balloon, or the window.

Every notifier offers the same two choices on each message, "Snooze 15 min" and "Not now", and
reports what the person chose through one Qt signal, `action(alert_id, key)`:

- "snooze"  - Snooze 15 min;  "not-now" - Not now;
- "default" - the message itself was clicked (open driftcheck);
- "closed"  - the message went away without a choice (dismissed, or it expired).

Nothing here logs a title or a body: with discreet mode off they name apps.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QSystemTrayIcon

from widget.core.text import escape_markup

if TYPE_CHECKING:
    from widget.desktop.notify_dbus import ServiceSignal

log = logging.getLogger(__name__)

APP_NAME = "driftcheck"
SNOOZE = "snooze"
NOT_NOW = "not-now"
DEFAULT = "default"
CLOSED = "closed"
SNOOZE_LABEL = "Snooze 15 min"
NOT_NOW_LABEL = "Not now"
OPEN_LABEL = "Open driftcheck"
CHOICES = (DEFAULT, SNOOZE, NOT_NOW)
# The freedesktop action list: key, label, key, label...
ACTIONS = (DEFAULT, OPEN_LABEL, SNOOZE, SNOOZE_LABEL, NOT_NOW, NOT_NOW_LABEL)
# Messages whose click opens something more particular than driftcheck's widget.
OPEN_LABELS = {"week-summary": "Open dashboard"}


def actions_for(alert_id: str) -> tuple[str, ...]:
    """The action list for one message: its "default" named for what a click opens."""
    return (DEFAULT, OPEN_LABELS.get(alert_id, OPEN_LABEL), *ACTIONS[2:])
# Low urgency: a nudge, never an alarm. "desktop-entry" lets the desktop show our name and icon.
HINTS: dict[str, tuple[str, Any]] = {"urgency": ("y", 0), "desktop-entry": ("s", APP_NAME)}
TRAY_MESSAGE_MS = 15_000


class Notifier(QObject):
    """Shows a message for an alert and reports the person's choice through `action`.

    This base reaches no one (every subclass overrides `notify` and `available`); a caller that
    gets False falls back to the next way of reaching the person."""

    action = Signal(str, str)

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        """Show the message; False when it could not be shown (the caller can fall back)."""
        return False

    def available(self) -> bool:
        return False

    def close(self) -> None:
        """Let go of whatever the notifier holds (connections, threads); safe to call twice."""


class NotificationBackend(Protocol):
    """The slice of `widget.desktop.notify_dbus.NotificationService` that DBusNotifier uses."""

    def service_present(self) -> bool: ...

    def capabilities(self) -> list[str]: ...

    def notify(self, app_name: str, replaces_id: int, title: str, body: str,
               actions: tuple[str, ...], hints: dict[str, tuple[str, Any]],
               expire_timeout: int = -1) -> int: ...

    def close_notification(self, notification_id: int) -> None: ...

    def close(self) -> None: ...


BackendFactory = Callable[[Callable[["ServiceSignal"], None]], NotificationBackend]


def _open_session_service(on_signal: Callable[[ServiceSignal], None]) -> NotificationBackend:
    from widget.desktop.notify_dbus import NotificationService

    return NotificationService(on_signal)


def literal_markup(text: str) -> str:
    """`text` as notification-body markup that shows as written (an app's name can hold `<`
    or `&`; the summary is never markup, the body is where the daemon says "body-markup")."""
    return escape_markup(text)


def _error_name(exc: BaseException) -> str:
    """A loggable name for a D-Bus failure (never its text, which could echo the body)."""
    dbus_name = getattr(exc, "name", None)
    return f"{type(exc).__name__} {dbus_name}" if isinstance(dbus_name, str) else \
        type(exc).__name__


def _is_refusal(exc: BaseException) -> bool:
    """The daemon answered with an error: the connection itself is fine."""
    return type(exc).__name__ == "DBusErrorResponse"


class DBusNotifier(Notifier):
    """org.freedesktop.Notifications through one persistent jeepney connection (Linux).

    The daemon's signals arrive on a background thread; `_arrived` carries them to the thread
    this object lives in (a queued connection), where they become `action` for our own ids.
    A second message for the same alert replaces the first, so nothing stacks.
    """

    _arrived = Signal(object, str)

    def __init__(self, open_backend: BackendFactory = _open_session_service,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_backend = open_backend
        self._backend: NotificationBackend | None = None
        self._closed = False
        self._alert_of: dict[int, str] = {}
        self._id_of: dict[str, int] = {}
        self._markup: bool | None = None  # the daemon reads bodies as markup (asked once)
        self._arrived.connect(self._on_arrived)
        self._backend = self._open_backend(self._from_daemon)

    def available(self) -> bool:
        backend = self._connected()
        if backend is None:
            return False
        try:
            return backend.service_present()
        except Exception as exc:
            self._failed("checking for the notification service", exc)
            return False

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        backend = self._connected()
        if backend is None:
            return False
        replaces = self._id_of.get(alert_id, 0)
        try:
            if self._markup is None:
                self._markup = "body-markup" in backend.capabilities()
            shown = literal_markup(body) if self._markup else body
            daemon_id = backend.notify(APP_NAME, replaces, title, shown, actions_for(alert_id),
                                       HINTS, -1)
        except Exception as exc:
            self._failed("showing a notification", exc)
            return False
        if replaces and replaces != daemon_id:
            self._alert_of.pop(replaces, None)
        self._alert_of[daemon_id] = alert_id
        self._id_of[alert_id] = daemon_id
        return True

    def close(self) -> None:
        self._closed = True
        self._drop_backend()

    def _connected(self) -> NotificationBackend | None:
        """The connection, reopened after a broken one; None when closed or unreachable."""
        if self._closed:
            return None
        if self._backend is None:
            try:
                self._backend = self._open_backend(self._from_daemon)
            except Exception as exc:
                log.warning("the notification service cannot be reached (%s)", _error_name(exc))
                return None
        return self._backend

    def _failed(self, doing: str, exc: BaseException) -> None:
        log.warning("%s failed (%s)", doing, _error_name(exc))
        if not _is_refusal(exc):
            self._drop_backend()

    def _drop_backend(self) -> None:
        backend, self._backend = self._backend, None
        self._markup = None  # the next daemon may be another one
        # Ids from a lost connection mean nothing any more: their signals went with it.
        self._alert_of.clear()
        self._id_of.clear()
        if backend is not None:
            try:
                backend.close()
            except Exception as exc:
                log.warning("closing the notification connection failed (%s)", _error_name(exc))

    def _from_daemon(self, signal: ServiceSignal) -> None:
        """Called on the backend's thread: hand over to ours."""
        self._arrived.emit(signal.notification_id, signal.key)

    @Slot(object, str)
    def _on_arrived(self, daemon_id: int, key: str) -> None:
        alert_id = self._alert_of.get(daemon_id)
        if alert_id is None:
            return  # not ours, or already answered (the daemon closes after an action)
        if key != CLOSED and key not in CHOICES:
            log.warning("the notification service sent an unknown action")
            return
        del self._alert_of[daemon_id]
        if self._id_of.get(alert_id) == daemon_id:
            del self._id_of[alert_id]
        if key != CLOSED:
            self._withdraw(daemon_id)
        self.action.emit(alert_id, key)

    def _withdraw(self, daemon_id: int) -> None:
        """Take an answered message off the screen: some daemons (dunst's menu) leave it."""
        if self._backend is None:
            return
        try:
            self._backend.close_notification(daemon_id)
        except Exception as exc:
            if _is_refusal(exc):  # it was gone already: the daemon closed it itself
                log.debug("the answered notification was already closed")
            else:
                self._failed("withdrawing an answered notification", exc)


class TrayMessageNotifier(Notifier):
    """A tray balloon (Windows, macOS, X11 trays): no buttons, a click means "default"."""

    def __init__(self, tray: QSystemTrayIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = tray
        self._current: str | None = None
        tray.messageClicked.connect(self._on_clicked)

    def available(self) -> bool:
        return (QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()
                and self._tray.isVisible())

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        if not self._tray.isVisible():
            return False
        self._current = alert_id
        self._tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information,
                               TRAY_MESSAGE_MS)
        return True

    def close(self) -> None:
        self._current = None

    @Slot()
    def _on_clicked(self) -> None:
        if self._current is not None:
            alert_id, self._current = self._current, None
            self.action.emit(alert_id, DEFAULT)


class InWindowNotifier(Notifier):
    """The message inside driftcheck's own window, which offers Snooze 15 min / Not now.

    `show(title, body)` puts the message in the window; the window's buttons call
    `respond("snooze")` / `respond("not-now")`.
    """

    def __init__(self, show: Callable[[str, str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._show = show
        self._current: str | None = None

    @property
    def current(self) -> str | None:
        """The alert whose message the window shows, if it still waits for an answer."""
        return self._current

    def available(self) -> bool:
        return True

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        self._current = alert_id
        self._show(title, body)
        return True

    def respond(self, key: str) -> None:
        """The person chose `key` ("snooze", "not-now" or "default") in the window."""
        if self._current is None:
            return
        alert_id, self._current = self._current, None
        self.action.emit(alert_id, key)

    def forget(self, alert_id: str) -> None:
        """The alert was answered elsewhere: the window's buttons no longer speak for it."""
        if self._current == alert_id:
            self._current = None

    def close(self) -> None:
        self._current = None


class FallbackNotifier(Notifier):
    """A primary notifier, with the window as the fallback when it cannot show a message.

    With `mirror` (a tray balloon, which has no buttons) the window always gets the message
    too, so Snooze and Not now are never out of reach.
    """

    def __init__(self, primary: Notifier, window: InWindowNotifier, *, mirror: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.primary = primary
        self.window = window
        self._mirror = mirror
        primary.action.connect(self._on_primary)
        window.action.connect(self.action)

    def available(self) -> bool:
        return True

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        shown = self.primary.notify(alert_id, title, body)
        if not shown or self._mirror:
            return self.window.notify(alert_id, title, body) or shown
        return True

    def respond(self, key: str) -> None:
        self.window.respond(key)

    def close(self) -> None:
        self.primary.close()
        self.window.close()

    @Slot(str, str)
    def _on_primary(self, alert_id: str, key: str) -> None:
        self.window.forget(alert_id)
        self.action.emit(alert_id, key)


def window_alert(notifier: Notifier) -> str:
    """The alert whose message driftcheck's own window shows now (its buttons are named for
    it: the week's summary offers "Open dashboard"), or "" when it shows none."""
    window = notifier.window if isinstance(notifier, FallbackNotifier) else notifier
    current = window.current if isinstance(window, InWindowNotifier) else None
    return current or ""


def choose_notifier(tray: QSystemTrayIcon | None, show_in_window: Callable[[str, str], None],
                    *, platform: str = sys.platform,
                    open_backend: BackendFactory | None = None) -> FallbackNotifier | \
        InWindowNotifier:
    """The best way to reach the person here, with the window as the fallback.

    Linux with a notification daemon on the session bus: D-Bus (with Snooze / Not now buttons).
    Else a tray that shows balloons: the balloon, mirrored in the window. Else the window.
    """
    window = InWindowNotifier(show_in_window)
    if platform.startswith("linux"):
        try:
            dbus = DBusNotifier(open_backend or _open_session_service)
        except Exception as exc:
            log.info("no session bus for notifications (%s)", _error_name(exc))
        else:
            if dbus.available():
                log.info("notifications through the desktop's notification service")
                return FallbackNotifier(dbus, window)
            dbus.close()
    if tray is not None and QSystemTrayIcon.supportsMessages():
        log.info("notifications as tray messages")
        return FallbackNotifier(TrayMessageNotifier(tray), window, mirror=True)
    log.info("notifications inside driftcheck's window")
    return window
