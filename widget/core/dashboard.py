"""The dashboard's numbers for one shown ISO week: pure data that the dashboard window
(`widget.ui.dashboard.window`) draws.

`dashboard_data` turns the intervals of sixteen weeks (the twelve shown, ending at the shown
week, and the four before them that the first shown weeks' usual week needs) into a
`DashboardData`: the week's `WeekReport`, the twelve weekly totals with a rolling usual week
and its band, the Theil-Sen trend line and the weeks the drift signal marks, an hour-by-weekday
grid, the check-ins of those weeks and a row per app. `driftcheck report` prints the same
`WeekReport` (both go through `widget.services.dashboard.load_dashboard`).

Weeks before the person's history began are None, never a zero: a week nobody tracked is not
a week of no use, and a baseline or a trend drawn through invented zeros would mislead.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from widget.core.calendar import iso_week, local_day, week_monday, week_window
from widget.core.checkin import Checkin
from widget.core.days import seconds_covered
from widget.core.format import about, duration
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.core.report import (
    WeekReport,
    clipped,
    quiet_share,
    wall_time,
    week_report,
    weekly_totals,
)
from widget.core.trend import (
    ALPHA,
    BASELINE_WEEKS,
    MIN_WEEKS,
    RISE_MIN_S,
    RISE_SHARE,
    TREND_WEEKS,
    DriftRule,
    DriftSignal,
    _compared,
    theil_sen,
)

SHOWN_WEEKS = 12
FETCH_WEEKS = SHOWN_WEEKS + BASELINE_WEEKS  # what a loader reads: the 12 and the 4 before
# Which computers a dashboard counts (issue 16): all of them together, this one alone, or
# another one alone (by its device id).
ALL_COMPUTERS = "all"
THIS_COMPUTER = "this"


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One of the twelve weeks on the trend chart."""

    week: str  # "2026-W48"
    total_s: float | None  # None: before the history began (never a fake zero)
    complete: bool  # False for the week in progress
    baseline_s: float | None  # mean of the four complete weeks before it; None with fewer
    band: tuple[float, float] | None  # `usual_band(baseline_s)`
    drift: bool  # one of the weeks the drift signal points at


@dataclass(frozen=True, slots=True)
class TrendLine:
    """The Theil-Sen line over the weeks the drift signal looked at."""

    weeks: tuple[str, ...]  # complete weeks, oldest first
    slope_s_per_week: float
    intercept_s: float  # the line's value at weeks[0]

    def value_at(self, index: int) -> float:
        """The line at weeks[index] (seconds)."""
        return self.intercept_s + self.slope_s_per_week * index


@dataclass(frozen=True, slots=True)
class HourGrid:
    """Use by local day (rows, Monday first) and local clock hour (columns 0..23).

    A row is one of the week's local days, so with a 04:00 day start the hours 0-3 of a row
    are the small hours after that evening. The repeated autumn hour counts in its one cell,
    twice as long; the skipped spring hour is in `missing`.
    """

    days: tuple[date, ...]  # the seven local days
    seconds: tuple[tuple[float, ...], ...]  # [day][clock hour]
    quiet_hours: frozenset[int]  # clock hours that touch the quiet hours
    missing: frozenset[tuple[int, int]]  # (day, hour) cells the clock skipped
    day_start_hour: int
    quiet_s: float = 0.0  # use inside the quiet hours to the minute (the cells are whole hours)

    @property
    def hour_order(self) -> tuple[int, ...]:
        """Clock hours in the order of a local day: from the day start round to it."""
        return tuple((self.day_start_hour + k) % 24 for k in range(24))

    @property
    def busiest(self) -> float:
        return max((s for row in self.seconds for s in row), default=0.0)


@dataclass(frozen=True, slots=True)
class CheckinPoint:
    """A self-check answer placed in its week."""

    at: datetime  # when it was answered (asked, for a skip); aware UTC
    week: str  # the ISO week of its local day
    answer: int | None  # 1..5, 0 = not sure, None = skipped
    week_seconds: int | None  # the week's tracked time when answered


