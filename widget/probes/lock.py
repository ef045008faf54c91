"""Screen-lock state from systemd-logind's `LockedHint`, over the system D-Bus (jeepney).

Desktop lockers (GNOME, KDE, light-locker, xss-lock setups) set the session's LockedHint. Where
there is no system bus or no logind session (a container, a plain Xvfb), `locked()` is None and
the probe relies on idle time and the X screensaver state instead.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)


class LogindLock:
    def __init__(self) -> None:
        self._conn: Any | None = None
        self._address: Any | None = None
        self._tried = False

    def _connect(self) -> bool:
        if self._tried:
            return self._conn is not None
        self._tried = True
        session = os.environ.get("XDG_SESSION_ID")
        if not session:
            return False
        try:
            from jeepney import DBusAddress
            from jeepney.io.blocking import open_dbus_connection

            self._conn = open_dbus_connection(bus="SYSTEM")
            self._address = DBusAddress(f"/org/freedesktop/login1/session/{session}",
                                        bus_name="org.freedesktop.login1",
                                        interface="org.freedesktop.DBus.Properties")
        except Exception as exc:
            log.info("logind lock state unavailable (%s)", type(exc).__name__)
            self._conn = None
        return self._conn is not None

    def available(self) -> bool:
        return self._connect()

    def locked(self) -> bool | None:
        if not self._connect():
            return None
        from jeepney import new_method_call

        msg = new_method_call(self._address, "Get", "ss",
                              ("org.freedesktop.login1.Session", "LockedHint"))
        from jeepney.wrappers import unwrap_msg

        try:
            reply = self._conn.send_and_get_reply(msg, timeout=0.5)  # type: ignore[union-attr]
            # An error reply (no such session) is unknown, never "locked": its body is the
            # error's text, whose second letter would read as True.
            (variant,) = unwrap_msg(reply)
            signature, value = variant
        except Exception as exc:
            log.info("logind lock state unreadable (%s)", type(exc).__name__)
            return None
        return bool(value) if signature == "b" else None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
