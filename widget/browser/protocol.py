"""The messages between the extension, its host and the tracker, and how each link frames them
(docs/BROWSER.md, "Native messaging" and "Host <-> tracker").

Extension <-> host: native messaging, a 4-byte length in native byte order and that many bytes
of UTF-8 JSON. Host <-> tracker: JSON lines over the AF_UNIX socket.

A third kind of client may open the socket: a driftcheck command (`doctor`, `apps check`, the
apps dialog) that asks the running tracker once which browsers are connected and what the one
whose window is `pid` says of its tab in front (`ask`), gets one `answer` line and is let go.

Every message has exactly one shape. Anything else (other keys, other types, an app id that
was not handed out, too many bytes, not JSON at all) is `Refused` with a short reason that
the caller counts. A refused message's bytes are never logged, shown or kept: they could hold
whatever a page managed to put there.

Standard library only, and only the lighter part of it (no dataclasses, no pathlib): the host
imports this module and lives as long as the browser.
"""

from __future__ import annotations

import json
import os
import re
import struct
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, TypeGuard

if TYPE_CHECKING:
    from pathlib import Path

VERSION = 1
MAX_NATIVE_BYTES = 1024 * 1024  # one native message; the browsers' own limit host -> extension
MAX_STATE_BYTES = 1024  # a state from the extension (about 70 bytes when well formed)
MAX_LINE_TO_TRACKER = 4096  # hello and state lines, host -> tracker
MAX_LINE_TO_HOST = MAX_NATIVE_BYTES  # the rules line, which the host passes on to the extension
MAX_APPS = 1000
MAX_ADDRESSES = 100  # per app
MAX_ADDRESS_CHARACTERS = 300  # a host name is at most 253, plus a port and a path prefix

_LENGTH = struct.Struct("=I")  # native byte order, 4 bytes, as the browsers send it
APP_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}", re.ASCII)  # "claude", "custom-my-bot-2"
BROWSER_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}", re.ASCII)  # "firefox", "chromium"

# Why a message was refused: the only words about it that may be logged.
TOO_LONG = "too long"
NOT_JSON = "not JSON"
WRONG_SHAPE = "not a known shape"
UNKNOWN_APP = "an app id that was not handed out"


class Refused(Exception):
    """A message that is not exactly one of the known shapes; `reason` is one of the four
    words above, never anything taken from the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class State(NamedTuple):
    """What the extension says: the tracked app in the active tab of the last focused window
    (None: no tracked app), whether that tab plays sound, whether the browser has the focus."""

    app: str | None
    audible: bool
    focused: bool


class Hello(NamedTuple):
    """A host's first line to the tracker: which browser started it, and that browser's
    process (the host's parent), which owns its windows."""

    browser: str
    browser_pid: int


class Ask(NamedTuple):
    """A driftcheck command's one question to the tracker: which browsers are connected, and
    what the browser of window process `pid` (None: no window) says of its tab in front."""

    pid: int | None


class TabAnswer(NamedTuple):
    """What the tracker knows of the window in front from the browsers' extensions."""

    known: bool  # a connected browser with the focus speaks for that window
    app: str | None  # the tracked app in its active tab; None: none of them, whatever the title
    audible: bool  # that tab plays sound


NOT_KNOWN = TabAnswer(False, None, False)


class Answer(NamedTuple):
    """The tracker's answer to `Ask`: the browsers whose extensions are connected (by name,
    oldest first, a name once), what it knows of the window asked about, and which browser's
    extension said it (None when none did)."""

    browsers: tuple[str, ...]
    front: TabAnswer
    speaker: str | None = None


class WebApp(NamedTuple):
    """One tracked app as the extension matches it: its id and its address rules."""

    id: str
    addresses: tuple[str, ...]


# --- reading JSON strictly ---------------------------------------------------------------


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise Refused(WRONG_SHAPE)  # two values for one key: which one counts is unclear
        found[key] = value
    return found


def _no_constant(_name: str) -> object:
    raise Refused(NOT_JSON)  # NaN, Infinity: Python's json takes them, JSON does not


def parse_object(raw: bytes) -> dict[str, object]:
    """`raw` as one JSON object (strict UTF-8, no repeated key, no NaN), or Refused."""
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys,
                           parse_constant=_no_constant)
    except Refused:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused(NOT_JSON) from None
    if not isinstance(value, dict):
        raise Refused(WRONG_SHAPE)
    return value


def _exactly(message: Mapping[str, object], kind: str, keys: set[str]) -> None:
    if message.keys() != keys | {"type"} or message["type"] != kind:
        raise Refused(WRONG_SHAPE)


def _state(message: Mapping[str, object], apps: Collection[str]) -> State:
    _exactly(message, "state", {"app", "audible", "focused"})
    app, audible, focused = message["app"], message["audible"], message["focused"]
    if type(audible) is not bool or type(focused) is not bool:  # not 0/1: exactly true/false
        raise Refused(WRONG_SHAPE)
    if app is not None:
        if not isinstance(app, str):
            raise Refused(WRONG_SHAPE)
        if app not in apps:
            raise Refused(UNKNOWN_APP)
    return State(app, audible, focused)


