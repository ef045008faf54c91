"""The Wayland wire format of widget/probes/wayland.py, byte for byte, and WaylandIdle's
ext-idle-notify-v1 path against a scripted compositor on a Unix socket (no compositor on this
machine has that protocol: Sway 1.7 and phoc offer KDE's, tested for real in
tests/wlroots/)."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.waiting import wait_for
from widget.probes import wayland
from widget.probes.wayland import (
    MessageReader,
    WaylandError,
    WaylandIdle,
    array,
    display_path,
    encode_message,
    fixed,
    int32,
    split_messages,
    string,
    uint,
)

NATIVE = "<" if sys.byteorder == "little" else ">"


def words(*values: int) -> bytes:
    return struct.pack(f"{NATIVE}{len(values)}I", *values)


def test_a_message_is_object_id_then_size_and_opcode_then_arguments() -> None:
    # wl_display.get_registry(new_id 2): 12 bytes, opcode 1.
    assert encode_message(1, 1, uint(2)) == words(1, 12 << 16 | 1, 2)
    assert encode_message(7, 4) == words(7, 8 << 16 | 4)


def test_strings_carry_their_nul_and_are_padded_to_four() -> None:
    assert string("wl_seat") == words(8) + b"wl_seat\0"
    assert string("abc") == words(4) + b"abc\0"
    assert string("abcd") == words(5) + b"abcd\0\0\0\0"
    assert string("") == words(1) + b"\0\0\0\0"
    assert string(None) == words(0)
    assert string("é") == words(3) + "é".encode() + b"\0\0"


def test_arrays_ints_and_fixed() -> None:
    assert array(b"\x01\x02\x03") == words(3) + b"\x01\x02\x03\0"
    assert array(b"") == words(0)
    assert int32(-1) == words(0xFFFFFFFF)
    assert fixed(1.0) == words(256)
    assert fixed(-1.0) == words(0xFFFFFF00)
    assert uint(-1) == words(0xFFFFFFFF)


def test_a_message_too_long_for_the_wire_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_message(3, 0, string("x" * 5000))


@given(st.lists(st.tuples(st.integers(1, 2**32 - 1), st.integers(0, 0xFFFF),
                          st.text(max_size=40), st.binary(max_size=40),
                          st.integers(-2**31, 2**31 - 1))))
def test_messages_read_back_as_written(items: list[tuple[int, int, str, bytes, int]]) -> None:
    stream = b"".join(encode_message(o, op, string(t), array(a), int32(n))
                      for o, op, t, a, n in items)
    messages, rest = split_messages(stream)
    assert rest == b""
    assert [(o, op) for o, op, _ in messages] == [(o, op) for o, op, *_ in items]
    for (_, _, payload), (_, _, text, data, number) in zip(messages, items, strict=True):
        reader = MessageReader(payload)
        assert (reader.string(), reader.array(), reader.int32()) == (text, data, number)


def test_an_incomplete_message_waits_for_the_rest() -> None:
    whole = encode_message(5, 2, string("seat0"), uint(9))
    for cut in range(len(whole)):
        messages, rest = split_messages(whole[:cut])
        assert messages == [] and rest == whole[:cut]
    (message,), rest = split_messages(whole + whole[:5])
    assert message[:2] == (5, 2) and rest == whole[:5]


@pytest.mark.parametrize("bad", [words(1, 4 << 16), words(1, 10 << 16) + b"\0\0",
                                 words(1, 0)])
def test_a_size_that_cannot_be_right_is_an_error(bad: bytes) -> None:
    with pytest.raises(WaylandError):
        split_messages(bad)


@pytest.mark.parametrize("payload", [b"", words(9) + b"abc", words(3) + b"abc\0",
                                     words(0xFFFFFFF0)])
def test_a_short_or_unterminated_argument_is_an_error(payload: bytes) -> None:
    with pytest.raises(WaylandError):
        MessageReader(payload).string()


def test_a_state_array_reads_as_uint32s() -> None:
    reader = MessageReader(array(words(0, 2, 3)))
    assert reader.uints() == [0, 2, 3]


def test_the_display_socket_is_found_as_libwayland_finds_it() -> None:
    assert display_path({"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": "/run/u"}) == \
        Path("/run/u/wayland-1")
    assert display_path({"WAYLAND_DISPLAY": "/tmp/w", "XDG_RUNTIME_DIR": "/run/u"}) == \
        Path("/tmp/w")
    assert display_path({"WAYLAND_DISPLAY": "wayland-1"}) is None
    assert display_path({"XDG_RUNTIME_DIR": "/run/u"}) is None


# --- ext-idle-notify-v1 against a scripted compositor ---------------------------------------


class ScriptedCompositor:
    """Offers wl_seat and both idle protocols on a Unix socket, answers get_registry, sync
    and bind as a compositor does, records the idle notification asked for, and sends its
    events when the test says."""

    GLOBALS = ((1, "wl_seat", 7), (2, "org_kde_kwin_idle", 1), (3, "ext_idle_notifier_v1", 1))

    def __init__(self, path: Path) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.bound: dict[int, str] = {}  # client object id -> interface
        self.notification: tuple[int, int, int] | None = None  # (id, timeout, seat)
        self.client: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.server.accept()
                self.client = client
                buffer = b""
                while data := client.recv(4096):
                    messages, buffer = split_messages(buffer + data)
                    for object_id, opcode, payload in messages:
                        self._request(client, object_id, opcode, MessageReader(payload))

    def _request(self, client: socket.socket, object_id: int, opcode: int,
                 reader: MessageReader) -> None:
        if (object_id, opcode) == (1, 1):  # wl_display.get_registry
            registry = reader.uint()
            self.bound[registry] = "wl_registry"
            for name, interface, version in self.GLOBALS:
                client.sendall(encode_message(registry, 0, uint(name), string(interface),
                                              uint(version)))
        elif (object_id, opcode) == (1, 0):  # wl_display.sync
            callback = reader.uint()
            client.sendall(encode_message(callback, 0, uint(0)) +
                           encode_message(1, 1, uint(callback)))
        elif self.bound.get(object_id) == "wl_registry" and opcode == 0:  # bind
            _name, interface, _version, new = (reader.uint(), reader.string(), reader.uint(),
                                               reader.uint())
            self.bound[new] = str(interface)
        elif self.bound.get(object_id) == "ext_idle_notifier_v1" and opcode == 1:
            self.notification = (reader.uint(), reader.uint(), reader.uint())

    def send(self, opcode: int) -> None:
        assert self.client is not None and self.notification is not None
        self.client.sendall(encode_message(self.notification[0], opcode))

    def hang_up(self) -> None:
        if self.client is not None:
            self.client.shutdown(socket.SHUT_RDWR)
            self.client.close()

    def close(self) -> None:
        self.hang_up()
        self.server.close()


@pytest.fixture
def compositor(tmp_path: Path) -> Iterator[ScriptedCompositor]:
    made = ScriptedCompositor(tmp_path / "wayland-test")
    try:
        yield made
    finally:
        made.close()


def test_ext_idle_notify_is_preferred_and_read(compositor: ScriptedCompositor,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wayland, "RECONNECT_SECONDS", 0.1)
    idle = WaylandIdle.connect({"WAYLAND_DISPLAY": "wayland-test",
                                "XDG_RUNTIME_DIR": str(tmp_path)})
    assert idle is not None
    try:
        assert idle.source == "ext-idle-notify-v1"
        assert compositor.notification is not None
        _id, timeout, seat = compositor.notification
        assert timeout == 1000 and compositor.bound.get(seat) == "wl_seat"
        assert idle.seconds() == 0.0
        compositor.send(0)  # idled: no input for the last second
        sent = time.monotonic()
        wait_for(lambda: (idle.seconds() or 0) > 0, 5, "idle after `idled`")
        assert 1.0 <= (idle.seconds() or 0) <= 1.0 + (time.monotonic() - sent)
        compositor.send(1)  # resumed
        wait_for(lambda: idle.seconds() == 0.0, 5, "zero after `resumed`")
        compositor.hang_up()
        wait_for(lambda: idle.seconds() is None, 5, "None once the compositor is gone")
        # It comes back on its own: the same socket answers again.
        wait_for(lambda: idle.seconds() == 0.0, 10, "idle from the compositor again")
    finally:
        idle.close()
