"""The numbers of a week: daily and weekly totals, sessions, quiet hours, goals and the trend.

Everything here is a plain function of stored intervals (aware UTC) and the person's settings;
the dashboard and `driftcheck report` draw what `week_report` computed. Local days and ISO
weeks come from `widget.core.days` and `widget.core.usage`, so days of 23 or 25 hours around
daylight-saving changes are measured through the time zone, never as 24 hours.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from types import EllipsisType
from typing import Any

from widget.core.calendar import day_window, iso_week, week_monday, week_window
from widget.core.goals import Goal, GoalKind
from widget.core.intervals import clip
from widget.core.model import Interval
from widget.core.trend import (
    BASELINE_WEEKS,
    TREND_WEEKS,
    DriftSignal,
    baseline,
    drift_signal,
    median,
    week_in_words,
)
from widget.core.usage import Session, sessions_of


def _shift_week(week: str, weeks: int) -> str:
    return iso_week(week_monday(week) + timedelta(weeks=weeks))


# --- totals ----------------------------------------------------------------------------------


def clipped(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of `intervals` inside [start, end), in their order. Those wholly inside are
    kept as they are (nearly all of them: copying each would be most of a report's time)."""
    parts = []
    for iv in intervals:
        if start <= iv.start and iv.end <= end:
            if iv.start < iv.end:
                parts.append(iv)
        elif (part := clip(iv, start, end)) is not None:
            parts.append(part)
    return parts


def wall_time(parts: Sequence[Interval]) -> list[Interval] | None:
    """The time covered by any of `parts`, each moment once, as intervals of no app (key "")
    in time order; None when no two parts share a moment, as on one computer, where the
    parts are already that.

    Across computers (`widget.sync.reader`) each app's intervals are its union, so different
    apps in front on two computers at the same moment overlap: all apps together count that
    moment once (widget.sync.merge's rule), while each app counts it for itself."""
    previous_start: datetime | None = None
    reach: datetime | None = None
    for iv in parts:
        if previous_start is not None and iv.start < previous_start:
            break  # not in time order: sorted below
        if reach is not None and iv.start < reach:
            break  # two parts share a moment
        previous_start = iv.start
        reach = iv.end if reach is None else max(reach, iv.end)
    else:
        return None
    spans = sorted((iv.start, iv.end) for iv in parts if iv.end > iv.start)
    merged: list[Interval] = []
    lo: datetime | None = None
    hi: datetime | None = None
    overlapped = False
    for s, e in spans:
        if hi is not None and s < hi:
            overlapped = True
            hi = max(hi, e)
            continue
        if lo is not None and hi is not None:
            merged.append(Interval("", lo, hi))
        lo, hi = s, e
    if lo is not None and hi is not None:
        merged.append(Interval("", lo, hi))
    return merged if overlapped else None


def daily_totals(intervals: Iterable[Interval], first_day: date, last_day: date, tz: tzinfo,
                 day_start_hour: int) -> dict[date, dict[str, float]]:
    """Seconds per app for each local day from `first_day` to `last_day` inclusive.

    Every day in the range is present (an unused day as {}). The days' windows are computed
    once through the time zone; each interval finds its first day by bisection and costs the
    days it touches, not the whole range.
    """
    totals: dict[date, dict[str, float]] = {}
    windows: list[tuple[datetime, datetime, date]] = []
    day = first_day
    while day <= last_day:
        totals[day] = {}
        windows.append((*day_window(day, tz, day_start_hour), day))
        day += timedelta(days=1)
    starts = [start for start, _, _ in windows]
    for interval in intervals:
        index = max(0, bisect_right(starts, interval.start) - 1)
        while index < len(windows) and windows[index][0] < interval.end:
            start, end, day = windows[index]
            lo, hi = max(interval.start, start), min(interval.end, end)
            if hi > lo:
                by_app = totals[day]
                by_app[interval.app] = by_app.get(interval.app, 0.0) + (hi - lo).total_seconds()
            index += 1
    return totals


