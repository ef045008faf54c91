"""The all-devices totals (widget.sync.merge): time overlapping across computers counted once
overall and once per app, each device's own total as it recorded it, windows cut exactly, and
the properties that hold for any histories (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.days import seconds_by_app
from widget.core.model import Interval, Measure
from widget.sync.merge import History, histories_of, merged_totals, window_totals

T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
DAY = (T0, T0 + timedelta(days=1))


def use(app: str, start_min: float, minutes: float,
        measure: Measure = Measure.FOREGROUND) -> Interval:
    start = T0 + timedelta(minutes=start_min)
    return Interval(app, start, start + timedelta(minutes=minutes), measure)


def test_two_computers_on_at_once_count_the_shared_minutes_once() -> None:
    laptop = [History.of([use("replika", 60, 30)])]  # 05:00-05:30
    desktop = [History.of([use("replika", 75, 30)])]  # 05:15-05:45
    totals = window_totals({"laptop": laptop, "desktop": desktop}, *DAY)
    assert totals.all_devices == 45 * 60
    assert totals.by_app == {"replika": 45 * 60}
    assert totals.by_device == {"laptop": 30 * 60, "desktop": 30 * 60}


def test_two_apps_at_once_on_two_computers_count_once_overall_and_once_each() -> None:
    laptop = [History.of([use("replika", 60, 30)])]
    desktop = [History.of([use("character-ai", 60, 30)])]
    totals = window_totals({"laptop": laptop, "desktop": desktop}, *DAY)
    assert totals.all_devices == 30 * 60  # wall time
    assert totals.by_app == {"replika": 30 * 60, "character-ai": 30 * 60}  # sum is more
    assert totals.by_device_app == {"laptop": {"replika": 30 * 60},
                                    "desktop": {"character-ai": 30 * 60}}


def test_a_window_takes_only_the_part_inside_it_and_looks_back_an_hour() -> None:
    # Starts 50 minutes before the window: found by the start index with its hour's look-back.
    laptop = [History.of([use("replika", -50, 60), use("replika", 24 * 60 - 10, 20)])]
    totals = window_totals({"laptop": laptop}, *DAY)
    assert totals.all_devices == (10 + 10) * 60
    assert window_totals({"laptop": laptop}, T0 - timedelta(days=1), T0).all_devices == 50 * 60


def test_a_device_with_nothing_in_the_window_shows_zero_not_nothing() -> None:
    totals = window_totals({"laptop": [History.of([])],
                            "desktop": [History.of([use("x", 0, 1)])]}, *DAY)
    assert totals.by_device == {"laptop": 0.0, "desktop": 60.0}


def test_many_windows_at_once() -> None:
    laptop = [History.of([use("replika", 60 + 24 * 60 * day, 10) for day in range(7)])]
    days = [(T0 + timedelta(days=d), T0 + timedelta(days=d + 1)) for d in range(7)]
    assert [t.all_devices for t in merged_totals({"laptop": laptop}, days)] == [600.0] * 7


def test_history_gives_back_the_intervals_of_a_window_whole() -> None:
    intervals = [use("replika", 0, 10), use("nomi", 30, 5, Measure.APPROXIMATE),
                 use("replika", 24 * 60 + 5, 5)]
    history = History.of(reversed(intervals))
    assert len(history) == 3
    assert history.overlapping(*DAY) == intervals[:2]
    assert history.overlapping(T0 + timedelta(minutes=5), T0 + timedelta(minutes=31)) \
        == intervals[:2]
    assert history.overlapping(T0 + timedelta(minutes=10), T0 + timedelta(minutes=30)) == []


minute = st.integers(min_value=-120, max_value=26 * 60)
histories = st.dictionaries(
    st.sampled_from(["laptop", "desktop", "tablet"]),
    st.lists(st.tuples(st.sampled_from(["replika", "nomi", "pi"]), minute,
                       st.integers(min_value=0, max_value=60)), max_size=25),
    min_size=1)


def device_intervals(spans: list[tuple[str, int, int]]) -> list[Interval]:
    """One device's intervals as its tracker writes them: never overlapping each other."""
    out: list[Interval] = []
    free_from = T0 - timedelta(days=1)
    for app, start, length in sorted(spans, key=lambda s: s[1]):
        begin = max(T0 + timedelta(minutes=start), free_from)
        end = begin + timedelta(minutes=length)
        out.append(Interval(app, begin, end))
        free_from = end
    return out


