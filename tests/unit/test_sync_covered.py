"""All computers' totals worked out ahead (widget.sync.covered, issue 16's speed): a read that
takes them gives what merging gives, takes a figure only while both of its marks hold (this
computer's window, the other computers' months), keeps them through the kept read without
loading the months they stand for, and the sync child leaves them for every complete week and
the recent days. `MergedReader.intervals_overlapping` (each app's union as integers) equals a
plain reference union.

This computer's store is a real ResidentStore on a temporary data folder; the other
computers' time is real History objects (or the kept read's LazyHistory). The time zone is
Europe/Berlin with the day starting at 04:00, over the late-October 2026 change of clocks
(the histories and windows of tests/helpers/covered.py).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
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
    TODAY,
    W41,
    W42,
    W43,
    add_apps,
    berlin,
    day,
    gap_in,
    key,
    others,
    shared_folders,
    utc,
    worked_out,
)
from widget.core.calendar import local_day, week_so_far, week_window
from widget.core.dashboard import same_part_before
from widget.core.model import Interval, Measure
from widget.paths import DB_NAME, SYNC_CACHE_NAME
from widget.services.devices import others_of
from widget.store.api import IntervalReader
from widget.store.resident import ResidentStore
from widget.sync import compact
from widget.sync.child import run
from widget.sync.covered import Window, Worked, memo_from_json, memo_json, memo_windows, work_out
from widget.sync.folder import SharedFolder, load_identity
from widget.sync.merge import History, histories_of, to_ms
from widget.sync.reader import MergedReader


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[ResidentStore, dict[Interval, int]]]:
    """This computer's store with MINE recorded, and each interval's row."""
    path = tmp_path / "mine" / DB_NAME
    add_apps(path)
    store = ResidentStore.open(path)
    rows = {iv: store.insert_interval(iv) for iv in MINE}
    yield store, rows
    store.close()


@pytest.fixture
def local(recorded: tuple[ResidentStore, dict[Interval, int]]) -> ResidentStore:
    return recorded[0]


def ms(seconds: Sequence[float]) -> list[int]:
    return [round(s * 1000) for s in seconds]


def weeks_back(count: int, tz: tzinfo = BERLIN, day_start: int = DAY_START
               ) -> list[tuple[datetime, datetime]]:
    today = local_day(NOW, tz, day_start)
    return [week_window(today - timedelta(weeks=k), tz, day_start) for k in range(1, count + 1)]


RECENT = [day(TODAY - timedelta(days=k)) for k in range(1, 15)]


# --- what the child works out ------------------------------------------------------------------


def test_the_windows_worked_out_are_the_complete_weeks_and_the_last_fourteen_days(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    first_monday = date(2026, 9, 21)  # the desktop's history began that week
    weeks = [week_window(first_monday + timedelta(weeks=k), BERLIN, DAY_START)
             for k in range(6)]
    assert weeks[-1][1] <= NOW.astimezone(UTC) < weeks[-1][1] + timedelta(weeks=1)
    assert sorted(memo) == sorted(key(w) for w in [*weeks, *RECENT])
    assert W43[1] - W43[0] == timedelta(hours=169)
    assert day(date(2026, 10, 24))[1] - day(date(2026, 10, 24))[0] == timedelta(hours=25)
    assert all(memo[key(w)].ms > 3_600_000 for w in weeks), "real figures"
    assert memo[key(W42)].own == local.window_marks([W42])[0]


def test_working_out_again_keeps_each_figure_whose_marks_hold_and_merges_the_rest(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    held = {**memo, key(W42): replace(memo[key(W42)], ms=BOGUS),
            key(NOV_3): replace(memo[key(NOV_3)], ms=BOGUS)}
    reader = MergedReader(local, others(), covered=held)
    windows = memo_windows(reader.first_use(), NOW, BERLIN, DAY_START)
    at = gap_in(MINE, NOV_3[0], NOV_3[1])
    local.insert_interval(Interval("replika", at, at + timedelta(minutes=10)))
    again = work_out(reader, windows)
    assert again[key(W42)] == held[key(W42)], "kept as held: not merged again"
    fresh = MergedReader(local, others()).live_ms([key(NOV_3)])[0]
    redone = again[key(NOV_3)]
    assert (redone.own, redone.others, redone.ms) == (local.window_marks([NOV_3])[0],
                                                      memo[key(NOV_3)].others, fresh)
    assert fresh != BOGUS and redone.own != memo[key(NOV_3)].own
    assert {k: w for k, w in again.items() if k not in (key(W42), key(NOV_3))} == {
        k: w for k, w in memo.items() if k not in (key(W42), key(NOV_3))}


# --- the memo gives what merging gives --------------------------------------------------------


def test_a_read_with_the_memo_equals_the_merged_read_and_takes_it_where_it_can(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    so_far = week_so_far(NOW, BERLIN, DAY_START)
    windows = [
        *weeks_back(16),  # 6 worked out, 10 before anyone's history
        so_far,  # Monday and Tuesday worked out, today merged
        (so_far[0], NOW.astimezone(UTC)),  # the week cut at this moment
        (weeks_back(1)[0][0], berlin(10, 28, 13)),  # last week to Wednesday 13:00
        *RECENT,  # each worked out, the 25-hour day among them
        day(TODAY),  # today: not complete
        day(TODAY - timedelta(days=20)),  # older than the recent days
        (utc(10, 12, 0), utc(10, 19, 0)),  # a week of another zone: nobody worked it out
        (NOW - timedelta(hours=5), NOW),
        (NOW, NOW - timedelta(days=1)),  # reversed
    ]
    # the parts of each window taken from the memo: a whole week, two days, a day
    parts = [*[1] * 6, *[0] * 10, 2, 2, 2, *[1] * 14, 0, 0, 0, 0, 0]
    live = MergedReader(local, others())
    memoed = MergedReader(local, others(), covered=memo)
    plus_one = MergedReader(local, others(),
                            covered={k: replace(w, ms=w.ms + 1) for k, w in memo.items()})
    merged = live.seconds_in(windows)
    assert memoed.seconds_in(windows) == merged
    assert sum(merged[:6]) > 20 * 3600 and merged[-1] == 0.0
    assert [b - a for a, b in zip(ms(merged), ms(plus_one.seconds_in(windows)),
                                  strict=True)] == parts
    # and over this computer's store alone (no other computer's time: no memo is asked)
    assert MergedReader(local, {}, covered=plus_one.memo).seconds_in(windows) == \
        local.seconds_in(windows)


# --- a figure is taken only while it holds ----------------------------------------------------


def test_a_figure_is_taken_only_while_this_computer_s_time_in_its_window_is_unchanged(
        recorded: tuple[ResidentStore, dict[Interval, int]]) -> None:
    local, rows = recorded
    memo = worked_out(local)
    bogus = {key(W42): replace(memo[key(W42)], ms=BOGUS),
             key(NOV_3): replace(memo[key(NOV_3)], ms=BOGUS)}
    reader = MergedReader(local, others(), covered={**memo, **bogus})

    def read() -> list[int]:
        return ms(reader.seconds_in([W42, NOV_3]))

    def merged() -> int:
        return ms(MergedReader(local, others()).seconds_in([W42]))[0]

    assert read() == [BOGUS, BOGUS], "the worked-out figures are what the read gives"
    at = gap_in(MINE, W42[0] + timedelta(days=2), W42[1])
    added = local.insert_interval(Interval("replika", at, at + timedelta(minutes=10)))
    assert read() == [merged(), BOGUS] != [BOGUS, BOGUS], "an interval added"
    local.update_interval_end(added, at + timedelta(minutes=5))
    assert read() == [merged(), BOGUS], "an interval cut"
    local.delete_interval(added)
    assert read() == [BOGUS, BOGUS], "as it was worked out: the figure holds again"
    # a day of this week-in-progress dashboard: changing a day moves only that day
    inside = next(iv for iv in MINE if NOV_3[0] < iv.start and iv.end < NOV_3[1])
    local.delete_interval(rows[inside])
    assert read()[0] == BOGUS
    assert read()[1] == ms(MergedReader(local, others()).seconds_in([NOV_3]))[0] != BOGUS
    # time added to this computer in another window leaves W42's figure standing
    later = gap_in(MINE, berlin(10, 29, 12), berlin(10, 31, 12))
    local.insert_interval(Interval("replika", later, later + timedelta(minutes=5)))
    assert read()[0] == BOGUS


def test_an_interval_growing_inside_its_window_is_seen(
        recorded: tuple[ResidentStore, dict[Interval, int]]) -> None:
    """The tracker's own writing: the last interval's end moved on, inside a worked-out day."""
    local, rows = recorded
    memo = worked_out(local)
    reader = MergedReader(local, others(),
                          covered={**memo, key(NOV_3): replace(memo[key(NOV_3)], ms=BOGUS)})
    assert ms(reader.seconds_in([NOV_3])) == [BOGUS]
    iv = next(iv for iv, after in pairwise(MINE)
              if NOV_3[0] < iv.start and after.end < NOV_3[1]
              and after.start - iv.end > timedelta(minutes=3))
    local.update_interval_end(rows[iv], iv.end + timedelta(minutes=2))
    assert ms(reader.seconds_in([NOV_3])) == ms(
        MergedReader(local, others()).seconds_in([NOV_3])) != [BOGUS]


def test_a_figure_is_taken_only_while_the_other_computers_months_reaching_it_are_unchanged(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    memo = {**memo, key(W42): replace(memo[key(W42)], ms=BOGUS),
            key(NOV_3): replace(memo[key(NOV_3)], ms=BOGUS)}
    reader = MergedReader(local, others(), covered=memo)
    assert ms(reader.seconds_in([W42, NOV_3])) == [BOGUS, BOGUS]

    # one of the desktop's October intervals moved by a minute: its October month changed
    moved = next(i for i, iv in enumerate(DESKTOP) if iv.start > berlin(10, 6, 0))
    assert DESKTOP[moved + 1].start - DESKTOP[moved].end > timedelta(minutes=1)
    shifted = [*DESKTOP]
    shifted[moved] = replace(DESKTOP[moved], start=DESKTOP[moved].start + timedelta(minutes=1),
                             end=DESKTOP[moved].end + timedelta(minutes=1))
    reader.refresh(others(desktop=shifted), covered=memo)
    live = MergedReader(local, others(desktop=shifted)).seconds_in([W42])
    assert ms(reader.seconds_in([W42, NOV_3])) == [*ms(live), BOGUS]
    reader.refresh(others(), covered=memo)
    assert ms(reader.seconds_in([W42])) == [BOGUS], "the month as it was: the figure holds"

    # a computer gone from the folder, or a month another computer adds to a window
    reader.refresh({"desktop": histories_of(DESKTOP)}, covered=memo)
    assert ms(reader.seconds_in([W42])) == ms(
        MergedReader(local, {"desktop": histories_of(DESKTOP)}).seconds_in([W42]))
    third = {**others(), "phone": [History.of([Interval("nomi", berlin(10, 14, 20),
                                                        berlin(10, 14, 21))])]}
    reader.refresh(third, covered=memo)
    assert ms(reader.seconds_in([W42, NOV_3])) == [
        *ms(MergedReader(local, third).seconds_in([W42])), BOGUS]


def test_a_memo_of_another_day_start_or_zone_is_not_taken(local: ResidentStore) -> None:
    so_far = week_so_far(NOW, BERLIN, DAY_START)
    windows = [*weeks_back(8), so_far, *RECENT]
    live = ms(MergedReader(local, others()).seconds_in(windows))
    for tz, day_start in ((BERLIN, 5), (BERLIN, 0), (UTC, DAY_START)):
        bogus = {k: replace(w, ms=BOGUS) for k, w in worked_out(local, tz, day_start).items()}
        theirs = weeks_back(2, tz, day_start)
        reader = MergedReader(local, others(), covered=bogus)
        assert ms(reader.seconds_in(windows)) == live, (tz, day_start)
        assert ms(reader.seconds_in(theirs)) == [BOGUS, BOGUS], "taken for its own windows"


# --- each app's seconds, worked out ahead too (the week before's apps on the dashboard) -------


def clipped_by_app(reader: IntervalReader, window: tuple[datetime, datetime]
                   ) -> dict[str, float]:
    """The reference: each app's ms inside `window` summed from `intervals_overlapping`
    (over several computers each app's union), apps with none left out."""
    lo, hi = key(window)
    found: dict[str, int] = {}
    for iv in reader.intervals_overlapping(*window):
        part = min(to_ms(iv.end), hi) - max(to_ms(iv.start), lo)
        if part > 0:
            found[iv.app] = found.get(iv.app, 0) + part
    return {app: part / 1000 for app, part in found.items()}


def app_ms(seconds: dict[str, float]) -> dict[str, int]:
    return {app: round(s * 1000) for app, s in seconds.items()}


SAME_PART = same_part_before("2026-W45", NOW, BERLIN, DAY_START)  # to last Wednesday 15:00
# Each window with the worked-out windows a read takes for it (the rest is merged).
APP_WINDOWS: list[tuple[tuple[datetime, datetime], list[tuple[datetime, datetime]]]] = [
    *((week, [week]) for week in weeks_back(6)),  # every complete week since the history began
    *((week, []) for week in weeks_back(16)[6:]),  # before anyone's history
    (SO_FAR, [NOV_2, NOV_3]),  # the week in progress: its complete days, and today merged
    ((SO_FAR[0], NOW.astimezone(UTC)), [NOV_2, NOV_3]),  # the same, cut at this moment
    (SAME_PART, [day(date(2026, 10, 26)), day(date(2026, 10, 27))]),  # and last Wed to 15:00
    (same_part_before("2026-W44", NOW, BERLIN, DAY_START), [W43]),  # a complete week's: whole
    ((W42[0], W43[1]), [W42, W43]),  # two weeks one after the other
    ((weeks_back(1)[0][0], NOV_2[1]), [weeks_back(1)[0], NOV_2]),  # a week and a day
    *((d, [d]) for d in RECENT),  # each day, the 25-hour one among them
    (day(TODAY), []),  # not complete
    (day(TODAY - timedelta(days=20)), []),  # older than the recent days, inside W42
    ((utc(10, 12, 0), utc(10, 19, 0)), []),  # a week of another zone: nobody worked it out
    ((NOW - timedelta(hours=5), NOW), []),
    ((NOW, NOW - timedelta(days=1)), []),  # reversed
]


def test_each_app_s_seconds_with_the_memo_equal_the_merged_read_and_take_it_where_they_can(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    assert (day(date(2026, 10, 26))[0], berlin(10, 28, 15).astimezone(UTC)) == SAME_PART
    live = MergedReader(local, others())
    memoed = MergedReader(local, others(), covered=memo)
    plus_one = MergedReader(local, others(), covered={
        k: replace(w, apps=tuple((app, n + 1) for app, n in w.apps or ()))
        for k, w in memo.items()})
    for window, parts in APP_WINDOWS:
        merged = live.app_seconds_in(*window)
        assert merged == clipped_by_app(live, window), window
        assert memoed.app_seconds_in(*window) == merged, window
        taken: dict[str, int] = {}  # each app: how many worked-out windows gave its figure
        for part in parts:
            for app, _ in memo[key(part)].apps or ():
                taken[app] = taken.get(app, 0) + 1
        bumped = app_ms(plus_one.app_seconds_in(*window))
        assert {app: bumped[app] - n for app, n in app_ms(merged).items()} == {
            app: taken.get(app, 0) for app in merged}, window
    weeks = [memo[key(week)] for week in weeks_back(6)]
    assert all(w.apps for w in weeks) and sum(len(w.apps or ()) for w in weeks) > 12
    # several computers with different apps in front at once: each app's union counts the
    # moment for each, all apps together once
    assert all(sum(n for _, n in w.apps or ()) >= w.ms for w in weeks)
    assert any(sum(n for _, n in w.apps or ()) > w.ms for w in weeks)
    # over this computer's store alone no memo is asked
    assert MergedReader(local, {}, covered=plus_one.memo).app_seconds_in(*SAME_PART) == \
        local.app_seconds_in(*SAME_PART) == clipped_by_app(local, SAME_PART)


def test_each_app_s_figure_is_taken_only_while_both_of_its_marks_hold(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    bogus = (("replika", BOGUS),)
    covered = {**memo, key(W42): replace(memo[key(W42)], apps=bogus),
               key(NOV_3): replace(memo[key(NOV_3)], apps=bogus)}
    reader = MergedReader(local, others(), covered=covered)
    taken = {"replika": BOGUS / 1000}

    def read() -> list[dict[str, float]]:
        return [reader.app_seconds_in(*W42), reader.app_seconds_in(*NOV_3)]

    def merged(window: tuple[datetime, datetime],
               desktop: Sequence[Interval] = DESKTOP) -> dict[str, float]:
        return MergedReader(local, others(desktop=desktop)).app_seconds_in(*window)

    assert read() == [taken, taken], "the worked-out figures are what the read gives"
    # the week in progress: Monday worked out, Tuesday's bogus figure, today merged
    nov_3 = dict(memo[key(NOV_3)].apps or ())
    expected = {app: n - nov_3.get(app, 0) + (BOGUS if app == "replika" else 0)
                for app, n in app_ms(merged(SO_FAR)).items()}
    assert app_ms(reader.app_seconds_in(*SO_FAR)) == {
        app: n for app, n in expected.items() if n > 0}
    # this computer's time in the window changed, and back as it was
    at = gap_in(MINE, W42[0] + timedelta(days=2), W42[1])
    added = local.insert_interval(Interval("nomi", at, at + timedelta(minutes=10)))
    assert read() == [merged(W42), taken] and "nomi" in read()[0]
    local.update_interval_end(added, at + timedelta(minutes=5))
    assert read() == [merged(W42), taken]
    local.delete_interval(added)
    assert read() == [taken, taken], "as it was worked out: the figure holds again"
    # another computer's month reaching the window changed, and back as it was
    moved = next(i for i, iv in enumerate(DESKTOP) if iv.start > berlin(10, 13, 0))
    assert DESKTOP[moved + 1].start - DESKTOP[moved].end > timedelta(minutes=1)
    shifted = [*DESKTOP]
    shifted[moved] = replace(DESKTOP[moved], start=DESKTOP[moved].start + timedelta(minutes=1),
                             end=DESKTOP[moved].end + timedelta(minutes=1))
    reader.refresh(others(desktop=shifted), covered=covered)
    assert read() == [merged(W42, shifted), taken] != [taken, taken]
    reader.refresh(others(), covered=covered)
    assert read() == [taken, taken]


def test_a_figure_without_each_app_s_time_gives_the_total_and_each_app_is_merged(
        local: ResidentStore) -> None:
    """A memo kept before each app's time was worked out (or a damaged list of it)."""
    memo = worked_out(local)
    live = MergedReader(local, others())
    covered = {**memo,
               key(W42): replace(memo[key(W42)], ms=BOGUS, apps=None),
               key(NOV_3): replace(memo[key(NOV_3)], ms=BOGUS, apps=None),
               key(NOV_2): replace(memo[key(NOV_2)], apps=(("replika", BOGUS),))}
    reader = MergedReader(local, others(), covered=covered)
    assert ms(reader.seconds_in([W42, NOV_3])) == [BOGUS, BOGUS], "the totals are taken"
    assert reader.app_seconds_in(*W42) == live.app_seconds_in(*W42)
    assert reader.app_seconds_in(*NOV_3) == live.app_seconds_in(*NOV_3)
    assert reader.app_seconds_in(*NOV_2) == {"replika": BOGUS / 1000}
    # a window of days one of which has no apps' figures is merged whole
    assert reader.app_seconds_in(*SO_FAR) == live.app_seconds_in(*SO_FAR)
    assert reader.app_seconds_in(*(NOV_2[0], NOV_3[1])) == live.app_seconds_in(
        NOV_2[0], NOV_3[1])


# --- kept as JSON -----------------------------------------------------------------------------


def test_the_memo_round_trips_as_json_and_a_malformed_entry_is_left_out(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    assert memo_from_json(json.loads(json.dumps(memo_json(memo)))) == memo
    worked = Worked((500, 2, 1700), "desktop:0a0b0c0d|work:01020304", 900)
    (good,) = memo_json({(1000, 2000): worked})
    assert memo_from_json([good]) == {(1000, 2000): worked}

    def spoilt(at: int, value: object) -> list[object]:
        return [value if i == at else v for i, v in enumerate(good)]

    malformed: list[object] = [
        good[:-1], [*good, 1], spoilt(0, "1000"), spoilt(1, None), spoilt(2, True),
        spoilt(3, False), spoilt(4, 1700.0), spoilt(5, 7), spoilt(5, None), spoilt(6, "900"),
        spoilt(6, True), {"lo": 1000}, "entry", None, 12, [],
    ]
    for entry in malformed:
        assert memo_from_json([entry]) == {}, entry
    assert memo_from_json([*malformed, good]) == memo_from_json([good])
    raw: object
    for raw in (None, {}, "covered", 3, {"1000": good}, [[[]]]):
        assert memo_from_json(raw) == {}


def test_each_app_s_figures_round_trip_and_a_malformed_list_of_them_is_none(
        local: ResidentStore) -> None:
    memo = worked_out(local)
    assert all(w.apps is not None for w in memo.values())
    worked = Worked((500, 2, 1700), "desktop:0a0b0c0d", 900, (("nomi", 300), ("replika", 700)))
    nothing = Worked((0, 0, 0), "", 0, ())  # a window of no use: worked out, no app in it
    unknown = Worked((500, 2, 1700), "", 900, None)
    as_json = json.loads(json.dumps(memo_json({(1000, 2000): worked, (2000, 3000): nothing,
                                               (3000, 4000): unknown})))
    assert [entry[7] for entry in as_json] == [[["nomi", 300], ["replika", 700]], [], None]
    assert memo_from_json(as_json) == {(1000, 2000): worked, (2000, 3000): nothing,
                                       (3000, 4000): unknown}
    good = as_json[0]
    malformed: list[object] = [
        "nomi", 300, {"nomi": 300}, True, [["nomi"]], [["nomi", 300, 1]], [[300, "nomi"]],
        [["nomi", 300.0]], [["nomi", True]], [["nomi", "300"]], [["nomi", None]],
        [None], ["nomi", 300], [["replika", 700], ["nomi", 1.5]], [{"nomi": 300}],
    ]
    for apps in malformed:
        entry = [*good[:7], apps]
        assert memo_from_json([entry]) == {(1000, 2000): replace(worked, apps=None)}, apps
    assert memo_from_json(json.loads(json.dumps(memo_json(memo)))) == memo


# --- through the kept read (the tray's) -------------------------------------------------------


def test_the_kept_read_holds_the_memo_and_a_read_of_it_loads_no_month_a_figure_stands_for(
        local: ResidentStore, tmp_path: Path) -> None:
    shared, mine = shared_folders(tmp_path)
    identity = load_identity(mine)
    assert identity is not None
    view = SharedFolder(shared, mine, identity, None, lambda: NOW.astimezone(UTC),
                        BERLIN).read()
    eager = others_of(view)
    assert sorted(len(parts) for parts in eager.values()) == [2, 3]  # Sep-Nov, Oct-Nov
    first = MergedReader(local, eager)
    memo = work_out(first, memo_windows(first.first_use(), NOW, BERLIN, DAY_START))
    by_hand = worked_out(local)  # the same time as History objects under other device ids
    assert {k: (w.own, w.ms) for k, w in memo.items()} == {
        k: (w.own, w.ms) for k, w in by_hand.items()}, "the folder's read gives the same"
    cache = mine / SYNC_CACHE_NAME
    compact.write_view(cache, view, {}, {}, memo)
    assert compact.load_view(cache).covered == memo
    compact.write_view(cache, replace(view, covered=memo), {}, {})  # the read's own
    assert compact.load_view(cache).covered == memo

    so_far = week_so_far(NOW, BERLIN, DAY_START)
    windows = [*weeks_back(6), so_far, *RECENT]
    expected = ms(MergedReader(local, eager).seconds_in(windows))
    loaded = compact.load_view(cache)
    lazy = others_of(loaded)
    months = [h for parts in lazy.values() for h in parts if isinstance(h, compact.LazyHistory)]
    assert len(months) == 5 and not any(h.is_loaded for h in months)
    # the figures are taken (their marks from the months' names, not their contents) ...
    bogus = {**loaded.covered, key(W42): replace(loaded.covered[key(W42)], ms=BOGUS)}
    assert ms(MergedReader(local, lazy, covered=bogus).seconds_in([W42, *weeks_back(6)])) \
        == [BOGUS, *expected[:2], BOGUS, *expected[3:6]]
    assert not any(h.is_loaded for h in months), "no month loaded for worked-out windows"
    with_apps = {**loaded.covered, key(W42): replace(loaded.covered[key(W42)],
                                                     apps=(("nomi", BOGUS),))}
    assert MergedReader(local, lazy, covered=with_apps).app_seconds_in(*W42) == {
        "nomi": BOGUS / 1000}
    assert not any(h.is_loaded for h in months), "nor for each app's time in them"
    # ... and the week in progress merges today alone: November's months only
    reader = MergedReader(local, lazy, covered=loaded.covered)
    assert ms(reader.seconds_in(windows)) == expected
    november = to_ms(utc(11, 1, 0))
    assert [h.is_loaded for h in months] == [h.base_ms >= november for h in months]
    assert any(h.is_loaded for h in months)


# A phone used only between the last Monday of September and the first Monday of October.
PHONE = [Interval("nomi", utc(10, 1, 8), utc(10, 1, 8, 40)),
         Interval("nomi", utc(10, 2, 19), utc(10, 2, 19, 30))]


def test_live_windows_apart_are_read_apart_and_the_months_between_stay_unloaded(
        local: ResidentStore, tmp_path: Path) -> None:
    """Today and the same part of a week before (the dashboard's week in progress) never
    read the week between: a month only the gap reaches is not loaded from disk."""
    shared, mine = shared_folders(tmp_path, ("Phone", PHONE))
    identity = load_identity(mine)
    assert identity is not None
    view = SharedFolder(shared, mine, identity, None, lambda: NOW.astimezone(UTC),
                        BERLIN).read()
    cache = mine / SYNC_CACHE_NAME
    compact.write_view(cache, view, {}, {})
    eager = MergedReader(local, others_of(view))
    monday, next_monday = day(date(2026, 9, 28)), day(date(2026, 10, 5))
    touching = (next_monday[1], next_monday[1] + timedelta(hours=3))  # read with the Monday
    windows = [key(next_monday), key(monday), key(touching)]
    alone = [eager.live_ms([window])[0] for window in windows]
    assert all(alone), "time in each window"

    def months() -> dict[str, list[compact.LazyHistory]]:
        loaded = compact.load_view(cache)
        found = {d.name: [h for h in d.histories() if isinstance(h, compact.LazyHistory)]
                 for d in loaded.devices if not d.is_self}
        assert [len(found[name]) for name in ("Desktop", "Work", "Phone")] == [3, 2, 1]
        return found

    def lazy(found: dict[str, list[compact.LazyHistory]]) -> MergedReader:
        return MergedReader(local, {name: tuple(parts) for name, parts in found.items()})

    kept = months()
    assert lazy(kept).live_ms(windows) == alone
    assert {name: [h.is_loaded for h in parts] for name, parts in kept.items()} == {
        "Desktop": [True, True, False], "Work": [True, False], "Phone": [False]}
    # read as one stretch, the week between would load the phone's month
    whole = months()
    assert lazy(whole).live_ms([(key(monday)[0], key(touching)[1])]) == eager.live_ms(
        [(key(monday)[0], key(touching)[1])])
    assert whole["Phone"][0].is_loaded


# --- the sync child ---------------------------------------------------------------------------


def test_the_child_leaves_every_complete_week_and_the_recent_days_and_keeps_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    shared = tmp_path / "Sync" / "driftcheck"
    shared.mkdir(parents=True)
    (shared.parent / ".stfolder").mkdir()
    mine, desktop = tmp_path / "laptop", tmp_path / "desktop"
    laptop_time = [iv for iv in MINE if iv.app != "nomi"]
    desktop_time = [iv for iv in DESKTOP if iv.app != "nomi"]  # `fill` tracks two apps
    for folder, intervals, name in ((mine, laptop_time, "Laptop"),
                                    (desktop, desktop_time, "Desktop")):
        fill(folder, intervals)
        done = call("--data-dir", str(folder), "devices", "share", str(shared), "--name", name)
        assert done.code == 0, done.err

    def child() -> dict[Window, Worked]:
        outcome = run(mine, {}, now=lambda: NOW.astimezone(UTC))
        assert outcome.get("devices") == 1 and outcome.get("problem") is None, outcome
        return dict(compact.load_view(mine / SYNC_CACHE_NAME).covered)

    covered = child()
    first_use = min(laptop_time[0].start, desktop_time[0].start)
    windows = memo_windows(first_use, NOW.astimezone(UTC), BERLIN, DAY_START)
    assert len(windows) == 6 + 14
    assert sorted(covered) == sorted(key(w) for w in windows)
    view = compact.load_view(mine / SYNC_CACHE_NAME)
    store = ResidentStore.open(mine / DB_NAME)
    try:
        reader = MergedReader(store, others_of(view))
        assert [covered[key(w)].ms for w in windows] == reader.live_ms(
            [key(w) for w in windows])
        assert [covered[key(w)].own for w in windows] == store.window_marks(windows)
        assert all(covered[key(w)].others for w in windows[:6])

        assert child() == covered, "a second sync keeps each figure"
        # the next child takes the kept figures (it merges only what changed)
        kept = compact.load_view(mine / SYNC_CACHE_NAME)
        compact.write_view(mine / SYNC_CACHE_NAME, kept, {}, {},
                           {**covered, key(W41): replace(covered[key(W41)], ms=BOGUS)})
        assert child()[key(W41)].ms == BOGUS
        compact.write_view(mine / SYNC_CACHE_NAME, kept, {}, {}, covered)
        at = gap_in(laptop_time, W42[0] + timedelta(days=1), W42[1])
        store.insert_interval(Interval("replika", at, at + timedelta(minutes=10)))
        again = child()
        changed = {k for k in covered if again[k] != covered[k]}
        assert changed == {key(W42)}
        assert again[key(W42)].ms == MergedReader(store, others_of(
            compact.load_view(mine / SYNC_CACHE_NAME))).live_ms([key(W42)])[0]
    finally:
        store.close()


def test_the_child_works_nothing_out_for_a_computer_sharing_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    shared = tmp_path / "Sync" / "driftcheck"
    shared.mkdir(parents=True)
    (shared.parent / ".stfolder").mkdir()
    mine = tmp_path / "laptop"
    fill(mine, [iv for iv in MINE if iv.app != "nomi"])
    done = call("--data-dir", str(mine), "devices", "share", str(shared), "--name", "Laptop")
    assert done.code == 0, done.err
    outcome = run(mine, {}, now=lambda: NOW.astimezone(UTC))
    assert outcome.get("devices") == 0, outcome
    assert compact.load_view(mine / SYNC_CACHE_NAME).covered == {}


# --- each app's union across computers --------------------------------------------------------


def reference_union(intervals: Sequence[Interval], lo: datetime, hi: datetime
                    ) -> list[Interval]:
    """Per app: the intervals sharing time with [lo, hi), sorted, merged where they overlap
    or touch, approximate if any part was; ordered by (start, end, app)."""
    found: list[Interval] = []

    def stretch(app: str, start: datetime, end: datetime, rough: bool) -> None:
        found.append(Interval(app, start, end,
                              Measure.APPROXIMATE if rough else Measure.FOREGROUND))

    for app in {iv.app for iv in intervals}:
        spans = sorted((iv.start, iv.end, iv.measure is Measure.APPROXIMATE)
                       for iv in intervals if iv.app == app and iv.start < hi and iv.end > lo)
        if not spans:
            continue
        start, end, rough = spans[0]
        for s, e, r in spans[1:]:
            if s <= end:
                end, rough = max(end, e), rough or r
            else:
                stretch(app, start, end, rough)
                start, end, rough = s, e, r
        stretch(app, start, end, rough)
    return sorted(found, key=lambda iv: (iv.start, iv.end, iv.app))


def scattered(rng: random.Random, count: int, touching: list[Interval]) -> list[Interval]:
    """`count` intervals anywhere in three days, overlapping freely, some of zero length,
    some beginning where one of `touching` ended."""
    base = to_ms(utc(11, 2, 0))
    out = []
    for _ in range(count):
        if touching and rng.random() < 0.15:
            start = to_ms(rng.choice(touching).end)
        else:
            start = base + rng.randrange(3 * 86_400_000)
        length = 0 if rng.random() < 0.05 else rng.randrange(1, 50 * 60_000)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        out.append(Interval(rng.choice(APPS), epoch + timedelta(milliseconds=start),
                            epoch + timedelta(milliseconds=start + length),
                            Measure.APPROXIMATE if rng.random() < 0.2 else Measure.FOREGROUND))
        touching.append(out[-1])
    return out


@pytest.mark.parametrize("seed", [1, 16, 2026])
def test_each_app_s_union_across_computers_equals_a_plain_reference(
        tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    touching: list[Interval] = []
    mine, desktop, work = (scattered(rng, 120, touching) for _ in range(3))
    path = tmp_path / "mine" / DB_NAME
    add_apps(path)
    local = ResidentStore.open(path)
    try:
        for iv in mine:
            local.insert_interval(iv)
        reader = MergedReader(local, {"desktop": histories_of(desktop),
                                      "work": [History.of(work)]})
        every = [*mine, *desktop, *work]
        windows = [(utc(11, 1, 0), utc(11, 6, 0)), (utc(11, 3, 0), utc(11, 4, 0))]
        for _ in range(20):
            lo = utc(11, 2, 0) + timedelta(milliseconds=rng.randrange(3 * 86_400_000))
            windows.append((lo, lo + timedelta(milliseconds=rng.randrange(1, 8 * 3_600_000))))
        windows.append((mine[0].start, mine[0].end))
        for lo, hi in windows:
            expected = reference_union(every, lo, hi)
            assert reader.intervals_overlapping(lo, hi) == expected, (lo, hi)
            assert reader.spans_ms(lo, hi) == [(to_ms(iv.start), to_ms(iv.end))
                                               for iv in expected]
        whole = reference_union(every, *windows[0])
        assert len(whole) < len(every) - 30, "overlaps were merged"
        assert any(iv.measure is Measure.APPROXIMATE for iv in whole)
        assert any(iv.measure is Measure.FOREGROUND for iv in whole)
    finally:
        local.close()
