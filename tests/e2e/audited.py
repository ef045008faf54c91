"""Runs driftcheck under an audit hook that records any network use.

Only AF_UNIX sockets (the X server, D-Bus) are allowed; any other socket family, any connect
to a non-path address and any name resolution is written to $DRIFTCHECK_AUDIT_LOG.
"""

from __future__ import annotations

import os
import socket
import sys

_LOG = os.environ["DRIFTCHECK_AUDIT_LOG"]
_RESOLVERS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
              "socket.gethostbyaddr", "socket.getnameinfo"}


def _record(text: str) -> None:
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.__new__":
        family = args[1]
        if family not in (socket.AF_UNIX, -1):
            _record(f"socket family {family}")
    elif event == "socket.connect":
        address = args[1]
        if not isinstance(address, str | bytes):
            _record(f"connect to a network address {type(address).__name__}")
    elif event in _RESOLVERS:
        _record(event)


sys.addaudithook(_hook)

from widget.cli import main  # noqa: E402  (the hook must be in place first)

raise SystemExit(main(sys.argv[1:]))
