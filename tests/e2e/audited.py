"""Runs driftcheck (any command, or the tray app with none) under an audit hook that records
any network use.

Only AF_UNIX sockets (the X server, D-Bus) are allowed; any other socket family, any connect
to a non-path address and any name resolution is written to $DRIFTCHECK_AUDIT_LOG.

With $DRIFTCHECK_AUDIT_SEEN set, the sockets that are allowed are written there too, one line
each, so a test can see that the hook was live in the process it ran (python-xlib's
connection to the X server and jeepney's to D-Bus are Python sockets). Qt's own sockets are
made in C++, where no audit hook reaches; tests/e2e/test_privacy_session.py adds strace for
those.
"""

from __future__ import annotations

import os
import socket
import sys

_LOG = os.environ["DRIFTCHECK_AUDIT_LOG"]
_SEEN = os.environ.get("DRIFTCHECK_AUDIT_SEEN")
_RESOLVERS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
              "socket.gethostbyaddr", "socket.getnameinfo"}


def _record(text: str, log: str = _LOG) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.__new__":
        family = args[1]
        if family not in (socket.AF_UNIX, -1):
            _record(f"socket family {family}")
        elif _SEEN:
            _record(f"socket family {family}", _SEEN)
    elif event == "socket.connect":
        address = args[1]
        if not isinstance(address, str | bytes):
            _record(f"connect to a network address {type(address).__name__}")
        elif _SEEN:
            _record("connect to a path", _SEEN)
    elif event in _RESOLVERS:
        _record(event)


sys.addaudithook(_hook)

from widget.cli import program  # noqa: E402  (the hook must be in place first)

raise SystemExit(program())  # the program's own entry: arguments from sys.argv[1:]
