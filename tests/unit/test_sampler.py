"""The sampler with a scripted probe, a fake clock and a real SQLite store on a temp file.

What a person would notice: time lands in the database at the moment it happened, a tick that
merely extends use adds no row, a failing probe or a full disk loses nothing that was measured,
and no window title ever reaches a log or the database.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.fakes import MONO0, PRIVATE_TITLE, T0, FakeClock, ScriptedProbe
from widget.core.intervals import IntervalBuilder
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.rules import Matcher
from widget.errors import ProbeError
from widget.sampler import Sampler
from widget.store import Store

INTERVAL = 5.0  # seconds between ticks; a gap is anything over twice this
TITLE = PRIVATE_TITLE  # in every scripted window's title: must never leave memory

REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),))
KINDROID = TrackedApp("kindroid", "Kindroid", (Rule(RuleKind.PROCESS, "Kindroid"),))


class FlakyStore:
    """The real store, except that writes fail (disk full) while `failing` is set."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.failing = False
        self.failed_writes = 0

    def _check(self) -> None:
        if self.failing:
            self.failed_writes += 1
            raise sqlite3.OperationalError("disk full")

    def insert_interval(self, iv: Interval) -> int:
        self._check()
        return self.store.insert_interval(iv)

    def update_interval_end(self, row_id: int, end: object) -> None:
        self._check()
        self.store.update_interval_end(row_id, end)  # type: ignore[arg-type]

    def delete_interval(self, row_id: int) -> None:
        self._check()
        self.store.delete_interval(row_id)


class Rig:
    """A sampler wired to the fakes and a real store; times are seconds after T0."""

    def __init__(self, path: Path, sink: object | None = None) -> None:
        self.path = path
        self.store = Store.open(path)
        self.store.add_app(REPLIKA)
        self.store.add_app(KINDROID)
        self.clock = FakeClock(T0, MONO0)
        self.probe = ScriptedProbe()
        self.changes = 0
        matcher = Matcher([REPLIKA, KINDROID], frozenset())
        self.sampler = Sampler(self.probe, matcher.match,
                               IntervalBuilder(interval=INTERVAL, idle_after=180),
                               sink or self.store, self.clock, on_change=self._changed)

    def _changed(self) -> None:
        self.changes += 1

    def tick_at(self, seconds: float) -> None:
        self.clock.advance_to(seconds)
        self.sampler.tick()

    def focus_at(self, seconds: float, delivered_at: float | None = None) -> None:
        """A focus event that happened at `seconds`, reaching the sampler a little later."""
        self.clock.advance_to(seconds if delivered_at is None else delivered_at)
        self.sampler.focus_changed(MONO0 + seconds)

    def rows(self) -> list[tuple[str, float, float]]:
        """(app, start, end) in seconds after T0, as a freshly started process would read
        them from the file (a second connection: only committed data is visible)."""
        reader = Store.open(self.path)
        try:
            found = reader.intervals_overlapping(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
        finally:
            reader.close()
        return [(iv.app, _s(iv.start), _s(iv.end)) for iv in found]


def _s(moment: datetime) -> float:
    return round((moment - T0).total_seconds(), 3)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path / "db.sqlite3")
    try:
        yield made
    finally:
        made.store.close()


