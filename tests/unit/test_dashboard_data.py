"""The dashboard's numbers, against cases worked out by hand (Europe/Berlin, day start 04:00
unless said), the loader's reads, and the fast totals against their plain definitions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.same import assert_same_to_the_ms
from widget.core.calendar import iso_week, week_monday, week_window
from widget.core.checkin import Checkin
from widget.core.dashboard import (
    FETCH_WEEKS,
    DashboardData,
    dashboard_data,
    drift_in_words,
    hour_grid,
    usual_band,
)
from widget.core.goals import Goal, GoalKind
from widget.core.intervals import MAX_SPAN, clip
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.report import daily_totals, week_report, weekly_totals
from widget.core.trend import DriftRule
from widget.paths import DB_NAME
from widget.services.dashboard import load_dashboard
from widget.store import Store
from widget.store.resident import ResidentStore

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600.0
MIN = 60.0
QUIET = Goal(GoalKind.QUIET_HOURS, None, quiet_start=23 * 60, quiet_end=6 * 60)
NAMES = {"replika": "Replika", "nomi": "Nomi", "kindroid": "Kindroid"}
# Monday 30 November 2026, 12:00 in Berlin: week 2026-W48 (23-29 Nov) has just ended.
AFTER_W48 = datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN).astimezone(UTC)


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold).astimezone(UTC)  # type: ignore[misc]


def iv(start: datetime, end: datetime, app: str = "replika") -> Interval:
    return Interval(app, start, end)


def build(intervals: list[Interval], week: str = "2026-W48", now: datetime = AFTER_W48,
          *, goals: list[Goal] | None = None, checkins: list[Checkin] | None = None,
          first_use: datetime | None = None, hour: int = 4) -> DashboardData:
    first = first_use if first_use is not None else min((i.start for i in intervals),
                                                         default=None)
    return dashboard_data(intervals, week, now, BERLIN, hour, goals=goals or [], names=NAMES,
                          checkins=checkins or [], first_use=first)


def rising_weeks() -> list[Interval]:
    """W41 to W48 of 2026: k hours on the Tuesday evening of the k-th of them."""
    tuesday = local(2026, 10, 6, 19)  # the Tuesday of 2026-W41
    return [iv(tuesday + timedelta(weeks=k), tuesday + timedelta(weeks=k, hours=k + 1))
            for k in range(8)]


# --- the twelve weeks --------------------------------------------------------------------------


def test_twelve_weeks_with_none_before_the_history_and_a_rolling_usual_week() -> None:
    data = build(rising_weeks())
    assert [p.week for p in data.weeks] == [f"2026-W{n}" for n in range(37, 49)]
    # W37-W40 lie before the first use: not zero, unknown.
    assert [p.total_s for p in data.weeks] == [None] * 4 + [k * H for k in range(1, 9)]
    assert all(p.complete for p in data.weeks)
    # A usual week needs four complete known weeks before it: from W45 on.
    assert [p.baseline_s for p in data.weeks] == [None] * 8 + [2.5 * H, 3.5 * H, 4.5 * H,
                                                             5.5 * H]
    assert data.weeks[-1].band == (5.5 * H, 5.5 * H * 1.25)
    assert data.weeks[8].band == (2.5 * H, 2.5 * H * 1.25)
    assert data.report.baseline_s == data.weeks[-1].baseline_s
    assert data.first_week == "2026-W41" and data.current_week == "2026-W49"


def test_the_band_reaches_the_drift_rules_threshold() -> None:
    assert usual_band(4 * H) == (4 * H, 5 * H)  # 25% is more than 30 minutes
    assert usual_band(1 * H) == (1 * H, 1.5 * H)  # 30 minutes is more than 25%
    assert usual_band(0.0) == (0.0, 30 * MIN)


def test_a_steady_rise_is_marked_with_its_trend_line_and_explained() -> None:
    data = build(rising_weeks())
    assert data.report.drift is not None
    assert data.report.drift.rule is DriftRule.RISING_TREND
    assert data.drift_weeks == tuple(f"2026-W{n}" for n in range(41, 49))
    assert data.trend is not None
    assert data.trend.weeks == data.drift_weeks
    assert data.trend.slope_s_per_week == pytest.approx(H)
    assert data.trend.value_at(0) == pytest.approx(1 * H)
    assert data.trend.value_at(7) == pytest.approx(8 * H)
    words = drift_in_words(data.report.drift, data.report.trend_weeks)
    # as a person says it: no test's name, no p-value, no "1 time in 100"
    assert words.startswith("Your weekly time has gone up seven weeks in a row, from about "
                            "1 h to 8 h.")
    assert "only you can say" in words
    assert "Mann-Kendall" not in words and "p =" not in words and "time in" not in words


def test_the_marked_weeks_are_the_weeks_the_words_speak_of() -> None:
    """A rise with a dip early on: the words say the last run ("gone up five weeks in a row,
    from about 3 h to 6 h"), and the chart marks those six weeks, not all eight."""
    tuesday = local(2026, 10, 6, 19)  # the Tuesday of 2026-W41
    hours = (3.0, 3.2, 2.9, 3.5, 4.0, 4.5, 5.0, 6.0)
    data = build([iv(tuesday + timedelta(weeks=k), tuesday + timedelta(weeks=k, hours=h))
                  for k, h in enumerate(hours)])
    assert data.report.drift is not None
    assert data.report.drift.rule is DriftRule.RISING_TREND
    words = drift_in_words(data.report.drift, data.report.trend_weeks)
    assert words.startswith("Your weekly time has gone up five weeks in a row, from about 3 h "
                            "to 6 h.")
    assert data.drift_weeks == tuple(f"2026-W{n}" for n in range(43, 49))


def test_three_rising_weeks_mark_only_those_three() -> None:
    # W41-W44 around 4 h, W45 3 h, then 4 h 30, 5 h 30, 6 h: rule (b), not a steady trend
    # (Mann-Kendall p = 0.38). The four weeks before the three rising ones are W42-W45:
    # (4 + 5 + 4 + 3) / 4 = 4 h, and 6 h is 50% above them.
    hours = [5, 4, 5, 4, 3, 4.5, 5.5, 6]
    intervals = [iv(local(2026, 10, 6, 18) + timedelta(weeks=k),
                    local(2026, 10, 6, 18) + timedelta(weeks=k, hours=h))
                 for k, h in enumerate(hours)]
    data = build(intervals)
    assert data.report.drift is not None
    assert data.report.drift.rule is DriftRule.THREE_RISING_WEEKS
    assert data.drift_weeks == ("2026-W46", "2026-W47", "2026-W48")
    words = drift_in_words(data.report.drift, data.report.trend_weeks)
    assert words.startswith("Each of the last three weeks was more than the one before; the "
                            "last, about 6 h, was about 50% more than your usual week of "
                            "about 4 h.")


def test_the_week_in_progress_is_left_out_of_the_trend() -> None:
    wednesday = local(2026, 11, 25, 12)  # W48 in progress
    data = build([i for i in rising_weeks() if i.start < wednesday], now=wednesday)
    assert not data.weeks[-1].complete
    assert data.trend is not None and data.trend.weeks[-1] == "2026-W47"
    assert len(data.trend.weeks) == 7


def test_the_first_week_has_no_usual_week_no_trend_and_no_signal() -> None:
    tuesday = local(2026, 11, 24, 22)
    data = build([iv(local(2026, 11, 24, 20), local(2026, 11, 24, 21))], now=tuesday)
    assert [p.total_s for p in data.weeks] == [None] * 11 + [H]
    assert all(p.baseline_s is None and p.band is None for p in data.weeks)
    assert data.trend is None and data.drift_weeks == ()
    assert data.apps[0].change_s is None  # the week before lies before the history
    assert data.apps[0].daily_average_s == H / 2  # Monday and Tuesday so far
    assert "four complete weeks" in drift_in_words(None, ())
    assert "the first one is still under way" in drift_in_words(None, ())
    assert "so far there are three" in drift_in_words(None, (H, H, H))


def test_no_history_at_all_is_empty_not_zero() -> None:
    data = build([], now=AFTER_W48)
    assert data.empty and data.first_week is None
    assert all(p.total_s is None for p in data.weeks)
    assert data.report.total_s == 0 and data.apps == ()


def test_a_break_after_the_history_began_counts_as_zero_weeks() -> None:
    first = local(2026, 6, 2, 20)  # long before the sixteen weeks read
    data = build([iv(local(2026, 11, 24, 20), local(2026, 11, 24, 21))], first_use=first)
    assert [p.total_s for p in data.weeks] == [0.0] * 11 + [H]
    assert data.weeks[-1].baseline_s == 0.0


# --- the hour-by-weekday grid on ordinary and daylight-saving days ---------------------------


def test_an_evening_lands_in_its_hours_and_quiet_hours_are_known() -> None:
    monday = date(2026, 11, 23)
    grid = hour_grid([iv(local(2026, 11, 24, 21, 15), local(2026, 11, 24, 22, 45)),
                      iv(local(2026, 11, 26, 0, 30), local(2026, 11, 26, 1, 0))],
                     monday, BERLIN, 4, QUIET)
    assert grid.seconds[1][21] == 45 * MIN and grid.seconds[1][22] == 45 * MIN
    # Thursday 00:30 belongs to Wednesday's local day (it starts at 04:00).
    assert grid.seconds[2][0] == 30 * MIN and grid.seconds[3][0] == 0
    assert sum(map(sum, grid.seconds)) == 2 * H
    assert grid.quiet_hours == frozenset({23, 0, 1, 2, 3, 4, 5})
    assert grid.hour_order[:3] == (4, 5, 6) and grid.hour_order[-1] == 3
    assert grid.missing == frozenset()
    half = Goal(GoalKind.QUIET_HOURS, None, quiet_start=22 * 60 + 30, quiet_end=23 * 60)
    assert hour_grid([], monday, BERLIN, 4, half).quiet_hours == frozenset({22})


def test_the_spring_forward_night_skips_its_hour() -> None:
    # Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST. 01:30 CET -> 03:30 CEST is one hour.
    monday = date(2026, 3, 23)
    use = iv(local(2026, 3, 29, 1, 30), local(2026, 3, 29, 3, 30))
    assert use.seconds == H
    grid = hour_grid([use], monday, BERLIN, 4)
    assert grid.seconds[5][1] == 30 * MIN and grid.seconds[5][3] == 30 * MIN  # Saturday's night
    assert sum(map(sum, grid.seconds)) == H
    assert grid.missing == frozenset({(5, 2)})
    at_midnight = hour_grid([use], monday, BERLIN, 0)  # with days starting at midnight
    assert at_midnight.seconds[6][1] == 30 * MIN and at_midnight.seconds[6][3] == 30 * MIN
    assert at_midnight.missing == frozenset({(6, 2)})


def test_the_fall_back_night_counts_its_repeated_hour_twice() -> None:
    # Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET. 01:30 CEST -> 03:30 CET is three hours.
    monday = date(2026, 10, 19)
    use = iv(local(2026, 10, 25, 1, 30), local(2026, 10, 25, 3, 30))
    assert use.seconds == 3 * H
    grid = hour_grid([use], monday, BERLIN, 4)
    assert (grid.seconds[5][1], grid.seconds[5][2], grid.seconds[5][3]) == (30 * MIN, 2 * H,
                                                                             30 * MIN)
    assert grid.missing == frozenset()
    # The week itself is 169 hours long, and the grid holds every one of them.
    start, end = week_window(monday, BERLIN, 4)
    whole = hour_grid([iv(start - timedelta(hours=5), end + timedelta(hours=5))],
                      monday, BERLIN, 4)
    assert sum(map(sum, whole.seconds)) == 169 * H
    assert all(s == H for r, row in enumerate(whole.seconds) for h, s in enumerate(row)
               if (r, h) != (5, 2))


# --- check-ins and apps ------------------------------------------------------------------------


def test_check_ins_are_placed_in_their_weeks() -> None:
    checkins = [
        Checkin(asked=local(2026, 7, 5, 19), answered=local(2026, 7, 5, 19), answer=2),  # W27
        Checkin(asked=local(2026, 11, 8, 19), answered=local(2026, 11, 8, 19, 5), answer=3,
                week_seconds=int(6 * H)),
        # 02:00 on Monday belongs to Sunday's local day: W47, not W48.
        Checkin(asked=local(2026, 11, 23, 1, 50), answered=local(2026, 11, 23, 2), answer=4),
        Checkin(asked=local(2026, 11, 29, 19)),  # a skip, placed by when it was asked
        Checkin(asked=local(2026, 12, 6, 19), answered=local(2026, 12, 6, 19), answer=1),
    ]
    data = build(rising_weeks(), checkins=checkins)
    assert [(c.week, c.answer, c.week_seconds) for c in data.checkins] == [
        ("2026-W45", 3, int(6 * H)), ("2026-W47", 4, None), ("2026-W48", None, None)]


def test_app_rows_with_share_change_and_daily_average() -> None:
    intervals = [
        iv(local(2026, 11, 17, 20), local(2026, 11, 17, 23), "replika"),  # W47: 6 h + 1 h
        iv(local(2026, 11, 18, 20), local(2026, 11, 18, 23), "replika"),
        iv(local(2026, 11, 19, 20), local(2026, 11, 19, 21), "kindroid"),
        iv(local(2026, 11, 24, 19), local(2026, 11, 24, 23), "replika"),  # W48: 4 h + 1 h
        iv(local(2026, 11, 25, 19), local(2026, 11, 25, 20), "replika"),
        iv(local(2026, 11, 26, 19), local(2026, 11, 26, 22), "nomi"),  # + 3 h
    ]
    rows = {r.key: r for r in build(intervals).apps}
    assert list(rows) == ["replika", "nomi", "kindroid"]
    assert (rows["replika"].seconds, rows["replika"].share) == (5 * H, 5 / 8)
    assert rows["replika"].change_s == -H and rows["replika"].daily_average_s == 5 * H / 7
    assert (rows["nomi"].name, rows["nomi"].change_s) == ("Nomi", 3 * H)
    assert (rows["kindroid"].seconds, rows["kindroid"].share, rows["kindroid"].change_s) == (
        0.0, 0.0, -H)


def test_the_report_is_the_week_report_of_the_same_intervals() -> None:
    intervals = rising_weeks()
    data = build(intervals, goals=[QUIET])
    weeks = [iso_week(week_monday("2026-W48") - timedelta(weeks=k)) for k in range(15, 0, -1)]
    history = {w: t for w, t in weekly_totals(intervals, weeks, BERLIN, 4).items()
               if week_monday(w) >= week_monday("2026-W41")}
    assert data.report == week_report(intervals, "2026-W48", history, [QUIET], NAMES, BERLIN, 4,
                                      now=AFTER_W48)
    assert data.report.total_s == 8 * H


def test_nothing_after_now_counts() -> None:
    now = local(2026, 11, 24, 19, 30)
    data = build([iv(local(2026, 11, 24, 19), local(2026, 11, 24, 21))], now=now)
    assert data.report.total_s == 30 * MIN and data.weeks[-1].total_s == 30 * MIN
    assert sum(map(sum, data.grid.seconds)) == 30 * MIN


# --- the loader, checked against the slow way -------------------------------------------------


def slow_dashboard(history: list[Interval], week: str, now: datetime, *, goals: list[Goal],
                   checkins: list[Checkin], hour: int = 4) -> DashboardData:
    """The reference answer: the dashboard from every interval of the sixteen weeks, added up
    in Python (as `load_dashboard` once read a store without `seconds_in`), with the first use
    the earliest start of the whole `history`."""
    monday = week_monday(week)
    start, _ = week_window(monday - timedelta(weeks=FETCH_WEEKS - 1), BERLIN, hour)
    _, end = week_window(monday, BERLIN, hour)
    rows = [i for i in history if i.end > start and i.start < end]
    return dashboard_data(rows, week, now, BERLIN, hour, goals=goals, names=NAMES,
                          checkins=checkins, first_use=min((i.start for i in history),
                                                           default=None))


class Spying:
    """A real store that records which intervals and check-ins the loader asks it for."""

    asked: list[tuple[datetime, datetime]]
    since: list[datetime | None]

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        self.asked.append((start, end))
        return super().intervals_overlapping(start, end, max_span)  # type: ignore[misc, no-any-return]

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        self.since.append(since)
        return super().list_checkins(since)  # type: ignore[misc, no-any-return]


class SpyingLeanStore(Spying, ResidentStore):
    pass


class SpyingFullStore(Spying, Store):
    pass


STORES = ["full", "lean"]


def store_with(folder: Path, intervals: list[Interval], name: str, kind: str = "lean", *,
               goals: list[Goal] | None = None,
               checkins: list[Checkin] | None = None) -> SpyingLeanStore | SpyingFullStore:
    """A database holding the three apps of NAMES and `intervals`, opened as `kind`."""
    path = folder / f"{name}.sqlite3"
    full = Store.open(path)
    for key, label in NAMES.items():
        full.add_app(TrackedApp(key, label, (Rule(RuleKind.PROCESS, key),)))
    for interval in intervals:
        full.insert_interval(interval)
    full.replace_goals(goals or [])
    for checkin in checkins or []:
        full.add_checkin(checkin)
    full.close()
    store = SpyingFullStore.open(path) if kind == "full" else SpyingLeanStore.open(path)
    store.asked, store.since = [], []
    return store


@pytest.mark.parametrize("kind", STORES)
def test_the_loader_reads_the_shown_weeks_rows_and_check_ins(
        tmp_path: Path, kind: str) -> None:
    store = store_with(tmp_path, rising_weeks(), "loader", kind)
    try:
        data = load_dashboard(store, "2026-W48", AFTER_W48, BERLIN, 4)
        assert load_dashboard(store, None, AFTER_W48, BERLIN, 4).week == "2026-W49"
    finally:
        store.close()
    # Rows of the shown week only: the week before is set beside it by SQLite's sums.
    assert store.asked[0] == week_window(date(2026, 11, 23), BERLIN, 4)
    since = store.since[0]
    assert since is not None and since <= week_window(date(2026, 9, 7), BERLIN, 4)[0]
    assert FETCH_WEEKS == 16
    assert data.report.total_s == 8 * H and data.first_week == "2026-W41"


@pytest.mark.parametrize("kind", STORES)
def test_the_loader_knows_where_the_history_began(tmp_path: Path, kind: str) -> None:
    checkins = [Checkin(asked=local(2026, 11, 8, 19), answered=local(2026, 11, 8, 19),
                        answer=3, note="private", week_seconds=7200),
                Checkin(asked=local(2026, 11, 15, 19))]
    long_before = iv(local(2026, 5, 5, 20), local(2026, 5, 5, 21))
    store = store_with(tmp_path, [long_before, *rising_weeks()], "history", kind,
                       checkins=checkins)
    try:
        data = load_dashboard(store, "2026-W48", AFTER_W48, BERLIN, 4)
    finally:
        store.close()
    # The weeks of May to September were weeks without use, not weeks before the history.
    assert [p.total_s for p in data.weeks][:4] == [0.0] * 4
    assert [p.baseline_s for p in data.weeks][4:6] == [0.0, (0 + 0 + 0 + 1) * H / 4]
    assert [c.answer for c in data.checkins] == [3, None]
    empty = store_with(tmp_path, [], "empty", kind)
    try:
        assert load_dashboard(empty, "2026-W48", AFTER_W48, BERLIN, 4).empty
    finally:
        empty.close()


@pytest.mark.parametrize("kind", STORES)
@pytest.mark.parametrize("now", [local(2026, 11, 25, 12), AFTER_W48])
def test_the_loader_gives_the_slow_ways_dashboard_from_two_weeks_of_rows(
        tmp_path: Path, kind: str, now: datetime) -> None:
    intervals = [*rising_weeks(),
                 # across a week's start (Monday 04:00) and across Wednesday noon
                 iv(local(2026, 11, 9, 3, 30), local(2026, 11, 9, 4, 20), "nomi"),
                 iv(local(2026, 11, 25, 11, 40), local(2026, 11, 25, 12, 30), "nomi")]
    checkins = [Checkin(asked=local(2026, 11, 8, 19), answered=local(2026, 11, 8, 19, 5),
                        answer=3, week_seconds=int(6 * H))]
    store = store_with(tmp_path, intervals, "rollup", kind, goals=[QUIET], checkins=checkins)
    try:
        windows = [week_window(date(2026, 11, 2) + timedelta(weeks=k), BERLIN, 4)
                   for k in range(3)]
        windows.append((windows[0][1], windows[0][0]))  # an empty window is 0, not negative
        expected = weekly_totals(intervals, ["2026-W45", "2026-W46", "2026-W47"], BERLIN, 4)
        assert store.seconds_in(windows) == pytest.approx([*expected.values(), 0.0], abs=1e-3)
        fast = load_dashboard(store, "2026-W48", now, BERLIN, 4)
    finally:
        store.close()
    slow = slow_dashboard(intervals, "2026-W48", now, goals=[QUIET], checkins=checkins)
    assert len(store.asked) == 1
    assert_same_to_the_ms(fast, slow)
    if now != AFTER_W48:
        assert fast.weeks[-1].total_s == fast.report.total_s == 8 * H + 20 * MIN  # cut at noon


W48_START = week_window(date(2026, 11, 23), BERLIN, 4)[0]
ms_intervals = st.lists(
    st.builds(lambda start, length, app: Interval(
        app, W48_START + timedelta(milliseconds=start),
        W48_START + timedelta(milliseconds=start + length)),
        st.integers(-18 * 7 * 86_400_000, 7 * 86_400_000),  # the sixteen weeks and beyond
        st.integers(0, 3_600_000),  # as the tracker writes them: an hour at most
        st.sampled_from(list(NAMES))),
    max_size=30)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(STORES), ms_intervals, st.integers(0, 8 * 24 * 60),
       st.sampled_from([0, 4]))
