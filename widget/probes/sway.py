"""Sway probe: the focused window from Sway's IPC socket, idle time from Wayland.

Sway answers on a Unix socket (`SWAYSOCK`) in i3's IPC framing: b"i3-ipc", a payload length
and a message type (both uint32, native byte order), then JSON. The probe keeps one
connection for its questions (GET_TREE: which window has focus, and its pid) and one on its
watcher thread subscribed to window and workspace events, so a focus change is seen the
moment it happens; no program is started per sample. Idle time comes from the compositor's
Wayland idle protocol (`widget.probes.wayland`: `org_kde_kwin_idle` on Sway 1.7,
`ext-idle-notify-v1` on newer ones), the lock from logind's LockedHint.

Sway restarted (a crash, `swaymsg exit` and a new login) makes a new socket with another
name (`sway-ipc.UID.PID.sock`): the probe finds the newest one of the same user that answers
and goes on. The reading that finds Sway gone says nothing is in front, so what was counted
ends there; until a Sway answers again every reading raises ProbeError and nothing counts.
Titles are read into memory for matching only; no message of the probe's carries one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import psutil

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock

__all__ = [
    "SwayIpc",
    "SwayProbe",
    "encode_message",
    "focused_node",
    "foreground_from_node",
    "is_focus_event",
    "process_identity",
    "socket_candidates",
]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0
# How often the watcher looks for a Sway that went away: often at first (a restarted Sway is
# back within a second or two, and a window focused before it is found is not counted until
# then), rarely once it has been away for a while (a session that ended under driftcheck).
RETRY_SECONDS = 0.25
RETRY_LATER_SECONDS = 5.0
LONG_GONE_SECONDS = 60.0
MAGIC = b"i3-ipc"
HEADER = struct.Struct("=6sII")  # magic, payload length, message type; native byte order
SUBSCRIBE = 2
GET_TREE = 4
EVENT = 1 << 31  # the high bit of an event's type
WORKSPACE_EVENT = EVENT | 0
WINDOW_EVENT = EVENT | 3
MAX_PAYLOAD = 64 * 1024 * 1024  # a tree of thousands of windows is a few MB; more is garbage
# Workspace focus matters too: moving to an empty workspace leaves nothing in front.
SUBSCRIPTION = b'["window", "workspace"]'
SOCKET_NAME = re.compile(r"sway-ipc\.(\d+)\.(\d+)\.sock")

NO_IDLE_NOTE = (
    "Sway did not offer driftcheck its idle time (neither ext-idle-notify-v1 nor "
    "org_kde_kwin_idle), so time counts while a tracked app is in front, even when you step "
    "away; pausing from the tray stops it."
)
GONE = "Sway does not answer on its IPC socket; nothing counts until it does."
UNREADABLE = "Sway's answer could not be read."

ProcessLookup = Callable[[int], tuple[str | None, str | None]]


class IdleSource(Protocol):
    """Seconds since the last input, from the compositor (widget.probes.wayland.WaylandIdle)."""

    source: str

    def seconds(self) -> float | None: ...

    def close(self) -> None: ...


IdleConnect = Callable[[Mapping[str, str]], "IdleSource | None"]


def wayland_idle(env: Mapping[str, str]) -> IdleSource | None:
    """The compositor's Wayland idle protocol, or None where it offers none."""
    try:
        from widget.probes.wayland import WaylandIdle
    except ImportError as error:  # pywayland missing
        log.info("no Wayland idle source (%s)", type(error).__name__)
        return None
    return WaylandIdle.connect(env)


def process_identity(pid: int) -> tuple[str | None, str | None]:
    """(name, exe) of a process; None for what the OS will not tell or a process gone."""
    try:
        process = psutil.Process(pid)
        name = process.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None, None
    try:
        exe = process.exe() or None
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        exe = None
    return name or None, exe


