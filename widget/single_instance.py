"""One driftcheck per data folder: a second launch asks the running one to show its widget.

POSIX: an `fcntl.flock` on `<data>/driftcheck.lock` says who runs (the kernel drops it when the
process dies, even by kill -9), and a FIFO `<data>/driftcheck.fifo` (owner-only) carries the
line "show" from a second launch to the running one. No sockets: nothing here can be reached
from another machine or another user.

Windows (unverified): `msvcrt.locking` on the same lock file; a second launch cannot reach the
first, so it only says that driftcheck is already running.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, Signal

LOCK_NAME = "driftcheck.lock"
FIFO_NAME = "driftcheck.fifo"
ALREADY_RUNNING = ("driftcheck is already running; its window should now be in front of you "
                   "(or click its icon in the tray).")


class SingleInstance(QObject):
    show_requested = Signal()

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
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
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
            os.mkfifo(self.fifo_path, 0o600)
            os.chmod(self.fifo_path, 0o600)
        return True

    def listen(self) -> None:
        """Start hearing "show" from later launches (needs the Qt application to exist)."""
        if self._lock_fd is None or not hasattr(os, "mkfifo"):
            return
        self._read_fd = os.open(self.fifo_path, os.O_RDONLY | os.O_NONBLOCK)
        # Our own idle writer: without one, the FIFO reads as end-of-file after each visitor
        # leaves and the notifier would fire without end.
        self._keep_fd = os.open(self.fifo_path, os.O_WRONLY | os.O_NONBLOCK)
        self._notifier = QSocketNotifier(self._read_fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)

    def _read(self) -> None:
        assert self._read_fd is not None
        try:
            data = os.read(self._read_fd, 4096)
        except BlockingIOError:
            return
        if any(line.strip() == b"show" for line in data.splitlines()):
            self.show_requested.emit()

    def ask_running_to_show(self, wait: float = 3.0,
                            sleep: Callable[[float], None] = time.sleep) -> bool:
        """Tell the running driftcheck to show its widget; False when it cannot be reached
        within `wait` seconds (it may still be starting, or this is Windows)."""
        if not hasattr(os, "mkfifo"):
            return False
        deadline = time.monotonic() + wait
        while True:
            try:
                if not stat.S_ISFIFO(os.stat(self.fifo_path).st_mode):
                    return False
                fd = os.open(self.fifo_path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: nobody reads yet; ENOENT: no FIFO yet
                if exc.errno not in (errno.ENXIO, errno.ENOENT) or time.monotonic() >= deadline:
                    return False
                sleep(0.1)
                continue
            try:
                os.write(fd, b"show\n")
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
