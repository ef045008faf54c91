"""macOS probe: the frontmost app through AppKit, idle and lock state through Quartz.

The PyObjC calls sit behind `_Cocoa`, one small method each, so that the probe's logic runs
and is tested anywhere with a fake. AppKit, Quartz and ApplicationServices are imported when
`_Cocoa()` is built, never at import time.
"""

from __future__ import annotations

import logging
import posixpath
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo

__all__ = ["FrontApp", "MacProbe", "lock_state"]

log = logging.getLogger(__name__)

ACCESSIBILITY_NOTE = (
    "Window titles are not read because driftcheck does not have Accessibility permission. "
    "Apps are still recognised by name; to let title rules work too, turn driftcheck on in "
    "System Settings > Privacy & Security > Accessibility."
)
NO_RUN_LOOP_NOTE = (
    "App switches are noticed at the next sample, because no AppKit run loop is running here."
)
AX_TIMEOUT_SECONDS = 0.25  # the default is 6 s; a hung app must not stall the sampler


@dataclass(frozen=True, slots=True)
class FrontApp:
    """What NSRunningApplication says about the frontmost app."""

    name: str | None  # localizedName
    bundle_id: str | None
    pid: int
    executable: str | None  # executableURL().path()


def lock_state(session: Mapping[str, Any] | None) -> bool | None:
    """Whether the screen is locked, from CGSessionCopyCurrentDictionary().

    The "CGSSessionScreenIsLocked" key is present (and true) only while locked. A session that
    is not on the console (fast user switching to someone else) counts as locked: the person
    is not in front of this session's apps.
    """
    if session is None:
        return None
    if not session.get("kCGSSessionOnConsoleKey", True):
        return True
    return bool(session.get("CGSSessionScreenIsLocked", False))


class _Cocoa:
    """The PyObjC calls the probe makes. Raises ProbeError where PyObjC is not installed."""

    def __init__(self) -> None:
        try:
            import AppKit
            import Quartz
        except ImportError as error:
            raise ProbeError("The macOS frameworks (PyObjC) are not available here.") from error
        self._appkit: Any = AppKit
        self._quartz: Any = Quartz
        try:
            # pyobjc-framework-ApplicationServices; without it titles stay unknown.
            import ApplicationServices

            self._ax: Any = ApplicationServices
        except ImportError:
            self._ax = None

    def frontmost_app(self) -> FrontApp | None:
        app = self._appkit.NSWorkspace.sharedWorkspace().frontmostApplication()
        if app is None:
            return None
        url = app.executableURL()
        return FrontApp(
            name=_str_or_none(app.localizedName()),
            bundle_id=_str_or_none(app.bundleIdentifier()),
            pid=int(app.processIdentifier()),
            executable=_str_or_none(url.path()) if url is not None else None,
        )

    def seconds_since_input(self) -> float:
        q = self._quartz
        return float(
            q.CGEventSourceSecondsSinceLastEventType(
                q.kCGEventSourceStateCombinedSessionState, q.kCGAnyInputEventType
            )
        )

    def accessibility_trusted(self) -> bool:
        return self._ax is not None and bool(self._ax.AXIsProcessTrusted())

    def focused_window_title(self, pid: int) -> str | None:
        ax = self._ax
        app = ax.AXUIElementCreateApplication(pid)
        ax.AXUIElementSetMessagingTimeout(app, AX_TIMEOUT_SECONDS)
        error, window = ax.AXUIElementCopyAttributeValue(app, ax.kAXFocusedWindowAttribute, None)
        if error != ax.kAXErrorSuccess or window is None:
            return None
        error, title = ax.AXUIElementCopyAttributeValue(window, ax.kAXTitleAttribute, None)
        if error != ax.kAXErrorSuccess:
            return None
        return _str_or_none(title)

    def session_dictionary(self) -> Mapping[str, Any] | None:
        session = self._quartz.CGSessionCopyCurrentDictionary()
        return dict(session) if session is not None else None

    def observe_activation(self, on_activate: Callable[[], None]) -> object:
        """Observe NSWorkspaceDidActivateApplicationNotification; returns the observer token.

        With queue None the block runs on the posting thread, which for workspace
        notifications is the main thread, and only while its run loop runs.
        """
        appkit = self._appkit
        center = appkit.NSWorkspace.sharedWorkspace().notificationCenter()
        return center.addObserverForName_object_queue_usingBlock_(
            appkit.NSWorkspaceDidActivateApplicationNotification,
            None,
            None,
            lambda _notification: on_activate(),
        )

    def remove_observer(self, token: object) -> None:
        self._appkit.NSWorkspace.sharedWorkspace().notificationCenter().removeObserver_(token)


def _str_or_none(value: object) -> str | None:
    return str(value) if value is not None and str(value) else None


class MacProbe:
    """Reads the frontmost app, idle time, lock state and (with permission) window titles.

    `app_run_loop` says whether the AppKit main run loop will run in this process: true in the
    tray app, where Qt's main loop on macOS is the Cocoa event loop and services workspace
    notifications; false in command-line use, where `watch_focus` then returns False because
    no notification would ever be delivered.
    """

    name = "macos"
    measure = Measure.FOREGROUND

    def __init__(self, cocoa: _Cocoa | None = None, *, app_run_loop: bool = False) -> None:
        self._cocoa = cocoa if cocoa is not None else _Cocoa()
        self._app_run_loop = app_run_loop
        self._observer: object | None = None

    def foreground(self) -> Foreground | None:
        try:
            app = self._cocoa.frontmost_app()
        except Exception as error:  # PyObjC raises its own error types
            raise ProbeError("macOS did not say which app is in front.") from error
        if app is None:
            return None
        process = posixpath.basename(app.executable) if app.executable else app.name
        if not process:
            raise ProbeError(f"macOS would not name the app in front (process {app.pid}).")
        title = None
        if self._cocoa.accessibility_trusted():
            try:
                title = self._cocoa.focused_window_title(app.pid)
            except Exception:
                title = None  # the title is a bonus; the app is still known
        return Foreground(
            process=process,
            pid=app.pid,
            exe=app.executable,
            title=title,
            window_class=app.bundle_id,
        )

    def idle_seconds(self) -> float | None:
        return self._cocoa.seconds_since_input()

    def locked(self) -> bool | None:
        return lock_state(self._cocoa.session_dictionary())

    def info(self) -> ProbeInfo:
        notes: list[str] = []
        if not self._cocoa.accessibility_trusted():
            notes.append(ACCESSIBILITY_NOTE)
        if not self._app_run_loop:
            notes.append(NO_RUN_LOOP_NOTE)
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source="CGEventSourceSecondsSinceLastEventType",
            lock_source="CGSessionCopyCurrentDictionary",
            focus_events=self._observer is not None,
            notes=tuple(notes),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Observe app activations; the callback then runs on the main thread.

        Returns False, honestly, when no AppKit run loop is known to run in this process.
        """
        if self._observer is not None:
            return True
        if not self._app_run_loop:
            return False

        def announce() -> None:
            try:
                callback(time.monotonic())
            except Exception:
                log.exception("the focus callback failed")

        try:
            self._observer = self._cocoa.observe_activation(announce)
        except Exception:
            log.warning("could not observe app activations; relying on sampling")
            return False
        return True

    def close(self) -> None:
        if self._observer is not None:
            self._cocoa.remove_observer(self._observer)
            self._observer = None
