"""Where driftcheck keeps its data, the names of the files it leaves there, and how it keeps
that data private to one person.

Everything driftcheck writes lives under one directory that only its owner may enter (0700),
in files only its owner may read (0600). Modes are enforced here, not left to the umask.
The list of name patterns (`is_ours`) is the single place that says what is ours.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from widget.errors import DataFolderRefused, UsageError
from widget.logs import LOG_NAME

APP_DIR_NAME = "driftcheck"
DATA_DIR_ENV = "DRIFTCHECK_DATA_DIR"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077

EMPTY_DATA_DIR_ENV = (f"{DATA_DIR_ENV} is set but empty; give it a folder's path, or unset it "
                      "to use the usual data folder.")
EMPTY_DATA_DIR_OPTION = "it needs a folder's path, not empty text"

# --- the files driftcheck leaves in its data folder, by name -------------------------

DB_NAME = "driftcheck.sqlite3"
# The single-instance lock and FIFO (widget.desktop.single_instance, which loads Qt; a test keeps
# these names equal to its own).
LOCK_NAME = "driftcheck.lock"
FIFO_NAME = "driftcheck.fifo"
# The tracker's socket for the browser extension's host (widget.browser.channel; issue 13).
BROWSER_SOCKET_NAME = "driftcheck-browser.sock"
# The script the browsers' host manifests start (`driftcheck browser install`); ".cmd" on Windows.
BROWSER_LAUNCHER_NAME = "driftcheck-browser-host"
EXPORT_TEMP_PREFIX = ".driftcheck-export-"
EXPORT_TEMP_SUFFIX = ".tmp"
# Sharing with the person's other computers (issue 16; widget.sync.folder keeps the same names,
# a test holds them equal): this computer's identity in the shared folder, its writing's
# bookkeeping, the passphrase given to `driftcheck devices share`, the last good copies of the
# other computers' files (a folder), and the temporary files all of them are written through.
SYNC_IDENTITY_NAME = "sync-identity.json"
SYNC_STATE_NAME = "sync-state.json"
SYNC_PASSPHRASE_NAME = "sync-passphrase"
SYNC_CACHE_NAME = "sync-cache"
SYNC_LOCK_NAME = "sync.lock"  # one writer of this computer's shared files at a time
SYNC_TEMP_PREFIX = ".driftcheck-sync-"

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
    re.escape(BROWSER_SOCKET_NAME),
    rf"{re.escape(BROWSER_LAUNCHER_NAME)}(?:\.cmd)?",
    rf"{re.escape(EXPORT_TEMP_PREFIX)}[A-Za-z0-9_]+{re.escape(EXPORT_TEMP_SUFFIX)}",
    re.escape(SYNC_IDENTITY_NAME),
    re.escape(SYNC_STATE_NAME),
    re.escape(SYNC_PASSPHRASE_NAME),
    re.escape(SYNC_CACHE_NAME),  # a folder: `wipe` empties it of device files, then removes it
    re.escape(SYNC_LOCK_NAME),
    rf"{re.escape(SYNC_TEMP_PREFIX)}[A-Za-z0-9_]+\.tmp",
]))


def is_ours(name: str) -> bool:
    return _OURS.fullmatch(name) is not None



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


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_OPEN_DIR = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
SYMLINK_REASON = ("it is a symbolic link, and driftcheck keeps your data only in a real "
                  "folder; give the path of the folder itself")
SHARED_REASON = "it is shared with others; give driftcheck a folder of its own"
WRITABLE_REASON = ("it can be changed by other people on this computer, so driftcheck will not "
                   "keep your data there; choose a folder only you can write (or make this "
                   "one yours alone with `chmod 700`)")
HOLDER_REASON = ("the folder {holder} that holds it can be changed by other people on this "
                 "computer, so driftcheck will not keep your data there; choose a folder "
                 "inside one only you (or the system) can write, such as your home")


def ensure_private_dir(path: Path) -> Path:
    """Create `path` if missing, check that it is a private folder of this user's, and return
    it (`open_private_dir`, with the descriptor closed again)."""
    fd = open_private_dir(path)
    if fd >= 0:
        os.close(fd)
    return path


def open_private_dir(path: Path) -> int:
    """Create `path` (and its parents) if missing, check it, and return a descriptor of it
    (`O_DIRECTORY | O_NOFOLLOW`; -1 where there are no such descriptors, Windows).

    The checks are made on the descriptor itself (fstat), so what is checked is what is used:
    - every folder that holds `path`, from `/` down, is walked by descriptor and must be
      writable by nobody but this user and the system (a sticky folder such as /tmp is fine:
      there nobody may rename another's entry), so that the path cannot be pointed elsewhere
      after the check, which matters because SQLite opens its files by path;
    - `path` itself must not be a symbolic link, must be this user's, not sticky, and not
      writable by group or others (refused as it is, never chmodded: the person made it so);
      a folder others may only read is made 0700, the one change made to a folder that
      exists;
    - no entry in it may belong to someone else, and none of driftcheck's own names may be a
      symbolic link (`widget.datafolder.is_ours`).
    Each refusal is a `DataFolderRefused` with its reason in words; an ELOOP or EACCES on the
    way is one too.
    """
    if not _IS_POSIX:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        return -1
    path = Path(os.path.abspath(path))
    if _is_link(path):  # said first, as it is the plainest; the descriptor decides
        raise DataFolderRefused(SYMLINK_REASON)
    parent = Path(os.path.realpath(path.parent))  # links above the folder resolved once
    parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    try:
        holder = _walk_to(parent)
    except OSError as error:
        raise _refusal(error) from None
    try:
        created = True
        try:
            os.mkdir(path.name, PRIVATE_DIR_MODE, dir_fd=holder)
        except FileExistsError:
            created = False
        try:
            fd = os.open(path.name, _OPEN_DIR, dir_fd=holder)
        except OSError as error:
            # O_DIRECTORY | O_NOFOLLOW on a link: ELOOP, or ENOTDIR on Linux
            if error.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(path.name, holder):
                raise DataFolderRefused(SYMLINK_REASON) from None
            raise _refusal(error) from None
    finally:
        os.close(holder)
    try:
        _check_folder(fd, created)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_link(path: Path | str, dir_fd: int | None = None) -> bool:
    try:
        return stat.S_ISLNK(os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _walk_to(folder: Path) -> int:
    """A descriptor of `folder` (a resolved absolute path), reached one folder at a time from
    `/` without following links, each one checked to be writable only by us or the system."""
    fd = os.open("/", _OPEN_DIR)
    try:
        where = Path("/")
        for part in folder.parts[1:]:
            _check_holder(fd, where)
            child = os.open(part, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd, where = child, where / part
        _check_holder(fd, where)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_holder(fd: int, where: Path) -> None:
    info = os.fstat(fd)
    if info.st_uid not in (0, os.getuid()) or (
            _others_can_write(info) and not info.st_mode & stat.S_ISVTX):
        raise DataFolderRefused(HOLDER_REASON.format(holder=_say(where)))


def _others_can_write(info: os.stat_result) -> bool:
    """Write bits for others, or for a group with anyone in it but us (a home 0775 under a
    group of one's own, as some systems make them, is still only ours)."""
    if info.st_mode & stat.S_IWOTH:
        return True
    if not info.st_mode & stat.S_IWGRP:
        return False
    import grp

    try:
        group = grp.getgrgid(info.st_gid)
    except KeyError:
        return True
    me = os.getuid()
    import pwd

    try:
        name = pwd.getpwuid(me).pw_name
    except KeyError:
        return True
    return info.st_gid != os.getgid() or any(member != name for member in group.gr_mem)


def _check_folder(fd: int, created: bool) -> None:
    info = os.fstat(fd)
    if info.st_mode & stat.S_ISVTX or info.st_uid != os.getuid():
        # A shared folder such as /tmp (sticky) or someone else's is never made ours: closing
        # it to its other users would break their programs.
        raise DataFolderRefused(SHARED_REASON)
    if _others_can_write(info) and not created:
        raise DataFolderRefused(WRITABLE_REASON)

    for entry in os.scandir(fd):
        found = os.stat(entry.name, dir_fd=fd, follow_symlinks=False)
        if found.st_uid != os.getuid():
            raise DataFolderRefused(
                f"it holds {_say(entry.name)}, which belongs to someone else, so driftcheck "
                "will not use this folder; move that away, or choose another folder")
        if stat.S_ISLNK(found.st_mode) and is_ours(entry.name):
            raise DataFolderRefused(
                f"it holds {_say(entry.name)} as a symbolic link where driftcheck keeps a "
                "file of its own, so driftcheck will not use this folder; remove that link, "
                "or choose another folder")
    if stat.S_IMODE(info.st_mode) != PRIVATE_DIR_MODE:
        os.fchmod(fd, PRIVATE_DIR_MODE)  # only reading was open to others (or the umask's)


def _refusal(error: OSError) -> OSError:
    if isinstance(error, DataFolderRefused):
        return error
    if error.errno == errno.ELOOP:
        return DataFolderRefused(SYMLINK_REASON)
    if error.errno in (errno.EACCES, errno.EPERM):
        return DataFolderRefused("driftcheck may not open it (permission denied); choose a "
                                 "folder of your own")
    return error


def _say(text: object) -> str:
    from widget.core.text import printable  # the one way the command line shows a name

    return printable(str(text))


def private_file(path: Path) -> None:
    """Create `path` if missing, readable and writable by its owner only (0600)."""
    try:
        # O_EXCL: a new file is born 0600 (less the umask); an existing one is never opened
        # for writing here, so its bytes cannot change.
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | _NOFOLLOW, PRIVATE_FILE_MODE)
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
    """chmod `path`, never through a link (ELOOP for one): a link planted in the folder never
    makes us chmod what it points to. Checked by lstat, then chmod by path, not through a
    descriptor of our own: closing one would drop every POSIX lock this process holds on the
    file, SQLite's included. Nobody else can swap the entry in between, as the folder passed
    `open_private_dir` (only we may write it)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)
