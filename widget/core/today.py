"""Today against the goals, and the week so far: what the tray, the compact widget and
`driftcheck status` show, worked out one way.

Pure: intervals, goals, names and an instant in, one `TodayView` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from widget.core.calendar import day_window, local_day, monday_of
from widget.core.days import approximate_apps, seconds_by_app, total_seconds
from widget.core.format import apportion
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval

FILL_STEPS = 48  # the ring's fill is drawn in 1/48ths: finer would not show at 16 px


@dataclass(frozen=True, slots=True)
class AppRow:
    key: str
    name: str
    seconds: float
    goal_seconds: int | None  # this app's own daily goal, if it has one
    approximate: bool = False  # some of its time today was measured approximately


@dataclass(frozen=True, slots=True)
class TodayView:
    total_seconds: float
    daily_goal_seconds: int | None  # the all-apps daily goal, else the sum of per-app ones
    apps: tuple[AppRow, ...]  # every tracked app (even at zero), most used first
    week_seconds: float
    weekly_goal_seconds: int | None
    paused_until: datetime | None = None
    approximate: bool = False  # the tracker measures approximately, or some of today's time was
    day: date | None = None  # the local day shown (set by `today_view`)

    @property
    def fill(self) -> float | None:
        """Share of the daily goal used, 0..1 (1 when over), rounded to 1/48; None without a
        goal."""
        if not self.daily_goal_seconds:
            return None
        share = min(1.0, self.total_seconds / self.daily_goal_seconds)
        return round(share * FILL_STEPS) / FILL_STEPS

    def to_json(self) -> dict[str, object]:
        """What `driftcheck status --json` says of today."""
        return {
            "date": self.day.isoformat() if self.day is not None else None,
            "mode": "approximate" if self.approximate else "foreground",
            "apps": [{"id": a.key, "name": a.name, "seconds": round(a.seconds, 1),
                      "approximate": a.approximate} for a in self.apps],
            "total_seconds": round(self.total_seconds, 1),
        }

    @property
    def over(self) -> bool:
        return bool(self.daily_goal_seconds) and \
            self.total_seconds >= (self.daily_goal_seconds or 0)


def _goal_total(goals: Sequence[Goal], kind: GoalKind) -> int | None:
    """The all-apps goal of `kind`, else the sum of the per-app ones, else None."""
    of_kind = [g for g in goals if g.kind is kind and g.limit_seconds]
    for goal in of_kind:
        if goal.app is None:
            return goal.limit_seconds
    return sum(g.limit_seconds or 0 for g in of_kind) or None


def today_view(intervals: Iterable[Interval], goals: Sequence[Goal], names: Mapping[str, str],
               now: datetime, tz: tzinfo, day_start_hour: int, *,
               tracked: Sequence[str] = (), paused_until: datetime | None = None,
               tracker_approximate: bool = False) -> TodayView:
    """Today and this week so far, as of `now`.

    `intervals` must cover the week so far (Monday's day start until now); today is the local
    day of `now`, which starts at `day_start_hour`."""
    intervals = list(intervals)
    day = local_day(now, tz, day_start_hour)
    day_start, day_end = day_window(day, tz, day_start_hour)
    week_begin = day_window(monday_of(day), tz, day_start_hour)[0]
    today = seconds_by_app(intervals, day_start, day_end)
    week = seconds_by_app(intervals, week_begin, day_end)
    per_app = {g.app: g.limit_seconds for g in goals
               if g.kind is GoalKind.DAILY and g.app is not None}
    keys = list(dict.fromkeys([*tracked, *today]))
    approx = approximate_apps(intervals, day_start, day_end)
    rows = [AppRow(k, names.get(k, k), today.get(k, 0.0), per_app.get(k), k in approx)
            for k in keys]
    rows.sort(key=lambda r: (-r.seconds, r.name.lower()))
    approximate = tracker_approximate or bool(approx)
    return TodayView(
        total_seconds=total_seconds(intervals, day_start, day_end, today),
        daily_goal_seconds=_goal_total(goals, GoalKind.DAILY),
        apps=tuple(rows),
        week_seconds=total_seconds(intervals, week_begin, day_end, week),
        weekly_goal_seconds=_goal_total(goals, GoalKind.WEEKLY),
        paused_until=paused_until,
        approximate=approximate,
        day=day,
    )


def shown_apps(view: TodayView) -> tuple[list[tuple[AppRow, int]], int]:
    """Each app with its seconds as shown beside today's total, and that total: all in the
    total's unit, the parts adding up to it (`widget.core.format.apportion`)."""
    shown, total = apportion([row.seconds for row in view.apps])
    return list(zip(view.apps, shown, strict=True)), total