@dataclass(frozen=True, slots=True)
class WeekAppRow:
    """One app in the week's table."""

    key: str
    name: str
    seconds: float
    share: float  # of the week's total, 0..1
    change_s: float | None  # against the week before; None when it lies before the history
    daily_average_s: float  # over the days of the week so far


@dataclass(frozen=True, slots=True)
class ComputerRow:
    """One of the person's computers in the shown week, while they share their time."""

    key: str  # THIS_COMPUTER, or the other computer's device id
    name: str  # "This computer (Laptop)", or the other computer's shared name
    seconds: float  # what that computer alone recorded in the week (up to now)


@dataclass(frozen=True, slots=True)
class DashboardData:
    report: WeekReport
    current_week: str  # the week of `now`: navigation stops there
    first_week: str | None  # the week the history began; None without any history
    weeks: tuple[WeekPoint, ...]  # the twelve ending at the shown week, oldest first
    trend: TrendLine | None  # None with fewer than four complete weeks
    grid: HourGrid
    checkins: tuple[CheckinPoint, ...]
    apps: tuple[WeekAppRow, ...]
    days_so_far: int = 7  # the days of the shown week that have begun (7 once it is over)
    apps_tracked: bool = True  # False: no app is chosen, so nothing can be counted yet
    weekly_goal_s: float | None = None  # the all-apps weekly goal, drawn on the twelve weeks
    # Each computer's own time in the shown week, this one first; empty unless the person
    # shares their time with at least one other computer (then the dashboard looks as before).
    computers: tuple[ComputerRow, ...] = ()
    computer: str = ALL_COMPUTERS  # whose figures these are: a ComputerRow's key, or all

    @property
    def week(self) -> str:
        return self.report.week

    @property
    def empty(self) -> bool:
        """No history at all: nothing has been tracked yet."""
        return self.first_week is None

    @property
    def drift_weeks(self) -> tuple[str, ...]:
        return tuple(p.week for p in self.weeks if p.drift)

    @property
    def is_current(self) -> bool:
        """The shown week is the one in progress (else it is a past week: "That week")."""
        return self.week == self.current_week

    @property
    def days_used(self) -> int:
        """The days of the week so far that had any use."""
        days = list(self.report.per_day.values())[:self.days_so_far]
        return sum(1 for apps in days if sum(apps.values()) > 0)


def usual_band(baseline_s: float) -> tuple[float, float]:
    """The band drawn over the usual week: from the baseline up to max(baseline * 1.25,
    baseline + 30 min), the margin rule (b) uses. A week above the band was well above the
    four weeks just before it (rule (b) compares three rising weeks with the four before
    *them*, so the band is a guide to it, not the rule itself); a week below the baseline is
    simply a lighter week."""
    return baseline_s, max(baseline_s * (1 + RISE_SHARE), baseline_s + RISE_MIN_S)


def shift_week(week: str, weeks: int) -> str:
    """The ISO week `weeks` after (or before, when negative) `week`."""
    return iso_week(week_monday(week) + timedelta(weeks=weeks))


def first_week_of(first_use: datetime | None, tz: tzinfo, day_start_hour: int) -> str | None:
    """The ISO week the history began in (None: no history)."""
    return None if first_use is None else iso_week(local_day(first_use, tz, day_start_hour))


def known_totals(totals: Mapping[str, float], weeks: Sequence[str], first_use: datetime | None,
                 tz: tzinfo, day_start_hour: int) -> dict[str, float | None]:
    """The totals of ISO `weeks` (a week missing from `totals` had no use: 0.0), with None for
    the weeks before the one of `first_use`: before the history began, never a fake zero."""
    first_week = first_week_of(first_use, tz, day_start_hour)
    return {key: None if first_week is None or week_monday(key) < week_monday(first_week)
            else float(totals.get(key, 0.0)) for key in weeks}