def test_any_history_gives_the_slow_ways_dashboard(tmp_path_factory: pytest.TempPathFactory,
                                                   kind: str, intervals: list[Interval],
                                                   minute: int, hour: int) -> None:
    now = W48_START + timedelta(minutes=minute)  # in W48, or just after it
    store = store_with(tmp_path_factory.mktemp("any"), intervals, "any", kind)
    try:
        fast = load_dashboard(store, "2026-W48", now, BERLIN, hour)
    finally:
        store.close()
    slow = slow_dashboard(intervals, "2026-W48", now, goals=[], checkins=[], hour=hour)
    assert_same_to_the_ms(fast, slow)


def test_report_prints_the_dashboards_numbers(run, data: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert run("demo-data", "--weeks", "10", "--seed", "3").code == 0
    week = iso_week(datetime.now(UTC).astimezone(BERLIN).date() - timedelta(weeks=2))
    printed = run("report", "--week", week, "--json")
    assert printed.code == 0, printed.err
    lean = ResidentStore.open(data / DB_NAME)
    try:
        shown = load_dashboard(lean, week, datetime.now(UTC), BERLIN, 4)
    finally:
        lean.close()
    # with the devices it counts (none: not sharing, issue 16)
    assert json.loads(printed.out) == {**json.loads(json.dumps(shown.report.to_json())),
                                       "devices": [], "sharing": None}
    assert shown.report.total_s > 0 and shown.weeks[-1].total_s == shown.report.total_s


# --- the fast totals are the plain definitions -----------------------------------------------


def slow_weekly_totals(intervals: list[Interval], weeks: list[str], day_start_hour: int
                       ) -> dict[str, float]:
    """weekly_totals as first written: every interval clipped against every week."""
    windows = {w: week_window(week_monday(w), BERLIN, day_start_hour) for w in weeks}
    totals = dict.fromkeys(windows, 0.0)
    for interval in intervals:
        for week, (start, end) in windows.items():
            part = clip(interval, start, end)
            if part is not None:
                totals[week] += part.seconds
    return totals


def slow_daily_totals(intervals: list[Interval], first: date, last: date, day_start_hour: int
                      ) -> dict[date, dict[str, float]]:
    from widget.core.calendar import day_window

    totals: dict[date, dict[str, float]] = {}
    day = first
    while day <= last:
        totals[day] = {}
        day += timedelta(days=1)
    for interval in intervals:
        for day in totals:
            part = clip(interval, *day_window(day, BERLIN, day_start_hour))
            if part is not None:
                totals[day][part.app] = totals[day].get(part.app, 0.0) + part.seconds
    return totals


ORIGIN = datetime(2026, 9, 28, tzinfo=UTC)  # five weeks before the autumn change to W48

intervals_strategy = st.lists(
    st.builds(lambda start, length, app: Interval(app, ORIGIN + timedelta(seconds=start),
                                                  ORIGIN + timedelta(seconds=start + length)),
              st.integers(-3 * 86400, 10 * 7 * 86400),
              st.one_of(st.integers(0, 7200), st.integers(0, 20 * 86400)),
              st.sampled_from(["replika", "nomi"])),
    max_size=40)


@settings(max_examples=150, deadline=None)
@given(intervals_strategy,
       st.lists(st.integers(36, 50).map(lambda n: f"2026-W{n}"), max_size=12),
       st.integers(0, 23))
def test_weekly_totals_are_the_slow_definition(intervals: list[Interval], weeks: list[str],
                                               day_start_hour: int) -> None:
    fast = weekly_totals(intervals, weeks, BERLIN, day_start_hour)
    assert fast == slow_weekly_totals(intervals, weeks, day_start_hour)
    assert list(fast) == list(dict.fromkeys(weeks))


@settings(max_examples=100, deadline=None)
@given(intervals_strategy, st.integers(0, 60), st.integers(0, 20), st.integers(0, 23))
def test_daily_totals_are_the_slow_definition(intervals: list[Interval], first: int,
                                              days: int, day_start_hour: int) -> None:
    first_day = date(2026, 9, 28) + timedelta(days=first)
    last_day = first_day + timedelta(days=days)
    assert daily_totals(intervals, first_day, last_day, BERLIN, day_start_hour) == \
        slow_daily_totals(intervals, first_day, last_day, day_start_hour)


# --- a week in progress beside the same part of the week before --------------------------------


def test_a_week_in_progress_is_compared_with_the_same_days_of_the_week_before() -> None:
    wednesday_noon = local(2026, 11, 25, 12)  # 2026-W48 so far: Monday to Wednesday noon
    intervals = [
        iv(local(2026, 11, 16, 20), local(2026, 11, 16, 21)),  # W47 Monday: 1 h
        iv(local(2026, 11, 17, 20), local(2026, 11, 17, 21), "nomi"),  # W47 Tuesday: 1 h
        iv(local(2026, 11, 20, 20), local(2026, 11, 20, 21)),  # W47 Friday: after "so far"
        iv(local(2026, 11, 21, 20), local(2026, 11, 21, 21)),  # W47 Saturday
        iv(local(2026, 11, 23, 20), local(2026, 11, 23, 21)),  # W48 Monday: 1 h
        iv(local(2026, 11, 24, 20), local(2026, 11, 24, 21, 30)),  # W48 Tuesday: 1.5 h
    ]
    data = build(intervals, now=wednesday_noon)
    report = data.report
    assert not report.complete and report.change_same_part
    assert report.previous_week_s == 4 * H  # the whole week before, as it was
    assert report.change_s == 0.5 * H  # 2.5 h against 2 h by Wednesday noon a week earlier
    assert report.change_pct == pytest.approx(25.0)
    assert report.to_json()["change_against"] == "the same part of the week before"
    rows = {row.key: row.change_s for row in data.apps}
    assert rows == {"replika": 1.5 * H, "nomi": -1 * H}
    # Once the week is over, it is the whole week before again.
    done = build(intervals, now=AFTER_W48)
    assert not done.report.change_same_part
    assert done.report.change_s == 2.5 * H - 4 * H
    assert done.report.to_json()["change_against"] == "the week before"


def test_the_grid_s_quiet_time_is_to_the_minute_not_whole_hours() -> None:
    late = Goal(GoalKind.QUIET_HOURS, None, quiet_start=23 * 60 + 30, quiet_end=6 * 60)
    use = [iv(local(2026, 11, 24, 23), local(2026, 11, 25, 0)),  # 23:00-24:00: 30 min quiet
           iv(local(2026, 11, 25, 20), local(2026, 11, 25, 21), "nomi")]  # not quiet
    grid = hour_grid(iter(use), date(2026, 11, 23), BERLIN, 4, late)  # a one-pass iterable
    assert 23 in grid.quiet_hours  # the outlined cell is the whole hour...
    assert grid.quiet_s == 30 * MIN  # ...the time in quiet hours is the half inside them
    assert sum(map(sum, grid.seconds)) == 2 * H


# --- the tray's drift check: the dashboard's signal from weekly sums alone ----------------------


def weekly_evenings(hours: list[float], first_tuesday: datetime) -> list[Interval]:
    """`hours[k]` hours on the Tuesday evening of the k-th week after `first_tuesday` (none
    for 0), in pieces of at most an hour (as the tracker keeps them)."""
    out: list[Interval] = []
    for k, h in enumerate(hours):
        start = first_tuesday + timedelta(weeks=k)
        left = timedelta(hours=h)
        while left > timedelta(0):
            piece = min(left, timedelta(hours=1))
            out.append(iv(start, start + piece))
            start, left = start + piece, left - piece
    return out


WEDNESDAY_W48 = local(2026, 11, 25, 12)
HISTORIES = {
    "rising eight weeks": rising_weeks(),
    "three rising weeks after a flat month": weekly_evenings(
        [4, 1, 5, 2, 4, 1, 5, 2, 2, 3, 4, 6], local(2026, 9, 1, 19)),
    "a long break after the history began": [
        iv(local(2026, 5, 5, 20), local(2026, 5, 5, 21)), *rising_weeks()[4:]],
    "only three weeks of history": weekly_evenings([1, 3, 5], local(2026, 11, 3, 19)),
    "first use in this very week": [iv(local(2026, 11, 24, 19), local(2026, 11, 24, 20))],
    "no history at all": [],
    "falling weeks": weekly_evenings([8, 7, 6, 5, 4, 3, 2, 1], local(2026, 10, 6, 19)),
}


@pytest.mark.parametrize("name", sorted(HISTORIES))
@pytest.mark.parametrize("now", [local(2026, 11, 23, 4, 0), WEDNESDAY_W48,
                                 local(2026, 11, 30, 3, 59)])  # the week's first/last minute
def test_the_trays_drift_check_is_the_dashboards_without_reading_intervals(
        tmp_path: Path, name: str, now: datetime) -> None:
    from widget.services.dashboard import drift_of_week_in_progress

    lean = store_with(tmp_path, HISTORIES[name], "h")
    try:
        quick = drift_of_week_in_progress(lean, "2026-W48", now, BERLIN, 4)
        assert lean.asked == [], "no interval read"
        shown = load_dashboard(lean, "2026-W48", now, BERLIN, 4).report.drift
    finally:
        lean.close()
    assert quick == shown
    assert quick == slow_dashboard(HISTORIES[name], "2026-W48", now, goals=[],
                                   checkins=[]).report.drift


def test_the_histories_cover_a_signal_of_each_rule_and_none(tmp_path: Path) -> None:
    """The cases above would prove little if every one of them said None."""
    from widget.services.dashboard import drift_of_week_in_progress

    seen = set()
    for name, intervals in HISTORIES.items():
        lean = store_with(tmp_path, intervals, name.replace(" ", "-"))
        try:
            signal = drift_of_week_in_progress(lean, "2026-W48", WEDNESDAY_W48, BERLIN, 4)
        finally:
            lean.close()
        seen.add(None if signal is None else signal.rule)
    assert seen == {None, DriftRule.RISING_TREND, DriftRule.THREE_RISING_WEEKS}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0]), min_size=0,
                max_size=17),
       st.integers(0, 7 * 24 * 60 - 1))
