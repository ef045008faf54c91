"""The browser host's side (widget.browser.host, widget.browser.protocol): the native framing,
every message held to its one shape, and the host's loop between a fake extension (pipes) and
a real channel on an AF_UNIX socket. The real program as a browser starts it:
tests/e2e/test_browser_host.py."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.waiting import wait_for
from widget.browser.channel import BrowserChannel
from widget.browser.host import Host, browser_name
from widget.browser.protocol import (
    MAX_NATIVE_BYTES,
    MAX_STATE_BYTES,
    NOT_JSON,
    TOO_LONG,
    UNKNOWN_APP,
    WRONG_SHAPE,
    Answer,
    Ask,
    Hello,
    LineReader,
    NativeReader,
    Refused,
    State,
    TabAnswer,
    WebApp,
    answer_line,
    ask_line,
    native_frame,
    parse_answer,
    parse_from_host,
    parse_rules,
    parse_state,
    read_native,
    rules_line,
)

REPO = Path(__file__).resolve().parents[2]
CLAUDE = {"claude": ("claude.ai",)}
SECRET = "https://claude.ai/chat/zq81-PRIVATE-ADDRESS"


def frame(body: bytes) -> bytes:
    return struct.pack("=I", len(body)) + body


def state_bytes(**fields: object) -> bytes:
    message: dict[str, object] = {"type": "state", "app": "claude", "audible": False,
                                  "focused": True}
    message.update(fields)
    return json.dumps(message).encode()


def refusal(call: object) -> str:
    with pytest.raises(Refused) as caught:
        call()  # type: ignore[operator]
    return caught.value.reason


# --- framing --------------------------------------------------------------------------------


def test_native_messages_arriving_byte_by_byte_come_out_whole() -> None:
    data = frame(b'{"a":1}') + frame("{\"é\":2}".encode()) + frame(b"")
    reader = NativeReader()
    found: list[bytes | Refused] = []
    for i in range(len(data)):
        found += reader.feed(data[i:i + 1])
    assert found == [b'{"a":1}', "{\"é\":2}".encode(), b""]


def test_a_message_over_the_limit_is_skipped_unread_and_the_next_one_still_arrives() -> None:
    huge = 5 * 1024 * 1024
    reader = NativeReader(limit=MAX_NATIVE_BYTES)
    found = reader.feed(struct.pack("=I", huge) + b"x" * 100_000)
    assert [type(f) for f in found] == [Refused] and found[0].reason == TOO_LONG  # type: ignore[union-attr]
    assert len(reader._buffer) == 0  # nothing of it is held
    chunk = b"x" * 65536
    sent = 100_000
    while sent + len(chunk) <= huge:
        assert reader.feed(chunk) == []
        sent += len(chunk)
    assert reader.feed(b"x" * (huge - sent) + frame(b'{"ok":1}')) == [b'{"ok":1}']


def test_a_length_of_four_gigabytes_is_refused_not_awaited() -> None:
    reader = NativeReader()
    found = reader.feed(b"\xff\xff\xff\xff")
    assert len(found) == 1 and isinstance(found[0], Refused)


def test_read_native_reads_one_message_and_none_at_the_end() -> None:
    stream = io.BytesIO(frame(b'{"type":"rules"}') + struct.pack("=I", 2 * MAX_NATIVE_BYTES)
                        + b"y" * (2 * MAX_NATIVE_BYTES) + frame(b"{}"))
    assert read_native(stream) == b'{"type":"rules"}'
    assert refusal(lambda: read_native(stream)) == TOO_LONG
    assert read_native(stream) == b"{}"
    assert read_native(stream) is None
    assert read_native(io.BytesIO(b"\x05\x00")) is None  # a cut-off header is the end


def test_a_frame_is_native_byte_order_and_refused_past_one_megabyte() -> None:
    out = native_frame({"type": "rules", "version": 1, "apps": []})
    assert struct.unpack("=I", out[:4])[0] == len(out) - 4
    assert json.loads(out[4:]) == {"type": "rules", "version": 1, "apps": []}
    assert refusal(lambda: native_frame({"x": "y" * MAX_NATIVE_BYTES})) == TOO_LONG


def test_lines_longer_than_the_limit_are_dropped_as_they_stream_past() -> None:
    reader = LineReader(limit=10)
    out = reader.feed(b"short\n") + reader.feed(b"x" * 30) + reader.feed(b"y" * 30 + b"\nok\n")
    out += reader.feed(b"z" * 11 + b"\n")
    assert [o if isinstance(o, bytes) else o.reason for o in out] == \
        [b"short", TOO_LONG, b"ok", TOO_LONG]
    assert len(reader._buffer) == 0


# --- what the extension may say -----------------------------------------------------------


def test_a_well_formed_state_about_a_given_app_or_none_passes() -> None:
    assert parse_state(state_bytes(), {"claude"}) == State("claude", False, True)
    assert parse_state(state_bytes(app=None, audible=True, focused=False), set()) == \
        State(None, True, False)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", NOT_JSON),
    (b"\xff\xfe garbage", NOT_JSON),
    (b"[1, 2]", WRONG_SHAPE),
    (b'"state"', WRONG_SHAPE),
    (b'{"type": "state", "app": "claude", "audible": NaN, "focused": true}', NOT_JSON),
    (state_bytes(url=SECRET), WRONG_SHAPE),  # an extra key: the address must never pass
    (state_bytes(title="A private title"), WRONG_SHAPE),
    (json.dumps({"type": "state", "app": "claude", "audible": False}).encode(), WRONG_SHAPE),
    (state_bytes(type="rules"), WRONG_SHAPE),
    (state_bytes(audible=1), WRONG_SHAPE),  # true and false only, not 0 and 1
    (state_bytes(focused="yes"), WRONG_SHAPE),
    (state_bytes(app=7), WRONG_SHAPE),
    (state_bytes(app=["claude"]), WRONG_SHAPE),
    (state_bytes(app="claude.ai"), UNKNOWN_APP),
    (state_bytes(app=SECRET), UNKNOWN_APP),
    (b'{"type": "state", "app": "claude", "app": null, "audible": false, "focused": true}',
     WRONG_SHAPE),  # a key twice: which one counts would be anybody's guess
    (state_bytes(app="claude", padding="x" * MAX_STATE_BYTES), TOO_LONG),
    (b"[" * 100_000, TOO_LONG),
])
def test_anything_else_from_the_extension_is_refused_with_a_reason(raw: bytes,
                                                                   reason: str) -> None:
    assert refusal(lambda: parse_state(raw, {"claude"})) == reason


def test_a_refusal_never_carries_the_message() -> None:
    with pytest.raises(Refused) as caught:
        parse_state(state_bytes(url=SECRET), {"claude"})
    assert "PRIVATE" not in str(caught.value) and "PRIVATE" not in repr(caught.value)


# --- what the host and the tracker say to each other ---------------------------------------


def test_hello_and_state_lines_from_a_host() -> None:
    hello = b'{"type":"hello","version":1,"browser":"firefox","browser_pid":1234}'
    assert parse_from_host(hello, set()) == Hello("firefox", 1234)
    assert parse_from_host(state_bytes(), {"claude"}) == State("claude", False, True)


@pytest.mark.parametrize("fields", [
    {"version": 2}, {"version": True}, {"browser": "Firefox 128"}, {"browser": ""},
    {"browser": "x" * 40}, {"browser_pid": 0}, {"browser_pid": -5}, {"browser_pid": "1234"},
    {"browser_pid": True}, {"browser_pid": 2**40}, {"url": SECRET},
])
def test_a_hello_of_another_shape_is_refused(fields: dict[str, object]) -> None:
    hello: dict[str, object] = {"type": "hello", "version": 1, "browser": "chromium",
                                "browser_pid": 99}
    hello.update(fields)
    assert refusal(lambda: parse_from_host(json.dumps(hello).encode(), set())) == WRONG_SHAPE


def test_rules_round_trip_and_other_shapes_are_refused() -> None:
    apps = (WebApp("claude", ("claude.ai",)), WebApp("sillytavern", ("localhost:8000",)))
    assert parse_rules(rules_line(apps).rstrip(b"\n")) == apps
    assert parse_rules(rules_line(()).rstrip(b"\n")) == ()
    for bad in ({"type": "rules", "apps": [{"id": "Claude!", "addresses": ["claude.ai"]}]},
                {"type": "rules", "apps": [{"id": "claude", "addresses": []}]},
                {"type": "rules", "apps": [{"id": "claude", "addresses": ["a b"]}]},
                {"type": "rules", "apps": [{"id": "claude", "addresses": ["claude.ai"],
                                            "name": "Claude"}]},
                {"type": "rules", "apps": [{"id": "a", "addresses": ["a.ai"]},
                                           {"id": "a", "addresses": ["b.ai"]}]},
                {"type": "rules", "version": 1, "apps": []},
                {"type": "rules", "apps": {}}):
        assert refusal(lambda b=bad: parse_rules(json.dumps(b).encode())) == WRONG_SHAPE


def test_a_commands_ask_and_the_trackers_answer_have_one_shape_each() -> None:
    assert parse_from_host(ask_line(Ask(1234)).rstrip(b"\n"), set()) == Ask(1234)
    assert parse_from_host(ask_line(Ask(None)).rstrip(b"\n"), set()) == Ask(None)
    answer = Answer(("firefox", "chromium"), TabAnswer(True, "claude", False), "firefox")
    assert parse_answer(answer_line(answer).rstrip(b"\n")) == answer
    nobody = Answer((), TabAnswer(False, None, False))
    assert parse_answer(answer_line(nobody).rstrip(b"\n")) == nobody
    for bad in ({"type": "ask", "version": 1, "pid": 0}, {"type": "ask", "version": 1},
                {"type": "ask", "version": 2, "pid": 5}, {"type": "ask", "version": 1,
                                                          "pid": 5, "url": SECRET}):
        assert refusal(lambda b=bad: parse_from_host(json.dumps(b).encode(), set())) \
            == WRONG_SHAPE
    front = {"known": True, "app": "claude", "audible": False, "browser": "firefox"}
    for bad in ({"type": "answer", "browsers": ["Firefox 128"], "front": front},
                {"type": "answer", "browsers": [], "front": {**front, "app": "Not an id"}},
                {"type": "answer", "browsers": [], "front": {**front, "known": 1}},
                {"type": "answer", "browsers": [], "front": {**front, "title": SECRET}},
                {"type": "answer", "browsers": [], "front": {**front, "browser": "Fire fox"}},
                {"type": "answer", "browsers": "firefox", "front": front}):
        assert refusal(lambda b=bad: parse_answer(json.dumps(b).encode())) == WRONG_SHAPE


# --- which browser --------------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "parent", "expected"), [
    (["chrome-extension://abc/"], "chromium", "chromium"),
    (["chrome-extension://abc/"], "chrome", "chrome"),
    (["chrome-extension://abc/"], "brave", "brave"),
    (["chrome-extension://abc/"], "msedge", "edge"),
    (["chrome-extension://abc/"], "vivaldi-bin", "vivaldi"),
    (["chrome-extension://abc/", "--parent-window=0"], None, "chromium"),
    (["chrome-extension://abc/"], "firefox-esr", "chromium"),  # the arguments' family wins
    (["/home/me/.mozilla/native-messaging-hosts/io.github.driftcheck.json",
      "driftcheck@driftcheck.invalid"], "firefox-esr", "firefox"),
    (["/x/io.github.driftcheck.json", "driftcheck@driftcheck.invalid"], "sh", "firefox"),
    ([], "firefox", "firefox"),
    ([], "bash", "unknown"),
    ([], None, "unknown"),
])
def test_the_browser_is_named_from_its_arguments_and_its_process(
        arguments: list[str], parent: str | None, expected: str) -> None:
    assert browser_name(arguments, parent) == expected


# --- the host's loop ------------------------------------------------------------------------


class Extension:
    """The browser's end of the host: its stdin and stdout as pipes."""

    def __init__(self) -> None:
        self.to_host_r, self.to_host_w = os.pipe()
        self.from_host_r, self.from_host_w = os.pipe()
        self.reader = os.fdopen(self.from_host_r, "rb", buffering=0)
        self.open = {self.to_host_r, self.to_host_w, self.from_host_w}

    def say(self, data: bytes) -> None:
        os.write(self.to_host_w, data)

    def state(self, **fields: object) -> None:
        self.say(frame(state_bytes(**fields)))

    def heard(self) -> dict[str, object]:
        message = read_native(self.reader)  # type: ignore[arg-type]
        assert message is not None
        decoded = json.loads(message)
        assert isinstance(decoded, dict)
        return decoded

    def close(self, fd: int | None = None) -> None:
        """Close the host's stdin (the browser ends the port), or another end `fd`."""
        fd = self.to_host_w if fd is None else fd
        self.open.discard(fd)
        os.close(fd)


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder / "driftcheck-browser.sock"


