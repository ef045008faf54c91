"""Every file driftcheck leaves in its data folder, known by name, and whether a running
driftcheck still holds them.

`wipe` removes exactly what `our_files` finds, so this list of name patterns is the single
place that says what is ours; a file of any other name is never touched. Import uses
`instance_lock` and `database_users` too: it must not pull the data out from under a running
tracker.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from widget.logs import LOG_NAME

DB_NAME = "driftcheck.sqlite3"
# The single-instance lock and FIFO (widget.single_instance, which loads Qt; a test keeps
# these names equal to its own).
LOCK_NAME = "driftcheck.lock"
FIFO_NAME = "driftcheck.fifo"
EXPORT_TEMP_PREFIX = ".driftcheck-export-"
EXPORT_TEMP_SUFFIX = ".tmp"

_DB = re.escape(DB_NAME)
_SQLITE_COMPANION = r"(?:-wal|-shm|-journal)?"
_OURS = re.compile("|".join([
    rf"{_DB}{_SQLITE_COMPANION}",  # the database
    rf"{_DB}\.v\d+\.bak(?:\.partial)?{_SQLITE_COMPANION}",  # kept before a schema upgrade
    # set aside by `demo-data --force`, kept by `import --replace`
    rf"{_DB}\.before-(?:demo|import)-\d{{8}}T\d{{6}}Z(?:-\d+)?(?:\.partial)?{_SQLITE_COMPANION}",
    # a damaged database set aside at start, and the note that the person is yet to be told
    # (widget.store.recovery: CORRUPT_INFIX, COMPANIONS, NOTICE_SUFFIX)
    rf"{_DB}\.corrupt-\d{{8}}T\d{{6}}Z(?:-\d+)?(?:-wal|-shm|-journal|\.notice)?",
    rf"{re.escape(LOG_NAME)}(?:\.\d+)?",  # the log and its rotated copies
    re.escape(LOCK_NAME),
    re.escape(FIFO_NAME),
    rf"{re.escape(EXPORT_TEMP_PREFIX)}[A-Za-z0-9_]+{re.escape(EXPORT_TEMP_SUFFIX)}",
]))
_REMOVABLE = (stat.S_ISREG, stat.S_ISFIFO, stat.S_ISLNK, stat.S_ISSOCK)


def is_ours(name: str) -> bool:
    return _OURS.fullmatch(name) is not None


def our_files(data_dir: Path) -> list[Path]:
    """The files in `data_dir` (not below it) whose names driftcheck gives, sorted. Symbolic
    links are listed as links, never followed; directories are never listed."""
    try:
        entries = list(os.scandir(data_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        if not is_ours(entry.name):
            continue
        mode = entry.stat(follow_symlinks=False).st_mode
        if any(kind(mode) for kind in _REMOVABLE):
            found.append(Path(entry.path))
    return sorted(found)


@contextlib.contextmanager
def instance_lock(data_dir: Path) -> Iterator[bool]:
    """Hold the tray app's single-instance lock for the `with` block; yields False (holding
    nothing) when a running driftcheck has it.

    Taking the lock, not only testing it, keeps a tray app from starting half-way through a
    wipe or an import. The lock file is opened without creating it; with no lock file there
    is no tray app to wait for.
    """
    if sys.platform == "win32":  # unverified there: no flock; the open-files check remains
        yield True
        return
    import fcntl

    try:
        fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
                yield False
                return
            raise
        yield True
    finally:
        os.close(fd)  # closing drops the lock


def take_tracking_lock(data_dir: Path) -> int | None:
    """Take the lock the tray app holds while it runs, for `driftcheck track`: the descriptor
    that holds it (close it to let go), or None when the tray or another `track` has it.
    One tracker per data folder, so no second of use is counted twice. Elsewhere than POSIX
    (no flock; unverified) it holds nothing and says so with -1."""
    if sys.platform == "win32":
        return -1
    import fcntl

    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
            return None
        raise
    return fd


def database_users(data_dir: Path) -> list[int]:
    """Ids of other processes that have the database (or its -wal) open, such as
    `driftcheck track` in a terminal; empty where that cannot be seen."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return []
    wanted = {str((data_dir / name).resolve()) for name in (DB_NAME, f"{DB_NAME}-wal")}
    users = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            files = process.open_files()
        except (psutil.Error, OSError):
            continue
        if any(f.path in wanted for f in files):
            users.append(process.pid)
    return users


def still_running_sentence(what: str, users: list[int]) -> str:
    """The kind sentence for a data folder that a running driftcheck holds; `what` is the
    step to take afterwards, "run `driftcheck wipe` again"."""
    if not users:
        return (f"driftcheck is still running; please choose Quit from its tray menu (or stop "
                f"`driftcheck track` in its terminal) first, then {what}.")
    pids = ", ".join(str(pid) for pid in users[:3])
    return (f"Another program still has the driftcheck database open (process {pids}, "
            f"perhaps `driftcheck track` in a terminal); please stop it first, then {what}.")
