"""The real tracker (`driftcheck track`, its X11 probe, its database) with real browsers that
carry driftcheck's extension and the real `driftcheck browser-host`, installed by `driftcheck
browser install --config-dir` for the tracker's data folder (docs/BROWSER.md, issue 13).

What a person would notice: time counts for the tracked web app whose tab is in front in the
window in front, though the page's title never names the app; two browsers at once, the one in
front decides; a tracker restarted under a running browser is found again; without its host a
browser's tabs count by their titles again; a closed browser's host ends and the tracker lets
it go, and the browser reopened connects again. Chromium and Firefox ESR
(tests/browser/conftest.py).

Time is read from the database (the tracker samples every second here). A measured span of a
person's time in front of a window is the one fixed wait: where time must count, at least half
of it must (a sample's lag and a loaded machine eat the rest); where none may, the stored time
must first stop growing (what was open closes within a sample of the switch) and then not grow
at all. The pointer keeps moving meanwhile, so the person is never idle.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.e2e.desktop import ActivePerson, XSession
from tests.helpers.program import ProgramLog, Tracker, driftcheck, stored_seconds
from tests.helpers.waiting import wait_for
from widget.paths import BROWSER_SOCKET_NAME

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

# The tracked web app: its address is claude.ai and its title rule "Kindred". The local sites'
# pages are titled "Secret diary entry <host><path>" (tests/helpers/real_browsers.py: SiteServer),
# so the tracked page's title does not name the app, and the other page's title does, on a
# site that is not the app's.
APP = "custom-kindred"
TRACKED_PAGE = "http://claude.ai/weekend-plans"  # the app's site; its title does not say Kindred
UNTRACKED_PAGE = "http://example.org/notes"  # neither the app's site nor its name
NAMING_PAGE = "http://example.org/kindred"  # not the app's site, but its title says Kindred
VOICE_PAGE = "http://claude.ai/voice"  # the app's site, playing sound (a voice call)

SPAN_S = 4.0  # a measured span of time in front of a window
QUIET_S = 2.5  # the stored time not growing this long: nothing of the app is open

# A browser run, as the `browser` and `browsers` fixtures start it (tests/helpers/real_browsers.py:
# BrowserRun).
Start = Callable[..., Any]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder tracking Kindred: by its address with the extension, by its title
    without."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    added = driftcheck(folder, "apps", "add", "--name", "Kindred", "--title", "Kindred",
                       "--address", "claude.ai")
    assert added.returncode == 0, added.stderr
    assert f"({APP})" in added.stdout, added.stdout
    return folder


class Installer:
    """`driftcheck browser install --browser NAME --config-dir DIR` for the data folder, as the
    `browser` fixture calls it before it starts the browser; and the same with --uninstall."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.config_dirs: dict[str, Path] = {}

    def __call__(self, name: str, config_dir: Path) -> None:
        self._run(name, config_dir)
        self.config_dirs[name] = config_dir

    def remove(self, name: str) -> None:
        self._run(name, self.config_dirs[name], "--uninstall")

    def _run(self, name: str, config_dir: Path, *more: str) -> None:
        done = driftcheck(self.data, "browser", "install", "--browser", name, "--config-dir",
                          str(config_dir), *more)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def install(data: Path) -> Installer:
    return Installer(data)


@pytest.fixture
def track(xsession: XSession, data: Path) -> Iterator[Callable[[], Tracker]]:
    """Starts `driftcheck track` on the X session for the data folder (a sample a second, idle
    after 30 s), waiting until it tracks; each one started is ended after the test."""
    started: list[Tracker] = []

    def start() -> Tracker:
        tracker = Tracker(xsession, data, "--interval", "1", "--idle-after", "30")
        started.append(tracker)
        return tracker

    yield start
    for tracker in started:
        tracker.end()


# --- the time the tracker stores --------------------------------------------------------------

def counted_during(data: Path, seconds: float) -> float:
    """The app's time the tracker stored during the next `seconds` (a person's time in front
    of a window, not a wait)."""
    before = stored_seconds(data, APP)
    time.sleep(seconds)
    return stored_seconds(data, APP) - before