def dashboard_data(intervals: Iterable[Interval], week: str, now: datetime, tz: tzinfo,
                   day_start_hour: int, *, goals: Sequence[Goal], names: Mapping[str, str],
                   checkins: Iterable[Checkin], first_use: datetime | None,
                   week_totals: Mapping[str, float] | None = None,
                   week_before: tuple[Mapping[str, float], float] | None = None,
                   apps_tracked: bool = True) -> DashboardData:
    """Everything the dashboard shows for ISO `week`, as of `now` (aware).

    `intervals` should cover the `FETCH_WEEKS` weeks ending at `week` (more is ignored; their
    weekly totals are then summed as one computer's store sums them, so intervals of several
    computers need `week_totals`, each moment once: `widget.sync.reader`), or
    only the shown week and the one before when `week_totals` gives every one of those weeks'
    totals up to `now` (a store's rollup), or only the shown week when `week_before` gives
    the seconds of each app and of all apps together (each moment once) in the part of the
    week before it is set beside (`same_part_before`). `first_use` is when the earliest
    stored interval began (None: no history). Time after `now` is not counted.
    `apps_tracked` is False when no app is chosen (the empty dashboard then offers to choose
    some).
    """
    monday = week_monday(week)
    all_weeks = [iso_week(monday - timedelta(weeks=k)) for k in range(FETCH_WEEKS - 1, -1, -1)]
    range_start, _ = week_window(week_monday(all_weeks[0]), tz, day_start_hour)
    _, range_end = week_window(monday, tz, day_start_hour)
    cut = max(range_start, min(range_end, now))
    parts = sorted(clipped(intervals, range_start, cut), key=lambda iv: iv.start)
    longest = max((iv.end - iv.start for iv in parts), default=timedelta(0))
    starts = [iv.start for iv in parts]

    def overlapping(lo: datetime, hi: datetime) -> list[Interval]:
        """The parts that may share time with [lo, hi): found by their starts alone."""
        return parts[bisect_left(starts, lo - longest):bisect_left(starts, hi)]

    totals = known_totals(
        weekly_totals(parts, all_weeks, tz, day_start_hour) if week_totals is None
        else week_totals, all_weeks, first_use, tz, day_start_hour)
    first_week = first_week_of(first_use, tz, day_start_hour)
    history = {k: t for k, t in totals.items() if t is not None and k != all_weeks[-1]}
    week_start, week_end = week_window(monday, tz, day_start_hour)
    shown = clipped(overlapping(week_start, week_end), week_start, week_end)
    # the week's time each moment once, worked out once for the report and the hour grid
    wall = wall_time(shown)
    report = week_report(shown, week, history, goals, names, tz, day_start_hour, now=now,
                         wall=wall)
    if totals[all_weeks[-1]] is not None:
        totals[all_weeks[-1]] = report.total_s  # the very number the header shows

    points = _week_points(all_weeks, totals, report, now, tz, day_start_hour)
    trend = _trend_line(report)
    previous_start, previous_cut = same_part_before(week, now, tz, day_start_hour)
    previous: Mapping[str, float] | None = None
    before: float | None = None
    if totals[all_weeks[-2]] is not None:
        if week_before is not None:
            previous, before = week_before
        else:
            parts_before = overlapping(previous_start, previous_cut)
            previous = _per_app(parts_before, previous_start, previous_cut)
            # all apps together count each moment once, as the week's total does (two
            # computers with different apps in front at once: issue 16)
            before = seconds_covered(parts_before, previous_start, previous_cut)
    if not report.complete:
        report = _against_same_part(report, before)
    today = local_day(now, tz, day_start_hour)
    days_so_far = 7 if report.complete else max(1, min(7, (today - monday).days + 1))
    shown_from = all_weeks[FETCH_WEEKS - SHOWN_WEEKS]
    return DashboardData(
        report=report,
        current_week=iso_week(today),
        first_week=first_week,
        weeks=points,
        trend=trend,
        grid=hour_grid(shown if wall is None else wall, monday, tz, day_start_hour,
                       _quiet_goal(goals)),
        checkins=tuple(placed_checkins(checkins, shown_from, week, tz, day_start_hour)),
        apps=tuple(app_rows(report, previous, days_so_far, names)),
        days_so_far=days_so_far,
        apps_tracked=apps_tracked,
        weekly_goal_s=weekly_goal_of(goals),
    )


