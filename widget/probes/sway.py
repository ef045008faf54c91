"""Sway probe: the focused container from `swaymsg -t get_tree`.

Sway's IPC says which window has focus and its pid, but nothing about idle time or the lock
screen, so those stay unknown (None). Focus changes come from `swaymsg -t subscribe -m`, run
on a thread of the probe's own.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import psutil

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock

__all__ = [
    "SwayProbe",
    "focus_changes",
    "focused_node",
    "foreground_from_node",
    "json_stream",
    "process_identity",
]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0
IDLE_NOTE = (
    "idle is not known on Sway without swayidle; driftcheck does not read swayidle yet, so "
    "time counts while a tracked app is in front, even when you step away."
)
# Workspace focus matters too: moving to an empty workspace leaves nothing in front.
SUBSCRIPTION = '["window", "workspace"]'

ProcessLookup = Callable[[int], tuple[str | None, str | None]]


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


def json_stream(chunks: Iterable[str]) -> Iterator[Any]:
    """The JSON values in a stream of text, whether one per line or pretty-printed."""
    decoder = json.JSONDecoder()
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        while True:
            buffer = buffer.lstrip()
            if not buffer:
                break
            try:
                value, end = decoder.raw_decode(buffer)
            except json.JSONDecodeError:
                break  # incomplete: wait for more text
            buffer = buffer[end:]
            yield value


def focus_changes(chunks: Iterable[str]) -> Iterator[None]:
    """One item per window or workspace focus event in `swaymsg -t subscribe -m` output."""
    for event in json_stream(chunks):
        if isinstance(event, dict) and event.get("change") == "focus":
            yield None


class SwayProbe:
    """Reads the focused Sway window through swaymsg."""

    name = "sway"
    measure = Measure.FOREGROUND

    def __init__(self, swaymsg: str | None = None, lookup: ProcessLookup = process_identity):
        found = swaymsg or shutil.which("swaymsg")
        if found is None:
            raise ProbeError("The swaymsg command was not found, so Sway cannot be asked.")
        self._swaymsg = found
        self._lookup = lookup
        self._subscriber: subprocess.Popen[str] | None = None
        self._watcher: threading.Thread | None = None
        self._lock = LogindLock()

    def _get_tree(self) -> Mapping[str, Any]:
        try:
            done = subprocess.run(
                [self._swaymsg, "-r", "-t", "get_tree"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ProbeError("Sway did not answer in time.") from error
        except OSError as error:
            raise ProbeError("The swaymsg command could not be run.") from error
        if done.returncode != 0:
            raise ProbeError(f"swaymsg -t get_tree failed (exit status {done.returncode}).")
        try:
            tree = json.loads(done.stdout)
        except json.JSONDecodeError as error:
            raise ProbeError("Sway's window tree could not be read.") from error
        if not isinstance(tree, dict):
            raise ProbeError("Sway's window tree could not be read.")
        return tree

    def foreground(self) -> Foreground | None:
        return foreground_from_node(focused_node(self._get_tree()), self._lookup)

    def idle_seconds(self) -> float | None:
        return None

    def locked(self) -> bool | None:
        return self._lock.locked()  # logind's LockedHint, where there is one

    def info(self) -> ProbeInfo:
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source=None,
            lock_source="logind LockedHint" if self._lock.available() else None,
            focus_events=self._watcher is not None and self._watcher.is_alive(),
            notes=(IDLE_NOTE,),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Run `swaymsg -t subscribe -m` and call back on every focus event it prints."""
        if self._watcher is not None:
            return True
        try:
            process = subprocess.Popen(
                [self._swaymsg, "-r", "-m", "-t", "subscribe", SUBSCRIPTION],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            log.warning("could not subscribe to Sway's focus events; relying on sampling")
            return False
        stdout = process.stdout
        assert stdout is not None  # stdout=PIPE
        self._subscriber = process
        self._watcher = threading.Thread(
            target=_announce_focus,
            args=(stdout, callback),
            name="driftcheck-sway-focus",
            daemon=True,
        )
        self._watcher.start()
        return True

    def close(self) -> None:
        self._lock.close()
        if self._subscriber is not None:
            self._subscriber.terminate()
            try:
                self._subscriber.wait(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._subscriber.kill()
                self._subscriber.wait(timeout=TIMEOUT_SECONDS)
            self._subscriber = None
        if self._watcher is not None:
            self._watcher.join(timeout=TIMEOUT_SECONDS)
            self._watcher = None


def _announce_focus(stream: IO[str], callback: FocusCallback) -> None:
    for _ in focus_changes(iter(stream.readline, "")):
        try:
            callback(time.monotonic())
        except Exception:
            log.exception("the focus callback failed")
    stream.close()