def weekly_totals(intervals: Iterable[Interval], weeks: Sequence[str], tz: tzinfo,
                  day_start_hour: int) -> dict[str, float]:
    """Seconds of all apps together in each ISO week ("2026-W48"), Monday's day start to the
    next Monday's (167 or 169 hours around daylight-saving changes).

    Week windows never overlap, so with them sorted by start each interval finds its first
    week by bisection and walks on only through the weeks it touches: two years of dense
    history costs one pass, not one pass per week. Each week adds its pieces in the order of
    `intervals`, so the sums are the same floats as clipping every interval against every week.
    """
    windows = {week: week_window(week_monday(week), tz, day_start_hour) for week in weeks}
    totals = dict.fromkeys(windows, 0.0)
    ordered = sorted((start, end, week) for week, (start, end) in windows.items())
    starts = [start for start, _, _ in ordered]
    count, first = len(ordered), 0
    for interval in intervals:
        lo, hi = interval.start, interval.end
        if hi <= lo:
            continue
        if not (first < count and ordered[first][0] <= lo < ordered[first][1]):
            first = max(0, bisect_right(starts, lo) - 1)  # sorted input rarely gets here
        index = first
        while index < count:
            start, end, week = ordered[index]
            if start >= hi:
                break
            if start <= lo and hi <= end:  # the usual case: inside one week
                totals[week] += (hi - lo).total_seconds()
                break
            part_lo, part_hi = max(lo, start), min(hi, end)
            if part_hi > part_lo:
                totals[week] += (part_hi - part_lo).total_seconds()
            index += 1
    return totals


# --- sessions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionStats:
    count: int
    median_s: float  # 0.0 without sessions
    longest_s: float


def session_stats(sessions: Sequence[Session]) -> SessionStats:
    """How many sessions, and their median and longest length: the time counted in each
    (SESSION_RULE), so the longest is never more than the week's total."""
    lengths = [session.seconds for session in sessions]
    if not lengths:
        return SessionStats(0, 0.0, 0.0)
    return SessionStats(len(lengths), float(median(lengths)), max(lengths))


# --- quiet hours -----------------------------------------------------------------------------


def _offset_changes(day: date, tz: tzinfo) -> list[datetime]:
    """The instants (UTC, to the second) in local calendar day `day` where the zone's UTC
    offset changes; at most one in real zones, found by halving."""
    lo = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    if lo.astimezone(tz).utcoffset() == hi.astimezone(tz).utcoffset():
        return []
    before = lo.astimezone(tz).utcoffset()
    # Whole seconds: zones change offset on a whole second, so the answer is exact.
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == before:
            lo_s = mid
        else:
            hi_s = mid
    return [datetime.fromtimestamp(hi_s, UTC)]


def _wall_instants(day: date, minute: int, tz: tzinfo) -> list[datetime]:
    """Every UTC instant at which local clock time `minute` (after midnight) of `day` is
    reached: two in a repeated autumn hour, one otherwise (fold=0 and fold=1 agree); a time
    skipped in spring gives instants that only split harmlessly."""
    wall = datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=minute)
    return [wall.replace(fold=0).astimezone(UTC), wall.replace(fold=1).astimezone(UTC)]


def quiet_share(intervals: Iterable[Interval], goal: Goal,
                window: tuple[datetime, datetime], tz: tzinfo) -> float:
    """Share (0..1) of the use inside `window` that fell in `goal`'s quiet hours.

    Only `goal.app`'s intervals count when the goal names an app. Use is cut at every local
    midnight, quiet start and end, and offset change of the local calendar days the window
    touches; each piece then has one local clock reading kind, judged by
    `Goal.in_quiet_hours` at its start. No use in the window gives 0.0.
    """
    if goal.kind is not GoalKind.QUIET_HOURS or goal.quiet_start is None \
            or goal.quiet_end is None:
        raise ValueError("quiet_share needs a quiet-hours goal")
    start, end = window
    parts = clipped((iv for iv in intervals if goal.app is None or iv.app == goal.app),
                    start, end)
    used = sum(p.seconds for p in parts)
    if used <= 0:
        return 0.0
    cuts: set[datetime] = set()
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for minute in (0, goal.quiet_start, goal.quiet_end):
            cuts.update(_wall_instants(day, minute, tz))
        cuts.update(_offset_changes(day, tz))
        day += timedelta(days=1)
    ordered = sorted(c for c in cuts if start < c < end)
    quiet = 0.0
    for part in parts:
        inside = ordered[bisect_right(ordered, part.start):bisect_left(ordered, part.end)]
        edges = [part.start, *inside, part.end]
        for lo, hi in pairwise(edges):
            local = lo.astimezone(tz)
            if goal.in_quiet_hours(local.hour * 60 + local.minute):
                quiet += (hi - lo).total_seconds()
    return min(1.0, quiet / used)


# --- goals -----------------------------------------------------------------------------------


