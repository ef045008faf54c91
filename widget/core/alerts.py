"""Which gentle notifications are due: near a goal, at a goal, in quiet hours, a long session.

Each alert comes at most once per goal per period. Its id names the period
(`"reached|daily:*|2026-11-27"`), so the caller keeps the ids it has shown ("alerts.fired") and
the next day's alert is a new one. "Snooze 15 min" takes an id out of `fired` and makes it wait
in `snoozed` (`snooze`); it comes back when the snooze has passed and the reason still holds.
"Not now" leaves it in `fired`: it stays quiet for the rest of the period.

The words are warm and factual: what was used against what the person chose, no judgement, no
urgency. In discreet mode (the default) no text names an app or says what kind of app it is,
because a notification can be read over a shoulder or on a lock screen.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from widget.core.format import duration, percent_of, used_of
from widget.core.goals import Goal, GoalKind
from widget.core.usage import UsageNow

SNOOZE = timedelta(minutes=15)
TITLE = "driftcheck"
ALL_APPS = "your companion apps"


class AlertKind(StrEnum):
    NEAR = "near"  # near_share of a daily or weekly goal
    REACHED = "reached"  # all of a daily or weekly goal
    QUIET = "quiet"  # use within quiet hours
    LONG_SESSION = "long_session"  # a session past the chosen longest one


@dataclass(frozen=True, slots=True)
class Alert:
    id: str  # f"{kind}|{goal_key}|{period}"
    kind: AlertKind
    goal_key: str
    title: str
    body: str


def alert_id(kind: AlertKind, goal_key: str, period: str) -> str:
    return f"{kind.value}|{goal_key}|{period}"


def due_alerts(goals: Sequence[Goal], usage: UsageNow, now: datetime, fired: Collection[str],
               snoozed: Mapping[str, datetime], *, near_share: float = 0.8,
               discreet: bool = True, names: Mapping[str, str] | None = None) -> list[Alert]:
    """The alerts to show now: each goal's reason that holds, unless already shown this
    period or snoozed until later. When a goal is past both its near share and its limit,
    only the limit is said."""
    names = names or {}
    due: list[Alert] = []
    for goal in goals:
        alert = _reason(goal, usage, near_share, discreet, names)
        if alert is None or alert.id in fired:
            continue
        until = snoozed.get(alert.id)
        if until is not None and now < until:
            continue
        due.append(alert)
    return due


def snooze(alert_id: str, now: datetime, fired: Collection[str],
           snoozed: Mapping[str, datetime], length: timedelta = SNOOZE
           ) -> tuple[list[str], dict[str, datetime]]:
    """New (fired, snoozed) after "Snooze 15 min" on `alert_id`: it may come again at
    now + length, if its reason still holds then."""
    return ([i for i in fired if i != alert_id], {**snoozed, alert_id: now + length})


def prune(fired: Collection[str], snoozed: Mapping[str, datetime], usage: UsageNow
          ) -> tuple[list[str], dict[str, datetime]]:
    """Forget ids of periods that are over (keeps "alerts.fired" small); the day before is
    kept for quiet hours that began yesterday evening."""
    current = {usage.day.isoformat(), (usage.day - timedelta(days=1)).isoformat(), usage.week}
    keep = [i for i in fired if i.rsplit("|", 1)[-1] in current]
    waiting = {i: t for i, t in snoozed.items()
               if i.rsplit("|", 1)[-1] in current and t > usage.now - timedelta(days=1)}
    return keep, waiting


def _reason(goal: Goal, usage: UsageNow, near_share: float, discreet: bool,
            names: Mapping[str, str]) -> Alert | None:
    who = None if discreet else (names.get(goal.app, goal.app) if goal.app else ALL_APPS)
    if goal.kind in (GoalKind.DAILY, GoalKind.WEEKLY):
        limit = goal.limit_seconds
        if not limit:
            return None
        daily = goal.kind is GoalKind.DAILY
        used = usage.today_for(goal.app) if daily else usage.week_for(goal.app)
        period = usage.day.isoformat() if daily else usage.week
        which = "today's goal" if daily else "this week's goal"
        for_whom = f" for {who}" if who else ""
        if used >= limit:
            return _alert(AlertKind.REACHED, goal, period,
                          f"You have reached {which} of {duration(limit)}{for_whom}. "
                          "What comes next is yours to choose.")
        if used >= near_share * limit:
            # The share is worked out from the figure shown beside it, so the two agree.
            return _alert(AlertKind.NEAR, goal, period,
                          f"You have used {percent_of(used, limit)}% of {which}{for_whom} "
                          f"({used_of(used, limit)}).")
        return None
    if goal.kind is GoalKind.QUIET_HOURS:
        minute = usage.minute_of_day
        if not goal.in_quiet_hours(minute) or not usage.in_use_for(goal.app):
            return None
        assert goal.quiet_start is not None and goal.quiet_end is not None
        hours = f"{say_clock(goal.quiet_start)}-{say_clock(goal.quiet_end)}"
        open_now = "" if not who else (", and one of your companion apps is open"
                                       if goal.app is None else f", and {who} is open")
        return _alert(AlertKind.QUIET, goal, quiet_period(goal, usage.local.date(), minute),
                      f"It is within the quiet hours you chose ({hours}){open_now}.")
    if goal.kind is GoalKind.SESSION:
        # A session's length is the time counted in it (SESSION_RULE): breaks are not use.
        session = usage.session_for(goal.app)
        limit = goal.limit_seconds
        if session is None or not limit or session.seconds <= limit:
            return None
        with_whom = f" with {who}" if who else ""
        return _alert(AlertKind.LONG_SESSION, goal, usage.day.isoformat(),
                      f"This session{with_whom} has lasted {duration(session.seconds)}, "
                      f"past the {duration(limit)} you chose.")
    return None


def _alert(kind: AlertKind, goal: Goal, period: str, body: str) -> Alert:
    return Alert(alert_id(kind, goal.key, period), kind, goal.key, TITLE, body)


def quiet_period(goal: Goal, calendar_day: date, minute_of_day: int) -> str:
    """The calendar day on which this stretch of quiet hours began: 23:00-06:00 at 01:30 on
    the 28th belongs to the night of the 27th, so one night gives one alert."""
    wraps = goal.quiet_start is not None and goal.quiet_end is not None \
        and goal.quiet_start > goal.quiet_end
    if wraps and goal.quiet_end is not None and minute_of_day < goal.quiet_end:
        calendar_day -= timedelta(days=1)
    return calendar_day.isoformat()


def say_clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


# The goals dialog's own names for each kind ("goal" is the one word for a limit you chose).
_KIND_WORDS = {"daily": "Daily goal", "weekly": "Weekly goal", "quiet_hours": "Quiet hours",
               "session": "Longest session"}


def describe_goal(goal: Goal, names: dict[str, str], done: str = "") -> str:
    """'Daily goal: 45 min, all tracked apps' (with `done` = ' set': 'Daily goal set: ...')."""
    who = "all tracked apps" if goal.app is None else names.get(goal.app, goal.app)
    if goal.quiet_start is not None and goal.quiet_end is not None:
        what = f"{say_clock(goal.quiet_start)}-{say_clock(goal.quiet_end)}"
    else:
        what = duration(goal.limit_seconds or 0)
    return f"{_KIND_WORDS[goal.kind.value]}{done}: {what}, {who}"
