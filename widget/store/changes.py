"""Whether another connection wrote the database, told from its files without reading them.

Both stores answer `changed_by_others` with this. Asking the database (even `PRAGMA
data_version`, which runs in a read transaction) may move SQLite's read mark in the `-shm`
file after a write: a disk write the tracker must not make every 15 seconds while nothing
tracked is in front. The size, modification time and inode of the database and its WAL
change with every commit instead.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

# (size, mtime_ns, inode) of the database and of its WAL (None: no WAL); None: not told.
Stamp = tuple[tuple[int, int, int] | None, ...] | None


def stamp(path: Path) -> Stamp:
    """The database at `path` and its WAL as they are now; None when they cannot be told."""
    found: list[tuple[int, int, int] | None] = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            info = os.stat(file)
        except FileNotFoundError:
            found.append(None)
        except OSError:
            return None
        else:
            found.append((info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(found)


class ChangeWatch:
    """The files as one store last knew them. Thread-safe.

    A store calls `before_write` once it holds SQLite's write lock (after BEGIN IMMEDIATE, so
    nobody else writes meanwhile) and `own_commit` with what it returned after its COMMIT.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._seen: Stamp = None  # None: nothing known yet

    def changed_by_others(self) -> bool:
        """True when the files differ from what this store last knew (and the first time),
        then False until another connection writes again."""
        with self._lock:
            now = stamp(self._path)
            if now is not None and now == self._seen:
                return False
            self._seen = now
            return True

    def before_write(self) -> Stamp:
        return stamp(self._path)

    def own_commit(self, before: Stamp) -> None:
        """After a commit of ours: the files as they are now are known, unless another
        connection had written before it (then `changed_by_others` must still say so)."""
        with self._lock:
            if before is not None and before == self._seen:
                self._seen = stamp(self._path)