def focused_node(tree: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The node with "focused": true, searching "nodes" and "floating_nodes" depth-first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.get("focused") is True:
            return node
        stack.extend(node.get("floating_nodes") or ())
        stack.extend(node.get("nodes") or ())
    return None


def foreground_from_node(
    node: Mapping[str, Any] | None, lookup: ProcessLookup = process_identity
) -> Foreground | None:
    """A Foreground for a focused window node; None for a focused workspace or output."""
    if node is None or node.get("type") not in ("con", "floating_con"):
        return None
    pid = node.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    properties = node.get("window_properties") or {}
    window_class = node.get("app_id") or properties.get("class") or None
    name, exe = lookup(pid)
    return Foreground(
        # A process that just exited: its app id is the best name left (usually the binary's).
        process=name or window_class or f"pid {pid}",
        pid=pid,
        exe=exe,
        title=node.get("name") or None,
        window_class=window_class,
    )


def encode_message(kind: int, payload: bytes = b"") -> bytes:
    """One i3-ipc message: header and payload."""
    return HEADER.pack(MAGIC, len(payload), kind) + payload


def is_focus_event(kind: int, payload: bytes) -> bool:
    """Whether an event may have changed what is in front: a window or workspace taking the
    focus, or a window closing (the last one of a workspace leaves nothing in front)."""
    if kind not in (WINDOW_EVENT, WORKSPACE_EVENT):
        return False
    try:
        change = json.loads(payload).get("change")
    except (ValueError, AttributeError):
        return False
    return change == "focus" or (kind == WINDOW_EVENT and change == "close")


def socket_candidates(env: Mapping[str, str]) -> list[Path]:
    """Where Sway's IPC socket may be, the likeliest first: `SWAYSOCK`, then every other
    `sway-ipc.UID.PID.sock` of the same user (the uid in SWAYSOCK's name, else ours) in
    SWAYSOCK's folder and XDG_RUNTIME_DIR, newest first. A restarted Sway's socket has a new
    name; one that is not a socket, or owned by someone else, is never a candidate."""
    swaysock = env.get("SWAYSOCK") or None
    uid = os.getuid()
    folders: list[str] = []
    if swaysock is not None:
        matched = SOCKET_NAME.fullmatch(os.path.basename(swaysock))
        if matched is not None:
            uid = int(matched[1])
        folders.append(os.path.dirname(swaysock) or ".")
    if env.get("XDG_RUNTIME_DIR"):
        folders.append(env["XDG_RUNTIME_DIR"])
    found: list[tuple[float, str]] = []
    for folder in dict.fromkeys(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            matched = SOCKET_NAME.fullmatch(entry.name)
            if matched is None or int(matched[1]) != uid or entry.path == swaysock:
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISSOCK(st.st_mode) and st.st_uid == uid:
                found.append((st.st_mtime, entry.path))
    found.sort(reverse=True)
    first = [Path(swaysock)] if swaysock is not None else []
    return first + [Path(path) for _, path in found]


class SwayGone(ProbeError):
    """The connection to Sway broke (Sway ended), or no Sway answers."""


class SwayIpc:
    """One connection to Sway's IPC socket. Not thread-safe: each thread has its own."""

    def __init__(self, path: Path, timeout: float | None = TIMEOUT_SECONDS) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(TIMEOUT_SECONDS)
        try:
            self._sock.connect(str(path))
        except OSError:
            self._sock.close()
            raise
        self._sock.settimeout(timeout)

    @classmethod
    def connect_any(cls, env: Mapping[str, str],
                    timeout: float | None = TIMEOUT_SECONDS) -> SwayIpc:
        """A connection to the first of `socket_candidates` that takes one."""
        for path in socket_candidates(env):
            try:
                return cls(path, timeout)
            except OSError:
                continue
        raise SwayGone(GONE)

    def send(self, kind: int, payload: bytes = b"") -> None:
        try:
            self._sock.sendall(encode_message(kind, payload))
        except OSError as error:
            raise SwayGone(GONE) from error

    def receive(self) -> tuple[int, bytes]:
        """The next message's (type, payload). SwayGone when the connection ends; ProbeError
        when Sway is too slow or says something that is not i3-ipc."""
        magic, length, kind = HEADER.unpack(self._exactly(HEADER.size))
        if magic != MAGIC or length > MAX_PAYLOAD:
            raise ProbeError(UNREADABLE)
        return kind, self._exactly(length)

    def request(self, kind: int, payload: bytes = b"") -> Any:
        """Ask and read the JSON answer (events, if any were subscribed, are skipped)."""
        self.send(kind, payload)
        while True:
            answer_kind, body = self.receive()
            if answer_kind == kind:
                break
            if not answer_kind & EVENT:
                raise ProbeError(UNREADABLE)
        try:
            return json.loads(body)
        except ValueError as error:
            raise ProbeError(UNREADABLE) from error

    def _exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left:
            try:
                chunk = self._sock.recv(min(left, 1 << 20))
            except TimeoutError as error:
                raise ProbeError("Sway did not answer in time.") from error
            except OSError as error:
                raise SwayGone(GONE) from error
            if not chunk:
                raise SwayGone(GONE)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def interrupt(self) -> None:
        """Wake a thread blocked in `receive` (it gets SwayGone); from any thread."""
        with contextlib.suppress(OSError):  # already disconnected
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._sock.close()


class SwayProbe:
    """Reads the focused Sway window from Sway's IPC socket."""

    name = "sway"
    measure = Measure.FOREGROUND

    def __init__(self, env: Mapping[str, str] | None = None,
                 lookup: ProcessLookup = process_identity,
                 idle: IdleConnect = wayland_idle) -> None:
        """Connects to Sway (ProbeError when none answers) and to its idle protocol."""
        self._env = dict(os.environ if env is None else env)
        self._lookup = lookup
        self._ask_lock = threading.Lock()  # one question at a time on the one connection
        self._ipc: SwayIpc | None = SwayIpc.connect_any(self._env)
        self._stop = threading.Event()
        self._watching: SwayIpc | None = None
        self._watcher: threading.Thread | None = None
        self._lock = LogindLock()
        try:
            self._idle = idle(self._env)
        except (ProbeError, OSError) as error:  # time still counts; doctor says idle is unknown
            log.info("no Wayland idle source (%s)", type(error).__name__)
            self._idle = None

    def _tree(self) -> Mapping[str, Any] | None:
        """Sway's tree; None when the connection just broke (Sway ended)."""
        with self._ask_lock:
            if self._ipc is None:
                self._ipc = SwayIpc.connect_any(self._env)  # SwayGone while none answers
                log.info("connected to Sway again", extra={"event": "sway_connected"})
            try:
                tree = self._ipc.request(GET_TREE)
            except ProbeError as error:
                self._ipc.close()
                self._ipc = None  # the next reading connects anew
                if isinstance(error, SwayGone):
                    return None
                raise
        if not isinstance(tree, dict):
            raise ProbeError(UNREADABLE)
        return tree

    def foreground(self) -> Foreground | None:
        """The focused window. The reading that finds Sway gone answers None (nothing in
        front: what was counted ends now); the ones after raise ProbeError until a Sway
        answers again (the same socket or a new one)."""
        tree = self._tree()
        if tree is None:
            log.warning("Sway went away", extra={"event": "sway_gone"})
            return None
        return foreground_from_node(focused_node(tree), self._lookup)

    def idle_seconds(self) -> float | None:
        return None if self._idle is None else self._idle.seconds()

    def locked(self) -> bool | None:
        return self._lock.locked()  # logind's LockedHint, where there is one

    def info(self) -> ProbeInfo:
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source=None if self._idle is None else self._idle.source,
            lock_source="logind LockedHint" if self._lock.available() else None,
            focus_events=self._watcher is not None and self._watcher.is_alive(),
            notes=() if self._idle is not None else (NO_IDLE_NOTE,),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Subscribe to Sway's window and workspace events on a thread of the probe's own and
        call back on every focus change; also when Sway goes away and when it is back."""
        if self._watcher is not None:
            return True
        try:
            first = self._subscribe()
        except ProbeError:
            log.warning("could not subscribe to Sway's focus events; relying on sampling")
            return False
        self._watcher = threading.Thread(target=self._watch, args=(first, callback),
                                         name="driftcheck-sway-focus", daemon=True)
        self._watcher.start()
        return True

    def _subscribe(self) -> SwayIpc:
        ipc = SwayIpc.connect_any(self._env, timeout=None)  # blocks in receive until close()
        try:
            ipc.send(SUBSCRIBE, SUBSCRIPTION)
            kind, body = ipc.receive()
            if kind != SUBSCRIBE or not json.loads(body).get("success"):
                raise ProbeError("Sway refused driftcheck's subscription to its events.")
        except (ProbeError, ValueError, AttributeError) as error:
            ipc.close()
            raise ProbeError("Sway refused driftcheck's subscription to its events.") from error
        self._watching = ipc
        if self._stop.is_set():  # close() came while connecting
            ipc.interrupt()
        return ipc

    def _watch(self, ipc: SwayIpc | None, callback: FocusCallback) -> None:
        gone_since = time.monotonic()
        while not self._stop.is_set():
            if ipc is None:
                try:
                    ipc = self._subscribe()
                except ProbeError:
                    long_gone = time.monotonic() - gone_since > LONG_GONE_SECONDS
                    self._stop.wait(RETRY_LATER_SECONDS if long_gone else RETRY_SECONDS)
                    continue
                log.info("subscribed to Sway's events again", extra={"event": "sway_back"})
                _announce(callback)  # a new Sway: whatever is in front now
            try:
                while True:
                    kind, payload = ipc.receive()
                    if is_focus_event(kind, payload):
                        _announce(callback)
            except ProbeError:
                pass
            ipc.close()
            self._watching = ipc = None
            gone_since = time.monotonic()
            if not self._stop.is_set():
                _announce(callback)  # Sway went away: the reading finds it so, counting ends

    def close(self) -> None:
        self._stop.set()
        watching = self._watching
        if watching is not None:
            watching.interrupt()
        if self._watcher is not None:
            self._watcher.join(timeout=TIMEOUT_SECONDS)
            self._watcher = None
        with self._ask_lock:
            if self._ipc is not None:
                self._ipc.close()
                self._ipc = None
        if self._idle is not None:
            self._idle.close()
            self._idle = None
        self._lock.close()


def _announce(callback: FocusCallback) -> None:
    try:
        callback(time.monotonic())
    except Exception:
        log.exception("the focus callback failed")