def test_any_weekly_pattern_gives_the_dashboards_drift(tmp_path_factory: pytest.TempPathFactory,
                                                       hours: list[float], minute: int) -> None:
    from widget.services.dashboard import drift_of_week_in_progress

    # The weeks end with 2026-W48 (Tuesday evenings from W48 - len + 1 on); `now` anywhere in
    # W48 (its evening may lie after `now`).
    first_tuesday = local(2026, 11, 24, 19) - timedelta(weeks=max(len(hours) - 1, 0))
    now = week_window(date(2026, 11, 23), BERLIN, 4)[0] + timedelta(minutes=minute)
    lean = store_with(tmp_path_factory.mktemp("drift"),
                           weekly_evenings(hours, first_tuesday), "p")
    try:
        quick = drift_of_week_in_progress(lean, "2026-W48", now, BERLIN, 4)
        shown = load_dashboard(lean, "2026-W48", now, BERLIN, 4).report.drift
    finally:
        lean.close()
    assert quick == shown


@pytest.mark.parametrize("kind", STORES)
def test_a_week_not_in_progress_asks_the_dashboard(tmp_path: Path, kind: str) -> None:
    from widget.services.dashboard import drift_of_week_in_progress

    intervals = HISTORIES["rising eight weeks"]
    store = store_with(tmp_path, intervals, "done", kind)
    try:
        # W48 complete (AFTER_W48 is the Monday after): the week itself counts, rows are read.
        assert drift_of_week_in_progress(store, "2026-W48", AFTER_W48, BERLIN, 4) == \
            load_dashboard(store, "2026-W48", AFTER_W48, BERLIN, 4).report.drift
        assert store.asked != []
        store.asked = []
        signal = drift_of_week_in_progress(store, "2026-W48", WEDNESDAY_W48, BERLIN, 4)
        assert store.asked == []
    finally:
        store.close()
    slow = slow_dashboard(intervals, "2026-W48", WEDNESDAY_W48, goals=[], checkins=[])
    assert signal == slow.report.drift
    assert signal is not None and signal.rule is DriftRule.RISING_TREND


