"""The tracker's end of the browsers' channel (widget.browser.channel) on a real AF_UNIX socket
in a temporary data folder, with stand-in hosts (tests/helpers/browser.py) and, where the
host's own behaviour matters (a tracker restarting under it), the real host's loop."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import FakeHost
from tests.helpers.waiting import wait_for
from widget.browser.channel import NOT_KNOWN, BrowserChannel, TabAnswer, ask_tracker, web_apps
from widget.browser.host import Host
from widget.browser.protocol import UNKNOWN_APP, WRONG_SHAPE, Answer, Hello, WebApp

CLAUDE = {"claude": ("claude.ai",)}
TAVERN = {"sillytavern": ("localhost:8000", "127.0.0.1:8000")}
CLAUDE_RULES = {"type": "rules", "apps": [{"id": "claude", "addresses": ["claude.ai"]}]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def changes() -> list[int]:
    return []


@pytest.fixture
def channel(folder: Path, changes: list[int]) -> Iterator[BrowserChannel]:
    made = BrowserChannel(folder / "driftcheck-browser.sock",
                          on_change=lambda: changes.append(1), parent_of=lambda pid: None)
    made.set_rules(CLAUDE)
    assert made.start()
    yield made
    made.close()


def heard(channel: BrowserChannel, pid: int, answer: TabAnswer) -> TabAnswer:
    return wait_for(lambda: channel.app_for(pid) == answer and answer, 5,
                    f"the channel to say {answer} for {pid}")


def test_the_rules_keep_the_apps_order_and_leave_out_what_the_protocol_cannot_carry() -> None:
    assert web_apps({**TAVERN, **CLAUDE, "custom-x": ("has space.ai",), "Bad Key": ("a.ai",),
                     "empty": ()}) == (
        WebApp("sillytavern", ("localhost:8000", "127.0.0.1:8000")),
        WebApp("claude", ("claude.ai",)))


def test_the_socket_is_the_owners_alone_and_gone_after_close(folder: Path) -> None:
    old = os.umask(0o022)
    try:
        channel = BrowserChannel(folder / "driftcheck-browser.sock")
        assert channel.start()
    finally:
        os.umask(old)
    info = os.lstat(channel.path)
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    channel.close()
    assert not channel.path.exists()


def test_a_host_gets_the_rules_on_hello_and_its_state_answers_for_its_browser(
        channel: BrowserChannel, changes: list[int]) -> None:
    host = FakeHost(channel.path, browser_pid=4242)
    assert host.rules() == CLAUDE_RULES
    assert channel.connected() == [Hello("chromium", 4242)]
    assert channel.app_for(4242) == NOT_KNOWN  # no state yet: titles decide
    host.state("claude", audible=True)
    heard(channel, 4242, TabAnswer(True, "claude", True))
    assert changes
    assert channel.app_for(999) == NOT_KNOWN  # another program's window
    host.state(None)
    heard(channel, 4242, TabAnswer(True, None, False))  # none of them, whatever the title
    host.state("claude", focused=False)
    heard(channel, 4242, NOT_KNOWN)  # the browser is not in front: its word does not count
    host.close()


def test_a_window_of_a_child_of_the_browser_is_the_browsers(folder: Path) -> None:
    channel = BrowserChannel(folder / "driftcheck-browser.sock",
                             parent_of={5001: 4242}.get)
    channel.set_rules(CLAUDE)
    assert channel.start()
    try:
        host = FakeHost(channel.path, browser_pid=4242)
        host.rules()
        host.state("claude")
        heard(channel, 5001, TabAnswer(True, "claude", False))
        assert channel.app_for(5002) == NOT_KNOWN
        host.close()
    finally:
        channel.close()


def test_new_rules_reach_every_host_when_the_address_rules_change(
        channel: BrowserChannel) -> None:
    first, second = FakeHost(channel.path, "firefox", 100), FakeHost(channel.path, "chromium", 200)
    assert first.rules() == second.rules() == CLAUDE_RULES
    channel.set_rules(dict(CLAUDE))  # nothing changed: nothing is sent
    channel.set_rules({**CLAUDE, **TAVERN})
    expected = {"type": "rules", "apps": [
        {"id": "claude", "addresses": ["claude.ai"]},
        {"id": "sillytavern", "addresses": ["localhost:8000", "127.0.0.1:8000"]}]}
    assert first.rules() == second.rules() == expected
    first.state("sillytavern")
    heard(channel, 100, TabAnswer(True, "sillytavern", False))
    channel.set_rules(CLAUDE)
    assert first.rules() == CLAUDE_RULES
    assert channel.app_for(100) == TabAnswer(True, None, False)  # an app no longer tracked
    first.close()
    second.close()


def test_two_browsers_each_answer_for_their_own_windows_and_one_leaving_leaves_the_other(
        channel: BrowserChannel, changes: list[int]) -> None:
    firefox, chromium = FakeHost(channel.path, "firefox", 100), FakeHost(channel.path,
                                                                        "chromium", 200)
    firefox.rules()
    chromium.rules()
    firefox.state("claude", focused=False)
    chromium.state(None, focused=True)
    heard(channel, 200, TabAnswer(True, None, False))
    heard(channel, 100, NOT_KNOWN)
    firefox.state("claude", focused=True)
    heard(channel, 100, TabAnswer(True, "claude", False))
    before = len(changes)
    chromium.close()
    wait_for(lambda: channel.connected() == [Hello("firefox", 100)], 5, "chromium to leave")
    assert channel.app_for(200) == NOT_KNOWN
    assert channel.app_for(100) == TabAnswer(True, "claude", False)
    assert len(changes) > before  # what chromium said no longer holds: the tracker looks again
    firefox.close()


def test_a_command_asks_which_browsers_are_connected_and_what_the_one_in_front_says(
        channel: BrowserChannel, changes: list[int]) -> None:
    assert ask_tracker(channel.path, None) == Answer((), NOT_KNOWN)
    firefox, chromium = FakeHost(channel.path, "firefox", 100), FakeHost(channel.path,
                                                                        "chromium", 200)
    firefox.rules()
    chromium.rules()
    firefox.state("claude", audible=True)
    heard(channel, 100, TabAnswer(True, "claude", True))
    before = len(changes)
    assert ask_tracker(channel.path, 100) == Answer(("firefox", "chromium"),
                                                    TabAnswer(True, "claude", True), "firefox")
    assert ask_tracker(channel.path, 200) == Answer(("firefox", "chromium"), NOT_KNOWN)
    assert ask_tracker(channel.path, None).front == NOT_KNOWN  # type: ignore[union-attr]
    # An ask is no browser: it is let go at once, counts as none, and changes nothing.
    assert [hello.browser for hello in channel.connected()] == ["firefox", "chromium"]
    assert len(changes) == before and not channel.refused
    firefox.close()
    chromium.close()


def test_no_tracker_to_ask_is_none(folder: Path) -> None:
    assert ask_tracker(folder / "driftcheck-browser.sock", 1) is None  # no socket at all
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(folder / "driftcheck-browser.sock"))
    stale.close()  # a file nobody listens on, as a crash leaves it
    assert ask_tracker(folder / "driftcheck-browser.sock", 1) is None
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # one that never answers
    (folder / "driftcheck-browser.sock").unlink()
    mute.bind(str(folder / "driftcheck-browser.sock"))
    mute.listen(1)
    try:
        assert ask_tracker(folder / "driftcheck-browser.sock", 1, timeout=0.2) is None
    finally:
        mute.close()


def test_what_a_host_may_not_say_is_dropped_and_counted(channel: BrowserChannel) -> None:
    early = FakeHost(channel.path, hello=False)
    early.state("claude")  # before hello
    early.send_raw(b"\xff not json\n" + b"x" * 10_000 + b"\n")
    early.send({"type": "hello", "version": 1, "browser": "chromium", "browser_pid": 300})
    assert early.rules() == CLAUDE_RULES
    early.send({"type": "hello", "version": 1, "browser": "chromium", "browser_pid": 301})
    early.send({"type": "ask", "version": 1, "pid": 300})  # a host does not ask
    early.state("replika")  # tracked, but by its program: not an app the browsers were given
    early.send({"type": "state", "app": "claude", "audible": False, "focused": True,
                "url": "https://claude.ai/chat/zq81-PRIVATE"})
    early.state("claude")
    heard(channel, 300, TabAnswer(True, "claude", False))
    assert channel.refused == {WRONG_SHAPE: 4, "not JSON": 1, "too long": 1, UNKNOWN_APP: 1}
    assert channel.app_for(301) == NOT_KNOWN
    early.close()


def test_a_stale_socket_is_replaced_but_a_live_one_or_another_file_is_left(
        folder: Path) -> None:
    path = folder / "driftcheck-browser.sock"
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(path))
    crashed.close()  # the file stays, nobody listens: what a crash leaves
    first = BrowserChannel(path)
    assert first.start()
    try:
        second = BrowserChannel(path)
        assert not second.start()  # the first one answers
        assert os.path.exists(path)
        host = FakeHost(path)
        assert host.rules()["type"] == "rules"  # still the first's socket
        host.close()
        second.close()  # it never listened: it removes nothing
        assert os.path.exists(path)
    finally:
        first.close()
    path.write_text("not a socket")
    assert not BrowserChannel(path).start()
    assert path.read_text() == "not a socket"


def test_a_folder_path_too_long_for_a_socket_still_works(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    deep.mkdir(parents=True)
    path = deep / "driftcheck-browser.sock"
    assert len(os.fsencode(path)) > 108
    channel = BrowserChannel(path)
    channel.set_rules(CLAUDE)
    assert channel.start()
    try:
        host = FakeHost(path)
        assert host.rules() == CLAUDE_RULES
        host.close()
    finally:
        channel.close()
    assert not path.exists()


def test_close_lets_every_host_go_after_the_socket_is_gone(
        channel: BrowserChannel, monkeypatch: pytest.MonkeyPatch) -> None:
    host = FakeHost(channel.path)
    host.rules()
    remove = channel._remove_socket

    def slowly() -> None:  # the moment the file is removed, made long enough to be seen
        time.sleep(0.5)
        remove()

    monkeypatch.setattr(channel, "_remove_socket", slowly)
    closing = threading.Thread(target=channel.close)
    closing.start()
    assert host.closed_by_tracker()
    # A host let go looks for a tracker at once: it must find none, not a listener that is
    # about to close (seen under strace: a connect that succeeded, then ECONNRESET).
    assert not channel.path.exists()
    closing.join(timeout=10)
    assert channel.connected() == []
    host.close()


def test_a_restarted_tracker_is_found_again_by_a_waiting_host(folder: Path) -> None:
    """The real host's loop: the tracker stops and starts again under it."""
    path = folder / "driftcheck-browser.sock"
    to_host_r, to_host_w = os.pipe()
    from_host_r, from_host_w = os.pipe()
    host = Host(str(path), Hello("firefox", 4242), stdin=to_host_r, stdout=from_host_w,
                retry_s=0.05)
    thread = threading.Thread(target=host.run, daemon=True)
    first = BrowserChannel(path)
    first.set_rules(CLAUDE)
    assert first.start()
    thread.start()
    try:
        wait_for(first.connected, 5, "the host to connect")
        first.close()
        second = BrowserChannel(path)
        second.set_rules(CLAUDE)
        assert second.start()
        try:
            wait_for(lambda: second.connected() == [Hello("firefox", 4242)], 5,
                     "the host to find the restarted tracker")
        finally:
            second.close()
    finally:
        os.close(to_host_w)
        thread.join(5)
        for fd in (to_host_r, from_host_r, from_host_w):
            os.close(fd)
    assert not thread.is_alive()


def test_a_tracker_that_fails_to_look_again_does_not_end_the_channel(folder: Path) -> None:
    def broken() -> None:
        raise RuntimeError("a bug in the tracker")

    channel = BrowserChannel(folder / "driftcheck-browser.sock", on_change=broken,
                             parent_of=lambda pid: None)
    channel.set_rules(CLAUDE)
    assert channel.start()
    try:
        host = FakeHost(channel.path)
        host.rules()
        host.state("claude")
        heard(channel, 4242, TabAnswer(True, "claude", False))
        host.state(None)
        heard(channel, 4242, TabAnswer(True, None, False))  # still served
        host.close()
    finally:
        channel.close()