def test_ticks_of_the_same_app_extend_one_row_and_persist_its_end_each_time(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    for k in range(1, 8):
        rig.tick_at(k * INTERVAL)
        # A kill -9 right now would leave exactly this in the file.
        assert rig.rows() == [("replika", 0.0, k * INTERVAL)]
    assert rig.store.interval_count() == 1
    rig.clock.advance_to(37.5)
    rig.sampler.stop()
    assert rig.rows() == [("replika", 0.0, 37.5)]
    assert rig.store.interval_count() == 1


def test_a_kill_after_tick_k_leaves_the_end_at_tick_k(rig: Rig) -> None:
    rig.probe.show("Replika")
    for k in range(4):
        rig.tick_at(k * INTERVAL)
    # No stop(): the process dies here. The clock moves on, nobody writes.
    rig.clock.advance_to(100)
    assert rig.rows() == [("replika", 0.0, 15.0)]


def test_a_focus_event_lands_the_switch_at_its_own_moment(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.tick_at(5)
    rig.probe.show("Kindroid")
    rig.focus_at(7.3, delivered_at=7.45)
    # Written at once, not at the next tick: a kill now still has the switch right.
    assert rig.rows() == [("replika", 0.0, 7.3), ("kindroid", 7.3, 7.3)]
    rig.tick_at(10)
    rig.tick_at(15)
    assert rig.rows() == [("replika", 0.0, 7.3), ("kindroid", 7.3, 15.0)]


def test_a_focus_event_that_reaches_the_sampler_after_a_tick_saw_the_switch(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.probe.show("Kindroid")
    rig.tick_at(5)  # the tick got the lock first and saw the switch
    rig.focus_at(4.8, delivered_at=5.1)  # the event of that same switch, late
    rig.tick_at(10)
    # One switch, one row each: the late event neither splits nor drops time.
    assert rig.rows() == [("replika", 0.0, 5.0), ("kindroid", 5.0, 10.0)]


def test_a_focus_event_to_an_untracked_app_stops_the_count_there(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.probe.show("xterm")
    rig.focus_at(2.6)
    rig.tick_at(5)
    rig.tick_at(10)
    assert rig.rows() == [("replika", 0.0, 2.6)]


@pytest.mark.parametrize("where", ["foreground", "idle", "locked"])
def test_probe_errors_are_survived_and_logged_without_the_title(
        rig: Rig, where: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rig.probe.show("Replika")
    rig.probe.fail_in = where
    rig.tick_at(0)
    rig.probe.fail_with = lambda: RuntimeError(f"window '{TITLE}' vanished")
    rig.tick_at(5)
    rig.probe.fail_with = None
    rig.tick_at(10)
    rig.probe.fail_with = lambda: KeyError(TITLE)
    rig.tick_at(15)
    rig.probe.fail_with = None
    rig.tick_at(20)
    rig.sampler.stop()

    # Nothing lost: each error was one missed tick, shorter than a gap, so use counts
    # straight through.
    assert rig.rows() == [("replika", 0.0, 20.0)]
    assert rig.sampler.stats.probe_errors == 2
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("RuntimeError" in r.getMessage() for r in warnings)
    assert any("KeyError" in r.getMessage() for r in warnings)
    for record in caplog.records:
        assert TITLE not in record.getMessage()
        assert record.exc_info is None  # a traceback would carry the exception's text
    assert TITLE not in caplog.text
    assert TITLE not in (rig.sampler.stats.last_error or "")


def test_a_probe_error_sentence_is_logged_and_tracking_goes_on(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.probe.fail_with = lambda: ProbeError("The X display went away (ConnectionClosedError).")
    rig.tick_at(5)
    rig.probe.fail_with = None
    rig.tick_at(10)
    assert rig.rows() == [("replika", 0.0, 10.0)]
    assert "The X display went away" in caplog.text


def test_failing_ticks_longer_than_a_gap_end_time_at_the_last_good_sample(rig: Rig) -> None:
    rig.probe.show("Replika")
    for t in (0, 5, 10):
        rig.tick_at(t)
    rig.probe.fail_with = lambda: ProbeError("The X display is not reachable.")
    for t in (15, 20, 25):
        rig.tick_at(t)
        assert rig.rows() == [("replika", 0.0, 10.0)]  # nothing guessed while blind
    rig.probe.fail_with = None
    rig.tick_at(30)
    rig.tick_at(35)
    assert rig.rows() == [("replika", 0.0, 10.0), ("replika", 30.0, 35.0)]


def test_a_store_that_fails_for_a_while_loses_no_time(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db.sqlite3")
    flaky = FlakyStore(store)
    rig = Rig(tmp_path / "db.sqlite3", sink=flaky)
    try:
        rig.probe.show("Replika")
        rig.tick_at(0)
        flaky.failing = True
        rig.tick_at(5)
        rig.tick_at(10)
        rig.probe.show("Kindroid")
        rig.focus_at(12.4)
        rig.tick_at(15)
        assert flaky.failed_writes >= 3
        assert rig.rows() == [("replika", 0.0, 0.0)]  # what the disk had before it filled
        flaky.failing = False
        rig.tick_at(20)
        assert rig.rows() == [("replika", 0.0, 12.4), ("kindroid", 12.4, 20.0)]
        rig.tick_at(25)
        assert rig.rows() == [("replika", 0.0, 12.4), ("kindroid", 12.4, 25.0)]
        assert rig.sampler.stats.store_errors >= 3
        assert rig.sampler.stats.last_error == "store: OperationalError"
    finally:
        rig.store.close()
        store.close()


def test_intervals_opened_and_closed_while_the_disk_is_full_are_written_later(
        tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db.sqlite3")
    flaky = FlakyStore(store)
    flaky.failing = True
    rig = Rig(tmp_path / "db.sqlite3", sink=flaky)
    try:
        rig.probe.show("Replika")
        rig.tick_at(0)
        rig.tick_at(5)
        rig.probe.show("Kindroid")
        rig.focus_at(7.0)
        rig.tick_at(10)
        rig.probe.show(None)
        rig.focus_at(11.5)
        rig.probe.show("Replika")
        rig.tick_at(15)
        assert rig.rows() == []
        flaky.failing = False
        rig.tick_at(20)
        assert rig.rows() == [("replika", 0.0, 7.0), ("kindroid", 7.0, 11.5),
                              ("replika", 15.0, 20.0)]
    finally:
        rig.store.close()
        store.close()


def test_a_stop_while_the_disk_is_full_then_a_working_one_writes_everything(
        tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db.sqlite3")
    flaky = FlakyStore(store)
    rig = Rig(tmp_path / "db.sqlite3", sink=flaky)
    try:
        rig.probe.show("Replika")
        rig.tick_at(0)
        flaky.failing = True
        rig.tick_at(5)
        rig.clock.advance_to(6)
        rig.sampler.stop()
        flaky.failing = False
        rig.sampler.stop()  # the app retries its final write
        assert rig.rows() == [("replika", 0.0, 6.0)]
    finally:
        rig.store.close()
        store.close()


def test_a_flash_of_an_app_at_one_instant_leaves_no_row(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.probe.show("Kindroid")
    rig.focus_at(0)  # the same instant: Replika was in front for no time at all
    rig.tick_at(5)
    assert rig.rows() == [("kindroid", 0.0, 5.0)]
    assert rig.store.interval_count() == 1


def test_walking_away_right_after_the_first_sample_leaves_no_row(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.probe.idle = 179  # just under the threshold: this sample opens an interval
    rig.tick_at(0)
    rig.probe.idle = 184  # the last input was before the interval began
    rig.tick_at(5)
    rig.tick_at(10)
    assert rig.rows() == []
    assert rig.store.interval_count() == 0


def test_a_locked_screen_ends_use_at_the_last_sample_before_the_lock(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.tick_at(5)
    rig.probe.is_locked = True
    rig.tick_at(10)
    rig.tick_at(15)
    rig.probe.is_locked = False
    rig.tick_at(20)
    rig.tick_at(25)
    assert rig.rows() == [("replika", 0.0, 5.0), ("replika", 20.0, 25.0)]


def test_untracked_apps_write_nothing_and_titles_never_reach_the_file(rig: Rig) -> None:
    rig.probe.show("firefox")
    for t in range(0, 30, 5):
        rig.tick_at(t)
    assert rig.store.interval_count() == 0
    rig.probe.show("Replika")
    for t in range(30, 60, 5):
        rig.tick_at(t)
    rig.sampler.stop()
    assert rig.rows() == [("replika", 30.0, 55.0)]
    on_disk = b"".join(p.read_bytes() for p in rig.store.files())
    assert TITLE.encode() not in on_disk


def test_the_tray_is_told_when_something_changed(rig: Rig) -> None:
    rig.probe.show("xterm")
    rig.tick_at(0)
    assert rig.changes == 0  # nothing tracked in front: no redraw
    rig.probe.show("Replika")
    rig.tick_at(5)
    assert rig.changes == 1
    rig.tick_at(10)
    assert rig.changes == 2


def test_a_row_deleted_under_the_tracker_does_not_stop_later_recording(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.tick_at(5)
    with rig.store._engine.begin() as conn:  # history cleared while the tracker runs
        conn.exec_driver_sql("DELETE FROM intervals")
    rig.tick_at(10)
    rig.probe.show("Kindroid")
    rig.focus_at(12)
    for t in (15, 20, 25):
        rig.tick_at(t)
    assert ("kindroid", 12.0, 25.0) in rig.rows()


def test_time_right_after_a_window_start_is_found_however_the_ticks_fall(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    t = 3.0
    while t < 3700:  # ticks 5 s apart that do not land on the hour mark
        rig.tick_at(t)
        t += INTERVAL
    rig.sampler.stop()
    window_start = T0 + timedelta(seconds=3601)  # a local day that began 3601 s in
    found = rig.store.intervals_overlapping(window_start, T0 + timedelta(hours=3))
    counted = sum((min(iv.end, T0 + timedelta(hours=3)) - max(iv.start, window_start))
                  .total_seconds() for iv in found)
    assert counted == pytest.approx(rig.clock.elapsed - 3601)


def test_a_pause_ends_use_at_once_and_counts_nothing_until_resumed(rig: Rig) -> None:
    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.tick_at(5)
    rig.clock.advance_to(6.5)
    rig.sampler.pause()
    assert rig.rows() == [("replika", 0.0, 6.5)]
    rig.tick_at(10)
    rig.focus_at(12)
    rig.tick_at(15)
    assert rig.rows() == [("replika", 0.0, 6.5)]
    rig.sampler.resume()
    rig.tick_at(20)
    rig.tick_at(25)
    assert rig.rows() == [("replika", 0.0, 6.5), ("replika", 20.0, 25.0)]


def test_each_error_is_warned_once_until_it_works_again(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="widget.sampler")

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    rig.probe.show("Replika")
    rig.tick_at(0)
    rig.probe.fail_with = lambda: ProbeError("A window went away.")
    rig.tick_at(5)
    rig.tick_at(10)
    assert warnings() == ["probe error: A window went away."]
    rig.probe.fail_with = lambda: ProbeError("The X display went away (ConnectionClosedError).")
    for t in (15, 20, 25):
        rig.tick_at(t)
    assert warnings()[1:] == ["probe error: The X display went away (ConnectionClosedError)."]
    rig.probe.fail_with = None
    rig.tick_at(30)
    rig.probe.fail_with = lambda: ProbeError("A window went away.")
    rig.tick_at(35)
    assert len(warnings()) == 3, "after it worked again, the same error is news again"
