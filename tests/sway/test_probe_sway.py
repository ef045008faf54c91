"""driftcheck's Sway probe in this process against a real headless Sway 1.7 run by the test
user (tests/helpers/wlroots.py; root may use the user's sockets): the window in front with its
pid and app id read from Sway's IPC socket, a focus event for every focus change made with
`swaymsg`, an empty workspace as nothing in front, idle time from Sway's org_kde_kwin_idle,
and a Sway restarted under the probe found again by its new socket.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator

import pytest

from tests.helpers.waiting import wait_for
from tests.helpers.wlroots import WlrSession
from widget.errors import ProbeError
from widget.probes.sway import SwayProbe

pytestmark = [pytest.mark.e2e, pytest.mark.sway]

TOKEN = secrets.token_hex(4)


class Heard:
    """Focus callbacks as they come (from the probe's watcher thread)."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def __call__(self, _mono: float) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def after(self, seen: int, timeout: float = 5.0) -> bool:
        """Whether a callback beyond the first `seen` came within `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self.count > seen, timeout)


@pytest.fixture
def probe(sway: WlrSession) -> Iterator[SwayProbe]:
    made = SwayProbe(env=sway.env)
    yield made
    made.close()


def test_the_window_in_front_its_pid_and_app_id(sway: WlrSession, probe: SwayProbe) -> None:
    kobold = sway.open_window("koboldcpp", f"Kobold {TOKEN}a")
    notes = sway.open_window("notes", f"Notes {TOKEN}b")
    sway.swaymsg("[app_id=koboldcpp] focus")
    fg = probe.foreground()
    assert fg is not None
    assert (fg.process, fg.pid, fg.window_class) == ("koboldcpp", kobold.pid, "koboldcpp")
    assert fg.title == f"Kobold {TOKEN}a"  # read, in memory only, for title rules
    sway.focus(notes)  # as a taskbar does it (foreign-toplevel activate)
    fg = probe.foreground()
    assert fg is not None and (fg.process, fg.pid) == ("notes", notes.pid)
    sway.close_window(kobold)
    sway.close_window(notes)


def test_a_focus_event_for_each_swaymsg_focus(sway: WlrSession, probe: SwayProbe) -> None:
    windows = [sway.open_window(app, f"{app} {TOKEN}c") for app in ("kindroid", "nomi")]
    heard = Heard()
    assert probe.watch_focus(heard)
    assert probe.info().focus_events
    for app in ("kindroid", "nomi", "kindroid", "nomi"):
        seen = heard.count
        sway.swaymsg(f"[app_id={app}] focus")
        assert heard.after(seen), f"no focus event for {app}"
        fg = probe.foreground()
        assert fg is not None and fg.process == app
    for window in windows:
        sway.close_window(window)


def test_an_empty_workspace_is_nothing_in_front(sway: WlrSession, probe: SwayProbe) -> None:
    window = sway.open_window("kindroid", f"Kindroid {TOKEN}d")
    sway.swaymsg("[app_id=kindroid] focus")
    heard = Heard()
    assert probe.watch_focus(heard)
    try:
        seen = heard.count
        sway.swaymsg("workspace 7")
        assert heard.after(seen), "no focus event for the empty workspace"
        assert probe.foreground() is None
        seen = heard.count
        sway.swaymsg("workspace 1")
        assert heard.after(seen)
        fg = probe.foreground()
        assert fg is not None and fg.process == "kindroid"
    finally:
        sway.swaymsg("workspace 1")
        sway.close_window(window)


def test_closing_the_last_window_leaves_nothing_in_front(sway: WlrSession,
                                                          probe: SwayProbe) -> None:
    window = sway.open_window("kindroid", f"Kindroid {TOKEN}e")
    sway.swaymsg("[app_id=kindroid] focus")
    heard = Heard()
    assert probe.watch_focus(heard)
    seen = heard.count
    sway.close_window(window)
    assert heard.after(seen), "no event when the window in front closed"
    assert probe.foreground() is None


def test_idle_comes_from_sways_kwin_idle_protocol(sway: WlrSession, probe: SwayProbe) -> None:
    info = probe.info()
    assert info.idle_source == "org_kde_kwin_idle", info  # Sway 1.7 has no ext-idle-notify-v1
    assert info.notes == ()

    def idle() -> float:
        seconds = probe.idle_seconds()
        assert seconds is not None, "no idle time from Sway"
        return seconds

    wait_for(lambda: idle() >= 2.0, 10, "idle to grow without input")
    sway.touch()
    wait_for(lambda: idle() < 1.0, 5, "idle back to 0 after input")
    wait_for(lambda: idle() >= 1.0, 10, "idle to grow again")


def test_sway_restarted_under_the_probe_is_found_again(sway: WlrSession,
                                                       probe: SwayProbe) -> None:
    heard = Heard()
    assert probe.watch_focus(heard)
    old = sway.swaysock
    seen = heard.count
    sway.stop()
    assert heard.after(seen), "no callback when Sway went away"
    assert probe.foreground() is None  # the reading that finds it gone
    with pytest.raises(ProbeError):
        probe.foreground()
    seen = heard.count
    sway.start()
    assert sway.swaysock != old  # a new name: the probe cannot have kept the old one
    assert heard.after(seen, timeout=10), "no callback when the new Sway answered"
    window = sway.open_window("kindroid", f"Kindroid {TOKEN}f")
    sway.swaymsg("[app_id=kindroid] focus")
    fg = probe.foreground()
    assert fg is not None and (fg.process, fg.pid) == ("kindroid", window.pid)
    seen = heard.count
    sway.swaymsg("workspace 3")
    assert heard.after(seen), "no focus events from the new Sway"
    sway.swaymsg("workspace 1")
    assert probe.info().focus_events
    sway.close_window(window)


def test_reading_the_window_in_front_costs_no_program(sway: WlrSession,
                                                       probe: SwayProbe) -> None:
    """A hundred readings start no process (the old probe ran swaymsg for each)."""
    import psutil

    me = psutil.Process()
    before = {c.pid for c in me.children(recursive=True)}
    started = time.perf_counter()
    for _ in range(100):
        probe.foreground()
    print(f"one reading: {(time.perf_counter() - started) * 10:.3f} ms")
    assert {c.pid for c in me.children(recursive=True)} <= before