def parse_state(raw: bytes, apps: Collection[str]) -> State:
    """A `state` from the extension, whose `app` must be one of `apps` (the ids it was given)."""
    if len(raw) > MAX_STATE_BYTES:
        raise Refused(TOO_LONG)
    return _state(parse_object(raw), apps)


def _pid(value: object) -> int:
    if type(value) is not int or not 0 < value < 2**31:
        raise Refused(WRONG_SHAPE)
    return value


def parse_from_host(raw: bytes, apps: Collection[str]) -> Hello | State | Ask:
    """A line a client sent the tracker: a host's `hello`, or its `state` about one of `apps`;
    or a command's `ask`."""
    if len(raw) > MAX_LINE_TO_TRACKER:
        raise Refused(TOO_LONG)
    message = parse_object(raw)
    if message.get("type") == "state":
        return _state(message, apps)
    if message.get("type") == "ask":
        _exactly(message, "ask", {"version", "pid"})
        if type(message["version"]) is not int or message["version"] != VERSION:
            raise Refused(WRONG_SHAPE)
        return Ask(None if message["pid"] is None else _pid(message["pid"]))
    _exactly(message, "hello", {"version", "browser", "browser_pid"})
    version, browser, pid = message["version"], message["browser"], message["browser_pid"]
    if type(version) is not int or version != VERSION:
        raise Refused(WRONG_SHAPE)
    if not isinstance(browser, str) or not BROWSER_NAME.fullmatch(browser):
        raise Refused(WRONG_SHAPE)
    return Hello(browser, _pid(pid))


def address_fits(value: object) -> TypeGuard[str]:
    """Whether `value` can travel as an address rule: printable text without spaces, not too
    long. (Whether it is a good rule is `widget.core.rules`' to say, before it is stored.)"""
    return (isinstance(value, str) and 0 < len(value) <= MAX_ADDRESS_CHARACTERS
            and value.isprintable() and not any(c.isspace() for c in value))


def _address(value: object) -> str:
    if not address_fits(value):
        raise Refused(WRONG_SHAPE)
    return value


def _web_app(value: object) -> WebApp:
    if not isinstance(value, dict) or value.keys() != {"id", "addresses"}:
        raise Refused(WRONG_SHAPE)
    key, addresses = value["id"], value["addresses"]
    if not isinstance(key, str) or not APP_ID.fullmatch(key):
        raise Refused(WRONG_SHAPE)
    if not isinstance(addresses, list) or not 0 < len(addresses) <= MAX_ADDRESSES:
        raise Refused(WRONG_SHAPE)
    return WebApp(key, tuple(_address(a) for a in addresses))


def parse_rules(raw: bytes) -> tuple[WebApp, ...]:
    """The tracker's `rules` line: the tracked apps that have address rules."""
    if len(raw) > MAX_LINE_TO_HOST:
        raise Refused(TOO_LONG)
    message = parse_object(raw)
    _exactly(message, "rules", {"apps"})
    apps = message["apps"]
    if not isinstance(apps, list) or len(apps) > MAX_APPS:
        raise Refused(WRONG_SHAPE)
    parsed = tuple(_web_app(app) for app in apps)
    if len({app.id for app in parsed}) != len(parsed):
        raise Refused(WRONG_SHAPE)
    return parsed


# --- writing -------------------------------------------------------------------------------


