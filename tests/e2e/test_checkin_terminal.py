"""`driftcheck checkin` on a real terminal (a pseudo-terminal from the `pty` module): the
question, the answers as numbers, a note, and an easy "Not now" (Enter or Ctrl-D), with what
a person types arriving as real keyboard input through the terminal's line discipline."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """driftcheck with a pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "dumb"}
        env.pop("DRIFTCHECK_DATA_DIR", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "widget", *args], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30) -> None:
        """Read what the terminal shows until `text` appears."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {text!r}; the screen:\n{self.seen}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the program ended and the terminal closed
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the program ended before {text!r}:\n{self.seen}")
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        code = self.proc.wait(timeout=30)
        os.close(self.master)
        return code


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def _kept(data: Path) -> list[tuple[int, str | None]]:
    db = data / "driftcheck.sqlite3"
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    try:
        return [tuple(row) for row in conn.execute("SELECT answer, note FROM checkins")]
    finally:
        conn.close()


def test_it_asks_on_the_terminal_and_keeps_the_typed_answer_and_note(data: Path) -> None:
    term = Terminal("--data-dir", str(data), "checkin")
    term.expect("quietly replacing connection")
    term.expect("  4  Some of it replaces connection")
    term.expect('Your answer (a number; Enter for "Not now"): ')
    term.type("9\n")  # not offered: asked again
    term.expect("That is not one of the numbers above")
    term.type("4\n")
    term.expect("A note, only for you (Enter for none): ")
    term.type("a long walk with Sam\n")
    term.expect("Thank you for checking in.")
    assert term.finish() == 0
    assert _kept(data) == [(4, "a long walk with Sam")]


@pytest.mark.parametrize("keys", ["\n", "\x04"], ids=["enter", "ctrl-d"])
def test_enter_or_ctrl_d_is_not_now(data: Path, keys: str) -> None:
    term = Terminal("--data-dir", str(data), "checkin")
    term.expect('Enter for "Not now"): ')
    term.type(keys)
    term.expect("Not now, then; nothing was kept.")
    assert term.finish() == 0
    assert _kept(data) == []


def test_without_a_terminal_it_says_how_to_answer_and_does_not_wait(data: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # stdin is a pipe held open that nobody writes to: reading it would wait for ever.
    read_end, write_end = os.pipe()
    try:
        done = subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data),
                               "checkin"], stdin=read_end, capture_output=True, text=True,
                              env=env, timeout=30)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("driftcheck: To check in, run `driftcheck checkin` in a "
                                  "terminal")
    assert len(done.stderr.splitlines()) == 1
