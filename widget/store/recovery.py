"""A damaged database at start: set aside under a timestamped name, and a fresh one begins.

Every way into the file (`Store.open`, and `ResidentStore.open` for the tracker and the tray)
calls `examine` before anything writes to it; the tracker's way falls back to `Store.open`
when it finds damage, so setting aside happens in that one place. Damage is what SQLite
itself calls damage (SQLITE_CORRUPT "database disk image is malformed", SQLITE_NOTADB "file
is not a database") or a `PRAGMA quick_check` that does not answer "ok" (a valid header over
damaged pages opens fine and fails only when those pages are read). Nothing else is damage:
a file that is busy, locked, unreadable, on a read-only disk, from a newer driftcheck or from
another program is refused with a sentence and left exactly as it is.

`Store.open` then renames the damaged file and its `-wal`, `-shm` and `-journal` to
`<name>.corrupt-<UTC stamp>` (plus the same suffix), never while another process holds it
open, and starts a fresh file. An empty `<name>.corrupt-<UTC stamp>.notice` next to them says
that the person has not been told yet: whichever driftcheck shows things to them next (a
command's stderr, the tray's notification) takes it, once (`take_notices`). A file is the
note, not a setting, so that every way in (there are several) is covered without each of
them carrying it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from widget.errors import DamagedStore, StoreError
from widget.paths import make_private, private_file
from widget.store.codec import SCHEMA_VERSION

log = logging.getLogger(__name__)

CORRUPT_INFIX = ".corrupt-"
# What a set-aside file is called, as a glob relative to the data folder (wipe removes these).
CORRUPT_GLOB = "*" + CORRUPT_INFIX + "*"
COMPANIONS = ("-wal", "-shm", "-journal")
NOTICE_SUFFIX = ".notice"
NOTICE = ("the database in {folder} was damaged, so it was set aside as {name} (nothing in it "
          "was deleted) and a fresh one was started.")

# SQLite's primary result codes that mean the bytes themselves are wrong.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
# The byte range every connection to a WAL-mode database holds a shared lock on for as long
# as it is open (SQLite's os_unix.c: PENDING_BYTE + 2, 510 bytes; "the lock-byte page" in the
# file format). Another process holding it means the file is in use.
_SHARED_FIRST = 0x40000000 + 2
_SHARED_SIZE = 510


def is_damage(error: BaseException) -> bool:
    """True for the sqlite3 errors that mean a damaged file, and only those."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def examine(path: Path) -> int:
    """Check an existing file, read-only, before anything writes to it; returns its schema
    version.

    Raises DamagedStore for a damaged file and lets every other sqlite3.Error (busy,
    unreadable) through. A file from a newer driftcheck is not judged here: the caller
    refuses it, untouched, whatever its state. Loads no SQLAlchemy (the tracker calls it).
    """
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            return int(version)
        # About 30 ms for 100,000 intervals; reads every page, so damage anywhere shows.
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        if is_damage(error):
            raise DamagedStore(f"The driftcheck database at {path} is damaged ({error}).") \
                from error
        raise
    finally:
        if conn is not None:
            conn.close()
    if rows != ["ok"]:
        raise DamagedStore(f"The driftcheck database at {path} is damaged ({rows[0]}).")
    return int(version)


def set_aside_if_damaged(path: Path, now: Callable[[], datetime] | None = None) -> Path | None:
    """`examine` the file at `path`; when it is damaged, rename it and its companions out of
    the way and return its new path (a fresh database can then start at `path`)."""
    try:
        examine(path)
        return None
    except DamagedStore as damaged:
        if _in_use_elsewhere(path):
            raise StoreError(f"The driftcheck database at {path} looks damaged, and another "
                             "driftcheck is still using it; quit that one, and the next start "
                             "sets the damaged file aside and begins afresh.") from damaged
        try:
            target = _rename_aside(path, (now or _utc_now)())
        except OSError as error:
            raise StoreError(f"The driftcheck database at {path} is damaged and could not be "
                             f"set aside ({(error.strerror or str(error)).lower()}); move it "
                             "away yourself, or choose another folder with --data-dir.") \
                from error
    log.info("the database was damaged; set aside as %s and started afresh", target.name,
             extra={"event": "set_aside"})
    try:
        private_file(target.with_name(target.name + NOTICE_SUFFIX))
    except OSError as error:  # the person can still find it in the log
        log.warning("could not leave the note about the damaged database (%s)",
                    type(error).__name__)
    return target


def take_notices(folder: Path) -> list[str]:
    """A sentence for each damaged database set aside in `folder` that the person has not
    been told about yet; each is given once (its note is removed as it is read)."""
    from widget.core.text import printable  # every name said as the rest of the CLI says it

    told = []
    for note in sorted(folder.glob(f"*{CORRUPT_INFIX}*{NOTICE_SUFFIX}")):
        try:
            note.unlink()
        except OSError:
            continue  # another driftcheck took it first, or the folder is read-only
        told.append(NOTICE.format(folder=printable(str(folder)),
                                  name=printable(note.name[:-len(NOTICE_SUFFIX)])))
    return told


_OPEN_HERE: Counter[str] = Counter()  # databases this process has open, by resolved path


def hold(path: Path) -> None:
    """A store of this process opened `path`: it is never set aside under it."""
    _OPEN_HERE[_key(path)] += 1


def release(path: Path) -> None:
    key = _key(path)
    _OPEN_HERE[key] -= 1
    if _OPEN_HERE[key] <= 0:
        del _OPEN_HERE[key]


def _key(path: Path) -> str:
    return str(Path(path).resolve())


def _in_use_elsewhere(path: Path) -> bool:
    """True when this process (the tray's own store) or another one has the file open
    through SQLite (POSIX; elsewhere the rename itself fails on a file in use).

    This process is asked first: POSIX locks never conflict within one process, and closing
    a descriptor of the file would drop every lock this process holds on it, SQLite's own
    included."""
    if _OPEN_HERE.get(_key(path), 0) > 0:
        return True
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # then the rename decides
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, _SHARED_SIZE, _SHARED_FIRST)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, _SHARED_SIZE, _SHARED_FIRST)
        return False
    finally:
        os.close(fd)


def _rename_aside(path: Path, moment: datetime) -> Path:
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{CORRUPT_INFIX}{stamp}")
    n = 1
    while any(target.with_name(target.name + s).exists()
              for s in ("", *COMPANIONS, NOTICE_SUFFIX)):
        n += 1  # never over an earlier set-aside file
        target = path.with_name(f"{path.name}{CORRUPT_INFIX}{stamp}-{n}")
    # Companions first: a fresh file must never meet the old -wal, which SQLite would replay.
    for suffix in (*COMPANIONS, ""):
        with contextlib.suppress(FileNotFoundError):
            os.rename(path.with_name(path.name + suffix), target.with_name(target.name + suffix))
            make_private(target.with_name(target.name + suffix))
    return target


def _utc_now() -> datetime:
    return datetime.now(UTC)
