"""`driftcheck browser-host`: the native messaging host a browser starts for driftcheck's
extension. It passes the extension's state on to the running tracker over the tracker's
AF_UNIX socket, and the tracker's rules back to the extension (docs/BROWSER.md).

The browser starts one host per browser and keeps it as long as the extension's port is open;
the host exits when its stdin closes. It runs as long as the browser does, so it stays small:
standard library only (no Qt, SQLAlchemy, APScheduler or psutil), one thread, blocked in
`select` while nothing happens. While no tracker answers, it looks for the socket again every
`RETRY_S` seconds, and at once when the extension speaks.

`driftcheck browser-host` (what the browser starts, through the launcher) works out the
socket's path and the browser's name, then replaces itself (`exec`, same process) with a
Python that loads this module alone (`main`): the command line's own modules (argparse,
logging, the rules, the data folder's checks) would otherwise stay in memory for the
browser's whole session, about 7 MB of it here.

POSIX only (select on a pipe, AF_UNIX); Windows is not done.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from widget.browser.protocol import (
    MAX_LINE_TO_HOST,
    Hello,
    LineReader,
    NativeReader,
    Refused,
    State,
    hello_line,
    native_frame,
    parse_rules,
    parse_state,
    rules_for_extension,
    socket_address,
    state_line,
)

if TYPE_CHECKING:
    import argparse

RETRY_S = 5.0  # the longest wait for a tracker that is not there yet
SEND_TIMEOUT_S = 5.0  # a tracker that takes nothing for this long is let go (and looked for again)
READ_BYTES = 65536
# Browsers by the name of their process (Linux's comm, at most 15 characters), first match wins.
_BROWSER_PROCESSES = (("firefox", "firefox"), ("librewolf", "firefox"), ("chromium", "chromium"),
                      ("chrome", "chrome"), ("brave", "brave"), ("msedge", "edge"),
                      ("vivaldi", "vivaldi"), ("opera", "opera"))
_FIREFOX_FAMILY = {"firefox"}


class _PortClosed(Exception):
    """The browser stopped reading what the host writes."""


class Host:
    """The host's one loop: the extension on `stdin`/`stdout` (file descriptors), the tracker
    on the socket at `address`. Everything runs on the thread that calls `run`."""

    def __init__(self, address: str, hello: Hello, *, stdin: int = 0, stdout: int = 1,
                 retry_s: float = RETRY_S) -> None:
        self._address = address
        self._hello = hello
        self._stdin = stdin
        self._stdout = stdout
        self._retry_s = retry_s
        self._tracker: socket.socket | None = None
        self._from_tracker = LineReader(MAX_LINE_TO_HOST)
        self._next_try = 0.0  # monotonic time of the next look for the tracker
        self._apps: frozenset[str] = frozenset()  # the app ids the extension was last given
        self._state: State | None = None  # the extension's last word, kept for a new tracker
        self.refused: Counter[str] = Counter()  # dropped messages by reason, never content

    def run(self) -> int:
        """Until the browser closes stdin (or stops reading stdout): 0."""
        from_extension = NativeReader()
        try:
            while True:
                if self._tracker is None and time.monotonic() >= self._next_try:
                    self._connect()
                ready = self._wait()
                if self._stdin in ready:
                    data = os.read(self._stdin, READ_BYTES)
                    if not data:
                        return 0
                    for item in from_extension.feed(data):
                        self._from_extension(item)
                if self._tracker is not None and self._tracker.fileno() in ready:
                    self._read_tracker()
        except (_PortClosed, BrokenPipeError):
            return 0
        finally:
            self._disconnect()

    def _wait(self) -> list[int]:
        """Block until the extension or the tracker says something, or it is time to look
        for the tracker again."""
        if self._tracker is None:
            timeout = max(0.0, self._next_try - time.monotonic())
            return select.select([self._stdin], [], [], timeout)[0]
        return select.select([self._stdin, self._tracker.fileno()], [], [])[0]

    def _from_extension(self, item: bytes | Refused) -> None:
        try:
            if isinstance(item, Refused):
                raise item
            state = parse_state(item, self._apps)
        except Refused as refused:
            self._refuse(refused)
            return
        self._state = state
        if self._tracker is None:
            self._next_try = 0.0  # the extension spoke: look for the tracker now
        else:
            self._send(state_line(state))

    def _connect(self) -> None:
        self._next_try = time.monotonic() + self._retry_s
        tracker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        tracker.settimeout(SEND_TIMEOUT_S)
        try:
            with socket_address(self._address) as address:
                tracker.connect(address)
            if not same_user(tracker):
                raise PermissionError("the socket is someone else's")
        except OSError:
            tracker.close()
            return
        self._tracker = tracker
        self._from_tracker = LineReader(MAX_LINE_TO_HOST)
        self._send(hello_line(self._hello) + (b"" if self._state is None
                                               else state_line(self._state)))

    def _send(self, line: bytes) -> None:
        if self._tracker is None:
            return
        try:
            self._tracker.sendall(line)
        except OSError:
            self._disconnect()

    def _read_tracker(self) -> None:
        assert self._tracker is not None
        try:
            data = self._tracker.recv(READ_BYTES)
        except OSError:
            data = b""
        if not data:
            self._disconnect()  # the tracker stopped: look for it again from now on
            return
        for item in self._from_tracker.feed(data):
            try:
                if isinstance(item, Refused):
                    raise item
                apps = parse_rules(item)
                frame = native_frame(rules_for_extension(apps))
            except Refused as refused:
                self._refuse(refused)
                continue
            self._apps = frozenset(app.id for app in apps)
            self._write(frame)

    def _write(self, frame: bytes) -> None:
        view = memoryview(frame)
        while view:
            written = os.write(self._stdout, view)
            if written <= 0:
                raise _PortClosed
            view = view[written:]

    def _disconnect(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None

    def _refuse(self, refused: Refused) -> None:
        self.refused[refused.reason] += 1
        if self.refused[refused.reason] == 1:  # once per reason: the browser's log is no diary
            print(f"driftcheck browser-host: dropped a message ({refused.reason}); "
                  "later ones like it are dropped quietly", file=sys.stderr, flush=True)


def same_user(connection: socket.socket) -> bool:
    """Whether the process at the other end of a Unix socket runs as this user (Linux's
    SO_PEERCRED; elsewhere the private data folder is the only guard, and this says True)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    credentials = struct.Struct("3i")  # pid, uid, gid
    uid: int = credentials.unpack(
        connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, credentials.size))[1]
    return uid == os.getuid()