@settings(max_examples=300, deadline=None)
@given(histories)
def test_all_devices_is_between_the_largest_device_and_their_sum(
        raw: dict[str, list[tuple[str, int, int]]]) -> None:
    by_device = {device: device_intervals(spans) for device, spans in raw.items()}
    totals = window_totals({d: histories_of(ivs) for d, ivs in by_device.items()}, *DAY)
    alone = {d: sum(seconds_by_app(ivs, *DAY).values()) for d, ivs in by_device.items()}
    # Each device's own figure is what it shows itself.
    assert totals.by_device == alone
    assert {d: {a: s for a, s in apps.items()} for d, apps in totals.by_device_app.items()
            if apps} == {d: seconds_by_app(ivs, *DAY) for d, ivs in by_device.items()
                         if seconds_by_app(ivs, *DAY)}
    assert max(alone.values()) <= totals.all_devices + 1e-6
    assert totals.all_devices <= sum(alone.values()) + 1e-6
    # Each app's union is at most the wall time, and together they cover at least it.
    assert all(s <= totals.all_devices + 1e-6 for s in totals.by_app.values())
    assert sum(totals.by_app.values()) >= totals.all_devices - 1e-6
    assert totals.all_devices <= (DAY[1] - DAY[0]).total_seconds()


@settings(max_examples=300, deadline=None)
@given(histories)
def test_all_devices_is_the_measure_of_the_covered_minutes(
        raw: dict[str, list[tuple[str, int, int]]]) -> None:
    by_device = {device: device_intervals(spans) for device, spans in raw.items()}
    totals = window_totals({d: histories_of(ivs) for d, ivs in by_device.items()}, *DAY)
    # Counted the slow, obvious way: every minute of the day that any interval covers.
    covered: set[int] = set()
    per_app: dict[str, set[int]] = {}
    for intervals in by_device.values():
        for iv in intervals:
            first = int((iv.start - T0).total_seconds() // 60)
            last = int((iv.end - T0).total_seconds() // 60)
            minutes = {m for m in range(first, last) if 0 <= m < 24 * 60}
            covered |= minutes
            per_app.setdefault(iv.app, set()).update(minutes)
    assert totals.all_devices == len(covered) * 60
    assert {a: s for a, s in totals.by_app.items() if s} == {
        a: len(m) * 60 for a, m in per_app.items() if m}


def test_a_window_across_months_takes_every_months_history() -> None:
    # 2026-11-30 23:40 to 2026-12-01 00:20 UTC: one interval in each month's History.
    late = Interval("replika", datetime(2026, 11, 30, 23, 40, tzinfo=UTC),
                    datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    over = Interval("replika", datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
                    datetime(2026, 12, 1, 0, 20, tzinfo=UTC))
    early = Interval("nomi", datetime(2026, 12, 1, 0, 5, tzinfo=UTC),
                     datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    parts = histories_of([early, over, late])
    assert len(parts) == 2
    window = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    totals = window_totals({"laptop": parts}, *window)
    assert totals.all_devices == 20 * 60  # 00:00-00:20, nomi's five minutes inside it
    assert totals.by_app == {"replika": 20 * 60, "nomi": 5 * 60}


def test_a_history_is_compact_and_refuses_what_it_cannot_hold() -> None:
    month = [use("replika", m, 1) for m in range(0, 30 * 24 * 60, 5)]
    history = History.of(month)
    assert history.all() == month
    assert len(history.starts.tobytes() + history.lengths.tobytes() + history.apps.tobytes()) \
        == 10 * len(month)
    with pytest.raises(ValueError):
        History.of([use("replika", 0, 1), use("replika", 60 * 24 * 60, 1)])  # 60 days apart
    with pytest.raises(ValueError):
        History.of([use("replika", 0, 61)])  # longer than the tracker's hour
