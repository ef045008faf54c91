"""The one fake clock and the one scripted probe of the tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from widget.core.model import Foreground, Measure
from widget.probes.base import FocusCallback, ProbeInfo

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MONO0 = 5000.0
# The title every scripted window carries: a test that follows it can prove it never leaves
# memory (no log line, no error message, no byte of the database).
PRIVATE_TITLE = "zq81-PRIVATE-TITLE-kestrel"


class FakeClock:
    """Wall and monotonic time that move only when the test moves them.

    It is a `widget.clock.Clock` (`wall()`, `mono()`) and, called, a `now()` that gives the
    wall time (what the tray, the controller and the store take). The test moves it with
    `advance(seconds, minutes=..., ...)` (both clocks), `advance_to(seconds)` (to that long
    after the start), or sets `at` (the wall time alone); `wall_extra` and `mono_stands` move
    the two apart, as a clock set by hand and a suspend (Linux's monotonic clock stands still
    meanwhile) do. With `step`, every call of the clock as `now()` first moves both on by that
    many seconds, so each row a store stamps gets a later moment than the one before."""

    def __init__(self, at: datetime = T0, mono: float = MONO0, *, step: float = 0.0) -> None:
        self.start = at
        self.mono_start = mono
        self.elapsed = 0.0  # seconds the monotonic clock moved since the start
        self._wall_apart = timedelta(0)  # how far the wall clock moved without the monotonic
        self.step = step

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed) + self._wall_apart

    def mono(self) -> float:
        return self.mono_start + self.elapsed

    def __call__(self) -> datetime:
        if self.step:
            self.advance(self.step)
        return self.wall()

    @property
    def at(self) -> datetime:
        return self.wall()

    @at.setter
    def at(self, moment: datetime) -> None:
        """The wall clock at `moment`; the monotonic clock does not move."""
        self._wall_apart += moment - self.wall()

    def advance(self, seconds: float = 0.0, *, wall_extra: float = 0.0, mono_stands: bool = False,
                **units: float) -> None:
        """Both clocks on by `seconds` plus `units` (timedelta's: minutes=, hours=, days=...);
        the wall clock `wall_extra` seconds more; with `mono_stands`, the wall clock alone."""
        seconds += timedelta(**units).total_seconds()
        if mono_stands:
            self._wall_apart += timedelta(seconds=seconds)
        else:
            self.elapsed += seconds
        self._wall_apart += timedelta(seconds=wall_extra)

    def advance_to(self, seconds: float) -> None:
        """Both clocks to `seconds` after the start (never back)."""
        assert seconds >= self.elapsed, "time never runs backwards here"
        self.elapsed = seconds


class ScriptedProbe:
    """A probe whose answers the test sets: the process in front (`show`), `idle` seconds and
    `is_locked`; `fail_with` makes the readings named by `fail_in` ("foreground", "idle",
    "locked") raise what it makes. Its windows' titles hold PRIVATE_TITLE. `info` stands in
    for what `driftcheck doctor` reports (by default: a scripted idle source, focus events)."""

    def __init__(self, name: str = "scripted", measure: Measure = Measure.FOREGROUND, *,
                 info: ProbeInfo | None = None, idle: float | None = 0.0,
                 locked: bool | None = False) -> None:
        self.name = info.name if info is not None else name
        self.measure = info.measure if info is not None else measure
        self._info = info
        self.process: str | None = None
        self.idle = idle
        self.is_locked = locked
        self.fail_with: Callable[[], BaseException] | None = None
        self.fail_in = "foreground"

    def show(self, process: str | None) -> None:
        self.process = process

    def _maybe_fail(self, where: str) -> None:
        if self.fail_with is not None and self.fail_in == where:
            raise self.fail_with()

    def foreground(self) -> Foreground | None:
        self._maybe_fail("foreground")
        if self.process is None:
            return None
        return Foreground(self.process, pid=4242, title=f"{PRIVATE_TITLE} - {self.process}")

    def idle_seconds(self) -> float | None:
        self._maybe_fail("idle")
        return self.idle

    def locked(self) -> bool | None:
        self._maybe_fail("locked")
        return self.is_locked

    def info(self) -> ProbeInfo:
        if self._info is not None:
            return self._info
        return ProbeInfo(self.name, self.measure, "scripted", None, focus_events=True)

    def watch_focus(self, callback: FocusCallback) -> bool:
        return False

    def close(self) -> None:
        pass