def same_part_before(week: str, now: datetime, tz: tzinfo, day_start_hour: int
                     ) -> tuple[datetime, datetime]:
    """The part of the week before ISO `week` that the week is set beside: the whole week
    before once `week` is complete; while it is in progress, up to the same local moment a
    week earlier (never a whole week, which would always read as less)."""
    monday = week_monday(week)
    previous_start, _ = week_window(monday - timedelta(weeks=1), tz, day_start_hour)
    start, end = week_window(monday, tz, day_start_hour)
    if now >= end:
        return previous_start, start
    return previous_start, max(previous_start, min(
        start, (now.astimezone(tz) - timedelta(days=7)).astimezone(UTC)))


def weekly_goal_of(goals: Sequence[Goal]) -> float | None:
    """The all-apps weekly goal in seconds (None without one)."""
    goal = next((g for g in goals if g.kind is GoalKind.WEEKLY and g.app is None), None)
    return None if goal is None or not goal.limit_seconds else float(goal.limit_seconds)


def _against_same_part(report: WeekReport, before: float | None) -> WeekReport:
    """The week in progress compared with the same part of the week before (`before`: its
    seconds, None before the history began)."""
    if before is None:
        return replace(report, change_s=None, change_pct=None, change_same_part=True)
    change = report.total_s - before
    return replace(report, change_s=change, change_pct=100 * change / before if before else None,
                   change_same_part=True)


def _week_points(all_weeks: Sequence[str], totals: Mapping[str, float | None],
                 report: WeekReport, now: datetime, tz: tzinfo,
                 day_start_hour: int) -> tuple[WeekPoint, ...]:
    marked = set(drift_marked_weeks(report))
    points = []
    for index in range(FETCH_WEEKS - SHOWN_WEEKS, FETCH_WEEKS):
        key = all_weeks[index]
        before = [totals[k] for k in all_weeks[index - BASELINE_WEEKS:index]]
        base = None if None in before else sum(t or 0.0 for t in before) / BASELINE_WEEKS
        _, end = week_window(week_monday(key), tz, day_start_hour)
        points.append(WeekPoint(key, totals[key], now >= end, base,
                                None if base is None else usual_band(base), key in marked))
    return tuple(points)


def trend_week_keys(report: WeekReport) -> tuple[str, ...]:
    """The ISO weeks of `report.trend_weeks`: ending with the shown week when it is complete,
    with the week before while it is in progress."""
    last = report.week if report.complete else shift_week(report.week, -1)
    count = len(report.trend_weeks)
    return tuple(shift_week(last, k - count + 1) for k in range(count))


def drift_marked_weeks(report: WeekReport) -> tuple[str, ...]:
    """The weeks the drift signal points at, the very weeks its words speak of: for a rising
    trend (rule a), the last weeks that each went up, with the one they rose from ("gone up
    five weeks in a row, from about 3 h to 6 h": six weeks), or every week of the trend when
    it rose less neatly ("mostly gone up over the last eight weeks"); the three rising weeks
    (rule b); none without a signal."""
    if report.drift is None:
        return ()
    keys = trend_week_keys(report)
    if report.drift.rule is DriftRule.RISING_TREND:
        run = rising_run(report.trend_weeks[-TREND_WEEKS:])
        return keys[-(run + 1):] if run >= 2 else keys
    return keys[-3:]


def _trend_line(report: WeekReport) -> TrendLine | None:
    if len(report.trend_weeks) < MIN_WEEKS:
        return None  # no line through too few weeks: it would suggest a trend that is not there
    slope, intercept = theil_sen(report.trend_weeks)
    return TrendLine(trend_week_keys(report), slope, intercept)