def parent_name(pid: int) -> str | None:
    """The process name of `pid` (Linux), or None."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as comm:
            return comm.read().strip() or None
    except OSError:
        return None


def browser_name(arguments: Sequence[str], parent: str | None) -> str:
    """Which browser started the host: Chromium-family browsers pass their extension's origin
    (`chrome-extension://ID/`), Firefox the manifest's path and the extension's id; the
    parent's process name says which one of a family, when it is known."""
    by_process = next((name for prefix, name in _BROWSER_PROCESSES
                       if parent and parent.lower().startswith(prefix)), None)
    if any(a.startswith("chrome-extension://") for a in arguments):
        family = "chromium"
    elif any(a.endswith(".json") for a in arguments) or any("@" in a for a in arguments):
        family = "firefox"
    else:
        return by_process or "unknown"
    if by_process is None or (by_process in _FIREFOX_FAMILY) != (family in _FIREFOX_FAMILY):
        return family
    return by_process


# The lean host's whole program: only the standard library's own folders and the one that
# holds `widget` are searched (-I -S: no site-packages, no current folder, no PYTHON* variables).
_LEAN = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from widget.browser.host import main; sys.exit(main(sys.argv[2:]))")


def run(args: argparse.Namespace) -> int:
    """`driftcheck [--data-dir D] browser-host [what the browser passes]`: on to `main` in a
    lean Python (the same process), or here in a frozen build, which has no other Python."""
    from widget.datafolder import data_dir
    from widget.paths import BROWSER_SOCKET_NAME

    address = os.path.abspath(data_dir(args) / BROWSER_SOCKET_NAME)
    arguments = [os.fsdecode(a) for a in args.browser_arguments]
    browser = browser_name(arguments, parent_name(os.getppid()))
    if getattr(sys, "frozen", False):
        return main([address, browser])
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-I", "-S", "-c", _LEAN, package_parent,
                              address, browser])


def main(argv: Sequence[str]) -> int:
    """The host itself: `argv` is the socket's path and the browser's name."""
    address, browser = argv
    # The native port is stdout, the host's alone: anything else printed goes to stderr.
    port = os.dup(1)
    os.dup2(2, 1)
    hello = Hello(browser, os.getppid())
    return Host(address, hello, stdin=0, stdout=port).run()
