"""One driftcheck per data folder: a second launch asks the running one to show its widget.

POSIX: an `fcntl.flock` on `<data>/driftcheck.lock` says who runs (the kernel drops it when the
process dies, even by kill -9), and a FIFO `<data>/driftcheck.fifo` (owner-only) carries one
line from a later launch to the running one: "show" (a second `driftcheck`: its widget in
front) or "dashboard" / "dashboard 2026-W48" (`driftcheck dashboard [--week]`: the dashboard
window at this week or that one). No sockets: nothing here can be reached from another machine
or another user, and a line that is not one of these is ignored.

Windows (unverified): `msvcrt.locking` on the same lock file; a second launch cannot reach the
first, so it only says that driftcheck is already running.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, Signal

# A link planted as the lock or the FIFO is never followed (ELOOP); the data folder's check
# (widget.paths.open_private_dir) refuses a folder holding one before this runs.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
LOCK_NAME = "driftcheck.lock"
FIFO_NAME = "driftcheck.fifo"
ALREADY_RUNNING = ("driftcheck is already running; its window should now be in front of you "
                   "(or click its icon in the tray).")


SHOW = "show"
DASHBOARD = "dashboard"
_WEEK = re.compile(r"\d{4}-W\d{2}")


def dashboard_message(week: str | None) -> str:
    """The line that asks the running driftcheck for its dashboard ('dashboard 2026-W48')."""
    if week is not None and not _WEEK.fullmatch(week):
        raise ValueError(f"not an ISO week: {week!r}")
    return DASHBOARD if week is None else f"{DASHBOARD} {week}"


def read_message(line: bytes) -> tuple[str, str | None] | None:
    """(what, week) for a line heard on the FIFO: ('show', None), ('dashboard', None) or
    ('dashboard', '2026-W48'); None for anything else (never acted on)."""
    try:
        words = line.decode("ascii").split()
    except UnicodeDecodeError:
        return None
    if words == [SHOW]:
        return SHOW, None
    if words[:1] == [DASHBOARD] and len(words) <= 2:
        week = words[1] if len(words) == 2 else None
        if week is None or _WEEK.fullmatch(week):
            return DASHBOARD, week
    return None


class SingleInstance(QObject):
    show_requested = Signal()
    # `driftcheck dashboard [--week W]`: the week ("" for this week); the app opens the window
    dashboard_requested = Signal(str)

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.lock_path = Path(data_dir) / LOCK_NAME
        self.fifo_path = Path(data_dir) / FIFO_NAME
        self._lock_fd: int | None = None
        self._read_fd: int | None = None
        self._keep_fd: int | None = None
        self._notifier: QSocketNotifier | None = None

    def acquire(self) -> bool:
        """True when this process is now the one driftcheck (no Qt needed yet); False when
        another holds the lock."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
                return False
            raise
        self._lock_fd = fd
        if hasattr(os, "mkfifo"):
            with contextlib.suppress(FileNotFoundError):
                self.fifo_path.unlink()  # a FIFO left by a process that died; the lock is ours
            os.mkfifo(self.fifo_path, 0o600)  # mkfifo never follows a link
            fd_mode = os.open(self.fifo_path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
            try:
                os.fchmod(fd_mode, 0o600)
            finally:
                os.close(fd_mode)
        return True

    def listen(self) -> None:
        """Start hearing "show" from later launches (needs the Qt application to exist)."""
        if self._lock_fd is None or not hasattr(os, "mkfifo"):
            return
        self._read_fd = os.open(self.fifo_path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
        # Our own idle writer: without one, the FIFO reads as end-of-file after each visitor
        # leaves and the notifier would fire without end.
        self._keep_fd = os.open(self.fifo_path, os.O_WRONLY | os.O_NONBLOCK | _NOFOLLOW)
        self._notifier = QSocketNotifier(self._read_fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)

    def _read(self) -> None:
        assert self._read_fd is not None
        try:
            data = os.read(self._read_fd, 4096)
        except BlockingIOError:
            return
        for line in data.splitlines():
            heard = read_message(line)
            if heard is None:
                continue
            what, week = heard
            if what == SHOW:
                self.show_requested.emit()
            else:
                self.dashboard_requested.emit(week or "")

    def is_running(self) -> bool:
        """Whether another process holds the lock (a driftcheck runs on this data folder),
        without taking it for good and without making the FIFO."""
        try:
            fd = os.open(self.lock_path, os.O_RDWR | _NOFOLLOW)
        except FileNotFoundError:
            return False  # no lock file: nobody has run here yet
        try:
            _lock(fd)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
                return True
            raise
        finally:
            os.close(fd)  # closing drops a lock we took
        return False

    def ask_running_to_show(self, wait: float = 3.0,
                            sleep: Callable[[float], None] = time.sleep) -> bool:
        """Tell the running driftcheck to show its widget; False when it cannot be reached
        within `wait` seconds (it may still be starting, or this is Windows)."""
        return self.ask_running(SHOW, wait, sleep)

    def ask_running(self, message: str, wait: float = 3.0,
                    sleep: Callable[[float], None] = time.sleep) -> bool:
        """Send the running driftcheck one line (`SHOW`, or a `dashboard_message`); False
        when it cannot be reached within `wait` seconds."""
        if not hasattr(os, "mkfifo"):
            return False
        deadline = time.monotonic() + wait
        while True:
            try:
                if not stat.S_ISFIFO(os.lstat(self.fifo_path).st_mode):
                    return False
                fd = os.open(self.fifo_path, os.O_WRONLY | os.O_NONBLOCK | _NOFOLLOW)
            except OSError as exc:  # ENXIO: nobody reads yet; ENOENT: no FIFO yet
                if exc.errno not in (errno.ENXIO, errno.ENOENT) or time.monotonic() >= deadline:
                    return False
                sleep(0.1)
                continue
            try:
                os.write(fd, message.encode("ascii") + b"\n")
                return True
            except OSError:
                return False
            finally:
                os.close(fd)

    def release(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        for fd in (self._keep_fd, self._read_fd):
            if fd is not None:
                os.close(fd)
        self._keep_fd = self._read_fd = None
        if self._lock_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.fifo_path.unlink()
            os.close(self._lock_fd)  # closing drops the lock
            self._lock_fd = None


def _lock(fd: int) -> None:
    if sys.platform == "win32":  # unverified
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