def _per_app(parts: Iterable[Interval], start: datetime, end: datetime) -> dict[str, float]:
    totals: dict[str, float] = {}
    for iv in parts:
        lo, hi = max(iv.start, start), min(iv.end, end)
        if hi > lo:
            totals[iv.app] = totals.get(iv.app, 0.0) + (hi - lo).total_seconds()
    return totals


def app_rows(report: WeekReport, previous: Mapping[str, float] | None, days_so_far: int,
             names: Mapping[str, str]) -> list[WeekAppRow]:
    """A row for each app used this week or the week before: most used this week first."""
    keys = list(report.per_app)
    if previous is not None:
        keys += sorted((k for k in previous if k not in report.per_app),
                       key=lambda k: (-previous[k], k))
    rows = []
    for key in keys:
        seconds = report.per_app.get(key, 0.0)
        rows.append(WeekAppRow(
            key=key,
            name=names.get(key, key),
            seconds=seconds,
            share=seconds / report.total_s if report.total_s > 0 else 0.0,
            change_s=None if previous is None else seconds - previous.get(key, 0.0),
            daily_average_s=seconds / days_so_far))
    return rows


def placed_checkins(checkins: Iterable[Checkin], first_week: str, last_week: str, tz: tzinfo,
                    day_start_hour: int) -> list[CheckinPoint]:
    """The check-ins of the weeks from `first_week` to `last_week`, in their weeks, oldest
    first."""
    start, _ = week_window(week_monday(first_week), tz, day_start_hour)
    _, end = week_window(week_monday(last_week), tz, day_start_hour)
    placed = []
    for checkin in checkins:
        at = checkin.answered or checkin.asked
        if start <= at < end:
            placed.append(CheckinPoint(at, iso_week(local_day(at, tz, day_start_hour)),
                                       checkin.answer, checkin.week_seconds))
    return sorted(placed, key=lambda c: c.at)


# --- the hour-by-weekday grid ----------------------------------------------------------------


def _quiet_goal(goals: Sequence[Goal]) -> Goal | None:
    """The all-apps quiet hours, else the first app's (as the week report chooses)."""
    quiet = [g for g in goals if g.kind is GoalKind.QUIET_HOURS]
    return next((g for g in quiet if g.app is None), quiet[0] if quiet else None)


def _hour_starts(monday: date, tz: tzinfo, day_start_hour: int
                 ) -> tuple[list[datetime], list[tuple[int, int]]]:
    """Every instant (UTC, ascending) at which a local clock hour of the week first begins,
    with its (day row, clock hour). A repeated autumn hour simply lasts until the next hour
    begins (two real hours in one cell); a skipped spring hour never begins (its wall time
    does not come back from UTC unchanged), so it has no cell."""
    found: dict[datetime, tuple[int, int]] = {}
    for offset in range(8):
        day = monday + timedelta(days=offset)
        for hour in range(24):
            row = offset if hour >= day_start_hour else offset - 1
            if not 0 <= row < 7:
                continue
            at = datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)
            back = at.astimezone(tz)
            if back.date() == day and back.hour == hour:
                found[at] = (row, hour)
    ordered = sorted(found)
    return ordered, [found[at] for at in ordered]


