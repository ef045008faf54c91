"""WlrToplevelProbe (widget/probes/wlr.py) on real compositors, in the test process: Sway 1.7
and phoc 0.24 (Phosh's compositor, which has no Sway IPC). Two tracked windows and an
untracked one, focus moved for real through wlr-foreign-toplevel `activate`; the window in
front right each time with its process found by app id, the focus callback called at each
change, a closed window, nothing in front, the compositor restarted under the probe. On cage
(no foreign toplevels) the probe refuses to start, in words for the person."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.helpers.waiting import wait_for
from tests.helpers.wlroots import Window, WlrSession
from widget.core.model import Foreground
from widget.errors import ProbeError
from widget.probes.wlr import NO_TOPLEVELS, WlrToplevelProbe, process_for_app_id

pytestmark = [pytest.mark.wlroots]

TOKEN = secrets.token_hex(4)  # in every title; never in what the probe prints or raises
# Process names of this run's own: other test runs may have windows of the same user open.
RUN = secrets.token_hex(2)
KINDROID, REPLIKA, NOTES = f"kindroid-{RUN}", f"replika-{RUN}", f"notes-{RUN}"


@pytest.fixture(params=["sway", "phoc"])
def session(request: pytest.FixtureRequest) -> Iterator[WlrSession]:
    found: WlrSession = request.getfixturevalue(request.param)
    yield found
    found.close_windows()  # each test starts from an empty desktop


@pytest.fixture
def probe(session: WlrSession) -> Iterator[WlrToplevelProbe]:
    """The probe as the test user's driftcheck would see processes (this test runs as root)."""
    made = WlrToplevelProbe(session.env, find_process=lambda app_id: process_for_app_id(
        app_id, uid=session.user.uid))
    try:
        yield made
    finally:
        made.close()


class Calls:
    def __init__(self) -> None:
        self.moments: list[float] = []

    def __call__(self, moment: float) -> None:
        self.moments.append(moment)


def _in_front(probe: WlrToplevelProbe, window: Window | None) -> Foreground | None:
    """Wait until the probe says `window` is in front (None: nothing); what it says then."""
    def there() -> bool:
        fg = probe.foreground()
        if window is None:
            return fg is None
        return fg is not None and fg.window_class == window.app_id and fg.title == window.title

    wait_for(there, 10, f"{window.title if window else 'nothing'!r} in front of the probe")
    return probe.foreground()


def test_the_window_in_front_follows_focus(session: WlrSession,
                                           probe: WlrToplevelProbe) -> None:
    kindroid = session.open_window(KINDROID, f"Kindroid chat {TOKEN}")
    # Reverse-DNS app id: the process is found by its last part.
    replika = session.open_window(f"ai.replika.Replika-{RUN}", f"Replika {TOKEN}",
                                  name=REPLIKA)
    notes = session.open_window(NOTES, f"Notes {TOKEN}", name="foot")  # untracked
    calls = Calls()
    assert probe.watch_focus(calls)
    info = probe.info()
    assert info.focus_events and info.idle_source == "org_kde_kwin_idle"
    plan = [(kindroid, KINDROID, kindroid.pid), (replika, REPLIKA, replika.pid),
            (notes, NOTES, None), (kindroid, KINDROID, kindroid.pid),
            (notes, NOTES, None), (replika, REPLIKA, replika.pid)]
    for window, process, pid in plan:
        before = len(calls.moments)
        session.focus(window)
        fg = _in_front(probe, window)
        assert fg is not None
        # No process is called NOTES: the app id stands for it, with no pid.
        assert (fg.process, fg.pid, fg.window_class, fg.title) == (
            process, pid, window.app_id, window.title)
        if pid is not None:
            assert fg.exe is not None and fg.exe.endswith("/foot")
        assert TOKEN not in repr(fg)  # the title stays out of what gets printed or logged
        wait_for(lambda before=before: len(calls.moments) > before, 5, "the focus callback")


