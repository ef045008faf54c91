"""The real `driftcheck browser-host` as a browser starts it: a subprocess fed native messages on
its stdin (`python -m widget --data-dir D browser-host chrome-extension://abc/`, or Firefox's
manifest path and extension id), talking to a real tracker's channel over the AF_UNIX socket,
small and still while nothing happens, and gone when its stdin closes. Also the launcher that
`driftcheck browser install` writes, and a real `driftcheck track` under a waiting host.

The host's resident memory is printed (a figure for the bench, not an assertion)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.helpers.program import ProgramLog, driftcheck, driftcheck_argv, program_env
from tests.helpers.waiting import wait_for
from widget.browser import CHROMIUM_EXTENSION_ID, GECKO_ID
from widget.browser.channel import BrowserChannel, TabAnswer
from widget.browser.protocol import Hello, native_frame, read_native
from widget.paths import BROWSER_SOCKET_NAME

pytestmark = pytest.mark.e2e

CLAUDE = {"claude": ("claude.ai",)}
RULES = {"type": "rules", "version": 1, "apps": [{"id": "claude", "addresses": ["claude.ai"]}]}
HEAVY_LIBRARIES = ("PySide6", "shiboken6", "sqlalchemy", "_psutil", "libssl", "_sqlite3")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def channel(data: Path) -> Iterator[BrowserChannel]:
    made = BrowserChannel(data / BROWSER_SOCKET_NAME)
    made.set_rules(CLAUDE)
    assert made.start()
    yield made
    made.close()


class Browser:
    """What a browser does with its host: start it, write to its stdin, read its stdout."""

    def __init__(self, argv: list[str]) -> None:
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            argv, env=program_env(display=False, session_bus=False), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    @property
    def stdin(self) -> IO[bytes]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    def say(self, message: dict[str, object]) -> None:
        self.stdin.write(native_frame(message))
        self.stdin.flush()

    def heard(self, timeout: float = 10) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, f"the host said nothing in {timeout} s; stderr: {self.stderr_now()}"
        raw = read_native(self.proc.stdout)
        assert raw is not None, "the host closed its stdout"
        message = json.loads(raw)
        assert isinstance(message, dict)
        return message

    def close(self, timeout: float = 10) -> int:
        """Close the port as a browser does; the host's exit code."""
        self.stdin.close()
        return self.proc.wait(timeout=timeout)

    def stderr_now(self) -> str:
        return "" if self.proc.poll() is None else (self.proc.communicate()[1] or b"").decode()

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def status(self, field: str) -> str:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
        raise KeyError(field)

    def cpu_ticks(self) -> int:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime


def host_argv(data: Path, *browser_arguments: str) -> list[str]:
    return driftcheck_argv("--data-dir", str(data), "browser-host", *browser_arguments)


