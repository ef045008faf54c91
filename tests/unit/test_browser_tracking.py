"""The tracker using what the browser extension says: the interval builder counting an audible
tracked tab while the person is idle (pure), and the whole tracker (scripted probe, real
channel on an AF_UNIX socket, a stand-in host, a real store file) taking the extension's word
over the window title when the browser in front has a connected extension."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers.browser import FakeHost
from tests.helpers.fakes import MONO0, PRIVATE_TITLE, T0, FakeClock, ScriptedProbe
from tests.helpers.waiting import wait_for
from widget.core.intervals import Closed, IntervalBuilder, Observation
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.paths import BROWSER_SOCKET_NAME
from widget.store import Store
from widget.store.resident import ResidentStore, open_for_tracking
from widget.tracking import Tracker

INTERVAL = 5.0
IDLE_AFTER = 60.0

# --- the builder: talking is not typing -------------------------------------------------------


@dataclass
class Step:
    at: float  # seconds after the start
    idle: float = 0.0
    audible: bool = False
    app: str | None = "claude"
    locked: bool = False


def counted(steps: list[Step]) -> float:
    """Seconds counted for `claude` over the observations `steps`, then a clean finish."""
    builder = IntervalBuilder(interval=INTERVAL, idle_after=IDLE_AFTER)
    closed: list[Interval] = []
    for step in steps:
        obs = Observation(T0 + timedelta(seconds=step.at), MONO0 + step.at, step.app,
                          step.idle, step.locked, audible=step.audible)
        closed += [c.interval for c in builder.observe(obs) if isinstance(c, Closed)]
    closed += [c.interval for c in builder.finish() if isinstance(c, Closed)]
    return sum(iv.seconds for iv in closed if iv.app == "claude")


def every(start: int, end: int, *, since: float | None = None, audible: bool = False,
          app: str | None = "claude", locked: bool = False) -> list[Step]:
    """A step every INTERVAL seconds from `start` to `end`, with no input `since` that moment
    (None: input just now, at each step)."""
    return [Step(at, 0.0 if since is None else at - since, audible, app, locked)
            for at in range(start, end + 1, int(INTERVAL))]


def test_an_audible_tracked_tab_counts_while_the_person_is_idle() -> None:
    silent = every(0, 300, since=0)
    assert counted(silent) == 0  # idle from the start: nothing, as before
    assert counted(every(0, 300, since=0, audible=True)) == 300


def test_when_the_sound_stops_and_the_person_is_still_idle_use_ends_there() -> None:
    steps = every(0, 200, since=0, audible=True) + every(205, 300, since=0)
    assert counted(steps) == 205  # the first observation that found it silent


def test_when_the_sound_stops_and_the_person_is_there_nothing_changes() -> None:
    steps = every(0, 200, since=0, audible=True) + every(205, 300)
    assert counted(steps) == 300


def test_sound_counts_even_when_the_last_input_was_before_it_stopped() -> None:
    """A key pressed at 102 while the tab still played, silent from 105, no input after:
    idle back-dating would end use at 102; the sound carried it to 105."""
    steps = [*every(0, 100, since=0, audible=True), Step(105, idle=3),
             *every(110, 200, since=102)]
    assert counted(steps) == 105


def test_sound_that_starts_while_the_person_is_away_counts_from_that_moment() -> None:
    steps = every(0, 95, since=-100) + every(100, 150, since=-100, audible=True) \
        + every(155, 200, since=-100)
    assert counted(steps) == 55  # 100 to 155: not back-dated to the last input


def test_sound_from_an_untracked_tab_or_a_locked_screen_counts_nothing() -> None:
    assert counted(every(0, 300, since=0, audible=True, app=None)) == 0
    steps = every(0, 30) + every(35, 100, audible=True, locked=True)
    assert counted(steps) == 30


# --- the tracker with a connected browser -----------------------------------------------------

ADDRESS = RuleKind("address")
# Its title rule matches every scripted browser window (their titles hold PRIVATE_TITLE), so a
# test can tell the extension's word from the title's.
CLAUDE = TrackedApp("claude", "Claude", (Rule(ADDRESS, "claude.ai"),
                                         Rule(RuleKind.TITLE, PRIVATE_TITLE[-7:])))
TAVERN = TrackedApp("sillytavern", "SillyTavern", (Rule(ADDRESS, "localhost:8000"),))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResidentStore]:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    full = Store.open(folder / "driftcheck.sqlite3")
    full.add_app(CLAUDE)
    full.close()
    lean = open_for_tracking(folder / "driftcheck.sqlite3")
    yield lean
    lean.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def probe(scripted_probe: ScriptedProbe) -> ScriptedProbe:
    scripted_probe.show("firefox")  # pid 4242, a title that says PRIVATE_TITLE
    return scripted_probe


@pytest.fixture
def tracker(store: ResidentStore, clock: FakeClock, probe: ScriptedProbe) -> Iterator[Tracker]:
    made = Tracker(store, Options(sample_interval=INTERVAL, idle_after=IDLE_AFTER),
                   clock=clock, probe=probe, platform="linux", env={})
    assert made.browser_channel.start()
    yield made
    made.browser_channel.close()


def connect(tracker: Tracker, pid: int = 4242, browser: str = "firefox") -> FakeHost:
    host = FakeHost(tracker.browser_channel.path, browser, pid)
    assert host.rules()["type"] == "rules"
    return host


def said(tracker: Tracker, host: FakeHost, app: str | None, *, audible: bool = False,
         focused: bool = True) -> None:
    """The host says a state, and the tracker has looked again because of it."""
    looks = tracker.sampler.stats.focus_events
    host.state(app, audible=audible, focused=focused)
    wait_for(lambda: tracker.sampler.stats.focus_events > looks, 5, "the tracker to look again")


def run_for(tracker: Tracker, clock: FakeClock, seconds: float) -> None:
    for _ in range(int(seconds / INTERVAL)):
        clock.advance(INTERVAL)
        tracker.sampler.tick()


def stored(store: ResidentStore, app: str = "claude") -> float:
    intervals = store.intervals_overlapping(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    return sum(iv.seconds for iv in intervals if iv.app == app)


def test_without_an_extension_the_title_decides(tracker: Tracker, store: ResidentStore,
                                                clock: FakeClock) -> None:
    tracker.sampler.tick()
    run_for(tracker, clock, 30)
    tracker.sampler.stop()
    assert stored(store) == 30


def test_the_extension_saying_none_beats_a_title_that_matches(
        tracker: Tracker, store: ResidentStore, clock: FakeClock) -> None:
    host = connect(tracker)
    said(tracker, host, None)
    tracker.sampler.tick()
    run_for(tracker, clock, 30)
    tracker.sampler.stop()
    assert stored(store) == 0
    host.close()


def test_a_tab_switch_lands_at_its_own_moment_not_at_the_next_sample(
        tracker: Tracker, store: ResidentStore, clock: FakeClock) -> None:
    host = connect(tracker)
    said(tracker, host, "claude")
    tracker.sampler.tick()
    run_for(tracker, clock, 10)
    clock.advance(2)
    said(tracker, host, None)  # another tab, between two samples
    run_for(tracker, clock, 20)
    tracker.sampler.stop()
    assert stored(store) == 12
    host.close()


def test_a_browser_without_the_focus_or_another_browsers_host_leaves_it_to_the_title(
        tracker: Tracker, store: ResidentStore, clock: FakeClock) -> None:
    unfocused = connect(tracker, pid=4242)
    said(tracker, unfocused, None, focused=False)
    other = connect(tracker, pid=999, browser="chromium")
    said(tracker, other, None)
    tracker.sampler.tick()
    run_for(tracker, clock, 30)
    tracker.sampler.stop()
    assert stored(store) == 30  # by title, as if no extension were there
    unfocused.close()
    other.close()


def test_an_audible_tracked_tab_counts_while_idle_until_it_falls_silent(
        tracker: Tracker, store: ResidentStore, clock: FakeClock, probe: ScriptedProbe) -> None:
    host = connect(tracker)
    probe.idle = 10 * IDLE_AFTER  # nobody typing for a long while
    said(tracker, host, "claude", audible=True)
    tracker.sampler.tick()
    run_for(tracker, clock, 60)
    clock.advance(3)
    said(tracker, host, "claude", audible=False)
    run_for(tracker, clock, 30)
    tracker.sampler.stop()
    assert stored(store) == 63
    host.close()


def test_when_the_host_leaves_the_title_decides_again(
        tracker: Tracker, store: ResidentStore, clock: FakeClock) -> None:
    host = connect(tracker)
    said(tracker, host, None)
    tracker.sampler.tick()
    run_for(tracker, clock, 10)
    looks = tracker.sampler.stats.focus_events
    host.close()
    wait_for(lambda: tracker.sampler.stats.focus_events > looks, 5, "the tracker to look again")
    run_for(tracker, clock, 20)
    tracker.sampler.stop()
    assert stored(store) == 20


def test_the_tracker_listens_while_it_runs_and_sends_new_rules_when_the_apps_change(
        store: ResidentStore, clock: FakeClock, probe: ScriptedProbe) -> None:
    tracker = Tracker(store, Options(sample_interval=60, idle_after=IDLE_AFTER), clock=clock,
                      probe=probe, platform="linux", env={})
    socket_path = store.path.parent / BROWSER_SOCKET_NAME
    tracker.start()
    try:
        host = FakeHost(socket_path)
        assert host.rules() == {"type": "rules",
                                "apps": [{"id": "claude", "addresses": ["claude.ai"]}]}
        other = Store.open(store.path)
        other.add_app(TAVERN)
        other.close()
        tracker.reload_apps()
        assert host.rules()["apps"] == [{"id": "claude", "addresses": ["claude.ai"]},
                                        {"id": "sillytavern", "addresses": ["localhost:8000"]}]
    finally:
        tracker.stop()
    assert host.closed_by_tracker()
    assert not socket_path.exists()
    host.close()
