"""The probe interface every platform module implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError

__all__ = ["FocusCallback", "Foreground", "Probe", "ProbeError", "ProbeInfo"]

# Called from the probe's own watcher thread, with time.monotonic() of the focus change.
FocusCallback = Callable[[float], None]


@dataclass(frozen=True)
class ProbeInfo:
    """What `driftcheck doctor` reports about a probe."""

    name: str
    measure: Measure
    idle_source: str | None  # "MIT-SCREEN-SAVER", "GetLastInputInfo", ... or None
    lock_source: str | None  # "logind LockedHint", ... or None
    focus_events: bool  # switches are seen the moment they happen, not at the next sample
    notes: tuple[str, ...] = ()  # what the person can do about anything missing


class Probe(Protocol):
    """Reads the platform. Every method is called from the sampler's worker thread, one call
    at a time; none of them opens a window. Errors are raised as `ProbeError` with a message
    that never contains a window title."""

    name: str  # "x11", "windows", "macos", "sway", "hyprland", "process-fallback"
    measure: Measure

    def foreground(self) -> Foreground | None:
        """The app in front now, or None when nothing is (an empty desktop). Fast (< 1 ms)."""
        ...

    def idle_seconds(self) -> float | None:
        """Seconds since the last keyboard or pointer input; None when unknown."""
        ...

    def locked(self) -> bool | None:
        """True when the screen is locked or the screensaver runs; None when unknown."""
        ...

    def info(self) -> ProbeInfo: ...

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Start announcing focus changes on a thread of the probe's own, if the platform
        can; return False when it cannot (the sampler then relies on polling)."""
        ...

    def close(self) -> None: ...