@pytest.fixture
def extension() -> Iterator[Extension]:
    ext = Extension()
    yield ext
    ext.reader.close()
    for fd in list(ext.open):
        ext.close(fd)


def start_host(sock: Path, ext: Extension, pid: int = 4242,
               retry_s: float = 0.05) -> tuple[Host, threading.Thread, list[int]]:
    host = Host(str(sock), Hello("chromium", pid), stdin=ext.to_host_r, stdout=ext.from_host_w,
                retry_s=retry_s)
    code: list[int] = []
    thread = threading.Thread(target=lambda: code.append(host.run()), daemon=True)
    thread.start()
    return host, thread, code


def test_the_host_carries_rules_out_and_states_in_and_ends_with_its_stdin(
        sock: Path, extension: Extension) -> None:
    channel = BrowserChannel(sock)
    channel.set_rules(CLAUDE)
    assert channel.start()
    try:
        _, thread, code = start_host(sock, extension)
        assert extension.heard() == {"type": "rules", "version": 1,
                                     "apps": [{"id": "claude", "addresses": ["claude.ai"]}]}
        extension.state(app="claude", audible=True)
        answer = wait_for(lambda: channel.app_for(4242).known and channel.app_for(4242), 5,
                          "the tracker to hear the state")
        assert answer == (True, "claude", True)
        extension.close()
        thread.join(5)
        assert code == [0]
        wait_for(lambda: not channel.connected(), 5, "the tracker to see the host go")
    finally:
        channel.close()