def days_over_goal(daily: Mapping[date, float], limit_s: float) -> int:
    """How many days went past the daily limit (a day exactly at it is within)."""
    return sum(1 for seconds in daily.values() if seconds > limit_s)


def streak_within_goal(daily: Mapping[date, float], limit_s: float, today: date) -> int:
    """Consecutive days up to and including `today` at or under the limit.

    A day missing between the first known day and `today` had no use, so it is within; days
    before the first known day are not counted (nothing is known about them).
    """
    if not daily:
        return 0
    first = min(daily)
    days_within = 0
    day = today
    while day >= first and daily.get(day, 0.0) <= limit_s:
        days_within += 1
        day -= timedelta(days=1)
    return days_within


# --- the week report -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeekReport:
    """Everything the dashboard and `driftcheck report` show about one ISO week."""

    week: str  # "2026-W48"
    start: datetime  # aware UTC: Monday's day start
    end: datetime  # aware UTC: the next Monday's day start
    complete: bool  # False while `now` is inside the week
    total_s: float
    per_app: Mapping[str, float]  # seconds per app key, most used first
    per_day: Mapping[date, Mapping[str, float]]  # the seven local days, Monday first
    names: Mapping[str, str]  # app key -> display name (the key when unknown)
    previous_week_s: float | None  # None when the week before lies before the history
    change_s: float | None  # this week minus the week before
    change_pct: float | None  # None without a week before that had use
    baseline_s: float | None  # mean of the four complete weeks before this one
    trend_weeks: tuple[float, ...]  # the complete weeks the drift signal looked at
    drift: DriftSignal | None
    sessions: SessionStats
    quiet_share: float | None  # None without a quiet-hours goal
    daily_goal_s: float | None  # the all-apps daily goal
    days_over_goal: int | None  # None without an all-apps daily goal
    words: str = field(default="")
    # True when change_s/change_pct set a week in progress beside the same part of the week
    # before (the dashboard's loader does); False: beside the whole week before.
    change_same_part: bool = False
    # Each day's total when apps overlapped (different apps in front on two computers at
    # once: the day's total counts that time once, its apps each count it); None: the sums.
    wall_per_day: Mapping[date, float] | None = None

    @property
    def day_totals(self) -> dict[date, float]:
        if self.wall_per_day is not None:
            return dict(self.wall_per_day)
        return {day: sum(apps.values()) for day, apps in self.per_day.items()}

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able data: what `driftcheck report --json` prints."""
        drift = None
        if self.drift is not None:
            drift = {"rule": self.drift.rule.value,
                     "slope_s_per_week": self.drift.slope_s_per_week,
                     "p_value": self.drift.p_value,
                     "baseline_s": self.drift.baseline_s,
                     "last_week_s": self.drift.last_week_s,
                     "change_pct": self.drift.change_pct}
        return {
            "week": self.week,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "complete": self.complete,
            "total_s": self.total_s,
            "apps": [{"key": key, "name": self.names.get(key, key), "seconds": seconds}
                     for key, seconds in self.per_app.items()],
            "days": [{"date": day.isoformat(), "seconds": self.day_totals[day],
                      "apps": dict(apps)} for day, apps in self.per_day.items()],
            "previous_week_s": self.previous_week_s,
            "change_s": self.change_s,
            "change_pct": self.change_pct,
            "change_against": "the same part of the week before" if self.change_same_part
            else "the week before",
            "baseline_s": self.baseline_s,
            "trend_weeks": list(self.trend_weeks),
            "drift": drift,
            "sessions": {"count": self.sessions.count, "median_s": self.sessions.median_s,
                         "longest_s": self.sessions.longest_s},
            "quiet_share": self.quiet_share,
            "daily_goal_s": self.daily_goal_s,
            "days_over_goal": self.days_over_goal,
            "words": self.words,
        }


def _history_before(week: str, history_weeks: Mapping[str, float]) -> list[float]:
    """Complete weeks before `week`, oldest first, from the earliest week in the history; a
    week missing after that one had no use (0.0)."""
    known = {w: s for w, s in history_weeks.items() if week_monday(w) < week_monday(week)}
    if not known:
        return []
    first = min(week_monday(w) for w in known)
    weeks: list[float] = []
    monday = first
    while monday < week_monday(week):
        weeks.append(float(known.get(iso_week(monday), 0.0)))
        monday += timedelta(weeks=1)
    return weeks


def drift_while_in_progress(week: str, history_weeks: Mapping[str, float]) -> DriftSignal | None:
    """The drift signal of ISO `week` while it is in progress: it looks only at the complete
    weeks before it (what `week_report` says of such a week), so their totals suffice."""
    return drift_signal(tuple(_history_before(week, history_weeks)[-TREND_WEEKS:]))


def _goal(goals: Sequence[Goal], kind: GoalKind) -> Goal | None:
    """The all-apps goal of `kind`, else the first one for a single app."""
    of_kind = [g for g in goals if g.kind is kind]
    return next((g for g in of_kind if g.app is None), of_kind[0] if of_kind else None)


def week_report(intervals: Iterable[Interval], week: str, history_weeks: Mapping[str, float],
                goals: Sequence[Goal], names: Mapping[str, str], tz: tzinfo,
                day_start_hour: int, *, now: datetime | None = None,
                wall: Sequence[Interval] | EllipsisType | None = ...) -> WeekReport:
    """The report of ISO `week` from its intervals and the totals of the weeks before it.

    `history_weeks` maps earlier ISO weeks to their all-apps totals (an entry for `week`
    itself is ignored: its total comes from `intervals`). `now` (aware) marks the week
    in progress; without it the week is taken as complete.

    The baseline is the mean of the four complete weeks before this one. The drift signal
    looks at up to the last 8 complete weeks: ending with this week when it is complete, and
    with the week before while it is still in progress, because half a week would always
    look like a fall (see `widget.core.trend`).

    `wall`: `wall_time` of the week's parts, when the caller worked it out already (the
    dashboard's hour grid draws the same); worked out here otherwise.
    """
    start, end = week_window(week_monday(week), tz, day_start_hour)
    complete = now is None or now >= end
    cut = end if now is None else max(start, min(end, now))
    parts = clipped(intervals, start, cut)

    monday = week_monday(week)
    per_day = daily_totals(parts, monday, monday + timedelta(days=6), tz, day_start_hour)
    app_seconds: dict[str, float] = {}
    for apps in per_day.values():
        for app, seconds in apps.items():
            app_seconds[app] = app_seconds.get(app, 0.0) + seconds
    per_app = dict(sorted(app_seconds.items(), key=lambda kv: (-kv[1], kv[0])))
    # All apps together: each moment once (the apps' own figures may add up to more when two
    # computers had different apps in front at once).
    wall = wall_time(parts) if wall is ... else wall
    together = parts if wall is None else wall
    total = sum(p.seconds for p in together)
    wall_per_day = None if wall is None else {
        day: sum(apps.values()) for day, apps in daily_totals(
            wall, monday, monday + timedelta(days=6), tz, day_start_hour).items()}
    day_total = wall_per_day if wall_per_day is not None else {
        day: sum(apps.values()) for day, apps in per_day.items()}
    begun = [day for day in per_day if day_window(day, tz, day_start_hour)[0] < cut]

    before = _history_before(week, history_weeks)
    previous = before[-1] if before else None
    change_s = None if previous is None else total - previous
    change_pct = None if not previous or change_s is None else 100 * change_s / previous
    base = baseline(before[-BASELINE_WEEKS:])
    trend_weeks = tuple(([*before, total] if complete else before)[-TREND_WEEKS:])
    drift = drift_signal(trend_weeks)

    daily_goal = next((g for g in goals if g.kind is GoalKind.DAILY and g.app is None), None)
    daily_limit = None if daily_goal is None or daily_goal.limit_seconds is None \
        else float(daily_goal.limit_seconds)
    quiet_goal = _goal(goals, GoalKind.QUIET_HOURS)
    return WeekReport(
        week=iso_week(monday),
        start=start,
        end=end,
        complete=complete,
        total_s=total,
        per_app=per_app,
        per_day=per_day,
        names={key: names.get(key, key) for key in per_app},
        previous_week_s=previous,
        change_s=change_s,
        change_pct=change_pct,
        baseline_s=base,
        trend_weeks=trend_weeks,
        drift=drift,
        sessions=session_stats(sessions_of(parts)),
        quiet_share=None if quiet_goal is None
        else quiet_share(together if quiet_goal.app is None else parts, quiet_goal,
                         (start, end), tz),
        daily_goal_s=daily_limit,
        days_over_goal=None if daily_limit is None else days_over_goal(day_total, daily_limit),
        words=week_in_words(total, base, drift, days_so_far=None if complete else len(begun),
                            days_used=sum(1 for day in begun if day_total[day] > 0)),
        wall_per_day=wall_per_day,
    )
