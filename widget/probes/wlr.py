"""wlroots compositors without Sway's IPC (river, labwc, Wayfire, phoc, Hyprland too): the
window in front through the `zwlr_foreign_toplevel_manager_v1` Wayland protocol, spoken by
driftcheck's own wire client (widget/probes/wayland.py).

The protocol is the one taskbars use: the compositor lists every toplevel with its title, app
id and state, and says which one is activated; each change arrives as events, so focus
changes are seen the moment they happen, on a thread of the probe's own. Idle comes from the
compositor's idle protocol (`WaylandIdle`), the lock from logind's LockedHint.

The protocol names no process: see `WlrToplevelProbe` for how one is found.

Opcodes from wlr-foreign-toplevel-management-unstable-v1.xml (version 3),
github.com/swaywm/wlr-protocols, unstable/.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock
from widget.probes.wayland import (
    Connection,
    MessageReader,
    WatchedConnection,
    WaylandError,
    WaylandIdle,
    encode_message,
    wayland_globals,
)

__all__ = ["FOREIGN_TOPLEVEL", "WlrToplevelProbe", "process_for_app_id", "wayland_globals"]

log = logging.getLogger(__name__)

FOREIGN_TOPLEVEL = "zwlr_foreign_toplevel_manager_v1"
VERSION = 3
MANAGER_TOPLEVEL = 0  # event (new_id handle)
MANAGER_FINISHED = 1  # event
HANDLE_TITLE = 0  # event (string)
HANDLE_APP_ID = 1  # event (string)
HANDLE_STATE = 4  # event (array of uint32)
HANDLE_DONE = 5  # event
HANDLE_CLOSED = 6  # event
HANDLE_DESTROY = 7  # request
STATE_ACTIVATED = 2
LOOKUP_SECONDS = 10.0  # how long a process found for an app id is trusted

NO_TOPLEVELS = ("This Wayland compositor does not list its windows "
                "(wlr-foreign-toplevel-management), so driftcheck cannot see which app is in "
                "front through it.")
GONE = "The Wayland compositor is not answering; driftcheck tries again in a moment."
IDLE_NOTE = ("this compositor offers no idle protocol; time counts while a tracked app is in "
             "front even when you step away.")
PROCESS_NOTE = ("this compositor says which app is in front by its app id, not its process: "
                "driftcheck takes the process of yours with that name, so a tracked app is best "
                "added by the name its windows give (`driftcheck apps check` shows it).")

ProcessFinder = Callable[[str], tuple[str | None, int | None, str | None]]


def _names_for(app_id: str) -> set[str]:
    """The process names an app id may stand for: itself and its last dotted part
    ("org.mozilla.firefox" -> "firefox"), compared without case."""
    return {app_id.lower(), app_id.rsplit(".", 1)[-1].lower()} - {""}


def process_for_app_id(app_id: str, uid: int | None = None
                       ) -> tuple[str | None, int | None, str | None]:
    """(name, pid, exe) of a process of this user (or of `uid`) named as `app_id` says; the
    pid and exe only when exactly one process has that name, and (None, None, None) when none
    has."""
    wanted = _names_for(app_id)
    uid = os.getuid() if uid is None else uid
    found: list[psutil.Process] = []
    for process in psutil.process_iter(["name", "uids"]):
        info = process.info
        if info["uids"] is None or info["uids"].real != uid:
            continue
        if (info["name"] or "").lower() in wanted:
            found.append(process)
    if not found:
        return None, None, None
    name = found[0].info["name"]
    if len(found) > 1:
        return name, None, None
    try:
        exe = found[0].exe() or None
    except psutil.Error:
        exe = None
    return name, found[0].pid, exe


@dataclass
class _Toplevel:
    title: str | None = None
    app_id: str | None = None
    activated: bool = False
    pending_title: str | None = None
    pending_app_id: str | None = None
    pending_activated: bool | None = None
    title_set: bool = False
    app_id_set: bool = False


class WlrToplevelProbe:
    """The activated toplevel of a wlroots compositor, as wlr-foreign-toplevel-management
    describes it.

    That protocol carries no pid (it is made for taskbars, which show an app id and a title),
    so the process is found by name: `Foreground.process` is the name of a process of this
    user whose name equals the app id or its last dotted part (most apps set their app id to
    their program's name or a reverse-DNS name ending in it), else the app id itself; `pid`
    and `exe` are given only when exactly one such process runs, since with several of them
    (a browser's) none can be told to own the window. `window_class` is the app id. The title
    lives in memory only, for title rules.

    Raises ProbeError at construction when there is no Wayland display or the compositor does
    not offer the protocol (the chooser then falls back). After the compositor goes away,
    `foreground` raises ProbeError until it is back; the probe connects again by itself.
    """

    name = "wlr-foreign-toplevel"
    measure = Measure.FOREGROUND

    def __init__(self, env: Mapping[str, str] | None = None, *,
                 idle: WaylandIdle | bool | None = True,
                 find_process: ProcessFinder = process_for_app_id) -> None:
        """`idle` True: idle through a WaylandIdle of its own (when the compositor has an
        idle protocol); a WaylandIdle: that one (closed with the probe); False/None: none."""
        env = dict(os.environ if env is None else env)
        self._lock = threading.Lock()
        self._toplevels: dict[int, _Toplevel] = {}
        self._active: int | None = None
        self._connected = False
        self._callback: FocusCallback | None = None
        self._find_process = find_process
        self._found: dict[str, tuple[float, tuple[str | None, int | None, str | None]]] = {}
        try:
            self._watched = WatchedConnection(env, self._setup, self._lost,
                                              "driftcheck-wlr-focus")
        except WaylandError as error:
            if "does not offer" in str(error):
                raise ProbeError(NO_TOPLEVELS) from error
            raise ProbeError(str(error)) from error
        self._watched.start()
        self._idle: WaylandIdle | None
        if idle is True:
            self._idle = WaylandIdle.connect(env)
        else:
            self._idle = idle or None
        self._logind = LogindLock()

    # --- the protocol, on the thread that reads the connection ----------------------------

    def _setup(self, connection: Connection) -> None:
        if connection.find(FOREIGN_TOPLEVEL) is None:
            raise WaylandError(f"The compositor does not offer {FOREIGN_TOPLEVEL}.")

        def on_manager(opcode: int, payload: bytes) -> None:
            if opcode == MANAGER_TOPLEVEL:
                handle = MessageReader(payload).uint()
                with self._lock:
                    self._toplevels[handle] = _Toplevel()
                connection.handle(handle, lambda op, data: self._on_handle(
                    connection, handle, op, data))
            elif opcode == MANAGER_FINISHED:
                log.info("the compositor stopped listing its windows")
                self._lost()

        with self._lock:
            self._toplevels.clear()
            self._active = None
            self._connected = True
        connection.bind(FOREIGN_TOPLEVEL, VERSION, on_manager)

    def _on_handle(self, connection: Connection, handle: int, opcode: int,
                   payload: bytes) -> None:
        reader = MessageReader(payload)
        changed = False
        with self._lock:
            toplevel = self._toplevels.get(handle)
            if toplevel is None:
                return
            before = self._identity()
            if opcode == HANDLE_TITLE:
                toplevel.pending_title, toplevel.title_set = reader.string(), True
            elif opcode == HANDLE_APP_ID:
                toplevel.pending_app_id, toplevel.app_id_set = reader.string(), True
            elif opcode == HANDLE_STATE:
                toplevel.pending_activated = STATE_ACTIVATED in reader.uints()
            elif opcode == HANDLE_DONE:
                self._apply(handle, toplevel)
            elif opcode == HANDLE_CLOSED:
                del self._toplevels[handle]
                if self._active == handle:
                    self._active = None
            else:
                return  # output_enter/leave, parent: nothing driftcheck needs
            changed = self._identity() != before
        if opcode == HANDLE_CLOSED:
            with contextlib.suppress(WaylandError):
                connection.send(encode_message(handle, HANDLE_DESTROY))
            connection.forget(handle)
        if changed:
            self._announce()

    def _apply(self, handle: int, toplevel: _Toplevel) -> None:
        """A `done`: the pending title, app id and state hold from now (under the lock)."""
        if toplevel.title_set:
            toplevel.title, toplevel.title_set = toplevel.pending_title, False
        if toplevel.app_id_set:
            toplevel.app_id, toplevel.app_id_set = toplevel.pending_app_id, False
        if toplevel.pending_activated is not None:
            toplevel.activated = toplevel.pending_activated
            toplevel.pending_activated = None
        if toplevel.activated:
            self._active = handle
        elif self._active == handle:
            self._active = None

    def _identity(self) -> tuple[int | None, str | None, str | None]:
        """What a focus change is: another toplevel in front, or its app id or title."""
        active = self._toplevels.get(self._active) if self._active is not None else None
        if active is None:
            return None, None, None
        return self._active, active.app_id, active.title

    def _lost(self) -> None:
        with self._lock:
            self._connected = False
            self._toplevels.clear()
            self._active = None
        self._announce()

    def _announce(self) -> None:
        callback = self._callback
        if callback is None:
            return
        try:
            callback(time.monotonic())
        except Exception:
            log.exception("the focus callback failed")

    # --- the probe -----------------------------------------------------------------------

    def foreground(self) -> Foreground | None:
        with self._lock:
            if not self._connected:
                raise ProbeError(GONE)
            _handle, app_id, title = self._identity()
            if _handle is None:
                return None
        if not app_id:
            return Foreground(process="unknown", title=title or None)
        name, pid, exe = self._process(app_id)
        return Foreground(process=name or app_id, pid=pid, exe=exe, title=title or None,
                          window_class=app_id)

    def _process(self, app_id: str) -> tuple[str | None, int | None, str | None]:
        now = time.monotonic()
        cached = self._found.get(app_id)
        if cached is not None and now - cached[0] < LOOKUP_SECONDS:
            pid = cached[1][1]
            if pid is None or psutil.pid_exists(pid):
                return cached[1]
        found = self._find_process(app_id)
        self._found[app_id] = (now, found)
        return found

    def idle_seconds(self) -> float | None:
        return self._idle.seconds() if self._idle is not None else None

    def locked(self) -> bool | None:
        return self._logind.locked()

    def info(self) -> ProbeInfo:
        notes = [PROCESS_NOTE]
        if self._idle is None:
            notes.append(IDLE_NOTE)
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source=self._idle.source if self._idle is not None else None,
            lock_source="logind LockedHint" if self._logind.available() else None,
            focus_events=True,
            notes=tuple(notes),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Focus changes are read on the probe's thread from the start; from now on each
        one (another toplevel activated, or its app id or title changed) calls back there."""
        self._callback = callback
        return True

    def close(self) -> None:
        self._callback = None
        self._watched.close()
        if self._idle is not None:
            self._idle.close()
            self._idle = None
        self._logind.close()
