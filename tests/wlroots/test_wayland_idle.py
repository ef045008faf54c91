"""WaylandIdle (widget/probes/wayland.py) on real compositors: Sway 1.7 and phoc 0.24 offer
KDE's org_kde_kwin_idle (neither has ext-idle-notify-v1). Idle grows while no input comes,
real input through a virtual pointer brings it back to zero, and a compositor restarted under
it gives None, then idle again, with no new WaylandIdle."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.helpers.waiting import wait_for
from tests.helpers.wlroots import WlrSession
from widget.probes.wayland import WaylandIdle

pytestmark = [pytest.mark.wlroots]


@pytest.fixture(params=["sway", "phoc"])
def session(request: pytest.FixtureRequest) -> WlrSession:
    found: WlrSession = request.getfixturevalue(request.param)
    return found


@pytest.fixture
def idle(session: WlrSession) -> Iterator[WaylandIdle]:
    found = WaylandIdle.connect(session.env)
    assert found is not None
    try:
        yield found
    finally:
        found.close()


def test_kde_idle_is_the_source_here(session: WlrSession, idle: WaylandIdle) -> None:
    assert idle.source == "org_kde_kwin_idle"


def test_idle_grows_without_input_and_input_brings_it_back(session: WlrSession,
                                                           idle: WaylandIdle) -> None:
    session.touch()
    touched = time.monotonic()
    wait_for(lambda: (idle.seconds() or 0) >= 2.5, 10, "idle to reach 2.5 s")
    # It says the time since the input itself, not since some later event (to ~1 s, the
    # timeout it asks the compositor for; the events arrive at once here).
    assert abs((idle.seconds() or 0) - (time.monotonic() - touched)) < 0.6
    before = idle.seconds() or 0
    wait_for(lambda: (idle.seconds() or 0) >= before + 1, 5, "idle to keep growing")
    session.touch()
    wait_for(lambda: idle.seconds() == 0.0, 5, "idle back to zero after real input")


def test_a_restarted_compositor_gives_idle_again(session: WlrSession,
                                                 idle: WaylandIdle) -> None:
    wait_for(lambda: idle.seconds() is not None, 5, "idle")
    session.stop()
    wait_for(lambda: idle.seconds() is None, 10, "None while the compositor is gone")
    session.start()
    wait_for(lambda: idle.seconds() is not None, 15, "idle from the new compositor")
    session.touch()
    wait_for(lambda: idle.seconds() == 0.0, 5, "zero after input to the new compositor")
    wait_for(lambda: (idle.seconds() or 0) >= 1.5, 10, "idle growing again")


def test_close_ends_its_thread_and_is_safe_twice(session: WlrSession) -> None:
    idle = WaylandIdle.connect(session.env)
    assert idle is not None
    names = {t.name for t in threading.enumerate()}
    assert "driftcheck-wayland-idle" in names
    idle.close()  # joins the thread, which its stop pipe wakes at once
    idle.close()
    assert not any(t.name == "driftcheck-wayland-idle" and t.is_alive()
                   for t in threading.enumerate())


def test_no_display_no_idle(session: WlrSession) -> None:
    assert WaylandIdle.connect({**session.env, "WAYLAND_DISPLAY": ""}) is None
    assert WaylandIdle.connect({**session.env, "WAYLAND_DISPLAY": "wayland-99"}) is None