def assert_counts(data: Path, what: str) -> None:
    """At least half of a span in front of `what` counts, and no more than the span."""
    got = counted_during(data, SPAN_S)
    assert SPAN_S / 2 <= got <= SPAN_S + 1.5, \
        f"{got:.2f} s of {SPAN_S} s counted with {what} in front"


def assert_counts_nothing(data: Path, what: str) -> None:
    """Once what was open has closed (the stored time has stopped growing), a span in front of
    `what` adds nothing."""
    last = [stored_seconds(data, APP), time.monotonic()]

    def quiet() -> bool:
        now = stored_seconds(data, APP)
        if now != last[0]:
            last[:] = [now, time.monotonic()]
        return time.monotonic() - last[1] >= QUIET_S

    try:
        wait_for(quiet, 20, "the stored time to stop growing", step=0.2)
    except TimeoutError:
        raise AssertionError(f"time kept counting with {what} in front") from None
    got = counted_during(data, SPAN_S)
    assert got == 0, f"{got:.2f} s counted with {what} in front"


def wait_counted(data: Path, seconds: float, what: str, timeout: float = 20) -> None:
    """Until the tracker has stored `seconds` more of the app's time."""
    before = stored_seconds(data, APP)
    try:
        wait_for(lambda: stored_seconds(data, APP) - before >= seconds, timeout,
                 f"{seconds} s counted", step=0.2)
    except TimeoutError:
        got = stored_seconds(data, APP) - before
        raise AssertionError(f"only {got:.2f} s counted in {timeout} s with {what} in front"
                             ) from None


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def the_host(run: Any) -> int:
    """The pid of the one real host the browser `run` started."""
    hosts: list[int] = wait_for(run.real_hosts, 30, f"{run.name} to start driftcheck's host")
    assert len(hosts) == 1, hosts
    return hosts[0]


# --- the tests --------------------------------------------------------------------------------

def test_of_two_browsers_the_one_in_front_decides(
        browsers: Start, install: Installer, track: Callable[[], Tracker],
        xsession: XSession, data: Path) -> None:
    tracker = track()
    # Chromium on the tracked site, Firefox on an untracked one; each has the other page in
    # its second tab.
    chromium = browsers("chromium", [TRACKED_PAGE, UNTRACKED_PAGE], install=install)
    firefox = browsers("firefox", [UNTRACKED_PAGE, TRACKED_PAGE], install=install)
    tracker.log.wait("browser_connected", more_than=1, proc=tracker.proc, timeout=30)
    assert the_host(chromium) != the_host(firefox)

    with ActivePerson(xsession):
        chromium.activate()
        assert_counts(data, "Chromium on the tracked site")
        firefox.activate()
        assert_counts_nothing(data, "Firefox on an untracked site (Chromium on the tracked one "
                                    "behind it)")
        # And the other way round: Firefox on the tracked site, Chromium on the untracked one.
        firefox.tab(2)
        firefox.wait_page(TRACKED_PAGE)
        assert_counts(data, "Firefox on the tracked site")
        chromium.activate()
        chromium.tab(2)
        chromium.wait_page(UNTRACKED_PAGE)
        assert_counts_nothing(data, "Chromium on an untracked site (Firefox on the tracked one "
                                    "behind it)")
    assert ProgramLog(data).count("browser_gone") == 0
    tracker.stop()
    # Nothing of a page reached the tracker's folder: no title, no path.
    for path in [p for p in data.iterdir() if p.is_file()]:
        content = path.read_bytes()
        assert b"weekend-plans" not in content and b"Secret diary" not in content, path.name


