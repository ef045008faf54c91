"""The tracker's end of the channel to the browsers' hosts: an AF_UNIX socket in the data
folder (docs/BROWSER.md, "Host <-> tracker").

Each browser's host (widget.browser.host) connects, says `hello` (which browser, and its
process), gets the address rules of the tracked apps (`Matcher.addresses`: checked, in their
canonical form), and passes on every `state` its extension sends. The tracker asks
`app_for(pid)` when a window is in front: a connected browser that has the focus answers for
its own windows. A driftcheck command asks the running tracker the same, once, through
`ask_tracker` (`doctor`, `apps check`, the apps dialog).

Threads: one listener thread ("driftcheck-browsers") accepts the hosts and reads them;
`app_for` is called on the sampler's threads, `set_rules` on the tracker's, `start` and `close`
on the thread that starts and stops the tracker. `on_change` is called on the listener thread,
with no lock held, whenever what a host says changes (or a host leaves).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import stat
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from widget.browser.host import same_user
from widget.browser.protocol import (
    APP_ID,
    MAX_ADDRESSES,
    MAX_LINE_TO_TRACKER,
    NOT_KNOWN,
    WRONG_SHAPE,
    Answer,
    Ask,
    Hello,
    LineReader,
    Refused,
    State,
    TabAnswer,
    WebApp,
    address_fits,
    answer_line,
    ask_line,
    parse_answer,
    parse_from_host,
    rules_line,
    socket_address,
)

__all__ = ["NOT_KNOWN", "BrowserChannel", "TabAnswer", "ask_tracker", "web_apps"]

log = logging.getLogger(__name__)

MAX_HOSTS = 16  # browsers at once; one host each
SEND_TIMEOUT_S = 2.0  # a host that takes no rules for this long is let go
READ_BYTES = 65536


@dataclass(eq=False)
class _Host:
    connection: socket.socket
    reader: LineReader
    hello: Hello | None = None
    state: State | None = None


def web_apps(addresses: Mapping[str, Sequence[str]]) -> tuple[WebApp, ...]:
    """The rules as the hosts get them, from the address rules by app key, in that order;
    what the protocol could not carry is left out (no checked rule is)."""
    found = []
    for key, patterns in addresses.items():
        fitting = tuple(pattern for pattern in patterns if address_fits(pattern))
        if fitting and APP_ID.fullmatch(key):
            found.append(WebApp(key, fitting[:MAX_ADDRESSES]))
    return tuple(found)


def parent_pid(pid: int) -> int | None:
    """The parent of process `pid`, or None when it is gone or cannot be read."""
    import psutil  # the tracker has it; the host must not

    try:
        return int(psutil.Process(pid).ppid())
    except psutil.Error:
        return None


class BrowserChannel:
    def __init__(self, path: Path, *, on_change: Callable[[], None] | None = None,
                 parent_of: Callable[[int], int | None] = parent_pid) -> None:
        self.path = path
        self._on_change = on_change
        self._parent_of = parent_of
        self._lock = threading.Lock()  # the hosts, the rules and their app ids
        # Held while rules are read and sent, so that a host never gets older rules last; and
        # while a connection is closed, so that nothing is sent through a closed descriptor.
        self._send_lock = threading.Lock()
        self._hosts: dict[socket.socket, _Host] = {}
        self._rules = rules_line(())
        self._apps: frozenset[str] = frozenset()
        self._listener: socket.socket | None = None
        self._inode: int | None = None
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self.refused: Counter[str] = Counter()  # dropped lines by reason, never content

    # --- the tracker's side --------------------------------------------------------------

    def start(self) -> bool:
        """Listen for hosts. False, with a warning, when that cannot be: the tracker goes on
        with window titles alone."""
        if sys.platform == "win32":
            return False  # no AF_UNIX in Python there; not done
        try:
            listener = self._listen()
        except OSError as error:
            log.warning("browsers cannot reach driftcheck this time (%s)",
                        error.strerror or type(error).__name__)
            return False
        if listener is None:
            return False
        self._listener = listener
        self._wake = os.pipe()
        self._closing = False
        self._thread = threading.Thread(target=self._serve, name="driftcheck-browsers",
                                        daemon=True)
        self._thread.start()
        log.info("listening for browsers", extra={"event": "browsers_listening"})
        return True

    def set_rules(self, addresses: Mapping[str, Sequence[str]]) -> None:
        """The address rules of the tracked apps by app key, at first and whenever the apps
        change: each connected host gets them, when they differ from the last ones."""
        found = web_apps(addresses)
        try:
            line = rules_line(found)
        except Refused:
            log.warning("there are too many address rules to give the browsers; they get none")
            found, line = (), rules_line(())
        with self._send_lock:
            with self._lock:
                if line == self._rules:
                    return
                self._rules, self._apps = line, frozenset(app.id for app in found)
                hosts = [host for host in self._hosts.values() if host.hello is not None]
            for host in hosts:
                self._send(host, line)

    def app_for(self, pid: int | None) -> TabAnswer:
        """What a connected browser says of its tab in front, when `pid` (the process of the
        window in front) is that browser's process or a child of it, and the browser says it
        has the focus; NOT_KNOWN otherwise, and the window's title decides."""
        return self._spoken(pid)[0]

    def _spoken(self, pid: int | None) -> tuple[TabAnswer, str | None]:
        """`app_for`'s answer, and the browser whose extension gave it (None: none did)."""
        if pid is None:
            return NOT_KNOWN, None
        with self._lock:
            if not self._hosts:
                return NOT_KNOWN, None
            found = self._answer(pid)
        if found is None:
            parent = self._parent_of(pid)
            if parent is None:
                return NOT_KNOWN, None
            with self._lock:
                found = self._answer(parent)
        return found or (NOT_KNOWN, None)

    def connected(self) -> list[Hello]:
        """The browsers whose hosts are connected and said hello, oldest first."""
        with self._lock:
            return [host.hello for host in self._hosts.values() if host.hello is not None]

    def close(self) -> None:
        """Stop listening, let every host go (each looks for a tracker again) and remove the
        socket, if it is still this channel's."""
        thread, wake = self._thread, self._wake
        if thread is None or wake is None:
            return
        self._closing = True
        os.write(wake[1], b"x")
        thread.join(timeout=5.0)
        # The socket goes first: a host let go below looks for a tracker at once, and must
        # find none rather than a connection queued on a listener about to close.
        if self._listener is not None:
            self._listener.close()
        self._remove_socket()
        with self._send_lock, self._lock:
            for connection in self._hosts:
                connection.close()
            self._hosts.clear()
        for fd in wake:
            os.close(fd)
        self._thread = self._wake = self._listener = None

    # --- the socket file -----------------------------------------------------------------

    def _listen(self) -> socket.socket | None:
        if not self._clear_stale():
            return None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with socket_address(self.path) as address:
                listener.bind(address)
            os.chmod(self.path, 0o600)  # inside a 0700 folder: nobody else could reach it anyway
            self._inode = os.lstat(self.path).st_ino
            listener.listen(MAX_HOSTS)
        except BaseException:
            listener.close()
            raise
        return listener

    def _clear_stale(self) -> bool:
        """Remove a socket file a crashed tracker left, when nobody answers on it. False when
        something else has the name, or another tracker answers."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return True
        if not stat.S_ISSOCK(info.st_mode):
            log.warning("browsers cannot reach driftcheck this time: the data folder holds a "
                        "file by the socket's name that is not a socket")
            return False
        knock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        knock.settimeout(1.0)
        try:
            with socket_address(self.path) as address:
                knock.connect(address)
        except ConnectionRefusedError:
            os.unlink(self.path)  # nobody listens: a crash left it
            return True
        finally:
            knock.close()
        log.warning("browsers cannot reach this tracker: another driftcheck listens for them "
                    "in this data folder")
        return False

    def _remove_socket(self) -> None:
        with contextlib.suppress(OSError):
            if os.lstat(self.path).st_ino == self._inode:
                os.unlink(self.path)

    # --- the listener thread -------------------------------------------------------------

    def _serve(self) -> None:
        assert self._listener is not None and self._wake is not None
        while not self._closing:
            with self._lock:
                connections = list(self._hosts)
            watched: list[int | socket.socket] = [self._wake[0], self._listener, *connections]
            try:
                ready = select.select(watched, [], [])[0]
            except (OSError, ValueError):  # closed under us by a close() that gave up waiting
                return
            if self._wake[0] in ready:
                return
            changed = False
            if self._listener in ready:
                self._accept()
            for connection in connections:
                if connection in ready:
                    changed |= self._read(connection)
            if changed and self._on_change is not None and not self._closing:
                try:
                    self._on_change()
                except Exception as error:  # the tracker's bug must not end the channel
                    log.warning("the tracker could not look again after a browser spoke (%s)",
                                type(error).__name__)

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return
        with self._lock:
            full = len(self._hosts) >= MAX_HOSTS
        if full or not same_user(connection):
            connection.close()
            return
        connection.settimeout(SEND_TIMEOUT_S)
        with self._lock:
            self._hosts[connection] = _Host(connection, LineReader(MAX_LINE_TO_TRACKER))

    def _read(self, connection: socket.socket) -> bool:
        """Read what one host sent; whether what it says changed."""
        host = self._hosts[connection]  # only this thread adds or removes hosts
        try:
            data = connection.recv(READ_BYTES)
        except OSError:
            data = b""
        if not data:
            return self._drop(host)
        changed = False
        for item in host.reader.feed(data):
            try:
                if isinstance(item, Refused):
                    raise item
                with self._lock:
                    apps = self._apps
                message = parse_from_host(item, apps)
                if isinstance(message, State) != (host.hello is not None):
                    raise Refused(WRONG_SHAPE)  # `hello` or `ask` first, and only once
            except Refused as refused:
                self._refuse(refused)
                continue
            if isinstance(message, Ask):
                self._answer_ask(host, message)
                return False  # what it asked changes nothing
            if isinstance(message, Hello):
                self._greet(host, message)
            else:
                with self._lock:
                    changed |= host.state != message
                    host.state = message
        return changed

    def _greet(self, host: _Host, hello: Hello) -> None:
        with self._send_lock:
            with self._lock:
                host.hello = hello
                line = self._rules
            self._send(host, line)
        log.info("a browser connected (%s)", hello.browser,
                 extra={"event": "browser_connected"})

    def _answer_ask(self, host: _Host, ask: Ask) -> None:
        """A command's question: the connected browsers and what the one of `ask.pid` says;
        then it is let go. Logged by nothing: a command asks each time it runs."""
        browsers = tuple(dict.fromkeys(hello.browser for hello in self.connected()))
        line = answer_line(Answer(browsers, *self._spoken(ask.pid)))
        with self._send_lock:
            self._send(host, line)
        self._drop(host)

    def _send(self, host: _Host, line: bytes) -> None:
        """Under the send lock."""
        try:
            host.connection.sendall(line)
        except OSError:
            # It takes nothing: the listener sees the end of it and lets it go.
            with contextlib.suppress(OSError):
                host.connection.shutdown(socket.SHUT_RDWR)

    def _drop(self, host: _Host) -> bool:
        with self._send_lock:
            with self._lock:
                del self._hosts[host.connection]
            host.connection.close()
        if host.hello is not None:
            log.info("a browser went away (%s)", host.hello.browser,
                     extra={"event": "browser_gone"})
        return host.state is not None  # what it said holds no more

    def _refuse(self, refused: Refused) -> None:
        self.refused[refused.reason] += 1
        if self.refused[refused.reason] == 1:
            log.warning("dropped a message from a browser's host (%s); later ones like it are "
                        "dropped quietly", refused.reason)

    def _answer(self, pid: int) -> tuple[TabAnswer, str | None] | None:
        """Under the lock: what the newest host of the browser with process `pid` says, and
        that browser's name when it speaks for the window; None when no host is that one's."""
        for host in reversed(self._hosts.values()):
            if host.hello is not None and host.hello.browser_pid == pid:
                state = host.state
                if state is None or not state.focused:
                    return NOT_KNOWN, None
                app = state.app if state.app in self._apps else None
                return TabAnswer(True, app, state.audible), host.hello.browser
        return None


ASK_TIMEOUT_S = 2.0


def ask_tracker(path: Path, pid: int | None, timeout: float = ASK_TIMEOUT_S) -> Answer | None:
    """Ask the tracker listening on `path` which browsers are connected and what the one whose
    window is process `pid` says of its tab in front. None when no tracker answers (none runs
    for this data folder, or one too old to be asked)."""
    if sys.platform == "win32":
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(timeout)
    reader = LineReader(MAX_LINE_TO_TRACKER)
    try:
        with socket_address(path) as address:
            connection.connect(address)
        connection.sendall(ask_line(Ask(pid)))
        while True:
            data = connection.recv(READ_BYTES)
            if not data:
                return None
            for item in reader.feed(data):
                return None if isinstance(item, Refused) else parse_answer(item)
    except (OSError, Refused):
        return None
    finally:
        connection.close()