def _dump(message: Mapping[str, object]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _apps(apps: Sequence[WebApp]) -> list[dict[str, object]]:
    return [{"id": app.id, "addresses": list(app.addresses)} for app in apps]


def native_frame(message: Mapping[str, object]) -> bytes:
    """`message` framed for the browser; Refused(TOO_LONG) past the 1 MB it takes."""
    body = _dump(message)
    if len(body) > MAX_NATIVE_BYTES:
        raise Refused(TOO_LONG)
    return _LENGTH.pack(len(body)) + body


def rules_for_extension(apps: Sequence[WebApp]) -> dict[str, object]:
    return {"type": "rules", "version": VERSION, "apps": _apps(apps)}


def state_message(state: State) -> dict[str, object]:
    return {"type": "state", "app": state.app, "audible": state.audible,
            "focused": state.focused}


def hello_line(hello: Hello) -> bytes:
    return _dump({"type": "hello", "version": VERSION, "browser": hello.browser,
                  "browser_pid": hello.browser_pid}) + b"\n"


def state_line(state: State) -> bytes:
    return _dump(state_message(state)) + b"\n"


def ask_line(ask: Ask) -> bytes:
    return _dump({"type": "ask", "version": VERSION, "pid": ask.pid}) + b"\n"


def answer_line(answer: Answer) -> bytes:
    front = answer.front
    return _dump({"type": "answer", "browsers": list(answer.browsers),
                  "front": {"known": front.known, "app": front.app, "audible": front.audible,
                            "browser": answer.speaker}}) + b"\n"


def parse_answer(raw: bytes) -> Answer:
    """The tracker's `answer` line, or Refused."""
    if len(raw) > MAX_LINE_TO_TRACKER:
        raise Refused(TOO_LONG)
    message = parse_object(raw)
    _exactly(message, "answer", {"browsers", "front"})
    browsers, front = message["browsers"], message["front"]
    if not isinstance(browsers, list) or len(browsers) > 64 or not all(
            isinstance(b, str) and BROWSER_NAME.fullmatch(b) for b in browsers):
        raise Refused(WRONG_SHAPE)
    if not isinstance(front, dict) or front.keys() != {"known", "app", "audible", "browser"}:
        raise Refused(WRONG_SHAPE)
    known, app, audible, speaker = (front["known"], front["app"], front["audible"],
                                    front["browser"])
    if type(known) is not bool or type(audible) is not bool:
        raise Refused(WRONG_SHAPE)
    if app is not None and not (isinstance(app, str) and APP_ID.fullmatch(app)):
        raise Refused(WRONG_SHAPE)
    if speaker is not None and not (isinstance(speaker, str) and BROWSER_NAME.fullmatch(speaker)):
        raise Refused(WRONG_SHAPE)
    return Answer(tuple(browsers), TabAnswer(known, app, audible), speaker)


def rules_line(apps: Sequence[WebApp]) -> bytes:
    """The tracker's `rules` line; Refused(TOO_LONG) when the host could not take it."""
    line = _dump({"type": "rules", "apps": _apps(apps)}) + b"\n"
    if len(line) > MAX_LINE_TO_HOST - 16:  # room for the `version` the host adds
        raise Refused(TOO_LONG)
    return line


# --- framing of streams that arrive in pieces -------------------------------------------


class NativeReader:
    """Native messages out of bytes that arrive in pieces (the host's stdin).

    A message longer than `limit` is skipped as it streams past, never held in memory, and
    reported as Refused(TOO_LONG) in its place; the messages after it are read as usual."""

    def __init__(self, limit: int = MAX_NATIVE_BYTES) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._skip = 0

    def feed(self, data: bytes) -> list[bytes | Refused]:
        self._buffer += data
        found: list[bytes | Refused] = []
        while True:
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                del self._buffer[:dropped]
                self._skip -= dropped
                if self._skip:
                    return found
            if len(self._buffer) < _LENGTH.size:
                return found
            (length,) = _LENGTH.unpack_from(self._buffer)
            if length > self._limit:
                del self._buffer[:_LENGTH.size]
                self._skip = length
                found.append(Refused(TOO_LONG))
                continue
            end = _LENGTH.size + length
            if len(self._buffer) < end:
                return found
            found.append(bytes(self._buffer[_LENGTH.size:end]))
            del self._buffer[:end]


def read_native(stream: BinaryIO, limit: int = MAX_NATIVE_BYTES) -> bytes | None:
    """One native message from a blocking stream (what a browser reads from the host); None
    at the end of the stream. A message longer than `limit` is read past and Refused."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    if length > limit:
        while length:
            chunk = stream.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)
        raise Refused(TOO_LONG)
    body = stream.read(length)
    return body if len(body) == length else None


class LineReader:
    """Lines (without their `\\n`) out of bytes that arrive in pieces (either end of the
    socket). A line longer than `limit` is dropped as it streams past and reported as
    Refused(TOO_LONG)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes | Refused]:
        self._buffer += data
        found: list[bytes | Refused] = []
        while True:
            end = self._buffer.find(b"\n")
            if self._skipping:
                if end < 0:
                    self._buffer.clear()
                    return found
                del self._buffer[:end + 1]
                self._skipping = False
                continue
            if end < 0:
                if len(self._buffer) > self._limit:
                    self._buffer.clear()
                    self._skipping = True
                    found.append(Refused(TOO_LONG))
                return found
            line = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            found.append(Refused(TOO_LONG) if len(line) > self._limit else line)


# --- where the socket is ---------------------------------------------------------------------

SUN_PATH_MAX = 107  # the bytes of a path bind() and connect() take (Linux: 108 with the NUL)


@contextmanager
def socket_address(path: str | Path) -> Iterator[str]:
    """`path` in a form bind() and connect() take: itself when short enough; otherwise, on
    Linux, the same file reached through a descriptor of its folder (/proc/self/fd/N/NAME).
    A deep data folder (a test's temporary one, say) is longer than a socket's path may be."""
    if len(os.fsencode(path)) <= SUN_PATH_MAX or not os.path.isdir("/proc/self/fd"):
        yield os.fsdecode(path)
        return
    where, name = os.path.split(os.fsdecode(path))
    folder = os.open(where, getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{name}"
    finally:
        os.close(folder)
