"""A small Wayland client in pure Python, over the compositor's Unix socket, and idle time
read through it (`WaylandIdle`).

Just enough of the wire protocol for driftcheck: wl_display (get_registry, sync; error,
delete_id), wl_registry (global, global_remove; bind), wl_callback and a bound wl_seat, plus
the few protocols the probes use (idle here, foreign toplevels in widget/probes/wlr.py).
No fd is ever passed. Every message is 32-bit native-endian words: the object id, then
(size << 16 | opcode), then the arguments; a string is its length with the NUL, then its
bytes padded to 4; an array its length, then its bytes padded. Events nobody handles are
skipped by their size.

Opcodes are read from the protocols' XML, never guessed:
- wayland.xml (wl_display, wl_registry, wl_callback): gitlab.freedesktop.org/wayland/wayland
- ext-idle-notify-v1.xml: wayland-protocols, staging/ext-idle-notify (version 1)
- idle.xml (org_kde_kwin_idle): github.com/KDE/plasma-wayland-protocols, src/protocols
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from widget.errors import ProbeError

__all__ = [
    "Connection",
    "Global",
    "MessageReader",
    "WaylandError",
    "WaylandIdle",
    "display_path",
    "encode_message",
    "split_messages",
    "wayland_globals",
]

log = logging.getLogger(__name__)

HEADER = struct.Struct("=II")
WORD = struct.Struct("=I")
SIGNED = struct.Struct("=i")
MAX_MESSAGE = 4096  # libwayland's own limit on one message
TIMEOUT_SECONDS = 2.0
RECONNECT_SECONDS = 2.0  # between two tries on one socket that would not take us
SOCKET_CHECK_SECONDS = 0.25  # a stat() of the socket's path, while the compositor is away
# Ids the compositor makes for objects it creates (a foreign toplevel's handle) start here.
SERVER_ID_START = 0xFF000000

# wl_display
DISPLAY_ID = 1
DISPLAY_SYNC = 0
DISPLAY_GET_REGISTRY = 1
DISPLAY_ERROR = 0
DISPLAY_DELETE_ID = 1
# wl_registry
REGISTRY_BIND = 0
REGISTRY_GLOBAL = 0
REGISTRY_GLOBAL_REMOVE = 1
# wl_callback
CALLBACK_DONE = 0
# ext_idle_notifier_v1 / ext_idle_notification_v1
EXT_IDLE_NOTIFIER = "ext_idle_notifier_v1"
EXT_GET_IDLE_NOTIFICATION = 1  # (new_id, timeout uint ms, seat object)
EXT_IDLED = 0
EXT_RESUMED = 1
# org_kde_kwin_idle / org_kde_kwin_idle_timeout
KDE_IDLE = "org_kde_kwin_idle"
KDE_GET_IDLE_TIMEOUT = 0  # (new_id, seat object, timeout uint ms)
KDE_IDLE_EVENT = 0
KDE_RESUMED = 1

SEAT = "wl_seat"
IDLE_TIMEOUT_MS = 1000


class WaylandError(ProbeError):
    """The compositor could not be reached, went away, or refused a request. The message
    names no window and nothing the compositor said about one."""


# --- the wire ------------------------------------------------------------------------------


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def uint(value: int) -> bytes:
    return WORD.pack(value & 0xFFFFFFFF)


def int32(value: int) -> bytes:
    return SIGNED.pack(value)


def fixed(value: float) -> bytes:
    """A wl_fixed_t: signed 24.8 fixed point."""
    return SIGNED.pack(round(value * 256))


def string(text: str | None) -> bytes:
    """A string argument; None is the null string (length 0)."""
    if text is None:
        return uint(0)
    data = text.encode("utf-8") + b"\0"
    return uint(len(data)) + _padded(data)


def array(data: bytes) -> bytes:
    return uint(len(data)) + _padded(data)


def encode_message(object_id: int, opcode: int, *args: bytes) -> bytes:
    """One message: header words and the already encoded arguments."""
    body = b"".join(args)
    size = HEADER.size + len(body)
    if size > MAX_MESSAGE:
        raise ValueError(f"a Wayland message of {size} bytes is too long")
    return HEADER.pack(object_id, size << 16 | opcode) + body


def split_messages(buffer: bytes) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """(object id, opcode, arguments) of every whole message in `buffer`, and what is left
    of an incomplete one. A size that cannot be right raises WaylandError."""
    messages = []
    offset = 0
    while len(buffer) - offset >= HEADER.size:
        object_id, word = HEADER.unpack_from(buffer, offset)
        size, opcode = word >> 16, word & 0xFFFF
        if size < HEADER.size or size % 4:
            raise WaylandError("The compositor sent a message that cannot be read.")
        if len(buffer) - offset < size:
            break
        messages.append((object_id, opcode, buffer[offset + HEADER.size:offset + size]))
        offset += size
    return messages, buffer[offset:]


class MessageReader:
    """Reads one message's arguments in order; a short or malformed one raises
    WaylandError."""

    def __init__(self, payload: bytes) -> None:
        self._data = payload
        self._at = 0

    def _take(self, count: int) -> bytes:
        if count < 0 or self._at + count > len(self._data):
            raise WaylandError("The compositor sent a message that cannot be read.")
        chunk = self._data[self._at:self._at + count]
        self._at += count + (-count % 4)
        return chunk

    def uint(self) -> int:
        return int(WORD.unpack(self._take(4))[0])

    def int32(self) -> int:
        return int(SIGNED.unpack(self._take(4))[0])

    def fixed(self) -> float:
        return self.int32() / 256

    def string(self) -> str | None:
        length = self.uint()
        if length == 0:
            return None
        raw = self._take(length)
        if raw[-1:] != b"\0":
            raise WaylandError("The compositor sent a message that cannot be read.")
        return raw[:-1].decode("utf-8", errors="replace")

    def array(self) -> bytes:
        return self._take(self.uint())

    def uints(self) -> list[int]:
        """An array of uint32 (a foreign toplevel's state)."""
        data = self.array()
        return [value for (value,) in WORD.iter_unpack(data[:len(data) // 4 * 4])]


# --- a connection ----------------------------------------------------------------------------


def display_path(env: Mapping[str, str]) -> Path | None:
    """The compositor's socket: WAYLAND_DISPLAY when absolute, else under XDG_RUNTIME_DIR;
    None when the session names none."""
    name = env.get("WAYLAND_DISPLAY")
    if not name:
        return None
    if name.startswith("/"):
        return Path(name)
    runtime = env.get("XDG_RUNTIME_DIR")
    return Path(runtime, name) if runtime else None


@dataclass(frozen=True)
class Global:
    name: int
    interface: str
    version: int


EventHandler = Callable[[int, bytes], None]


class Connection:
    """One client connection. Not thread-safe: one thread reads and writes it (requests from
    another thread go through `send`, which only writes, under a lock)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self._next_id = 2  # 1 is wl_display
        self._handlers: dict[int, EventHandler] = {}
        self._send_lock = threading.Lock()
        self.globals: dict[int, Global] = {}
        self.registry = self._new_object(self._on_registry)
        self.send(encode_message(DISPLAY_ID, DISPLAY_GET_REGISTRY, uint(self.registry)))
        self._handlers[DISPLAY_ID] = self._on_display
        self.closed = False

    @classmethod
    def open(cls, env: Mapping[str, str]) -> Connection:
        """Connect to the session's compositor and learn its globals (one round trip)."""
        path = display_path(env)
        if path is None:
            raise WaylandError("This session names no Wayland display.")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.settimeout(TIMEOUT_SECONDS)
        try:
            sock.connect(str(path))
        except OSError as error:
            sock.close()
            raise WaylandError("The Wayland compositor could not be reached.") from error
        connection = cls(sock)
        try:
            connection.roundtrip()
        except BaseException:
            connection.close()
            raise
        return connection

    def fileno(self) -> int:
        return self._sock.fileno()

    # -- objects --------------------------------------------------------------------------

    def _new_object(self, handler: EventHandler | None) -> int:
        object_id = self._next_id
        self._next_id += 1
        if handler is not None:
            self._handlers[object_id] = handler
        return object_id

    def new_id(self, handler: EventHandler | None = None) -> int:
        """A fresh id for an object the next request creates; its events go to `handler`."""
        return self._new_object(handler)

    def handle(self, object_id: int, handler: EventHandler) -> None:
        """Send the events of `object_id` (one the compositor created) to `handler`."""
        self._handlers[object_id] = handler

    def forget(self, object_id: int) -> None:
        """Stop handling `object_id`'s events (it was destroyed); late ones are skipped."""
        self._handlers.pop(object_id, None)

    def find(self, interface: str) -> Global | None:
        return next((g for g in self.globals.values() if g.interface == interface), None)

    def bind(self, interface: str, version: int, handler: EventHandler | None = None) -> int:
        """Bind the compositor's global `interface` at min(`version`, what it offers)."""
        found = self.find(interface)
        if found is None:
            raise WaylandError(f"The compositor does not offer {interface}.")
        object_id = self.new_id(handler)
        self.send(encode_message(self.registry, REGISTRY_BIND, uint(found.name),
                                 string(interface), uint(min(version, found.version)),
                                 uint(object_id)))
        return object_id

    # -- reading and writing --------------------------------------------------------------

    def send(self, message: bytes) -> None:
        try:
            with self._send_lock:
                self._sock.sendall(message)
        except OSError as error:
            self.closed = True
            self._raise_error_left()
            raise WaylandError("The Wayland compositor went away.") from error

    def _raise_error_left(self) -> None:
        """After the compositor hung up: the wl_display.error it sent before, if it did
        (a refused request closes the connection; the next write finds it closed)."""
        data = self._buffer
        with contextlib.suppress(OSError):
            self._sock.settimeout(0)
            while chunk := self._sock.recv(65536):
                data += chunk
        try:
            messages, _ = split_messages(data)
        except WaylandError:
            return
        for object_id, opcode, payload in messages:
            if object_id == DISPLAY_ID and opcode == DISPLAY_ERROR:
                self._on_display(opcode, payload)

    def read(self) -> None:
        """Read what has arrived (blocking up to the socket's timeout) and dispatch it.
        WaylandError when the compositor closed the connection or sent an error."""
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            return
        except OSError as error:
            self.closed = True
            raise WaylandError("The Wayland compositor went away.") from error
        if not data:
            self.closed = True
            raise WaylandError("The Wayland compositor went away.")
        messages, self._buffer = split_messages(self._buffer + data)
        for object_id, opcode, payload in messages:
            handler = self._handlers.get(object_id)
            if handler is not None:
                handler(opcode, payload)

    def roundtrip(self, timeout: float = TIMEOUT_SECONDS) -> None:
        """Send wl_display.sync and dispatch events until its callback is done: everything
        asked for before has been answered."""
        done: list[bool] = []
        callback = self.new_id(lambda opcode, _payload: done.append(True))
        self.send(encode_message(DISPLAY_ID, DISPLAY_SYNC, uint(callback)))
        deadline = time.monotonic() + timeout
        while not done:
            if time.monotonic() > deadline:
                raise WaylandError("The Wayland compositor did not answer in time.")
            self.read()
        self.forget(callback)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.close()

    # -- core events ----------------------------------------------------------------------

    def _on_display(self, opcode: int, payload: bytes) -> None:
        reader = MessageReader(payload)
        if opcode == DISPLAY_ERROR:
            object_id, code = reader.uint(), reader.uint()
            # The compositor's own words are left out: they could name what a window holds.
            raise WaylandError(f"The Wayland compositor refused a request (error {code} on "
                               f"object {object_id}).")
        if opcode == DISPLAY_DELETE_ID:
            self.forget(reader.uint())

    def _on_registry(self, opcode: int, payload: bytes) -> None:
        reader = MessageReader(payload)
        if opcode == REGISTRY_GLOBAL:
            name, interface, version = reader.uint(), reader.string() or "", reader.uint()
            self.globals[name] = Global(name, interface, version)
        elif opcode == REGISTRY_GLOBAL_REMOVE:
            self.globals.pop(reader.uint(), None)


def wayland_globals(env: Mapping[str, str]) -> set[str] | None:
    """The interface names the session's compositor offers; None when there is none to ask."""
    try:
        connection = Connection.open(env)
    except WaylandError:
        return None
    try:
        return {g.interface for g in connection.globals.values()}
    finally:
        connection.close()


def _socket_identity(env: Mapping[str, str]) -> tuple[int, int] | None:
    """(inode, change time) of the display's socket; None while there is none."""
    path = display_path(env)
    try:
        found = os.stat(path) if path is not None else None
    except OSError:
        return None
    return (found.st_ino, found.st_ctime_ns) if found is not None else None


# --- a watched connection: its own thread, and again after the compositor restarts -----------


class WatchedConnection:
    """A connection read on a daemon thread of its own, made again to the same display after
    the compositor went away: as soon as a new socket appears there (a stat() every
    SOCKET_CHECK_SECONDS), and on one that refuses, every RECONNECT_SECONDS at most.
    `setup(connection)` binds what the user of it needs, on each new connection, on the
    thread that makes it; `on_lost()` runs on the watcher thread when the compositor goes
    away."""

    def __init__(self, env: Mapping[str, str], setup: Callable[[Connection], None],
                 on_lost: Callable[[], None], name: str) -> None:
        self._env = dict(env)
        self._setup = setup
        self._on_lost = on_lost
        self._name = name
        self._stop_read, self._stop_write = os.pipe()
        self._stopped = False
        self._lock = threading.Lock()
        self.connection: Connection | None = self._connect()  # raises WaylandError
        self._thread: threading.Thread | None = None

    def _connect(self) -> Connection:
        connection = Connection.open(self._env)
        try:
            self._setup(connection)
            connection.roundtrip()
        except BaseException:
            connection.close()
            raise
        return connection

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        tried: tuple[float, tuple[int, int] | None] = (0.0, None)  # when, and which socket
        while not self._stopped:
            connection = self.connection
            if connection is None:
                if self._wait(SOCKET_CHECK_SECONDS):
                    return
                # A new socket (a compositor started again) is tried at once; the same one
                # that failed, or none, at most every RECONNECT_SECONDS.
                socket_now = _socket_identity(self._env)
                if socket_now is None or (socket_now == tried[1] and time.monotonic()
                                          - tried[0] < RECONNECT_SECONDS):
                    continue
                try:
                    made = self._connect()
                except WaylandError:
                    tried = (time.monotonic(), socket_now)
                    continue
                with self._lock:
                    if self._stopped:
                        made.close()
                        return
                    self.connection = made
                log.info("the Wayland compositor is back (%s)", self._name)
                continue
            try:
                ready, _, _ = select.select([connection.fileno(), self._stop_read], [], [])
                if self._stop_read in ready:
                    return
                connection.read()
            except (WaylandError, OSError, ValueError) as error:
                log.info("the Wayland compositor went away (%s: %s)", self._name,
                         type(error).__name__)
                with self._lock:
                    connection.close()
                    self.connection = None
                self._on_lost()

    def _wait(self, seconds: float) -> bool:
        """Sleep `seconds`, or less when stopped; True when stopped."""
        ready, _, _ = select.select([self._stop_read], [], [], seconds)
        return bool(ready) or self._stopped

    def close(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            with contextlib.suppress(OSError):
                os.write(self._stop_write, b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=TIMEOUT_SECONDS)
        with self._lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None
        for fd in (self._stop_read, self._stop_write):
            with contextlib.suppress(OSError):
                os.close(fd)


# --- idle --------------------------------------------------------------------------------------


class WaylandIdle:
    """Seconds since the last input, from the compositor's idle protocol:
    ext-idle-notify-v1 where it is offered, else KDE's org_kde_kwin_idle (Sway 1.7, Wayfire
    0.7, KWin).

    Both only say "idle for at least T" and "active again", so it asks for a short T (one
    second): at `idled` received at time t the last input was at t - 1 s, and at `resumed`
    idle is 0. That gives the idle time itself to 1 s, whatever driftcheck's idle threshold.
    Events are read on a daemon thread of its own; `seconds()` is called from any thread.
    """

    source: str  # "ext-idle-notify-v1" or "org_kde_kwin_idle"

    def __init__(self, env: Mapping[str, str], source: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self._clock = clock
        self._lock = threading.Lock()
        self._idle_since: float | None = None  # the last input, while idle
        self._present = False
        self._watched = WatchedConnection(env, self._setup, self._lost,
                                          "driftcheck-wayland-idle")
        self._watched.start()

    @classmethod
    def connect(cls, env: Mapping[str, str]) -> WaylandIdle | None:
        """Idle through the session's compositor; None when there is no Wayland display
        here, or it offers neither idle protocol."""
        try:
            offered = wayland_globals(env)
            if offered is None or SEAT not in offered:
                return None
            if EXT_IDLE_NOTIFIER in offered:
                return cls(env, "ext-idle-notify-v1")
            if KDE_IDLE in offered:
                return cls(env, KDE_IDLE)
        except WaylandError as error:
            log.info("Wayland idle unavailable: %s", error)
        return None

    def _setup(self, connection: Connection) -> None:
        seat = connection.bind(SEAT, 1)
        if self.source == "ext-idle-notify-v1":
            notifier = connection.bind(EXT_IDLE_NOTIFIER, 1)
            notification = connection.new_id(self._on_ext)
            connection.send(encode_message(notifier, EXT_GET_IDLE_NOTIFICATION,
                                           uint(notification), uint(IDLE_TIMEOUT_MS),
                                           uint(seat)))
        else:
            manager = connection.bind(KDE_IDLE, 1)
            timeout = connection.new_id(self._on_kde)
            connection.send(encode_message(manager, KDE_GET_IDLE_TIMEOUT, uint(timeout),
                                           uint(seat), uint(IDLE_TIMEOUT_MS)))
        with self._lock:
            # Until the first `idled`, the last input is taken as now: at most one second
            # off, and only at the start.
            self._idle_since = None
            self._present = True

    def _on_ext(self, opcode: int, _payload: bytes) -> None:
        self._changed(idle=opcode == EXT_IDLED)

    def _on_kde(self, opcode: int, _payload: bytes) -> None:
        self._changed(idle=opcode == KDE_IDLE_EVENT)

    def _changed(self, *, idle: bool) -> None:
        with self._lock:
            self._idle_since = self._clock() - IDLE_TIMEOUT_MS / 1000 if idle else None

    def _lost(self) -> None:
        with self._lock:
            self._present = False
            self._idle_since = None

    def seconds(self) -> float | None:
        """Seconds since the last input; None while the compositor is gone."""
        with self._lock:
            if not self._present:
                return None
            if self._idle_since is None:
                return 0.0
            return max(0.0, self._clock() - self._idle_since)

    def close(self) -> None:
        """End the reading thread and the connection; safe twice."""
        self._watched.close()

