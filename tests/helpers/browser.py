"""A stand-in for driftcheck's browser host on the tracker's socket (widget.browser.channel):
it connects, says hello, passes on states and reads the rules it is given, over a real
AF_UNIX socket, so that the channel and the tracker are tested as a host would meet them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from widget.browser.protocol import socket_address

READ_TIMEOUT_S = 5.0


class FakeHost:
    """One browser's host: `browser_pid` is the process its windows belong to."""

    def __init__(self, path: Path, browser: str = "chromium", browser_pid: int = 4242, *,
                 hello: bool = True) -> None:
        self.browser_pid = browser_pid
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(READ_TIMEOUT_S)
        with socket_address(path) as address:
            self.socket.connect(address)
        self._buffer = b""
        if hello:
            self.send({"type": "hello", "version": 1, "browser": browser,
                       "browser_pid": browser_pid})

    def send(self, message: dict[str, object]) -> None:
        self.send_raw(json.dumps(message).encode("utf-8") + b"\n")

    def send_raw(self, data: bytes) -> None:
        self.socket.sendall(data)

    def state(self, app: str | None, *, audible: bool = False, focused: bool = True) -> None:
        self.send({"type": "state", "app": app, "audible": audible, "focused": focused})

    def line(self) -> bytes:
        """The next line the tracker sent (socket.timeout after READ_TIMEOUT_S); b"" when
        the tracker closed the connection."""
        while b"\n" not in self._buffer:
            data = self.socket.recv(65536)
            if not data:
                return b""
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def rules(self) -> dict[str, object]:
        """The next `rules` the tracker sent, as JSON."""
        line = self.line()
        assert line, "the tracker closed the connection instead of sending rules"
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    def closed_by_tracker(self) -> bool:
        return self.line() == b""

    def close(self) -> None:
        self.socket.close()
