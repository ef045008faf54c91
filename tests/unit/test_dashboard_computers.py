"""The dashboard over several computers (issue 16) from the fast path equals the slow one.

`load_dashboard` reads the shown week's intervals only and takes the sixteen weekly totals
and the week before's part (each app's and all apps') from the reader's sums, which over
several computers are mostly worked out ahead by the sync child (`widget.sync.covered`).
The reference is `dashboard_data` given every interval the merged reader has in the sixteen
weeks (each app's union across computers), with no sums at all. Both must agree to the
millisecond: for a complete week and the week in progress (mid-Wednesday), with and without
the worked-out memo, with goals of quiet hours and of a day; and for another computer alone
(`OneDeviceReader`).

This computer's store is a real ResidentStore holding five weeks of use; the other two
computers' months are real History objects with other apps in front at the same moments
(tests/helpers/covered.py's histories, Europe/Berlin, the day starting at 04:00, over
the late-October change of clocks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.covered import (
    BERLIN,
    DAY_START,
    DESKTOP,
    MINE,
    NOW,
    WORK,
    add_apps,
    berlin,
    key,
    others,
)
from tests.helpers.same import assert_same_to_the_ms
from widget.core.calendar import day_window, iso_week, week_monday, week_window
from widget.core.checkin import Checkin
from widget.core.dashboard import FETCH_WEEKS, DashboardData, dashboard_data
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.paths import DB_NAME
from widget.services.dashboard import load_dashboard
from widget.store.api import StoreReader
from widget.store.db import Store
from widget.store.resident import ResidentStore
from widget.sync.covered import Window, Worked, memo_windows, work_out
from widget.sync.merge import histories_of
from widget.sync.one_device import OneDeviceReader
from widget.sync.reader import MergedReader

QUIET = Goal(GoalKind.QUIET_HOURS, None, quiet_start=23 * 60, quiet_end=6 * 60)
DAILY = Goal(GoalKind.DAILY, None, 45 * 60)
GOALS = {"no goals": [], "quiet hours and a day's": [QUIET, DAILY]}
# A complete week (the clocks went back in the week before it), the week after it (complete
# too, and the week before it the one of the change) and the week in progress at NOW.
WEEKS = ["2026-W44", "2026-W45", "2026-W45-after"]
CHECKINS = [Checkin(asked=berlin(10, 25, 19), answered=berlin(10, 25, 19, 2), answer=3,
                    note="mine", week_seconds=4 * 3600),
            Checkin(asked=berlin(11, 1, 19))]


@pytest.fixture(params=list(GOALS))
def local(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResidentStore]:
    """This computer's store: MINE recorded, the goals and two check-ins."""
    path = tmp_path / "mine" / DB_NAME
    add_apps(path)
    full = Store.open(path)
    try:
        full.replace_goals(GOALS[request.param])
    finally:
        full.close()
    store = ResidentStore.open(path)
    for interval in MINE:
        store.insert_interval(interval)
    for checkin in CHECKINS:
        store.add_checkin(checkin)
    yield store
    store.close()


def shown(case: str) -> tuple[str, datetime]:
    """The shown ISO week and the moment it is shown at."""
    if case == "2026-W45-after":  # W45 complete: the Monday after it
        return "2026-W45", berlin(11, 9, 12)
    return case, NOW


def each_moment_once(intervals: Sequence[Interval], lo: datetime, hi: datetime) -> float:
    """Seconds in [lo, hi) with any of `intervals` in front, each moment once: the plain
    union, sorted and merged."""
    spans = sorted((max(iv.start, lo), min(iv.end, hi)) for iv in intervals
                   if iv.start < hi and iv.end > lo)
    total, reach = timedelta(0), lo
    for start, end in spans:
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total.total_seconds()


def slow(reader: StoreReader, week: str, now: datetime) -> DashboardData:
    """The reference: the dashboard from all the reader's intervals of the sixteen weeks
    (over several computers each app's union), added up in Python, no sums of the reader's:
    each week's total (to `now`) the plain union of them, each moment once.

    Not `dashboard_data` without `week_totals`: its `weekly_totals` adds each app's time,
    so a moment with two apps in front on two computers counts twice in the weeks before
    the shown one (the shown week's and the week before's part count it once)."""
    monday = week_monday(week)
    mondays = [monday - timedelta(weeks=k) for k in range(FETCH_WEEKS - 1, -1, -1)]
    start, _ = week_window(mondays[0], BERLIN, DAY_START)
    _, end = week_window(monday, BERLIN, DAY_START)
    intervals = reader.intervals_overlapping(start, end)
    totals = {}
    for m in mondays:
        lo, hi = week_window(m, BERLIN, DAY_START)
        totals[iso_week(m)] = each_moment_once(intervals, lo, max(lo, min(hi, now)))
    return dashboard_data(intervals, week, now, BERLIN, DAY_START, goals=reader.list_goals(),
                          names=reader.app_names(), checkins=reader.list_checkins(),
                          first_use=reader.first_use(), week_totals=totals,
                          apps_tracked=bool(reader.list_apps()))


def fast(reader: StoreReader, week: str, now: datetime) -> DashboardData:
    return load_dashboard(reader, week, now, BERLIN, DAY_START)


