"""Where driftcheck keeps its data, and how it keeps that data private to one person.

Everything driftcheck writes lives under one directory that only its owner may enter (0700),
in files only its owner may read (0600). Modes are enforced here, not left to the umask.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from widget.errors import UsageError

APP_DIR_NAME = "driftcheck"
DATA_DIR_ENV = "DRIFTCHECK_DATA_DIR"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077

EMPTY_DATA_DIR_ENV = (f"{DATA_DIR_ENV} is set but empty; give it a folder's path, or unset it "
                      "to use the usual data folder.")
EMPTY_DATA_DIR_OPTION = "it needs a folder's path, not empty text"

_IS_POSIX = os.name == "posix"


def default_data_dir(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Path:
    """The directory for the database and logs on this platform.

    `DRIFTCHECK_DATA_DIR` wins (tests and `--data-dir` use it); otherwise the platform's
    per-user data location. Nothing is created here. A `DRIFTCHECK_DATA_DIR` set to empty text
    is refused (UsageError): `Path("")` is the current folder, and falling back to the usual
    folder would mix, say, a script's trial data into the person's own.
    """
    override = env.get(DATA_DIR_ENV)
    if override is not None:
        if not override.strip():
            raise UsageError(EMPTY_DATA_DIR_ENV)
        return Path(override).expanduser()
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_DIR_NAME
    if platform.startswith("win") or platform == "cygwin":
        appdata = env.get("APPDATA")
        base = Path(appdata) if appdata else home / "AppData" / "Roaming"
        return base / APP_DIR_NAME
    xdg = env.get("XDG_DATA_HOME")
    # The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_DIR_NAME


def data_dir_argument(text: str) -> Path:
    """`--data-dir`'s value as a path; ValueError for empty text (which would be the current
    folder)."""
    if not text.strip():
        raise ValueError(EMPTY_DATA_DIR_OPTION)
    return Path(text)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing and make sure only its owner may enter it.

    Only `path` itself is made private: parents (such as ~/.local/share) keep the modes the
    umask gives them, and existing parents are left alone.
    """
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if _IS_POSIX:
        info = path.stat()
        # A shared folder such as /tmp (sticky) or someone else's is never made ours: closing
        # it to its other users would break their programs.
        if info.st_mode & stat.S_ISVTX or info.st_uid != os.getuid():
            raise PermissionError(errno.EPERM, "it is shared with others; give driftcheck a "
                                               "folder of its own")
        _tighten(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Create `path` if missing, readable and writable by its owner only (0600)."""
    try:
        # O_EXCL: a new file is born 0600 (less the umask); an existing one is never opened
        # for writing here, so its bytes cannot change.
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    if _IS_POSIX:
        _tighten(path, PRIVATE_FILE_MODE)


def make_private(path: Path) -> None:
    """Chmod an existing file to 0600 if it is wider; a missing file is not an error."""
    if not _IS_POSIX:
        return
    with suppress(FileNotFoundError):
        _tighten(path, PRIVATE_FILE_MODE)


def set_private_umask() -> int:
    """Set the process umask to 0o077 so every file born later (SQLite's -wal and -shm
    files, logs) is private from its first byte. Returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


@contextmanager
def private_umask() -> Iterator[None]:
    """The umask 0o077 for the duration of a `with` block, restored afterwards."""
    previous = set_private_umask()
    try:
        yield
    finally:
        os.umask(previous)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current != mode:
        os.chmod(path, mode)
