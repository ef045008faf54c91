"""A stand-in Sway IPC server for the unit tests: a real Unix socket named as Sway names its
own (`sway-ipc.UID.PID.sock`), speaking i3-ipc framing. It answers GET_TREE with the tree the
test sets and SUBSCRIBE with success, sends events to its subscribers, and can end (every
connection closed, the socket removed) as a Sway that exits does. The real Sway is in
tests/sway/.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
from pathlib import Path
from typing import Any

HEADER = struct.Struct("=6sII")
SUBSCRIBE = 2
GET_TREE = 4


def message(kind: int, payload: bytes, magic: bytes = b"i3-ipc") -> bytes:
    return HEADER.pack(magic, len(payload), kind) + payload


class FakeSway:
    """Serves in `folder` until `end()`. `tree` is what GET_TREE answers; with `silent` it
    answers nothing, with `garbage` bytes that are not i3-ipc."""

    def __init__(self, folder: Path, tree: dict[str, Any], *, pid: int = 4100,
                 uid: int | None = None) -> None:
        self.path = folder / f"sway-ipc.{os.getuid() if uid is None else uid}.{pid}.sock"
        self.tree = tree
        self.silent = False
        self.garbage = False
        self.asked: list[int] = []  # the type of every request, in order
        self._subscribers: list[socket.socket] = []
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(8)
        self.subscribed = threading.Event()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        while True:
            try:
                header = _exactly(conn, HEADER.size)
                _magic, length, kind = HEADER.unpack(header)
                _exactly(conn, length)
            except OSError:
                return
            self.asked.append(kind)
            if self.silent:
                continue
            if self.garbage:
                conn.sendall(message(kind, b"{}", magic=b"nonsns"))
            elif kind == GET_TREE:
                conn.sendall(message(kind, json.dumps(self.tree).encode()))
            elif kind == SUBSCRIBE:
                conn.sendall(message(kind, b'{"success": true}'))
                with self._lock:
                    self._subscribers.append(conn)
                self.subscribed.set()

    def emit(self, kind: int, event: dict[str, Any]) -> None:
        """Send an event (its type with the high bit set) to every subscriber."""
        with self._lock:
            for conn in self._subscribers:
                conn.sendall(message(kind, json.dumps(event).encode()))

    def end(self) -> None:
        """As Sway exiting: the socket removed, every connection closed."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._connections.clear()
            self._subscribers.clear()


def _exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("closed")
        data += chunk
    return data
