"""Logging: JSON lines in the data directory (owner-only), and plain lines on stderr.

Nothing logged may contain a window title. Messages name kinds of errors, app keys and counts.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from pathlib import Path

LOG_NAME = "driftcheck.log"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("event", "app", "probe", "measure"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file, which a full disk or a read-only folder may refuse for a while: the line
    is dropped rather than a traceback printed on stderr for every one (logging's default).
    Warnings still reach stderr through the console handler."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass

    def _open(self):  # type: ignore[no-untyped-def]
        """Opened (and reopened after a rotation) without following a link, owner-only."""
        fd = os.open(self.baseFilename, _LOG_FLAGS, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


_LOG_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))


def setup_logging(data_dir: Path, level: str = "info", stderr: bool = True) -> Path:
    """Send the program's log to `data_dir/driftcheck.log` (mode 0600, rotated at 1 MB).

    The file is opened without following a link (ELOOP for a planted one, which the data
    folder's check refuses before this) and made 0600 through its descriptor."""
    path = data_dir / LOG_NAME
    fd = os.open(path, _LOG_FLAGS, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = _LogFile(path, maxBytes=1_000_000, backupCount=1, encoding="utf-8")
    file_handler.setFormatter(JsonFormatter())
    root.addHandler(file_handler)
    if stderr:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("driftcheck: %(message)s"))
        console.setLevel(logging.WARNING)
        root.addHandler(console)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return path
