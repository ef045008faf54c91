"""Files and their modes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def mode(path: Path) -> int:
    """The permission bits of `path` (0o600, 0o700...)."""
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def loose_umask() -> Iterator[None]:
    """A typical desktop umask (022) for the duration, so a private mode can only come from the
    code under test; the process's own umask afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)
