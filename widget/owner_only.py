"""Writing a file the person asked for (an export, the PDF report) owner-only and whole.

The bytes go through the descriptor `mkstemp` returned, never through the temporary file's
name, so a name swapped for a link (or another file) in a folder others can write never
receives them; and the temporary file is renamed over the target only while its name is
still that same file. Someone who can write the folder can still replace the finished file
afterwards: what this promises is that driftcheck's bytes land in no file but its own.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from widget.errors import TemporarySwapped

OWNER_ONLY = 0o600


def write_owner_only(target: Path, data: bytes, prefix: str, suffix: str = ".tmp") -> None:
    """Write `data` to `target` (mode 0600, flushed to disk) through a temporary file made in
    the same folder, then renamed over `target`. OSError when that cannot be done; nothing
    of `data` is then left under any name."""
    fd, temporary = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), OWNER_ONLY)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            if not _still_named(out.fileno(), temporary):
                out.truncate(0)  # wherever our file went, it keeps none of `data`
                raise _swapped()
        try:
            os.replace(temporary, target)
        except FileNotFoundError:  # moved away between the check and the rename
            raise _swapped() from None
    except BaseException:
        _remove(temporary)
        raise


def _still_named(fd: int, temporary: str) -> bool:
    made = os.fstat(fd)
    try:
        named = os.lstat(temporary)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (made.st_dev, made.st_ino)


def _swapped() -> TemporarySwapped:
    return TemporarySwapped(errno.EEXIST, "another program replaced its temporary file while "
                            "it was being written")


def _remove(temporary: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temporary)  # a link put there is removed, never followed
