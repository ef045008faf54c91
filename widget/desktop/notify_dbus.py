"""The freedesktop notification service over D-Bus, through jeepney (Linux only; no Qt here).

QtDBus cannot send a correct `Notify` (a Python int goes as int32, and the daemon rejects the
call), and the daemon sends `ActionInvoked` / `NotificationClosed` only to the connection that
called `Notify` (see FACTS.md). So: one persistent connection, jeepney's router thread to read
it, and a small thread of ours that hands each of our signals to a callback.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    message_bus,
    new_method_call,
)
from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection
from jeepney.wrappers import unwrap_msg

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
NOTIFY_SIGNATURE = "susssasa{sv}i"
CALL_TIMEOUT_S = 5.0

NOTIFICATIONS = DBusAddress(PATH, bus_name=SERVICE, interface=INTERFACE)
SIGNALS = MatchRule(type="signal", interface=INTERFACE, path=PATH)


@dataclass(frozen=True)
class ServiceSignal:
    """What the daemon said about one notification: `key` is the action's key, or "closed"."""

    notification_id: int
    key: str
    reason: int = 0


def notify_message(app_name: str, replaces_id: int, title: str, body: str,
                   actions: Sequence[str], hints: Mapping[str, tuple[str, Any]],
                   expire_timeout: int = -1) -> Message:
    """The `Notify` call, with the daemon's exact signature (`u` for replaces_id)."""
    return new_method_call(NOTIFICATIONS, "Notify", NOTIFY_SIGNATURE,
                           (app_name, replaces_id, "", title, body, list(actions), dict(hints),
                            expire_timeout))


def close_message(notification_id: int) -> Message:
    return new_method_call(NOTIFICATIONS, "CloseNotification", "u", (notification_id,))


def parse_signal(msg: Message) -> ServiceSignal | None:
    """`ActionInvoked(u id, s key)` or `NotificationClosed(u id, u reason)`; None otherwise."""
    fields = msg.header.fields
    if msg.header.message_type is not MessageType.signal:
        return None
    if fields.get(HeaderFields.interface) != INTERFACE:
        return None
    member = fields.get(HeaderFields.member)
    body = msg.body
    if member == "ActionInvoked" and len(body) == 2:
        return ServiceSignal(int(body[0]), str(body[1]))
    if member == "NotificationClosed" and len(body) == 2:
        return ServiceSignal(int(body[0]), "closed", int(body[1]))
    return None


class NotificationService:
    """One session-bus connection to the notification daemon, kept open for the app's life.

    `on_signal` is called from a background thread for every ActionInvoked / NotificationClosed
    the daemon sends this connection; the caller moves it to its own thread (Qt: a Signal).
    Every method may raise OSError, TimeoutError or jeepney's DBusErrorResponse.
    """

    def __init__(self, on_signal: Callable[[ServiceSignal], None], bus: str = "SESSION",
                 timeout: float = CALL_TIMEOUT_S) -> None:
        self._on_signal = on_signal
        self._timeout = timeout
        self._conn = open_dbus_connection(bus)
        try:
            self._router = DBusRouter(self._conn)
            self._signals: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
            self._filter = self._router.filter(SIGNALS, queue=self._signals)
            self._bus = Proxy(message_bus, self._router, timeout=timeout)
            self._bus.AddMatch(SIGNALS)
        except BaseException:
            self._conn.close()
            raise
        self._closed = False
        self._thread = threading.Thread(target=self._deliver, name="notifications",
                                        daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def service_present(self) -> bool:
        """The daemon runs now, or the bus can start it on the first call."""
        if self._bus.NameHasOwner(SERVICE)[0]:
            return True
        return SERVICE in self._bus.ListActivatableNames()[0]

    def capabilities(self) -> list[str]:
        """What the daemon can do (`GetCapabilities`): "body-markup" says it reads the body
        as markup, so a `<` in an app's name would start a tag there."""
        reply = self._router.send_and_get_reply(
            new_method_call(NOTIFICATIONS, "GetCapabilities"), timeout=self._timeout)
        return [str(cap) for cap in _unwrap(reply)[0]]

    def notify(self, app_name: str, replaces_id: int, title: str, body: str,
               actions: Sequence[str], hints: Mapping[str, tuple[str, Any]],
               expire_timeout: int = -1) -> int:
        """Show (or replace) a notification; returns the daemon's id for it."""
        msg = notify_message(app_name, replaces_id, title, body, actions, hints, expire_timeout)
        reply = self._router.send_and_get_reply(msg, timeout=self._timeout)
        return int(_unwrap(reply)[0])

    def close_notification(self, notification_id: int) -> None:
        _unwrap(self._router.send_and_get_reply(close_message(notification_id),
                                                timeout=self._timeout))

    def close(self) -> None:
        """Stop both threads and close the connection; returns promptly."""
        if self._closed:
            return
        self._closed = True
        self._signals.put(None)
        self._filter.close()
        self._router.close()
        self._conn.close()
        self._thread.join(timeout=2)

    def _deliver(self) -> None:
        while True:
            msg = self._signals.get()
            if msg is None:
                return
            signal = parse_signal(msg)
            if signal is None:
                continue
            try:
                self._on_signal(signal)
            except Exception:
                log.exception("handling a notification signal failed")


def _unwrap(reply: Message) -> tuple[Any, ...]:
    return tuple(unwrap_msg(reply))
