"""The data folder as a whole: made ready once a run (private, checked, with the log set up:
`prepare_data_dir`), the files driftcheck leaves in it (`our_files`, by the names
`widget.paths` gives), its locks, whether a running driftcheck still holds it, and the notes
of a damaged database set aside there (`tell_set_aside`).

`wipe` removes exactly what `our_files` finds; a file of any other name is never touched.
Import uses `instance_lock` and `database_users` too: it must not pull the data out from
under a running tracker. Where the folder is and how it is kept private: `widget.paths`.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from widget.errors import DataFolderRefused, StoreError, UsageError
from widget.paths import (
    DB_NAME,
    LOCK_NAME,
    default_data_dir,
    ensure_private_dir,
    is_ours,
)

_REMOVABLE = (stat.S_ISREG, stat.S_ISFIFO, stat.S_ISLNK, stat.S_ISSOCK)


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


# --- the data folder of this run ------------------------------------------------------


def data_dir(args: argparse.Namespace) -> Path:
    path = args.data_dir if args.data_dir is not None else default_data_dir()
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "~someone" for a user this system does not know
        from widget.core.text import printable

        raise UsageError(f"The data folder {printable(str(path))} starts with a home folder "
                         "this computer does not know; give the whole path.") from None


def prepare_data_dir(args: argparse.Namespace, log_to_stderr: bool = True) -> Path:
    """The data directory, private, with the log set up; a sentence if it cannot be used."""
    from widget.logs import setup_logging

    os.umask(0o077)  # files SQLite makes later (-wal, -shm) are born owner-only
    path = data_dir(args)
    level = args.log_level or os.environ.get("DRIFTCHECK_LOG_LEVEL", "info")
    from widget.core.text import printable

    try:
        directory = ensure_private_dir(path)
        setup_logging(directory, level, stderr=log_to_stderr)  # a read-only folder fails here
    except DataFolderRefused as refused:
        raise StoreError(f"The data folder {printable(str(path))} cannot be used: "
                         f"{refused.strerror}.") from None
    except OSError as exc:
        raise StoreError(f"The data folder {printable(str(path))} cannot be used "
                         f"({exc.strerror or exc}); choose another with --data-dir.") from None
    _PASSED.add(directory)
    return directory


# Data folders that passed `prepare_data_dir` in this process: the only ones `tell_set_aside`
# reads (and removes) notes from.
_PASSED: set[Path] = set()


def tell_set_aside(folder: Path) -> None:
    """Say once, on stderr, that a damaged database was set aside (widget/store/recovery.py).

    Only in a folder that passed `prepare_data_dir` in this run: a refused one (someone
    else's, open to others) is not ours to remove notes from, nor are the names in it."""
    from widget.store.recovery import take_notices

    if folder not in _PASSED:
        return
    for sentence in take_notices(folder):
        print(f"driftcheck: {sentence}", file=sys.stderr)
