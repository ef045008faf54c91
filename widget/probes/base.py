"""The probe interface every platform module implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError

__all__ = ["FocusCallback", "Foreground", "Probe", "ProbeError", "ProbeInfo"]

# Called on the probe's own watcher thread, with time.monotonic() of the focus change; it may
# block briefly (the sampler's lock, one store write).
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
    """Reads the platform. None of its methods opens a window. Errors are raised as
    `ProbeError` with a message that never contains a window title.

    Threads, as the tracker uses one probe (widget.tracking, widget.sampler):
    - `foreground`, `idle_seconds`, `locked`: on the scheduler's worker thread (each tick),
      on the probe's own focus-watcher thread (each focus change) and on the browser
      channel's thread (a browser says its tab in front changed: widget.browser.channel),
      never two at once: the sampler holds its lock around every reading.
    - `info`, `watch_focus`: once, on the thread that starts the tracker (the tray app's main
      thread, or `driftcheck track`'s only one), before the first tick.
    - `close`: once, on that same thread, after the sampler has stopped; it ends the watcher
      thread and may wait for it briefly.
    "Is it counted now?" and `driftcheck doctor` make a probe of their own and call it on
    their one thread (the tray app's main thread, or the command's).
    """

    name: str  # "x11", "windows", "macos", "sway", "hyprland", "gnome-shell", "process-fallback"

    @property
    def measure(self) -> Measure:
        """How what it reads is measured; read at every observation (GNOME's probe counts
        approximately while its Shell extension does not answer)."""
        ...

    def foreground(self) -> Foreground | None:
        """The app in front now, or None when nothing is (an empty desktop). Fast (< 1 ms)."""
        ...

    def idle_seconds(self) -> float | None:
        """Seconds since the last keyboard or pointer input; None when unknown. Fast."""
        ...

    def locked(self) -> bool | None:
        """True when the screen is locked or the screensaver runs; None when unknown. May
        cost a bus round trip (logind), so a focus change does not wait for it."""
        ...

    def info(self) -> ProbeInfo:
        """What this probe can see here, for `doctor` and the tracker's log."""
        ...

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Start announcing focus changes on a thread of the probe's own, if the platform
        can; return False when it cannot (the sampler then relies on polling). Returns at
        once; the callback runs on the watcher thread."""
        ...

    def close(self) -> None:
        """Stop the watcher thread, if any, and let go of connections; safe to call twice."""
        ...
