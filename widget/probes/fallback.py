"""Fallback probe: which tracked app is running, where no one will say which is in front.

Where no probe can say which window has focus (GNOME without driftcheck's Shell extension, KDE
without KWin's scripting, a Wayland compositor without wlr-foreign-toplevel, or no display at
all), driftcheck can still see which processes run, and counts time for the most recently
started tracked app while the person is at the computer: an approximation, and marked as one
(`Measure.APPROXIMATE`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock

__all__ = ["GnomeIdleMonitor", "ProcessFallbackProbe", "WaylandIdleSource",
           "desktop_idle_source", "gnome_idle_source"]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0
APPROXIMATE_NOTE = (
    "This desktop does not tell other programs which window is in front, so driftcheck counts "
    "time while a tracked app is running and you are at the computer."
)
NO_IDLE_NOTE = (
    "Idle time is not known on this desktop, so time counts while a tracked app runs, even "
    "when you step away."
)


class GnomeIdleMonitor:
    """Seconds since the last input from GNOME's org.gnome.Mutter.IdleMonitor (session bus)."""

    label = "org.gnome.Mutter.IdleMonitor"

    def __init__(self, connection: Any) -> None:
        from jeepney import DBusAddress, new_method_call

        self._connection = connection
        address = DBusAddress(
            "/org/gnome/Mutter/IdleMonitor/Core",
            bus_name="org.gnome.Mutter.IdleMonitor",
            interface="org.gnome.Mutter.IdleMonitor",
        )
        self._message = new_method_call(address, "GetIdletime")

    def __call__(self) -> float | None:
        from jeepney.wrappers import unwrap_msg

        try:
            reply = self._connection.send_and_get_reply(self._message, timeout=TIMEOUT_SECONDS)
            (milliseconds,) = unwrap_msg(reply)
        except Exception as error:  # jeepney raises DBusErrorResponse, TimeoutError, OSError
            raise ProbeError("GNOME did not say how long the computer has been idle.") from error
        return int(milliseconds) / 1000.0

    def close(self) -> None:
        self._connection.close()


def gnome_idle_source() -> GnomeIdleMonitor | None:
    """A GNOME idle source when the session bus and Mutter's idle monitor answer, else None."""
    try:
        from jeepney.io.blocking import open_dbus_connection

        connection = open_dbus_connection(bus="SESSION", auth_timeout=TIMEOUT_SECONDS)
    except Exception:  # no jeepney, no bus address (KeyError), bus not reachable (OSError)
        return None
    monitor = GnomeIdleMonitor(connection)
    try:
        monitor()
    except ProbeError:
        monitor.close()
        return None
    return monitor


class WaylandIdleSource:
    """Seconds since the last input from the compositor's idle protocol (KWin, wlroots
    compositors: `widget.probes.wayland.WaylandIdle`), as the process fallback reads it."""

    def __init__(self, idle: Any) -> None:
        self._idle = idle
        self.label: str = idle.source

    def __call__(self) -> float | None:
        return self._idle.seconds()  # type: ignore[no-any-return]

    def close(self) -> None:
        self._idle.close()


def desktop_idle_source(env: Mapping[str, str]
                        ) -> GnomeIdleMonitor | WaylandIdleSource | None:
    """GNOME's idle monitor where Mutter answers, else the Wayland compositor's idle
    protocol where there is one, else None (idle unknown)."""
    gnome = gnome_idle_source()
    if gnome is not None or not env.get("WAYLAND_DISPLAY"):
        return gnome
    try:
        from widget.probes.wayland import WaylandIdle
    except ImportError:
        return None
    idle = WaylandIdle.connect(env)
    return WaylandIdleSource(idle) if idle is not None else None


class ProcessFallbackProbe:
    """Reports the newest running process that `wanted` accepts, as if it were in front."""

    name = "process-fallback"
    measure = Measure.APPROXIMATE

    def __init__(
        self,
        wanted: Callable[[Foreground], bool],
        idle_source: Callable[[], float | None] | None = None,
        *,
        notes: tuple[str, ...] = (),
    ) -> None:
        try:
            import psutil
        except ImportError as error:
            raise ProbeError("psutil is not installed, so running apps cannot be seen.") from error
        self._psutil = psutil
        self._wanted = wanted
        self._idle_source = idle_source
        self._lock = LogindLock()
        self._notes = notes  # why a better probe could not start, and what to do about it

    def foreground(self) -> Foreground | None:
        """The most recently started wanted process, so two tracked apps never both count."""
        psutil = self._psutil
        best: tuple[float, Foreground] | None = None
        try:
            for process in psutil.process_iter(["pid", "name", "exe", "create_time"]):
                info = process.info
                name = info.get("name")
                if not name:
                    continue
                candidate = Foreground(process=name, pid=info.get("pid"), exe=info.get("exe"))
                if not self._wanted(candidate):
                    continue
                created = info.get("create_time") or 0.0
                if best is None or created > best[0]:
                    best = (created, candidate)
        except psutil.Error as error:
            raise ProbeError("The list of running programs could not be read.") from error
        return best[1] if best is not None else None

    def idle_seconds(self) -> float | None:
        return self._idle_source() if self._idle_source is not None else None

    def locked(self) -> bool | None:
        return self._lock.locked()  # logind's LockedHint, where there is one

    def info(self) -> ProbeInfo:
        notes = [*self._notes, APPROXIMATE_NOTE]
        idle_label = None
        if self._idle_source is not None:
            idle_label = getattr(self._idle_source, "label", "injected idle source")
        else:
            notes.append(NO_IDLE_NOTE)
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source=idle_label,
            lock_source="logind LockedHint" if self._lock.available() else None,
            focus_events=False,
            notes=tuple(notes),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        return False

    def close(self) -> None:
        self._lock.close()
        close = getattr(self._idle_source, "close", None)
        if callable(close):
            close()