def hour_grid(intervals: Iterable[Interval], monday: date, tz: tzinfo, day_start_hour: int,
              quiet_goal: Goal | None = None) -> HourGrid:
    """Seconds of use in each local clock hour of each local day of the week of `monday`,
    cut at every hour the local clock shows (through the zone, so DST days are right)."""
    start, end = week_window(monday, tz, day_start_hour)
    starts, cells = _hour_starts(monday, tz, day_start_hour)
    grid = [[0.0] * 24 for _ in range(7)]
    inside = clipped(intervals, start, end)
    # every app together, each moment once (two computers with different apps at once)
    inside = wall_time(inside) or inside
    for part in inside:
        at, index = part.start, max(0, bisect_right(starts, part.start) - 1)
        while at < part.end:
            cell_end = starts[index + 1] if index + 1 < len(starts) else end
            upto = min(part.end, cell_end)
            row, hour = cells[index]
            grid[row][hour] += (upto - at).total_seconds()
            at, index = upto, index + 1
    present = set(cells)
    quiet = frozenset(h for h in range(24) if quiet_goal is not None
                      and any(quiet_goal.in_quiet_hours(h * 60 + m) for m in range(60)))
    quiet_s = 0.0
    if quiet_goal is not None:  # every app's time, as the grid shows every app
        every_app = replace(quiet_goal, app=None)
        used = sum(part.seconds for part in inside)
        quiet_s = quiet_share(inside, every_app, (start, end), tz) * used
    return HourGrid(
        days=tuple(monday + timedelta(days=k) for k in range(7)),
        seconds=tuple(tuple(row) for row in grid),
        quiet_hours=quiet,
        missing=frozenset((r, h) for r in range(7) for h in range(24) if (r, h) not in present),
        day_start_hour=day_start_hour,
        quiet_s=quiet_s)


# --- words -----------------------------------------------------------------------------------

USUAL_RANGE = "usual range"  # the one name of the shaded range, on the chart and in words
NO_BASELINE = "After four weeks your usual range appears here."
_NUMBERS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight")
DRIFT_CLOSING = ("It is a pattern in the numbers, not a verdict: only you can say whether this "
                 "time is adding to your life.")
HOW_WORKED_OUT = "How is this worked out?"