@pytest.mark.parametrize("hour", [0, 4, 6])
def test_across_the_clock_changes_and_day_starts_the_drift_is_the_dashboards(
        tmp_path: Path, hour: int) -> None:
    """Weeks whose Sunday nights move the clocks (2026-W13 and W43 in Berlin), with the day
    starting at midnight, 04:00 or 06:00, and evenings late enough to cross into the next day;
    `now` at the very start of W44, just after the autumn change."""
    from widget.services.dashboard import drift_of_week_in_progress

    sunday_late = local(2026, 3, 1, 23, 30)  # Sunday of 2026-W09, half an hour before midnight
    hours = [1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 4, 5, 6, 1, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15,
             16, 17, 18, 19, 20, 21, 22, 23, 24, 25]
    lean = store_with(tmp_path, weekly_evenings(hours, sunday_late), f"dst{hour}")
    monday = date(2026, 10, 26)  # 2026-W44: the clocks went back in the night before
    for now in (week_window(monday, BERLIN, hour)[0], local(2026, 10, 28, 12),
                week_window(monday, BERLIN, hour)[1] - timedelta(seconds=1)):
        try:
            quick = drift_of_week_in_progress(lean, "2026-W44", now, BERLIN, hour)
            shown = load_dashboard(lean, "2026-W44", now, BERLIN, hour).report.drift
        except Exception:
            lean.close()
            raise
        assert quick == shown, (hour, now)
        assert quick is not None  # a rising trend: the comparison is not of two Nones
    lean.close()

