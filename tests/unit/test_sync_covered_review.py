"""Regression tests for the review of the all-computers totals worked out ahead (helper G's
findings, fixed in 6ee58bd): a read that a `refresh` overtakes gives one read's figures; time
given to another app, or written while the sync child merged, never leaves a figure in use;
a damaged kept month is removed and written again; the child's working out may fail without
holding up the read; an entry without each app's figures is worked out again; `first_use`
over the kept read loads no month; a month reaching a window by its last interval's tail
alone still marks it.

This computer's store is a real ResidentStore, the other computers' time real History objects
or the kept read's LazyHistory, with tests/helpers/covered.py's histories: Europe/Berlin with
the day starting at 04:00.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import call
from tests.helpers.computers import fill
from tests.helpers.covered import (
    APPS,
    BERLIN,
    BOGUS,
    DAY_START,
    DESKTOP,
    MINE,
    NOV_2,
    NOV_3,
    NOW,
    SO_FAR,
    W42,
    WORK,
    add_apps,
    gap_in,
    key,
    others,
    shared_folders,
    utc,
    worked_out,
)
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval
from widget.paths import DB_NAME, SYNC_CACHE_NAME
from widget.services.devices import others_of
from widget.store.resident import ResidentStore
from widget.sync import compact
from widget.sync.child import run
from widget.sync.covered import memo_windows, work_out
from widget.sync.folder import SharedFolder, load_identity
from widget.sync.format import split_by_month
from widget.sync.merge import History, histories_of, to_ms
from widget.sync.one_device import OneDeviceReader
from widget.sync.reader import MergedReader
from widget.sync.view import FolderView


class HookedStore(ResidentStore):
    """A real ResidentStore that runs `hook` once, right after the next `window_marks`: what
    another thread (the sync job's refresh, the tracker's writing) does between a reader's
    marks and its merging."""

    hook: Callable[[], None] | None = None

    def window_marks(self, windows: Sequence[tuple[datetime, datetime]],
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, int]]:
        marks = super().window_marks(windows, max_span)
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return marks


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[HookedStore, dict[Interval, int]]]:
    """This computer's store with MINE recorded, and each interval's row (as
    test_sync_covered's `recorded`)."""
    path = tmp_path / "mine" / DB_NAME
    add_apps(path)
    store = HookedStore.open(path)
    assert isinstance(store, HookedStore)
    rows = {iv: store.insert_interval(iv) for iv in MINE}
    yield store, rows
    store.close()


@pytest.fixture
def hooked(recorded: tuple[HookedStore, dict[Interval, int]]) -> HookedStore:
    return recorded[0]


@pytest.fixture
def local(hooked: HookedStore) -> ResidentStore:
    return hooked


# --- a refresh between planning and merging (s2_refresh_race) --------------------------------


# A computer that joined just now: ten minutes of today's, after anyone else's last interval
# (every walk ends by NOW - 20 min), so a read of today with it differs from one without.
LATE = [Interval("nomi", NOW - timedelta(minutes=15), NOW - timedelta(minutes=5))]


def test_a_read_overtaken_by_a_refresh_gives_the_read_it_planned_with(
        hooked: HookedStore) -> None:
    memo = worked_out(hooked)
    joined = {**others(), "phone": histories_of(LATE)}
    old = MergedReader(hooked, others(), covered=memo)
    new = MergedReader(hooked, joined, covered=memo)
    # the week in progress: Monday's and Tuesday's figures taken, today merged
    assert old.seconds_in([SO_FAR]) != new.seconds_in([SO_FAR])
    assert old.app_seconds_in(*SO_FAR) != new.app_seconds_in(*SO_FAR)
    racing = MergedReader(hooked, others(), covered=memo)

    def refreshed() -> None:
        racing.refresh(joined, covered=memo)

    hooked.hook = refreshed
    assert racing.seconds_in([SO_FAR]) == old.seconds_in([SO_FAR]), "one read, not a mix"
    assert hooked.hook is None and "phone" in racing.others, "the refresh came between"
    racing.refresh(others(), covered=memo)
    hooked.hook = refreshed
    assert racing.app_seconds_in(*SO_FAR) == old.app_seconds_in(*SO_FAR), "one read"
    assert hooked.hook is None and "phone" in racing.others
    # and the next read is the new one's, whole
    assert racing.seconds_in([SO_FAR]) == new.seconds_in([SO_FAR])
    assert racing.app_seconds_in(*SO_FAR) == new.app_seconds_in(*SO_FAR)


# --- the same time given to another app (s1_app_swap) ----------------------------------------


def test_the_same_time_given_to_another_app_leaves_each_app_s_figure_unused(
        recorded: tuple[HookedStore, dict[Interval, int]]) -> None:
    hooked, rows = recorded
    memo = worked_out(hooked)
    taken = {app: n / 1000 for app, n in memo[key(W42)].apps or () if n > 0}
    assert MergedReader(hooked, others(), covered=memo).app_seconds_in(*W42) == taken
    # one of this computer's W42 intervals, delete and inserted again under another app (as
    # an import with --replace of the same spans under other keys)
    moved = next(iv for iv in MINE if W42[0] < iv.start and iv.end < W42[1]
                 and iv.end - iv.start > timedelta(minutes=10))
    hooked.delete_interval(rows[moved])
    other_app = next(app for app in APPS if app != moved.app)
    hooked.insert_interval(replace(moved, app=other_app))
    live = MergedReader(hooked, others()).app_seconds_in(*W42)
    assert live != taken, "the apps' figures did change"
    memoed = MergedReader(hooked, others(), covered=memo)
    assert memoed.app_seconds_in(*W42) == live
    assert memoed.seconds_in([W42]) == MergedReader(hooked, others()).seconds_in([W42])


# --- this computer's time written while the child merged (s7_child_aba) ----------------------


def test_a_window_whose_own_time_changed_while_it_was_merged_is_left_out(
        hooked: HookedStore) -> None:
    reader = MergedReader(hooked, others())
    windows = memo_windows(reader.first_use(), NOW, BERLIN, DAY_START)
    at = gap_in(MINE, NOV_3[0], NOV_3[1])
    written: list[int] = []

    def tracker_writes() -> None:  # after the child's marks, before its merging
        written.append(hooked.insert_interval(Interval("replika", at, at + timedelta(
            minutes=10))))

    hooked.hook = tracker_writes
    memo = work_out(reader, windows)
    assert written, "the tracker wrote while the child worked out"
    assert key(NOV_3) not in memo, "no figure kept under a mark it was not worked out from"
    assert sorted(memo) == sorted(key(w) for w in windows if w != NOV_3)
    live = MergedReader(hooked, others())
    assert [memo[key(w)].ms for w in windows if w != NOV_3] == live.live_ms(
        [key(w) for w in windows if w != NOV_3])
    # the tracker then deletes it (closed at zero length): the day is merged, as it is
    hooked.delete_interval(written[0])
    assert MergedReader(hooked, others(), covered=memo).seconds_in([NOV_3, NOV_2]) == \
        live.seconds_in([NOV_3, NOV_2])


# --- a damaged kept month (s6_lazy_failed) ---------------------------------------------------


def _view(tmp_path: Path) -> tuple[FolderView, Path]:
    """The shared folder's read (desktop and work computers) and this computer's data folder."""
    shared, mine = shared_folders(tmp_path)
    identity = load_identity(mine)
    assert identity is not None
    view = SharedFolder(shared, mine, identity, None, lambda: NOW.astimezone(UTC),
                        BERLIN).read()
    return view, mine


def _october(cache: Path) -> list[compact.LazyHistory]:
    """The kept read's October months (both other computers'), not loaded."""
    found = [h for device in compact.load_view(cache).devices if not device.is_self
             for h in device.histories()
             if isinstance(h, compact.LazyHistory)
             and to_ms(utc(10, 1, 0)) <= h.base_ms < to_ms(utc(11, 1, 0))]
    assert len(found) == 2 and not any(h.is_loaded for h in found)
    return found


def test_a_damaged_kept_month_is_removed_by_the_read_and_written_again_by_the_next_sync(
        local: ResidentStore, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    view, mine = _view(tmp_path)
    cache = mine / SYNC_CACHE_NAME
    reader = MergedReader(local, others_of(view))
    memo = work_out(reader, memo_windows(reader.first_use(), NOW, BERLIN, DAY_START))
    compact.write_view(cache, view, {}, {}, memo)
    truth = MergedReader(local, others_of(view)).live_ms([key(W42)])
    october = _october(cache)
    paths = [h._path for h in october]
    for path in paths:  # someone else changed a byte of each in place
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    spoilt = MergedReader(local, others_of(compact.load_view(cache)))
    with caplog.at_level(logging.WARNING):
        assert spoilt.live_ms([key(W42)]) != truth, "October left out of this read"
    assert "could not be read" in caplog.text
    assert not any(path.exists() for path in paths), "the damaged months are gone"
    # the next sync child's write_view writes them again, and a read loads them whole
    compact.write_view(cache, view, {}, {}, memo)
    assert all(path.is_file() for path in paths)
    again = _october(cache)
    assert MergedReader(local, others_of(compact.load_view(cache))).live_ms([key(W42)]) == \
        truth
    fresh = MergedReader(local, {str(k): (h,) for k, h in enumerate(again)})
    fresh.live_ms([key(W42)])
    assert all(h.is_loaded and len(h) == len(h.all()) > 0 for h in again)


# --- a month reaching a window by its last interval's tail (s11_month_tail) ------------------


def test_a_month_reaching_a_window_by_its_last_interval_s_tail_marks_it(
        tmp_path: Path) -> None:
    """The desktop's October reaches 1 November (UTC, day from 00:00) by twenty minutes of its
    last interval: when that tail grows, the day's figure is not taken."""
    now = utc(11, 10, 12)
    path = tmp_path / "mine" / DB_NAME
    add_apps(path)
    store = ResidentStore.open(path)
    try:
        store.insert_interval(Interval("replika", utc(11, 1, 9), utc(11, 1, 10)))

        def desk(tail_end: datetime) -> dict[str, list[History]]:
            months = split_by_month([Interval("replika", utc(10, 31, 23, 55), tail_end),
                                     Interval("replika", utc(11, 2, 8), utc(11, 2, 9))])
            return {"desk": [History.of(months[m]) for m in sorted(months)]}

        before, after = desk(utc(11, 1, 0, 20)), desk(utc(11, 1, 0, 50))
        assert [len(h) for h in before["desk"]] == [1, 1], "the tail is October's"
        nov_1 = (utc(11, 1, 0), utc(11, 2, 0))
        first = MergedReader(store, before)
        memo = work_out(first, memo_windows(first.first_use(), now, UTC, 0))
        assert key(nov_1) in memo
        live_before = MergedReader(store, before).seconds_in([nov_1])
        live = MergedReader(store, after).seconds_in([nov_1])
        assert live != live_before
        assert MergedReader(store, before, covered=memo).seconds_in([nov_1]) == live_before
        assert MergedReader(store, after, covered=memo).seconds_in([nov_1]) == live
        assert MergedReader(store, after, covered=memo).app_seconds_in(*nov_1) == \
            MergedReader(store, after).app_seconds_in(*nov_1)
    finally:
        store.close()


# --- the sync child when working out fails ---------------------------------------------------


class WorkingOutFailed(RuntimeError):
    pass


def test_the_child_leaves_the_read_without_figures_when_working_out_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    shared = tmp_path / "Sync" / "driftcheck"
    shared.mkdir(parents=True)
    (shared.parent / ".stfolder").mkdir()
    mine, desktop = tmp_path / "laptop", tmp_path / "desktop"
    for folder, intervals, name in ((mine, MINE, "Laptop"), (desktop, DESKTOP, "Desktop")):
        fill(folder, [iv for iv in intervals if iv.app != "nomi"])  # `fill` tracks two apps
        done = call("--data-dir", str(folder), "devices", "share", str(shared), "--name", name)
        assert done.code == 0, done.err

    def child() -> FolderView:
        outcome = run(mine, {}, now=lambda: NOW.astimezone(UTC))
        assert outcome.get("devices") == 1 and outcome.get("problem") is None, outcome
        return compact.load_view(mine / SYNC_CACHE_NAME)

    assert child().covered, "worked out when nothing fails"
    capsys.readouterr()

    def fails(*_args: object) -> None:
        raise WorkingOutFailed("Replika - a private window title")

    monkeypatch.setattr("widget.sync.covered.work_out", fails)
    # The warning is logged (widget.services.devices); the shares' setup_logging took
    # pytest's handler off the root logger, so it is put on that logger for this child.
    devices_log = logging.getLogger("widget.services.devices")
    devices_log.addHandler(caplog.handler)
    try:
        kept = child()
    finally:
        devices_log.removeHandler(caplog.handler)
    assert kept.covered == {}, "no figures, not the last read's"
    (parts,) = others_of(kept).values()
    assert sum(len(h) for h in parts) == len([iv for iv in DESKTOP if iv.app != "nomi"])
    assert "the totals were not worked out ahead (WorkingOutFailed)" in caplog.text
    assert "title" not in caplog.text
    assert "title" not in capsys.readouterr().err


# --- an entry kept without each app's figures ------------------------------------------------


def test_working_out_again_reworks_an_entry_kept_without_each_app_s_figures(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    held = {**memo, key(W42): replace(memo[key(W42)], ms=BOGUS, apps=None)}
    reader = MergedReader(local, others(), covered=held)
    again = work_out(reader, memo_windows(reader.first_use(), NOW, BERLIN, DAY_START))
    assert again[key(W42)] == memo[key(W42)], "merged again, each app's figures with it"
    assert again[key(W42)].apps and again[key(W42)].ms != BOGUS
    assert {k: w for k, w in again.items() if k != key(W42)} == {
        k: w for k, w in memo.items() if k != key(W42)}


# --- first_use over the kept read (s10_first_use_loads) --------------------------------------


def test_first_use_over_the_kept_read_loads_no_month(
        local: ResidentStore, tmp_path: Path) -> None:
    view, mine = _view(tmp_path)
    cache = mine / SYNC_CACHE_NAME
    compact.write_view(cache, view, {}, {})

    def lazy() -> dict[str, tuple[compact.LazyHistory, ...]]:
        found = {device: tuple(h for h in parts if isinstance(h, compact.LazyHistory))
                 for device, parts in others_of(compact.load_view(cache)).items()}
        assert [len(parts) for parts in found.values()] == [
            len(parts) for parts in others_of(view).values()]
        assert not any(h.is_loaded for parts in found.values() for h in parts)
        return found

    kept = lazy()
    earliest = min(MINE[0].start, DESKTOP[0].start, WORK[0].start)
    assert MergedReader(local, kept).first_use() == earliest
    assert not any(h.is_loaded for parts in kept.values() for h in parts)
    kept = lazy()
    firsts = sorted(OneDeviceReader(local, parts).first_use() or NOW for parts in kept.values())
    assert firsts == sorted([DESKTOP[0].start, WORK[0].start])
    assert not any(h.is_loaded for parts in kept.values() for h in parts)
    # the same first use as the months read whole
    assert MergedReader(local, others_of(view)).first_use() == earliest