def worked_out(local: ResidentStore, now: datetime) -> dict[Window, Worked]:
    reader = MergedReader(local, others())
    return work_out(reader, memo_windows(reader.first_use(), now, BERLIN, DAY_START))


def overlapping_other_apps(mine: Sequence[tuple[datetime, datetime, str]],
                           theirs: Sequence[tuple[datetime, datetime, str]]) -> int:
    return sum(1 for s, e, app in mine for t, f, other in theirs
               if s < f and t < e and app != other)


def test_the_computers_have_other_apps_in_front_at_the_same_moments() -> None:
    """What makes each app's union differ from all apps' time (issue 16)."""
    mine = [(iv.start, iv.end, iv.app) for iv in MINE]
    assert overlapping_other_apps(mine, [(iv.start, iv.end, iv.app) for iv in DESKTOP]) > 20
    assert overlapping_other_apps(mine, [(iv.start, iv.end, iv.app) for iv in WORK]) > 20


@pytest.mark.parametrize("case", WEEKS)
@pytest.mark.parametrize("memo", ["merged", "worked out ahead"])
def test_all_computers_dashboard_is_the_slow_ways_to_the_ms(
        local: ResidentStore, case: str, memo: str) -> None:
    week, now = shown(case)
    covered = worked_out(local, now) if memo == "worked out ahead" else None
    reader = MergedReader(local, others(), covered=covered)
    got = fast(reader, week, now)
    expected = slow(MergedReader(local, others()), week, now)
    assert_same_to_the_ms(got, expected)
    # the figures are real: weeks of use on every computer, apps set beside the week before
    assert got.report.total_s > 10 * 3600
    assert len(got.report.per_app) == 3
    assert got.report.complete is (case != "2026-W45")
    assert sum(got.report.per_app.values()) > got.report.total_s, "apps at the same moments"
    assert all(row.change_s is not None for row in got.apps), "set beside the week before"
    assert got.report.change_s is not None
    goals = bool(local.list_goals())
    assert (got.report.quiet_share is not None, got.report.days_over_goal is not None) == (
        goals, goals)


# The worked-out windows the week before's part is taken from in each case.
BEFORE_PARTS = {"2026-W44": [week_window(date(2026, 10, 19), BERLIN, DAY_START)],
                "2026-W45": [day_window(date(2026, 10, 26), BERLIN, DAY_START),
                             day_window(date(2026, 10, 27), BERLIN, DAY_START)],
                "2026-W45-after": [week_window(date(2026, 10, 26), BERLIN, DAY_START)]}


@pytest.mark.parametrize("case", WEEKS)
def test_the_week_before_s_apps_are_the_memo_s_figures(local: ResidentStore, case: str) -> None:
    """A minute more in each app's worked-out figures moves each app's change against the
    week before by a minute for each worked-out window of that part, and nothing else: the
    equality above checks the memo's figures, not only the merged read's."""
    week, now = shown(case)
    memo = worked_out(local, now)
    reader = MergedReader(local, others(), covered={
        k: replace(w, apps=tuple((app, n + 60_000) for app, n in w.apps or ()))
        for k, w in memo.items()})
    got = fast(reader, week, now)
    expected = slow(MergedReader(local, others()), week, now)
    taken = {row.key: sum(1 for part in BEFORE_PARTS[case]
                          if row.key in dict(memo[key(part)].apps or ()))
             for row in expected.apps}
    assert sum(taken.values()) >= 3
    assert {row.key: row.change_s for row in got.apps} == pytest.approx(
        {row.key: (row.change_s or 0) - 60 * taken[row.key] for row in expected.apps},
        abs=5e-4)
    assert_same_to_the_ms(replace(got, apps=expected.apps), expected)


@pytest.mark.parametrize("case", WEEKS)
def test_the_weeks_totals_are_the_memo_s_figures(local: ResidentStore, case: str) -> None:
    """A minute more in each worked-out total moves each complete week's point by a minute
    (the shown week's total is its own rows')."""
    week, now = shown(case)
    memo = worked_out(local, now)
    reader = MergedReader(local, others(), covered={
        k: replace(w, ms=w.ms + 60_000) for k, w in memo.items()})
    got = fast(reader, week, now)
    expected = slow(MergedReader(local, others()), week, now)
    moved = [key(week_window(week_monday(p.week), BERLIN, DAY_START)) in memo
             and p.week != week for p in expected.weeks]
    assert sum(moved) >= 5
    assert [p.total_s for p in got.weeks] == pytest.approx(
        [None if p.total_s is None else p.total_s + (60 if m else 0)
         for p, m in zip(expected.weeks, moved, strict=True)], abs=5e-4)
    with pytest.raises(AssertionError):
        assert_same_to_the_ms(got, expected)


@pytest.mark.parametrize("case", WEEKS)
@pytest.mark.parametrize("device", ["desktop", "work"])
def test_another_computer_alone_is_the_slow_ways_to_the_ms(
        local: ResidentStore, case: str, device: str) -> None:
    week, now = shown(case)
    reader = OneDeviceReader(local, histories_of(DESKTOP if device == "desktop" else WORK),
                             {"nomi": "Nomi"})
    got = fast(reader, week, now)
    assert_same_to_the_ms(got, slow(reader, week, now))
    assert got.report.total_s > 3600
