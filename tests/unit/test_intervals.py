"""The interval builder against every rule of "From samples to intervals", with a fake clock."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.intervals import Closed, Extended, IntervalBuilder, Observation, Opened
from widget.core.model import Interval, Measure

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


class Session:
    """A scripted person at a computer: a wall clock that can jump, a monotonic clock that
    cannot, and a builder fed every `step` seconds. Collects the final intervals."""

    def __init__(self, interval: float = 5, idle_after: float = 180) -> None:
        self.builder = IntervalBuilder(interval=interval, idle_after=idle_after)
        self.mono = 1000.0
        self.wall = T0
        self.closed: list[Interval] = []
        self.opened = 0
        self.extended = 0

    def advance(self, seconds: float, *, wall_jump: float = 0.0) -> None:
        self.mono += seconds
        self.wall += timedelta(seconds=seconds + wall_jump)

    def observe(self, app: str | None, idle: float = 0.0, locked: bool = False,
                measure: Measure = Measure.FOREGROUND) -> None:
        obs = Observation(self.wall, self.mono, app, idle, locked, measure)
        for change in self.builder.observe(obs):
            if isinstance(change, Opened):
                self.opened += 1
            elif isinstance(change, Extended):
                self.extended += 1
            elif isinstance(change, Closed):
                self.closed.append(change.interval)

    def run(self, app: str | None, seconds: float, step: float = 5.0, idle: float = 0.0) -> None:
        for _ in range(int(seconds / step)):
            self.advance(step)
            self.observe(app, idle)

    def finish(self) -> list[Interval]:
        self.closed += [c.interval for c in self.builder.finish()
                        if isinstance(c, Closed)]
        return self.closed

    def total(self, app: str) -> float:
        return sum(iv.seconds for iv in self.closed if iv.app == app)


def test_consecutive_samples_extend_one_interval() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 60)
    intervals = s.finish()
    assert len(intervals) == 1
    assert intervals[0].start == T0
    assert intervals[0].seconds == pytest.approx(60)
    assert s.opened == 1 and s.extended == 12


def test_switching_closes_and_opens_at_the_sample() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 30)
    s.run("chatgpt", 20)
    intervals = s.finish()
    assert [iv.app for iv in intervals] == ["replika", "chatgpt"]
    assert intervals[0].seconds == pytest.approx(35)  # closed by the sample that saw chatgpt
    assert intervals[1].start == intervals[0].end  # contiguous, no gap, no overlap
    assert intervals[1].seconds == pytest.approx(15)


def test_an_untracked_app_counts_nothing() -> None:
    s = Session()
    s.observe(None)
    s.run(None, 60)
    assert s.finish() == []


def test_a_focus_event_lands_the_switch_at_its_own_moment() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 10)
    s.advance(1.3)  # focus moves 1.3 s after the last sample
    s.observe("nomi")
    s.advance(3.7)
    s.observe("nomi")
    intervals = s.finish()
    assert intervals[0].seconds == pytest.approx(11.3)
    assert intervals[1].seconds == pytest.approx(3.7)


def test_idle_closes_back_dated_to_the_last_input() -> None:
    s = Session(idle_after=180)
    s.observe("replika")
    s.run("replika", 60)  # active for a minute
    # Then no input: idle grows with each sample until it passes 180 s.
    for k in range(1, 40):
        s.advance(5)
        s.observe("replika", idle=5 * k)
    intervals = s.finish()
    assert len(intervals) == 1
    assert intervals[0].seconds == pytest.approx(60)  # ends at the last input, not later


def test_use_starts_again_at_the_first_input_after_idle() -> None:
    s = Session(idle_after=20)
    s.observe("replika")
    s.run("replika", 10)
    for k in range(1, 7):  # away: idle 5..30 s
        s.advance(5)
        s.observe("replika", idle=5 * k)
    s.advance(5)
    s.observe("replika", idle=2.0)  # back: touched the keyboard 2 s ago
    s.run("replika", 10)
    intervals = s.finish()
    assert len(intervals) == 2
    assert intervals[0].seconds == pytest.approx(10)
    assert intervals[1].seconds == pytest.approx(12)


def test_short_pauses_under_the_threshold_keep_counting() -> None:
    s = Session(idle_after=180)
    s.observe("replika")
    for k in range(1, 13):
        s.advance(5)
        s.observe("replika", idle=5 * k)  # reading a long answer for a minute
    assert s.finish()[0].seconds == pytest.approx(60)


def test_a_locked_screen_is_never_counted() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 20)
    for _ in range(10):
        s.advance(5)
        s.observe("replika", locked=True)
    s.advance(5)
    s.observe("replika")
    s.run("replika", 10)
    intervals = s.finish()
    assert [round(iv.seconds) for iv in intervals] == [20, 10]


def test_a_gap_closes_at_the_last_good_sample() -> None:
    s = Session(interval=5)
    s.observe("replika")
    s.run("replika", 30)
    s.advance(600)  # suspended, or the process was stopped: no samples for ten minutes
    s.observe("replika")
    s.run("replika", 10)
    intervals = s.finish()
    assert [round(iv.seconds) for iv in intervals] == [30, 10]
    assert intervals[1].start - intervals[0].end == timedelta(seconds=600)


def test_a_gap_just_under_twice_the_interval_is_not_a_gap() -> None:
    s = Session(interval=5)
    s.observe("replika")
    s.advance(9.9)
    s.observe("replika")
    assert s.finish()[0].seconds == pytest.approx(9.9)


@pytest.mark.parametrize("jump", [-3600.0, 3600.0])
def test_a_wall_clock_jump_never_makes_negative_or_doubled_time(jump: float) -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 30)
    s.advance(5, wall_jump=jump)
    s.observe("replika")
    s.run("replika", 30)
    intervals = s.finish()
    assert all(iv.end >= iv.start for iv in intervals)
    assert s.total("replika") == pytest.approx(65)  # every second of use, once
    assert intervals[1].start >= intervals[0].end  # no overlap even after going back


def test_a_backward_jump_then_a_switch_still_never_overlaps() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 30)
    s.advance(5, wall_jump=-3600)
    s.observe("nomi")
    s.run("nomi", 20)
    s.run("replika", 20)
    intervals = sorted(s.finish(), key=lambda iv: iv.start)
    for a, b in itertools.pairwise(intervals):
        assert b.start >= a.end


def test_a_monotonic_clock_going_backwards_is_a_gap() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 10)
    s.mono -= 50
    s.wall += timedelta(seconds=5)
    s.observe("replika")
    assert all(iv.seconds >= 0 for iv in s.finish())


def test_long_use_is_split_so_no_interval_exceeds_an_hour() -> None:
    s = Session()
    s.observe("replika")
    s.run("replika", 3 * 3600)
    intervals = [iv for iv in s.finish() if iv.seconds > 0]  # the sampler drops empty ones
    assert len(intervals) == 3
    assert max(iv.seconds for iv in intervals) <= 3600
    assert sum(iv.seconds for iv in intervals) == pytest.approx(3 * 3600)
    assert intervals[1].start == intervals[0].end


def test_measure_is_kept_and_a_change_of_measure_splits() -> None:
    s = Session()
    s.observe("replika", measure=Measure.APPROXIMATE)
    s.run("replika", 10)
    intervals = s.finish()
    assert intervals[0].measure is Measure.APPROXIMATE


def test_finish_closes_at_now_or_at_the_last_sample() -> None:
    b = IntervalBuilder(interval=5, idle_after=180)
    b.observe(Observation(T0, 0.0, "replika"))
    closed = b.finish(3.0)
    assert isinstance(closed[0], Closed) and closed[0].interval.seconds == pytest.approx(3)
    b.observe(Observation(T0, 10.0, "replika"))
    assert b.finish(500.0)[0].interval.seconds == 0  # long after: only what was seen


steps = st.lists(st.tuples(
    st.floats(0.0, 30.0),  # seconds until the next observation
    st.floats(-7200, 7200) | st.just(0.0),  # wall-clock jump at that moment
    st.sampled_from(["replika", "nomi", None]),
    st.floats(0, 400),  # idle
    st.booleans(),  # locked
), max_size=80)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_property_never_negative_never_more_than_elapsed_never_overlapping(script) -> None:
    s = Session(interval=5, idle_after=180)
    start_mono = s.mono
    s.observe("replika")
    for dt, jump, app, idle, locked in script:
        s.advance(dt, wall_jump=jump)
        s.observe(app, idle=idle, locked=locked)
    intervals = s.finish()
    elapsed = s.mono - start_mono
    assert all(iv.end >= iv.start for iv in intervals)
    # Datetimes hold microseconds: each interval may round by up to one.
    assert sum(iv.seconds for iv in intervals) <= elapsed + 1e-6 * (len(intervals) + 1)
    ordered = sorted(intervals, key=lambda iv: iv.start)
    for a, b in itertools.pairwise(ordered):
        assert b.start >= a.end
