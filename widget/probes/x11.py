"""Linux X11: the EWMH active window, its process, and idle time from MIT-SCREEN-SAVER.

Two connections to the X server: one for the sampler's reads, and one owned by the focus
watcher's thread, which blocks on `PropertyNotify` events of `_NET_ACTIVE_WINDOW` (on the root
window) and of the title of the active window (a browser tab switch changes only the title).
python-xlib connections are not thread-safe, hence two.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import select
import threading
import time
from typing import Any

import psutil

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock

log = logging.getLogger(__name__)

RECONNECT_EVERY_S = 2.0


# The X extensions the probe uses. python-xlib imports and sets up every extension the server
# offers (13 on Xvfb, more on a desktop), which the process then keeps: about 0.8 MB, measured.
USED_EXTENSIONS = frozenset({"MIT-SCREEN-SAVER"})


def _xlib() -> tuple[Any, Any, Any]:
    from Xlib import X, Xatom, display  # lazily: nothing is opened or loaded at import time

    return X, Xatom, display


def open_display(name: str | None) -> Any:
    """An Xlib Display that sets up only USED_EXTENSIONS (its `has_extension` answers for
    those alone)."""
    return _probe_display_class()(name)


@functools.cache
def _probe_display_class() -> Any:
    from Xlib import display

    class ProbeDisplay(display.Display):  # type: ignore[misc]
        def list_extensions(self) -> list[str]:
            return [ext for ext in super().list_extensions() if ext in USED_EXTENSIONS]

    return ProbeDisplay


class _Connection:
    """One X connection with the atoms the probe needs."""

    def __init__(self, name: str | None) -> None:
        X, _, _ = _xlib()
        self.X = X
        self.display = open_display(name)
        self.root = self.display.screen().root
        atom = self.display.intern_atom
        self.active = atom("_NET_ACTIVE_WINDOW")
        self.wm_pid = atom("_NET_WM_PID")
        self.net_name = atom("_NET_WM_NAME")
        self.utf8 = atom("UTF8_STRING")
        self.wm_name = atom("WM_NAME")
        self.compound_text = atom("COMPOUND_TEXT")
        self.has_screensaver = self.display.has_extension("MIT-SCREEN-SAVER")

    def active_window(self) -> Any | None:
        prop = self.root.get_full_property(self.active, self.X.AnyPropertyType)
        if prop is None or not prop.value or not prop.value[0]:
            return None
        return self.display.create_resource_object("window", int(prop.value[0]))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the server may be gone already
            self.display.close()


class X11Probe:
    name = "x11"
    measure = Measure.FOREGROUND

    def __init__(self, display_name: str | None = None) -> None:
        self._display_name = display_name
        self._conn: _Connection | None = None
        self._next_connect = 0.0
        self._watcher: _FocusWatcher | None = None
        self._lock = LogindLock()
        self._proc_cache: dict[int, tuple[float, str, str | None]] = {}
        try:
            self._connection()
        except ProbeError:
            raise
        except Exception as exc:  # pragma: no cover - depends on the environment
            raise ProbeError(f"Cannot open the X display ({type(exc).__name__}).") from None

    def _connection(self) -> _Connection:
        if self._conn is not None:
            return self._conn
        now = time.monotonic()
        if now < self._next_connect:
            raise ProbeError("The X display is not reachable; trying again shortly.")
        self._next_connect = now + RECONNECT_EVERY_S
        try:
            self._conn = _Connection(self._display_name)
        except Exception as exc:
            raise ProbeError(f"Cannot open the X display ({type(exc).__name__}).") from None
        return self._conn

    def _fail(self, exc: BaseException) -> ProbeError:
        """Drop a broken connection (the server went away) or keep it (a window vanished)."""
        from Xlib import error as xerror

        if isinstance(exc, xerror.ConnectionClosedError | OSError):
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            return ProbeError(f"The X display went away ({type(exc).__name__}).")
        return ProbeError(f"Reading the active window failed ({type(exc).__name__}).")

    def foreground(self) -> Foreground | None:
        conn = self._connection()
        try:
            window = conn.active_window()
            if window is None:
                return None
            pid_prop = window.get_full_property(conn.wm_pid, conn.X.AnyPropertyType)
            title = _title(conn, window)
            wm_class = window.get_wm_class()
        except Exception as exc:
            raise self._fail(exc) from None
        pid = int(pid_prop.value[0]) if pid_prop is not None and pid_prop.value else None
        process, exe = self._process(pid)
        return Foreground(process=process, pid=pid, exe=exe, title=title,
                          window_class=wm_class[1] if wm_class else None)

    def _process(self, pid: int | None) -> tuple[str, str | None]:
        if pid is None:
            return "", None
        try:
            proc = psutil.Process(pid)
            started = proc.create_time()
            cached = self._proc_cache.get(pid)
            if cached is not None and cached[0] == started:
                return cached[1], cached[2]
            name = proc.name()
            try:
                exe: str | None = proc.exe() or None
            except (psutil.AccessDenied, psutil.ZombieProcess):
                exe = None
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return "", None
        if len(self._proc_cache) > 256:
            self._proc_cache.clear()
        self._proc_cache[pid] = (started, name, exe)
        return name, exe

    def idle_seconds(self) -> float | None:
        conn = self._connection()
        if not conn.has_screensaver:
            return None
        try:
            return float(conn.root.screensaver_query_info().idle) / 1000.0
        except Exception as exc:
            raise self._fail(exc) from None

    def locked(self) -> bool | None:
        hint = self._lock.locked()
        if hint:
            return True
        conn = self._conn
        if conn is not None and conn.has_screensaver:
            try:
                # state 1 is ScreenSaverOn: the screensaver (and with it most lockers) runs.
                if conn.root.screensaver_query_info().state == 1:
                    return True
            except Exception as exc:
                raise self._fail(exc) from None
        return hint

    def info(self) -> ProbeInfo:
        notes = []
        conn = self._conn
        idle = "MIT-SCREEN-SAVER" if conn is not None and conn.has_screensaver else None
        if idle is None:
            notes.append("The X server has no MIT-SCREEN-SAVER extension, so idle time is "
                         "unknown and time keeps counting while you are away.")
        lock = "X screensaver state"
        if self._lock.available():
            lock += " + logind LockedHint"
        return ProbeInfo(self.name, self.measure, idle, lock, focus_events=True,
                         notes=tuple(notes))

    def watch_focus(self, callback: FocusCallback) -> bool:
        if self._watcher is None:
            self._watcher = _FocusWatcher(self._display_name, callback)
            self._watcher.start()
            # Switches made right after start-up must not be missed: wait until subscribed.
            self._watcher.subscribed.wait(timeout=2.0)
        return True

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._lock.close()


def _title(conn: _Connection, window: Any) -> str | None:
    prop = window.get_full_property(conn.net_name, conn.utf8)
    if prop is not None and prop.value:
        return _text(prop.value, "utf-8")
    # Older clients (xterm in a C locale, for one) set only WM_NAME, as STRING or COMPOUND_TEXT.
    prop = window.get_full_property(conn.wm_name, conn.X.AnyPropertyType)
    if prop is None or not prop.value:
        return None
    if prop.property_type == conn.compound_text:
        return decode_compound_text(_bytes(prop.value))
    return _text(prop.value, "latin-1")


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("latin-1", "replace")


def _text(value: Any, encoding: str) -> str:
    return value.decode(encoding, "replace") if isinstance(value, bytes) else str(value)


_CT_ESCAPE = re.compile(rb"\x1b(%G|%@|[()*+\-./][\x20-\x2f]*[\x30-\x7e])")


def decode_compound_text(raw: bytes) -> str:
    """Enough of COMPOUND_TEXT for matching: Latin-1 text, with UTF-8 runs between
    ESC % G and ESC % @ (what xterm writes for characters outside Latin-1)."""
    out: list[str] = []
    utf8 = False
    pos = 0
    for m in _CT_ESCAPE.finditer(raw):
        out.append(raw[pos:m.start()].decode("utf-8" if utf8 else "latin-1", "replace"))
        if m.group(1) == b"%G":
            utf8 = True
        elif m.group(1) == b"%@":
            utf8 = False
        pos = m.end()
    out.append(raw[pos:].decode("utf-8" if utf8 else "latin-1", "replace"))
    return "".join(out)


class _FocusWatcher(threading.Thread):
    """Announces a focus change (or a title change of the active window) the moment the X
    server reports it. Survives the server going away: it reconnects when it comes back."""

    def __init__(self, display_name: str | None, callback: FocusCallback) -> None:
        super().__init__(name="x11-focus-watcher", daemon=True)
        self._display_name = display_name
        self._callback = callback
        self._stopping = threading.Event()
        self.subscribed = threading.Event()
        self._watched: Any | None = None

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=2.0)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._watch()
            except Exception as exc:
                log.warning("focus watcher lost the X display (%s); retrying",
                            type(exc).__name__)
            self._stopping.wait(RECONNECT_EVERY_S)

    def _watch(self) -> None:
        conn = _Connection(self._display_name)
        self._watched = None
        # Events on a window that closed between two reads produce BadWindow errors; they are
        # expected here and say nothing the next event will not.
        conn.display.set_error_handler(lambda *_: None)
        try:
            X = conn.X
            conn.root.change_attributes(event_mask=X.PropertyChangeMask)
            self._follow_active(conn)
            conn.display.sync()  # the server has the subscription before we say so
            self.subscribed.set()
            fd = conn.display.fileno()
            while not self._stopping.is_set():
                ready, _, _ = select.select([fd], [], [], 0.5)
                if not ready:
                    continue
                fired = False
                while conn.display.pending_events():
                    event = conn.display.next_event()
                    if event.type != X.PropertyNotify:
                        continue
                    if event.atom == conn.active:
                        self._follow_active(conn)
                        fired = True
                    elif event.atom in (conn.net_name, conn.wm_name):
                        fired = True
                if fired:
                    self._callback(time.monotonic())
        finally:
            conn.close()

    def _follow_active(self, conn: _Connection) -> None:
        """Listen to title changes of the window now active, and no longer the previous one."""
        X = conn.X
        if self._watched is not None:
            self._watched.change_attributes(event_mask=X.NoEventMask)
        self._watched = conn.active_window()
        if self._watched is not None:
            self._watched.change_attributes(event_mask=X.PropertyChangeMask)
        conn.display.flush()
