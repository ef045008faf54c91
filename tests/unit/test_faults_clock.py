"""The whole tracker (catalog matcher, interval builder, sampler) writing to a real resident
store file, driven by a fake clock through the faults of months of running: the wall clock set
back and forward an hour, the process stopped (SIGSTOP: both clocks move on, no samples) and
the machine suspended (the wall clock moves on, Linux's CLOCK_MONOTONIC does not). Every
second of use is counted once; none of the stopped or suspended time is; nothing is negative
and nothing overlaps. tests/unit/test_intervals.py has the builder's rules one by one; this is
the same through every layer down to the file.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.fakes import FakeClock, ScriptedProbe
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.store import Store
from widget.store.resident import ResidentStore, open_for_tracking
from widget.tracking import Tracker

T0 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
MONO0 = 1000.0
INTERVAL = 5.0


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "driftcheck.sqlite3"
    full = Store.open(path)
    full.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),)))
    full.close()
    lean = open_for_tracking(path)
    yield lean
    lean.close()


def stored(store: ResidentStore) -> list[Interval]:
    return store.intervals_overlapping(T0 - timedelta(hours=3), T0 + timedelta(hours=3))


def test_clock_jumps_a_stopped_process_and_a_suspend_count_each_used_second_once(
        store: ResidentStore, scripted_probe: ScriptedProbe) -> None:
    clock = FakeClock(T0, MONO0)
    probe = scripted_probe
    tracker = Tracker(store, Options(sample_interval=INTERVAL, idle_after=180), clock=clock,
                      probe=probe, platform="linux", env={})
    probe.show("Replika")

    def use(seconds: float) -> None:
        for _ in range(int(seconds / INTERVAL)):
            clock.advance(INTERVAL)
            tracker.sampler.tick()

    tracker.sampler.tick()
    use(60)  # 60 s
    clock.advance(INTERVAL, wall_extra=-3600)  # the wall clock set back an hour
    tracker.sampler.tick()
    use(55)  # 5 + 55 s
    clock.advance(INTERVAL, wall_extra=+3600)  # and forward again
    tracker.sampler.tick()
    use(55)  # 5 + 55 s
    clock.advance(600)  # SIGSTOP for ten minutes: no tick, both clocks move on
    tracker.sampler.tick()
    use(30)  # 30 s
    # Suspended for ten minutes: Linux's monotonic clock stands still meanwhile, so the next
    # sample sees one interval of monotonic time and ten minutes more of wall time.
    clock.advance(INTERVAL, wall_extra=600)
    tracker.sampler.tick()
    use(30)  # 5 + 30 s
    tracker.sampler.stop()

    intervals = stored(store)
    assert all(iv.end >= iv.start for iv in intervals), "no negative time"
    for a, b in itertools.pairwise(sorted(intervals, key=lambda iv: iv.start)):
        assert b.start >= a.end, f"overlap: {a} and {b}"
    used = 60 + 60 + 60 + 30 + 35
    assert sum(iv.seconds for iv in intervals) == pytest.approx(used, abs=0.01), \
        "every used second once; the stopped and suspended time not at all"


def test_a_real_suspend_where_the_monotonic_clock_stands_still(
        store: ResidentStore, scripted_probe: ScriptedProbe) -> None:
    """On Linux CLOCK_MONOTONIC does not advance during suspend: after resuming, the first
    sample sees a few seconds of monotonic time and an hour of wall time."""
    clock = FakeClock(T0, MONO0)
    probe = scripted_probe
    tracker = Tracker(store, Options(sample_interval=INTERVAL, idle_after=180), clock=clock,
                      probe=probe, platform="linux", env={})
    probe.show("Replika")
    tracker.sampler.tick()
    for _ in range(6):
        clock.advance(INTERVAL)
        tracker.sampler.tick()
    clock.advance(3600, mono_stands=True)  # asleep: the wall clock moves, monotonic does not
    for _ in range(4):
        clock.advance(INTERVAL)
        tracker.sampler.tick()
    tracker.sampler.stop()
    intervals = stored(store)
    assert sum(iv.seconds for iv in intervals) == pytest.approx(50, abs=0.01)
    assert max(iv.end for iv in intervals) <= clock.wall()
    assert len(intervals) == 2  # before and after, not one interval spanning the night


def test_the_apps_reload_reads_only_when_another_connection_wrote(
        store: ResidentStore, scripted_probe: ScriptedProbe) -> None:
    clock = FakeClock(T0, MONO0)
    probe = scripted_probe
    tracker = Tracker(store, Options(sample_interval=INTERVAL, idle_after=180), clock=clock,
                      probe=probe, platform="linux", env={})
    reads: list[int] = []
    list_apps = store.list_apps

    def counted() -> list[TrackedApp]:
        reads.append(1)
        return list_apps()

    store.list_apps = counted  # type: ignore[method-assign]
    probe.show("Replika")
    tracker.sampler.tick()
    clock.advance(INTERVAL)
    tracker.sampler.tick()
    tracker._reload_safely()  # the first look
    assert len(reads) == 1
    probe.show("xterm")  # untracked in front: the interval is closed, then nothing is written
    clock.advance(INTERVAL)
    tracker.sampler.tick()
    for _ in range(3):
        tracker._reload_safely()
    assert len(reads) == 1, "its own writes are no reason to read the apps again"

    full = Store.open(store.path)  # `driftcheck apps add` from a terminal
    full.add_app(TrackedApp("nomi", "Nomi", (Rule(RuleKind.PROCESS, "nomi"),)))
    full.close()
    tracker._reload_safely()
    assert len(reads) == 2
    probe.show("nomi")
    clock.advance(INTERVAL)
    tracker.sampler.tick()
    clock.advance(INTERVAL)
    tracker.sampler.tick()
    assert {iv.app for iv in stored(store)} == {"replika", "nomi"}