def test_a_restarted_tracker_is_found_again_by_the_running_browser(
        browser: Start, install: Installer, track: Callable[[], Tracker],
        xsession: XSession, data: Path) -> None:
    first = track()
    run = browser([TRACKED_PAGE], install=install)
    run.activate()
    first.log.wait("browser_connected", proc=first.proc, timeout=30)
    host = the_host(run)
    with ActivePerson(xsession):
        wait_counted(data, 1.0, "the tracked site")
        first.stop()  # SIGTERM; it ends cleanly
        assert not (data / BROWSER_SOCKET_NAME).exists()
        second = track()
        # The host looks for a tracker at least every 5 s.
        second.log.wait("browser_connected", more_than=1, proc=second.proc, timeout=20)
        wait_counted(data, 2.0, "the tracked site, under the new tracker")
    assert run.real_hosts() == [host], "the same host found the new tracker"
    assert run.process.poll() is None


def test_without_its_host_a_browser_counts_by_title_again(
        browser: Start, install: Installer, track: Callable[[], Tracker],
        xsession: XSession, data: Path) -> None:
    tracker = track()
    run = browser([TRACKED_PAGE, NAMING_PAGE], install=install)
    run.activate()
    tracker.log.wait("browser_connected", proc=tracker.proc, timeout=30)
    host = the_host(run)
    with ActivePerson(xsession):
        # With the extension connected the address decides, whatever the title says.
        wait_counted(data, 1.0, "the tracked site")
        run.tab(2)
        run.wait_page(NAMING_PAGE)
        assert_counts_nothing(data, "an untracked site whose title names the app, with the "
                                    "extension connected")

        # The host goes for good: uninstalled while the browser runs, then ended. The
        # extension tries to reach it again and cannot.
        install.remove(run.name)
        os.kill(host, signal.SIGKILL)
        tracker.log.wait("browser_gone", proc=tracker.proc, timeout=20)
        assert_counts(data, "a page whose title names the app, the extension cut off")
        run.tab(1)
        run.wait_page(TRACKED_PAGE)
        assert_counts_nothing(data, "the tracked site under a title that does not name it, "
                                    "the extension cut off")
    assert tracker.log.count("browser_connected") == 1
    assert run.real_hosts() == []


def test_a_closed_browser_is_let_go_and_connects_again_when_reopened(
        browser: Start, install: Installer, track: Callable[[], Tracker],
        xsession: XSession, data: Path) -> None:
    tracker = track()
    run = browser([TRACKED_PAGE], install=install)
    tracker.log.wait("browser_connected", proc=tracker.proc, timeout=30)
    host = the_host(run)

    run.close_window()
    # The browser closed the host's stdin; nobody signalled it.
    wait_for(lambda: gone(host), 15, "the host to end once its browser had closed")
    tracker.log.wait("browser_gone", proc=tracker.proc, timeout=15)

    again = browser([TRACKED_PAGE], reopen=run)
    again.activate()
    tracker.log.wait("browser_connected", more_than=1, proc=tracker.proc, timeout=30)
    assert the_host(again) != host
    with ActivePerson(xsession):
        wait_counted(data, 2.0, "the tracked site in the reopened browser")
    assert tracker.proc.poll() is None


def test_a_tracked_tab_playing_sound_counts_while_no_input_arrives(
        browser: Start, install: Installer, xsession: XSession, data: Path) -> None:
    """A voice chat with a companion (a tab playing sound) counts while the person says
    nothing with keyboard or mouse; the same site silent stops counting after the idle time.
    The tracker here takes idle after 3 s."""
    tracker = Tracker(xsession, data, "--interval", "1", "--idle-after", "3")
    try:
        run = browser([VOICE_PAGE, TRACKED_PAGE], install=install)
        run.activate()
        tracker.log.wait("browser_connected", proc=tracker.proc, timeout=30)
        # No input from here on: only the sound keeps the count going, past the idle time.
        wait_counted(data, 3 * 3.0, "a tracked tab playing sound, no input")
        run.tab(2)  # a key press: input, once
        run.wait_page(TRACKED_PAGE)
        before = stored_seconds(data, APP)
        assert_counts_nothing(data, "the tracked site silent, no input past the idle time")
        assert stored_seconds(data, APP) - before <= 3.0 + 1.5  # at most the idle time, once
    finally:
        tracker.end()