def test_the_host_drops_what_is_not_a_state_about_a_given_app_and_counts_it(
        sock: Path, extension: Extension) -> None:
    channel = BrowserChannel(sock)
    channel.set_rules(CLAUDE)
    assert channel.start()
    try:
        host, thread, _ = start_host(sock, extension)
        extension.heard()
        extension.state(app="character-ai")  # never handed out
        extension.state(url=SECRET)
        extension.say(frame(b"\x00garbage"))
        extension.say(struct.pack("=I", 3 * MAX_NATIVE_BYTES) + b"z" * (3 * MAX_NATIVE_BYTES))
        extension.state(app="claude")  # and the good one after them still arrives
        wait_for(lambda: channel.app_for(4242).known, 5, "the good state")
        assert host.refused == {UNKNOWN_APP: 1, WRONG_SHAPE: 1, NOT_JSON: 1, TOO_LONG: 1}
        assert channel.refused == {}  # nothing bad reached the tracker
        extension.close()
        thread.join(5)
    finally:
        channel.close()


def test_a_host_started_before_the_tracker_finds_it_and_brings_its_last_state(
        sock: Path, extension: Extension) -> None:
    _, thread, code = start_host(sock, extension)
    extension.state(app=None, focused=True)  # no rules yet: only null is a known app
    channel = BrowserChannel(sock)
    channel.set_rules(CLAUDE)
    try:
        assert channel.start()
        assert extension.heard()["type"] == "rules"
        wait_for(lambda: channel.app_for(4242).known, 5, "the state the host kept")
        assert channel.app_for(4242) == (True, None, False)
        extension.close()
        thread.join(5)
        assert code == [0]
    finally:
        channel.close()


def test_the_host_leaves_stdout_to_native_messages_alone(sock: Path,
                                                         extension: Extension) -> None:
    """Everything the host writes is a native message: a stray byte would break the port."""
    channel = BrowserChannel(sock)
    channel.set_rules(CLAUDE)
    assert channel.start()
    try:
        _, thread, _ = start_host(sock, extension)
        extension.state(url=SECRET)  # refused: the host says so on stderr, not stdout
        extension.heard()
        extension.close()
        thread.join(5)
        extension.close(extension.from_host_w)
        assert extension.reader.read() == b""
    finally:
        channel.close()


def test_the_host_program_loads_no_heavy_library() -> None:
    """The host runs as long as the browser: only the standard library's lighter modules."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import widget.browser.host; "
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(REPO)],
                         capture_output=True, text=True, check=True, timeout=30)
    loaded = set(out.stdout.split())
    heavy = {"PySide6", "sqlalchemy", "apscheduler", "psutil", "sqlite3", "argparse",
             "logging", "dataclasses", "pathlib", "widget.cli", "widget.core",
             "widget.paths", "ssl", "asyncio"}
    assert loaded & heavy == set()
    assert "widget.browser.protocol" in loaded
