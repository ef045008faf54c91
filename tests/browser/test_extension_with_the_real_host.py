"""The whole chain in real browsers: driftcheck's extension, the real `driftcheck browser-host`
installed by `driftcheck browser install --config-dir`, and the tracker's end of the channel
(widget.browser.channel.BrowserChannel) in this process, as the tracker runs it. What the
tracker hears for the browser's window is what the person has in front: the tracked app of
the active tab, none for an untracked site, nothing known while another program is in front,
and new rules at once. Chromium and Firefox ESR (tests/browser/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.desktop import XSession
from tests.helpers.program import driftcheck
from tests.helpers.waiting import wait_for
from widget.browser.channel import BrowserChannel, TabAnswer
from widget.paths import BROWSER_SOCKET_NAME

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

A, B = "companion-a", "companion-b"
NOT_KNOWN = TabAnswer(False, None, False)

# A browser run, as the `browser` fixture starts it (tests/helpers/real_browsers.py: BrowserRun).
Start = Callable[..., Any]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def channel(data: Path) -> Iterator[BrowserChannel]:
    """The tracker's end of the channel in `data`, tracking claude.ai as app A."""
    made = BrowserChannel(data / BROWSER_SOCKET_NAME)
    made.set_rules({A: ("claude.ai",)})
    assert made.start()
    yield made
    made.close()


def test_the_tracker_hears_the_tab_in_front_through_the_real_host(
        browser: Start, data: Path, channel: BrowserChannel, xsession: XSession) -> None:
    other = xsession.spawn("other-program", "Another program")

    def install(name: str, config_dir: Path) -> None:
        done = driftcheck(data, "browser", "install", "--browser", name, "--config-dir",
                          str(config_dir))
        assert done.returncode == 0, done.stdout + done.stderr

    run = browser(["http://claude.ai/chat/1", "http://character.ai/chat"], install=install)
    run.activate()
    pid = run.window_pid()

    def hears(answer: TabAnswer, what: str) -> None:
        wait_for(lambda: channel.app_for(pid) == answer, 30,
                 f"the tracker to hear {what}; it hears {channel.app_for(pid)}")

    hears(TabAnswer(True, A, False), "claude.ai in front")
    (hello,) = channel.connected()
    assert hello.browser == run.name and hello.browser_pid == pid
    run.tab(2)
    hears(TabAnswer(True, None, False), "an untracked site in front")
    xsession.activate(other)
    hears(NOT_KNOWN, "another program in front")
    run.activate()
    hears(TabAnswer(True, None, False), "the browser in front again")
    channel.set_rules({A: ("claude.ai",), B: ("character.ai",)})
    hears(TabAnswer(True, B, False), "the new rules at work")
    # The host is the lean program the launcher starts, a child of the browser's process.
    (host_pid,) = [int(p) for p in os.listdir("/proc") if p.isdigit()
                   and _parent(int(p)) == pid and b"browser.host" in _cmdline(int(p))]
    assert _cmdline(host_pid).split(b"\0")[1:3] == [b"-I", b"-S"]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