def test_two_processes_of_one_name_give_no_pid(session: WlrSession,
                                               probe: WlrToplevelProbe) -> None:
    first = session.open_window(KINDROID, f"Kindroid one {TOKEN}")
    second = session.open_window(KINDROID, f"Kindroid two {TOKEN}")
    session.focus(first)
    fg = _in_front(probe, first)
    assert fg is not None and (fg.process, fg.pid) == (KINDROID, None)
    session.close_window(second)
    session.focus(first)  # (already in front) one process of that name again: its pid
    wait_for(lambda: (f := probe.foreground()) is not None and f.pid == first.pid, 15,
             "the pid of the only kindroid")


def test_a_closed_window_and_then_nothing_in_front(session: WlrSession,
                                                   probe: WlrToplevelProbe) -> None:
    kindroid = session.open_window(KINDROID, f"Kindroid chat {TOKEN}")
    notes = session.open_window(NOTES, f"Notes {TOKEN}", name="foot")
    calls = Calls()
    probe.watch_focus(calls)
    session.focus(kindroid)
    _in_front(probe, kindroid)
    before = len(calls.moments)
    session.close_window(kindroid)
    wait_for(lambda: (f := probe.foreground()) is None or f.window_class != KINDROID, 10,
             "the closed window gone from the front")
    wait_for(lambda: len(calls.moments) > before, 5, "the focus callback")
    before = len(calls.moments)
    session.close_window(notes)
    assert _in_front(probe, None) is None
    wait_for(lambda: len(calls.moments) > before, 5, "the focus callback")


def test_an_empty_workspace_is_nothing_in_front(sway: WlrSession) -> None:
    """Sway: the windows stay open on another workspace; none is activated."""
    probe = WlrToplevelProbe(sway.env)
    try:
        kindroid = sway.open_window(KINDROID, f"Kindroid chat {TOKEN}")
        sway.focus(kindroid)
        _in_front(probe, kindroid)
        sway.swaymsg("workspace", "9")
        assert _in_front(probe, None) is None
        sway.swaymsg("workspace", "1")
        _in_front(probe, kindroid)
    finally:
        probe.close()
        sway.swaymsg("workspace", "1")
        sway.close_windows()


def test_the_compositor_restarted_under_the_probe(session: WlrSession,
                                                  probe: WlrToplevelProbe) -> None:
    kindroid = session.open_window(KINDROID, f"Kindroid chat {TOKEN}")
    session.focus(kindroid)
    _in_front(probe, kindroid)
    calls = Calls()
    probe.watch_focus(calls)
    session.stop()

    def refused() -> bool:
        try:
            probe.foreground()
        except ProbeError as error:
            assert TOKEN not in str(error)
            return True
        return False

    wait_for(refused, 10, "the probe to say the compositor is gone")
    # Idle is read on a connection of its own, which finds the compositor gone by itself.
    wait_for(lambda: probe.idle_seconds() is None, 10, "idle to be unknown while it is gone")
    session.start()

    def answers() -> bool:
        try:
            probe.foreground()
        except ProbeError:
            return False
        return True

    wait_for(answers, 15, "the probe to connect again by itself")
    replika = session.open_window(f"ai.replika.Replika-{RUN}", f"Replika {TOKEN}",
                                  name=REPLIKA)
    session.focus(replika)
    fg = _in_front(probe, replika)
    assert fg is not None and fg.pid == replika.pid
    assert calls.moments
    wait_for(lambda: probe.idle_seconds() is not None, 10, "idle from the new compositor")


def test_a_compositor_without_foreign_toplevels_is_refused_in_words(cage: WlrSession) -> None:
    with pytest.raises(ProbeError) as refused:
        WlrToplevelProbe(cage.env)
    assert str(refused.value) == NO_TOPLEVELS


def test_no_display_is_refused(cage: WlrSession) -> None:
    with pytest.raises(ProbeError):
        WlrToplevelProbe({**cage.env, "WAYLAND_DISPLAY": ""})