def _count(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def usual_range_in_words() -> str:
    """What the shaded usual range means, in one plain sentence."""
    return (f"The shaded {USUAL_RANGE} starts at your usual week (the average of the four "
            f"complete weeks before it) and reaches {round(RISE_SHARE * 100)}% above it, "
            f"at least {duration(RISE_MIN_S)} more.")


def rising_run(weeks: Sequence[float]) -> int:
    """How many of the last weeks each rose over the one before (0: the last did not)."""
    run = 0
    for k in range(len(weeks) - 1, 0, -1):
        if weeks[k] <= weeks[k - 1]:
            break
        run += 1
    return run


def drift_in_words(signal: DriftSignal | None, weeks: Sequence[float]) -> str:
    """The drift, as a person would say it: what the weeks did and roughly by how much, and
    what it does not mean; or, without a drift, that nothing is climbing (or why it cannot
    say yet). `weeks` are the complete weeks the signal looked at, oldest first. No
    statistics words: those are in `how_worked_out`."""
    complete_weeks = len(weeks)
    if signal is None:
        if complete_weeks < MIN_WEEKS:
            so_far = ("the first one is still under way" if complete_weeks == 0 else
                      f"so far there {'is' if complete_weeks == 1 else 'are'} "
                      f"{_count(complete_weeks)}")
            return (f"Once there are {_count(MIN_WEEKS)} complete weeks, this says whether "
                    f"your weekly time is climbing; {so_far}. Until then it stays quiet "
                    "rather than guess.")
        return ("Your weekly time is not climbing: the last weeks go up and down as weeks "
                "do.")
    return f"{drift_seen(signal, weeks)} {DRIFT_CLOSING}"


def drift_seen(signal: DriftSignal, weeks: Sequence[float]) -> str:
    """What the weeks of a drift did, in one plain sentence ('Your weekly time has gone up
    six weeks in a row, from about 3 h to 6 h.'): the dashboard's words and `driftcheck
    report`'s Drift line. The numbers behind it are in `report --json` only."""
    if signal.rule is DriftRule.RISING_TREND:
        window = list(weeks[-TREND_WEEKS:])
        run = rising_run(window)
        if run >= 2:
            first = window[-run - 1]
            return (f"Your weekly time has gone up {_count(run)} weeks in a row, from about "
                    f"{about(first)} to {about(window[-1])}.")
        slope, intercept = theil_sen(window)
        start, end = intercept, intercept + slope * (len(window) - 1)
        return (f"Your weekly time has mostly gone up over the last "
                f"{_count(len(window))} weeks, from about {about(start)} to about "
                f"{about(end)}.")
    seen = ("Each of the last three weeks was more than the one before; the last, about "
            f"{about(signal.last_week_s)}, ")
    if signal.baseline_s and signal.change_pct is not None:
        return seen + (f"was about {round(signal.change_pct)}% more than your usual week of "
                       f"about {about(signal.baseline_s)}.")
    return seen + "was well above your usual weeks."


def week_caption(data: DashboardData) -> str:
    """What stands beside the week's total, said once: 'so far this week, with use on 2 of
    its 4 days' (the days that had use, never the days that have passed as if they had), or
    'that week, with use on 5 of its 7 days' for a past week."""
    if data.is_current and not data.report.complete:
        used, of = data.days_used, data.days_so_far
        if of == 1:
            return "so far today, the first day of this week"
        return f"so far this week, with use on {_count(used)} of its {_count(of)} days"
    used = data.days_used
    return f"that week, with use on {_count(used)} of its seven days"


def week_comparison(data: DashboardData) -> str:
    """The week beside a usual week, in one sentence that does not repeat its total (it
    stands just above): a week in progress is set beside a usual *whole* week, never called
    less than usual, which part of a week always would be."""
    report = data.report
    base = report.baseline_s
    if base is None:
        return "After four complete weeks there will be a usual week to compare with."
    if not report.complete:
        if base < 60:
            return "Your usual weeks had almost no use."
        return f"A usual whole week is about {about(base)}."
    if base < 60:
        return ("About the same as your usual weeks, which had almost none."
                if report.total_s < 60 else "More than your usual weeks, which had almost none.")
    compared = _compared(report.total_s, base)
    return f"{compared[0].upper()}{compared[1:]}."


def computers_in_words(data: DashboardData) -> str:
    """Whose time the figures are, in a sentence or two ('' when not sharing with another
    computer): all computers with shared time counted once (docs/SYNC.md, "Merging"), or one
    computer alone."""
    if not data.computers:
        return ""
    if data.computer == ALL_COMPUTERS:
        week = "This week's" if data.is_current else "That week's"
        return (f"{week} figures count all your computers together. Time on two of them at "
                "once counts once in the total, so the computers' own times, and the apps', "
                "can add up to more than it.")
    row = next((r for r in data.computers if r.key == data.computer), None)
    if row is None:
        return ""
    if row.key == THIS_COMPUTER:
        return ("These figures are this computer's alone; the time on your other computers "
                "is left out.")
    return (f"These figures are {row.name}'s alone, as it recorded them; the time on your "
            "other computers is left out.")


def how_worked_out() -> str:
    """The method behind the drift words and the usual range, for the one click away (and
    the README). Here the statistics may be named."""
    pct = round(RISE_SHARE * 100)
    return (
        "Only complete weeks count: the week in progress is left out, because part of a "
        "week would always look like a fall.\n\n"
        f"Your usual week is the average of the four complete weeks before a week. The "
        f"{USUAL_RANGE} on the chart runs from it to {pct}% above it, and at least "
        f"{duration(RISE_MIN_S)} above it.\n\n"
        f"A drift is said in either of two cases. First, the last {_count(TREND_WEEKS)} "
        "complete weeks (or as many as there are, from four) rise steadily: a Mann-Kendall "
        "test finds weeks this well ordered would come about by chance less than 1 time in "
        f"20 (p < {ALPHA}), and the Theil-Sen slope, a line that one unusual week cannot drag "
        "around, goes up. Second, each of the last three weeks rose over the one before and "
        f"the last is at least {pct}% and {duration(RISE_MIN_S)} above the usual week of "
        "the four weeks before those three.\n\n"
        "The dashed trend line on the chart is that Theil-Sen line, and the triangles mark "
        "the weeks the words speak of: the run of weeks that each went up and the week it "
        "rose from, or every week of the rise when it was less even. Weeks before your "
        "history began are left out, never counted as zero. Everything is worked out on "
        "this device.")