def test_the_host_a_chromium_browser_starts_carries_rules_and_states_and_stays_small(
        data: Path, channel: BrowserChannel, capsys: pytest.CaptureFixture[str]) -> None:
    browser = Browser(host_argv(data, "chrome-extension://abc/"))
    try:
        assert browser.heard() == RULES
        assert channel.connected() == [Hello("chromium", os.getpid())]  # its parent: us
        browser.say({"type": "state", "app": "claude", "audible": True, "focused": True})
        wait_for(lambda: channel.app_for(os.getpid()) == TabAnswer(True, "claude", True), 10,
                 "the tracker to hear the state")
        browser.say({"type": "state", "app": None, "audible": False, "focused": True,
                     "url": "https://claude.ai/chat/zq81-PRIVATE"})  # never passed on
        browser.say({"type": "state", "app": None, "audible": False, "focused": True})
        wait_for(lambda: channel.app_for(os.getpid()) == TabAnswer(True, None, False), 10,
                 "the next state")

        cmdline = Path(f"/proc/{browser.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[1:3] == [b"-I", b"-S"], "the host runs as the lean program"
        maps = Path(f"/proc/{browser.proc.pid}/maps").read_text()
        assert [lib for lib in HEAVY_LIBRARIES if lib in maps] == []
        before = browser.cpu_ticks()
        time.sleep(2)  # nothing happens: the host must not spend CPU on it
        assert browser.cpu_ticks() - before <= 2
        rss = browser.status("VmRSS")
        with capsys.disabled():
            print(f"\nbrowser-host VmRSS: {rss} (connected, after two states)")

        assert browser.close() == 0
        wait_for(lambda: channel.connected() == [], 10, "the tracker to see the host go")
        assert b"PRIVATE" not in (browser.proc.stderr.read() if browser.proc.stderr else b"")
    finally:
        browser.end()


def test_a_firefox_host_names_its_browser(data: Path, channel: BrowserChannel) -> None:
    manifest = data.parent / "native-messaging-hosts" / "io.github.driftcheck.json"
    browser = Browser(host_argv(data, str(manifest), GECKO_ID))
    try:
        assert browser.heard() == RULES
        assert channel.connected() == [Hello("firefox", os.getpid())]
        assert browser.close() == 0
    finally:
        browser.end()


def test_a_host_waits_for_the_tracker_and_finds_it_again_after_a_restart(data: Path) -> None:
    browser = Browser(host_argv(data, "chrome-extension://abc/"))
    try:
        first = BrowserChannel(data / BROWSER_SOCKET_NAME)
        first.set_rules(CLAUDE)
        assert first.start()
        try:
            assert browser.heard(timeout=10) == RULES  # found within its 5 s
        finally:
            first.close()
        second = BrowserChannel(data / BROWSER_SOCKET_NAME)
        second.set_rules({"claude": ("claude.ai",), "pi": ("pi.ai",)})
        assert second.start()
        try:
            assert browser.heard(timeout=10)["apps"][1] == {"id": "pi", "addresses": ["pi.ai"]}
        finally:
            second.close()
        assert browser.close() == 0
    finally:
        browser.end()


def test_the_launcher_install_writes_starts_the_host_for_its_data_folder(
        data: Path, channel: BrowserChannel, tmp_path: Path) -> None:
    profile = tmp_path / "chromium-profile"
    done = driftcheck(data, "browser", "install", "--browser", "chromium", "--config-dir",
                      str(profile), env=program_env(display=False, HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((profile / "NativeMessagingHosts" /
                           "io.github.driftcheck.json").read_text())
    origin = f"chrome-extension://{CHROMIUM_EXTENSION_ID}/"
    assert manifest["allowed_origins"] == [origin]
    browser = Browser([manifest["path"], origin])  # as Chromium starts it
    try:
        assert browser.heard() == RULES
        assert channel.connected() == [Hello("chromium", os.getpid())]  # exec all the way
        assert browser.close() == 0
    finally:
        browser.end()


def test_a_real_tracker_hears_a_host_that_waited_for_it_and_again_after_a_restart(
        data: Path) -> None:
    added = driftcheck(data, "apps", "add", "claude")
    assert added.returncode == 0, added.stderr
    log = ProgramLog(data)
    env = program_env(display=False, session_bus=False)
    browser = Browser(host_argv(data, "chrome-extension://abc/"))
    tracker: subprocess.Popen[bytes] | None = None
    try:
        for round_ in range(2):
            tracker = subprocess.Popen(driftcheck_argv("--data-dir", str(data), "track"),
                                       env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            log.wait("browser_connected", more_than=round_, proc=tracker, timeout=15)
            rules = browser.heard()
            assert rules["apps"][0]["id"] == "claude" and "claude.ai" in \
                rules["apps"][0]["addresses"]
            tracker.terminate()
            assert tracker.wait(timeout=30) == 0
            assert not (data / BROWSER_SOCKET_NAME).exists()
        assert browser.proc.poll() is None, "the host outlives the tracker, waiting for it"
        assert browser.close() == 0
    finally:
        browser.end()
        if tracker is not None and tracker.poll() is None:
            tracker.kill()
            tracker.wait(timeout=10)
