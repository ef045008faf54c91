"""A stand-in for `driftcheck browser-host` in the browser tests: the native-messaging host
that the browser starts, which sends the extension the address rules and records every byte the
extension sends.

Run as `stand_in_host.py FOLDER [the browser's arguments...]`. It sends the rules in
FOLDER/rules.json (its "apps" list) at once and again whenever that file is replaced; appends
every message's bytes, exactly as they arrived, as one line to FOLDER/messages.log (a message
holding a newline byte would show as two lines, which no JSON text written by a browser does);
writes its arguments to FOLDER/started-<pid>.json; exits when the browser closes its stdin.
Standard library only.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
from pathlib import Path


def read_exactly(stream: object, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))  # type: ignore[attr-defined]
        if not chunk:
            return b""
        data += chunk
    return data


class Host:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.out = sys.stdout.buffer
        self.lock = threading.Lock()

    def send(self, message: dict[str, object]) -> None:
        data = json.dumps(message).encode("utf-8")
        with self.lock:
            self.out.write(struct.pack("=I", len(data)) + data)
            self.out.flush()

    def send_rules(self) -> None:
        rules = json.loads((self.folder / "rules.json").read_text(encoding="utf-8"))
        self.send({"type": "rules", "version": 1, "apps": rules["apps"]})

    def watch_rules(self, stop: threading.Event) -> None:
        """Send the rules again whenever the test replaces rules.json (os.replace: a new inode)."""
        path = self.folder / "rules.json"
        seen = path.stat().st_ino
        while not stop.wait(0.05):
            try:
                now = path.stat().st_ino
            except FileNotFoundError:
                continue
            if now != seen:
                seen = now
                self.send_rules()

    def record(self) -> None:
        with (self.folder / "messages.log").open("ab") as log:
            while True:
                header = read_exactly(sys.stdin.buffer, 4)
                if not header:
                    return  # the browser closed the port
                (size,) = struct.unpack("=I", header)
                body = read_exactly(sys.stdin.buffer, size)
                log.write(body + b"\n")
                log.flush()


def main() -> None:
    folder = Path(sys.argv[1])
    (folder / f"started-{os.getpid()}.json").write_text(json.dumps(sys.argv[2:]))
    host = Host(folder)
    host.send_rules()
    stop = threading.Event()
    threading.Thread(target=host.watch_rules, args=(stop,), daemon=True).start()
    try:
        host.record()
    finally:
        stop.set()
        (folder / f"ended-{os.getpid()}").touch()


if __name__ == "__main__":
    main()
