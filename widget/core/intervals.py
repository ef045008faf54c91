"""From samples to intervals: the pure heart of the tracker.

The builder is fed observations (what was in front, how long the person has been idle, whether
the screen is locked) and answers with the changes to make to the stored intervals. It never
reads a clock: every observation carries both the wall time and a monotonic time.

Durations come from the monotonic clock, so a wall clock that jumps (NTP, a manual change, a
time-zone mistake) can never make negative or doubled time; the wall clock only anchors where an
interval starts. Intervals never overlap: after a backward jump, a new interval starts no earlier
than the end of the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from widget.core.model import Interval, Measure

# The wall and monotonic clocks may drift apart a little between two samples (NTP slewing);
# anything beyond this is a jump of the wall clock.
JUMP_TOLERANCE_S = 2.0

# No stored interval is longer than this, so "what overlaps this window" needs the start index
# only (the store relies on it).
MAX_SPAN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Observation:
    """One reading of the probe, or one focus change announced by the platform."""

    wall: datetime  # aware UTC
    mono: float  # seconds, time.monotonic() or a fake
    app: str | None  # key of the tracked app in front, None when nothing tracked is
    idle: float | None = None  # seconds since the last input; None when unknown
    locked: bool = False
    measure: Measure = Measure.FOREGROUND
    # The browser tab in front plays sound (its extension said so): with a tracked app in
    # front, the person counts as there however long ago the last input was.
    audible: bool = False


@dataclass(frozen=True, slots=True)
class Opened:
    interval: Interval


@dataclass(frozen=True, slots=True)
class Extended:
    interval: Interval  # same start as when opened, a later end


@dataclass(frozen=True, slots=True)
class Closed:
    interval: Interval  # the final form


Change = Opened | Extended | Closed


@dataclass(slots=True)
class _Open:
    app: str
    measure: Measure
    start_wall: datetime
    start_mono: float

    def at(self, mono: float) -> Interval:
        """The interval as if it ended at monotonic time `mono` (never before its start)."""
        seconds = max(0.0, mono - self.start_mono)
        return Interval(self.app, self.start_wall, self.start_wall + timedelta(seconds=seconds),
                        self.measure)


class IntervalBuilder:
    """Turns a stream of observations into opened, extended and closed intervals.

    Rules (the README's "From samples to intervals" section):
    - the same tracked app in consecutive observations extends one open interval;
    - another app, or none, closes it at the moment of that observation (a focus event is
      observed the moment it happens, so the switch lands there, not at the next sample);
    - idle past `idle_after` closes it back-dated to the last input, and use starts again at the
      first input after that;
    - except while a tracked app in front plays sound (a voice chat: talking is not typing):
      then idle does not close it; when the sound stops, it closes at the first observation
      that found it silent (if the person is still idle), and sound that starts while the
      person is idle starts use at the observation that heard it;
    - a locked screen closes it at the last observation before the lock;
    - a gap longer than `gap_after` between observations (suspend, a stopped or hung process)
      closes it at the last good observation;
    - a wall-clock jump closes it after the time that really passed, and starts afresh;
    - no interval grows past `max_span`: it is closed and a contiguous one opened, which keeps
      range queries on the start time alone exact.
    """

    def __init__(self, *, interval: float, idle_after: float,
                 max_span: timedelta = MAX_SPAN) -> None:
        if interval <= 0 or idle_after <= 0:
            raise ValueError("interval and idle_after must be positive")
        self.gap_after = 2.0 * interval
        self.idle_after = idle_after
        self.max_span_s = max_span.total_seconds()
        self._open: _Open | None = None
        self._last: Observation | None = None
        self._floor: datetime | None = None  # no interval may start before this (no overlap)
        self._idle_since_last = False  # the person was away at the last observation
        self._heard_last = False  # a tracked app in front played sound at the last observation
        self._heard_until: float | None = None  # mono of the last observation with sound, or
        # of the first one after it that found it silent
        self._last_close: tuple[float, datetime] | None = None  # (mono, wall) of the last end

    @property
    def last_mono(self) -> float | None:
        """Monotonic time of the last observation, if any."""
        return None if self._last is None else self._last.mono

    @property
    def open_interval(self) -> Interval | None:
        if self._open is None or self._last is None:
            return None
        return self._open.at(self._last.mono)

    def observe(self, obs: Observation) -> list[Change]:
        changes: list[Change] = []
        last = self._last
        continuous = last is not None and self._continuous(last, obs)
        if last is not None and not continuous:
            # Gap or jump: whatever was open ends at the last good observation, plus the time
            # that really passed when it was a plain jump of the wall clock.
            gap = obs.mono < last.mono or obs.mono - last.mono > self.gap_after
            end_mono = last.mono if gap else obs.mono
            changes += self._close(end_mono)
            self._last_close = None  # what follows is anchored on the new wall time
            self._idle_since_last = False
            self._heard_last, self._heard_until = False, None
        self._step(obs, last if continuous else None, changes)
        self._last = obs
        return changes

    def finish(self, mono: float | None = None) -> list[Change]:
        """Close whatever is open: at `mono` if it is within one gap of the last observation
        (a clean stop right now), otherwise at the last observation."""
        if self._last is None:
            return []
        end = self._last.mono
        if mono is not None and self._last.mono <= mono <= self._last.mono + self.gap_after:
            end = mono
        changes = self._close(end)
        self._last = None
        return changes

    def _continuous(self, last: Observation, obs: Observation) -> bool:
        dm = obs.mono - last.mono
        if dm < 0 or dm > self.gap_after:
            return False
        dw = (obs.wall - last.wall).total_seconds()
        return abs(dw - dm) <= JUMP_TOLERANCE_S

    def _step(self, obs: Observation, last: Observation | None, changes: list[Change]) -> None:
        idle = obs.idle or 0.0
        heard = obs.audible and obs.app is not None
        if heard or self._heard_last:
            self._heard_until = obs.mono  # sound until now, at least
        self._heard_last = heard
        idle_too_long = idle >= self.idle_after
        away = idle_too_long and not heard
        present_app = None if (away or obs.locked) else obs.app
        current = self._open
        if current is not None:
            if obs.locked:
                end = last.mono if last is not None else obs.mono
                changes += self._close(end)
            elif away:
                # Back to the last input, but not before the sound that kept it going stopped.
                end = max(current.start_mono, obs.mono - idle)
                if self._heard_until is not None:
                    end = max(end, self._heard_until)
                changes += self._close(end)
            elif obs.app != current.app or obs.measure != current.measure:
                changes += self._close(obs.mono)
            elif obs.mono - current.start_mono >= self.max_span_s:
                # At its longest: close it at exactly max_span and go on in a contiguous one,
                # so that no stored interval is ever longer than max_span.
                split = current.start_mono + self.max_span_s
                changes += self._close(split)
                changes.append(self._start(current.app, obs, split))
                assert self._open is not None
                changes.append(Extended(self._open.at(obs.mono)))
                return
            else:
                changes.append(Extended(current.at(obs.mono)))
                return
        if present_app is not None:
            start_mono = obs.mono
            if self._idle_since_last and last is not None and not idle_too_long:
                # Back from being away: use began at the first input since the last sample.
                # (Sound that started while the person is still idle starts use now.)
                start_mono = max(last.mono, obs.mono - idle)
            changes.append(self._start(present_app, obs, start_mono))
        self._idle_since_last = away or obs.locked

    def _start(self, app: str, obs: Observation, start_mono: float) -> Opened:
        if self._last_close is not None and self._last_close[0] == start_mono:
            start_wall = self._last_close[1]  # a switch: the new interval follows on exactly
        else:
            start_wall = obs.wall - timedelta(seconds=obs.mono - start_mono)
        if self._floor is not None and start_wall < self._floor:
            start_wall = self._floor
        self._open = _Open(app, obs.measure, start_wall, start_mono)
        return Opened(self._open.at(start_mono))

    def _close(self, end_mono: float) -> list[Change]:
        current = self._open
        if current is None:
            return []
        self._open = None
        interval = current.at(end_mono)
        self._last_close = (end_mono, interval.end)
        self._floor = interval.end if self._floor is None else max(self._floor, interval.end)
        return [Closed(interval)]


def clip(interval: Interval, start: datetime, end: datetime) -> Interval | None:
    """The part of `interval` inside [start, end), or None."""
    lo = max(interval.start, start)
    hi = min(interval.end, end)
    if hi <= lo:
        return None
    # made directly: `dataclasses.replace` costs three times as much, and a week's report
    # clips thousands
    return Interval(interval.app, lo, hi, interval.measure)
