"""How today stands against each goal, and a pause, in the words `driftcheck status` prints.

Pure: goals, the use of today and this week (`UsageNow`), the week's intervals (for the quiet
hours) and names in; one `GoalStanding` per goal out. Every figure is said by
`widget.core.format`, so a percentage agrees with the figures beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from widget.core.calendar import day_window
from widget.core.format import duration, percent_of, used_of, when_said
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.core.usage import UsageNow

ALL_APPS = "all apps together"
_ORDER = (GoalKind.DAILY, GoalKind.WEEKLY, GoalKind.QUIET_HOURS, GoalKind.SESSION)


@dataclass(frozen=True, slots=True)
class GoalStanding:
    """One goal and what counts against it now: today's or this week's time, the time
    inside the quiet hours today, or the session going on now (None when there is none)."""

    goal: Goal
    who: str  # the app's name, or ALL_APPS
    used_seconds: float | None
    reached: bool
    words: str  # "Daily goal (Replika): 36 min of 45 min today (80%)"

    def to_json(self) -> dict[str, object]:
        g = self.goal
        return {"kind": g.kind.value, "app": g.app, "limit_seconds": g.limit_seconds,
                "quiet_start": None if g.quiet_start is None else _clock(g.quiet_start),
                "quiet_end": None if g.quiet_end is None else _clock(g.quiet_end),
                "used_seconds": None if self.used_seconds is None
                else round(self.used_seconds, 1),
                "percent": percent_of(self.used_seconds or 0.0, g.limit_seconds or 0)
                if g.limit_seconds and g.kind is not GoalKind.QUIET_HOURS else None,
                "reached": self.reached, "words": self.words}


def goal_standings(goals: Sequence[Goal], usage: UsageNow, intervals: Iterable[Interval],
                   names: Mapping[str, str], tz: tzinfo, day_start_hour: int
                   ) -> list[GoalStanding]:
    """Each goal as today stands against it: daily, then weekly, quiet hours and session;
    the all-apps goal before the per-app ones. `intervals` must cover today (the quiet
    hours are read from them, to the second, by the report's own `quiet_share`)."""
    intervals = list(intervals)
    ordered = sorted(goals, key=lambda g: (_ORDER.index(g.kind), g.app is not None,
                                           names.get(g.app or "", g.app or "").lower()))
    return [_standing(g, usage, intervals, names, tz, day_start_hour) for g in ordered]


def _standing(goal: Goal, usage: UsageNow, intervals: list[Interval], names: Mapping[str, str],
              tz: tzinfo, day_start_hour: int) -> GoalStanding:
    who = ALL_APPS if goal.app is None else names.get(goal.app, goal.app)
    limit = goal.limit_seconds or 0
    if goal.kind in (GoalKind.DAILY, GoalKind.WEEKLY):
        daily = goal.kind is GoalKind.DAILY
        used = usage.today_for(goal.app) if daily else usage.week_for(goal.app)
        reached = limit > 0 and used >= limit
        words = (f"{'Daily' if daily else 'Weekly'} goal ({who}): {used_of(used, limit)} "
                 f"{'today' if daily else 'this week'} "
                 f"({percent_of(used, limit)}%{', reached' if reached else ''})")
        return GoalStanding(goal, who, used, reached, words)
    if goal.kind is GoalKind.QUIET_HOURS and goal.quiet_start is not None \
            and goal.quiet_end is not None:
        # Here, not at the top: `driftcheck track` reads `paused_words` and runs all day.
        from widget.core.report import quiet_share

        start, _ = day_window(usage.day, tz, day_start_hour)
        window = (start, usage.now)
        mine = [iv for iv in intervals if goal.app is None or iv.app == goal.app]
        used_today = sum(max(0.0, (min(iv.end, usage.now) - max(iv.start, start))
                             .total_seconds()) for iv in mine)
        # round(): a share times its whole must not come back a hair under a whole second
        inside = round(quiet_share(mine, goal, window, tz) * used_today, 3) \
            if used_today > 0 and usage.now > start else 0.0
        hours = f"{_clock(goal.quiet_start)}-{_clock(goal.quiet_end)}"
        said = f"{duration(inside)} of today's time fell in them" if inside >= 1 \
            else "none of today's time so far"
        return GoalStanding(goal, who, inside, False, f"Quiet hours {hours} ({who}): {said}")
    session = usage.session_for(goal.app)
    used_s = None if session is None else session.seconds
    reached = used_s is not None and limit > 0 and used_s > limit
    if used_s is None:
        said = "no session going now"
    else:
        said = f"the session going now has lasted {duration(used_s)}"
    return GoalStanding(goal, who, used_s, reached,
                        f"Longest session {duration(limit)} ({who}): {said}")


def paused_words(until: datetime | None, now: datetime, tz: tzinfo) -> str | None:
    """"Tracking is paused until 16:30 ..." while a pause holds; None otherwise. A pause
    that ends on another day names it ("until tomorrow, 04:00", "until Sat 05 Dec, 09:00")."""
    if until is None or until <= now:
        return None
    return (f"Tracking is paused until {when_said(until, now, tz)}, as you chose; nothing "
            "counts until then.")


def _clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"
