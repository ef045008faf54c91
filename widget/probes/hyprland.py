"""Hyprland probe: the active window from `hyprctl activewindow -j`.

Like Sway, Hyprland's IPC says which window is active and its pid, but not idle time or the
lock screen. Focus changes come from Hyprland's event socket (`.socket2.sock`, a Unix stream
socket that prints lines like `activewindow>>class,title`). Idle time comes from the
compositor's Wayland idle protocol (`ext-idle-notify-v1`, which Hyprland offers), read as on
Sway (`widget.probes.wayland.WaylandIdle`); the lock from logind's LockedHint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock
from widget.probes.sway import IdleConnect, ProcessLookup, process_identity, wayland_idle

__all__ = ["HyprlandProbe", "event_name", "event_socket_paths", "foreground_from_active"]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0
UNREADABLE = "Hyprland's answer about the active window could not be read."
IDLE_NOTE = (
    "Hyprland did not offer driftcheck its idle time (ext-idle-notify-v1), so time counts "
    "while a tracked app is in front, even when you step away."
)


def foreground_from_active(
    active: Mapping[str, Any], lookup: ProcessLookup = process_identity
) -> Foreground | None:
    """A Foreground from `hyprctl activewindow -j`; None for `{}` (nothing focused)."""
    pid = active.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    window_class = active.get("class") or active.get("initialClass") or None
    name, exe = lookup(pid)
    return Foreground(
        process=name or window_class or f"pid {pid}",
        pid=pid,
        exe=exe,
        title=active.get("title") or None,
        window_class=window_class,
    )


def event_name(line: str) -> str | None:
    """The event of one socket2 line ("activewindow" for `activewindow>>class,title`).

    Only the name is returned: the data after `>>` may carry a window title.
    """
    name, separator, _data = line.partition(">>")
    return name.strip() if separator else None


def focus_changes(lines: Iterable[str]) -> Iterator[None]:
    """One item per `activewindow` event (`activewindowv2` repeats it, so it is skipped)."""
    for line in lines:
        if event_name(line) == "activewindow":
            yield None


def event_socket_paths(env: Mapping[str, str]) -> list[Path]:
    """Where socket2 may be: under $XDG_RUNTIME_DIR/hypr (Hyprland 0.40+), else /tmp/hypr."""
    signature = env.get("HYPRLAND_INSTANCE_SIGNATURE")
    if not signature:
        return []
    paths = []
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        paths.append(Path(runtime) / "hypr" / signature / ".socket2.sock")
    paths.append(Path("/tmp/hypr") / signature / ".socket2.sock")
    return paths


def _socket_lines(sock: socket.socket) -> Iterator[str]:
    buffer = b""
    while True:
        try:
            data = sock.recv(4096)
        except OSError:
            return
        if not data:
            return
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace")


class HyprlandProbe:
    """Reads the active Hyprland window through hyprctl."""

    name = "hyprland"
    measure = Measure.FOREGROUND

    def __init__(
        self,
        hyprctl: str | None = None,
        lookup: ProcessLookup = process_identity,
        env: Mapping[str, str] | None = None,
        idle: IdleConnect = wayland_idle,
    ) -> None:
        found = hyprctl or shutil.which("hyprctl")
        if found is None:
            raise ProbeError("The hyprctl command was not found, so Hyprland cannot be asked.")
        self._hyprctl = found
        self._lookup = lookup
        self._env = dict(os.environ if env is None else env)
        self._socket: socket.socket | None = None
        self._watcher: threading.Thread | None = None
        self._lock = LogindLock()
        try:
            self._idle = idle(self._env)
        except (ProbeError, OSError) as error:  # time still counts; doctor says idle is unknown
            log.info("no Wayland idle source (%s)", type(error).__name__)
            self._idle = None

    def _active_window(self) -> Mapping[str, Any]:
        try:
            done = subprocess.run(
                [self._hyprctl, "activewindow", "-j"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ProbeError("Hyprland did not answer in time.") from error
        except OSError as error:
            raise ProbeError("The hyprctl command could not be run.") from error
        if done.returncode != 0:
            raise ProbeError(f"hyprctl activewindow failed (exit status {done.returncode}).")
        try:
            active = json.loads(done.stdout)
        except json.JSONDecodeError as error:
            raise ProbeError(UNREADABLE) from error
        if not isinstance(active, dict):
            raise ProbeError(UNREADABLE)
        return active

    def foreground(self) -> Foreground | None:
        return foreground_from_active(self._active_window(), self._lookup)

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
            notes=() if self._idle is not None else (IDLE_NOTE,),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Listen on Hyprland's event socket and call back on every `activewindow` event."""
        if self._watcher is not None:
            return True
        sock = self._connect()
        if sock is None:
            log.warning("could not reach Hyprland's event socket; relying on sampling")
            return False
        self._socket = sock
        self._watcher = threading.Thread(
            target=_announce_focus,
            args=(sock, callback),
            name="driftcheck-hypr-focus",
            daemon=True,
        )
        self._watcher.start()
        return True

    def _connect(self) -> socket.socket | None:
        for path in event_socket_paths(self._env):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT_SECONDS)
            try:
                sock.connect(str(path))
            except OSError:
                sock.close()
                continue
            sock.settimeout(None)  # the watcher blocks in recv until close() shuts it down
            return sock
        return None

    def close(self) -> None:
        self._lock.close()
        if self._idle is not None:
            self._idle.close()
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already disconnected
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
            self._socket = None
        if self._watcher is not None:
            self._watcher.join(timeout=TIMEOUT_SECONDS)
            self._watcher = None


def _announce_focus(sock: socket.socket, callback: FocusCallback) -> None:
    for _ in focus_changes(_socket_lines(sock)):
        try:
            callback(time.monotonic())
        except Exception:
            log.exception("the focus callback failed")
