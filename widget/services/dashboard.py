"""Reads what the dashboard and `driftcheck report` need from a store, and nothing more.

The intervals of two weeks only (the shown one and the one before, for the week's days, hours
and apps), the sixteen weekly totals summed by SQLite (`seconds_in`), when the history began
(`first_use`, one step down the start index), and the goals, names and the check-ins since the
first shown week. Every store keeps these (`widget.store.api.StoreReader`). Reading all sixteen
weeks of intervals instead gives the same numbers to the millisecond from about eight times the
rows; tests/unit/test_dashboard_data.py keeps that way as the reference the loader is checked
against.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from widget.core.calendar import iso_week, local_day, week_monday, week_window
from widget.core.dashboard import (
    FETCH_WEEKS,
    SHOWN_WEEKS,
    DashboardData,
    dashboard_data,
    known_totals,
)
from widget.core.report import drift_while_in_progress
from widget.core.trend import DriftSignal
from widget.store.api import StoreReader


def load_dashboard(store: StoreReader, week: str | None, now: datetime, tz: tzinfo,
                   day_start_hour: int) -> DashboardData:
    """The dashboard of ISO `week` (None: the week of `now`), read from `store`."""
    week = week or iso_week(local_day(now, tz, day_start_hour))
    monday = week_monday(week)
    first_monday = monday - timedelta(weeks=FETCH_WEEKS - 1)
    detail_start, _ = week_window(monday - timedelta(weeks=1), tz, day_start_hour)
    _, end = week_window(monday, tz, day_start_hour)
    intervals = store.intervals_overlapping(detail_start, end)
    mondays = [first_monday + timedelta(weeks=k) for k in range(FETCH_WEEKS)]
    windows = [week_window(m, tz, day_start_hour) for m in mondays]
    upto = [(lo, max(lo, min(hi, now))) for lo, hi in windows]  # nothing after now
    totals = dict(zip((iso_week(m) for m in mondays), store.seconds_in(upto), strict=True))
    shown_start, _ = week_window(monday - timedelta(weeks=SHOWN_WEEKS - 1), tz, day_start_hour)
    checkins = store.list_checkins(since=shown_start - timedelta(days=1))
    return dashboard_data(intervals, week, now, tz, day_start_hour, goals=store.list_goals(),
                          names=store.app_names(), checkins=checkins,
                          first_use=store.first_use(), week_totals=totals,
                          apps_tracked=bool(store.list_apps()))


def drift_of_week_in_progress(store: StoreReader, week: str, now: datetime, tz: tzinfo,
                              day_start_hour: int) -> DriftSignal | None:
    """The drift signal `load_dashboard(store, week, now, ...)` shows, for the week in progress
    at `now`: a week in progress is judged by the complete weeks before it alone, so only their
    sums are read, not one interval (the tray app asks this once a week and keeps what it once
    allocated). For a week not in progress at `now`, the dashboard's."""
    monday = week_monday(week)
    start, end = week_window(monday, tz, day_start_hour)
    if not start <= now < end:
        return load_dashboard(store, week, now, tz, day_start_hour).report.drift
    mondays = [monday - timedelta(weeks=k) for k in range(FETCH_WEEKS - 1, 0, -1)]
    keys = [iso_week(m) for m in mondays]
    sums = dict(zip(keys, store.seconds_in([week_window(m, tz, day_start_hour)
                                            for m in mondays]), strict=True))
    totals = known_totals(sums, keys, store.first_use(), tz, day_start_hour)
    return drift_while_in_progress(week, {k: t for k, t in totals.items() if t is not None})
