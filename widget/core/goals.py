"""Goals the person sets themselves, and the rules that keep them sensible.

The same rules serve the goals dialog (a message next to the field) and `driftcheck goals set`
(the same message, a non-zero exit); nothing invalid is ever stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from widget.errors import InvalidGoal

DAY_S = 24 * 3600
WEEK_S = 7 * DAY_S


class GoalKind(StrEnum):
    DAILY = "daily"  # at most limit_seconds per local day
    WEEKLY = "weekly"  # at most limit_seconds per ISO week
    QUIET_HOURS = "quiet_hours"  # use between quiet_start and quiet_end counts as over
    SESSION = "session"  # no single session longer than limit_seconds


@dataclass(frozen=True, slots=True)
class Goal:
    kind: GoalKind
    app: str | None = None  # a tracked app's key, or None for all tracked apps together
    limit_seconds: int | None = None  # DAILY, WEEKLY, SESSION
    quiet_start: int | None = None  # QUIET_HOURS: minutes after local midnight, 0..1439
    quiet_end: int | None = None  # may be earlier than start: 23:00-06:00 wraps midnight

    @property
    def key(self) -> str:
        """Stable identity: one goal of each kind per app (or for all apps)."""
        return f"{self.kind.value}:{self.app or '*'}"

    def in_quiet_hours(self, minute_of_day: int) -> bool:
        if self.kind is not GoalKind.QUIET_HOURS or self.quiet_start is None \
                or self.quiet_end is None:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= minute_of_day < self.quiet_end
        return minute_of_day >= self.quiet_start or minute_of_day < self.quiet_end


def check_goal(goal: Goal) -> Goal:
    """`goal` if it is sensible on its own, else InvalidGoal naming the field."""
    if goal.kind is GoalKind.QUIET_HOURS:
        for name, value in (("quiet_start", goal.quiet_start), ("quiet_end", goal.quiet_end)):
            if value is None or not 0 <= value < 24 * 60:
                raise InvalidGoal(name, "Please give a time of day, like 23:00.")
        if goal.quiet_start == goal.quiet_end:
            raise InvalidGoal("quiet_end", "Quiet hours need to end at a different time "
                                           "than they start.")
        return goal
    limit = goal.limit_seconds
    if limit is None or limit <= 0:
        raise InvalidGoal("limit", "Please choose a goal above zero.")
    if goal.kind is GoalKind.WEEKLY:
        if limit > WEEK_S:
            raise InvalidGoal("limit", "A week has 168 hours; please choose a goal within it.")
    elif limit > DAY_S:
        raise InvalidGoal("limit", "A day has 24 hours; please choose a goal within it.")
    return goal


def check_goals(goals: Sequence[Goal]) -> list[Goal]:
    """The whole set, checked together: each goal alone, one goal per kind and app, and a
    weekly goal that leaves room for at least one day at the daily goal."""
    seen: dict[str, Goal] = {}
    for goal in goals:
        check_goal(goal)
        if goal.key in seen:
            raise InvalidGoal("kind", "There is already a goal of that kind for that app.")
        seen[goal.key] = goal
    for goal in goals:
        if goal.kind is not GoalKind.WEEKLY:
            continue
        daily = seen.get(Goal(GoalKind.DAILY, goal.app).key)
        if daily is not None and daily.limit_seconds is not None \
                and goal.limit_seconds is not None and goal.limit_seconds < daily.limit_seconds:
            raise InvalidGoal("limit", "The weekly goal is below one day at the daily goal; "
                                       "please raise it or lower the daily one.")
    return list(goals)


def _digits(text: str) -> int:
    """A whole number written in digits only: `int()` alone would also take '-5', '+5', '1_0'
    and surrounding spaces."""
    if not text.isdecimal() or len(text) > 9:  # nine digits: far beyond any goal, cheap to read
        raise ValueError(text)
    return int(text)


class NegativeLength(ValueError):
    """A length written with a minus sign, like '-3m': readable, but below zero."""


# The words a length may be written in, each unit at most once and largest first.
_UNITS: dict[str, int] = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}
# ASCII digits only ('\u0661' is a digit to `int()`); nine before the point, six after it:
# far beyond any length, cheap to read.
_NUMBER = r"([0-9]{1,9})(?:\.([0-9]{1,6}))?"
_PART = re.compile(_NUMBER + r"\s*([a-z]+)\s*", re.ASCII)
_BARE = re.compile(_NUMBER, re.ASCII)


MICRO = 10 ** 6  # lengths are read exactly, in millionths of a second (no float, no Fraction)


def _micro(whole: str, fraction: str | None) -> int:
    return int(whole) * MICRO + int((fraction or "").ljust(6, "0"))


def length_micro(text: str, bare_unit: int = 60) -> int:
    """Millionths of a second, exactly, from the forms people write a length in: '45m',
    '180s', '1h30m', '1.5h', '45 min', '1 h 5 min', '1:30' (hours:minutes), or a bare number
    of `bare_unit` seconds ('90' is 90 minutes for a goal, 90 seconds for a setting kept in
    seconds).

    ValueError for anything else; NegativeLength for a readable length with a minus sign."""
    raw = text.strip().lower()
    if raw.startswith("-") and not raw.startswith("--"):
        length_micro(raw[1:], bare_unit)  # ValueError when the rest is not a length either
        raise NegativeLength(text)
    if ":" in raw:
        hours, minutes = raw.replace(" ", "").split(":", 1)
        if _digits(minutes) >= 60 or len(minutes) != 2:
            raise ValueError(raw)
        return (_digits(hours) * 3600 + _digits(minutes) * 60) * MICRO
    if (bare := _BARE.fullmatch(raw)) is not None:
        return _micro(bare[1], bare[2]) * bare_unit
    total, position, last_unit = 0, 0, None
    while position < len(raw):
        part = _PART.match(raw, position)
        if part is None or part[3] not in _UNITS:
            raise ValueError(raw)
        unit = _UNITS[part[3]]
        if last_unit is not None and unit >= last_unit:  # '30m1h', '1h2h': not read
            raise ValueError(raw)
        total += _micro(part[1], part[2]) * unit
        position, last_unit = part.end(), unit
    if last_unit is None:
        raise ValueError(raw)
    return total


def length_seconds(text: str, bare_unit: int = 60) -> float:
    """`length_micro` in seconds."""
    return length_micro(text, bare_unit) / MICRO


def parse_duration(text: str) -> int:
    """Whole seconds of a goal's length: '45m', '180s', '1h30m', '1.5h', '45 min', '90'
    (minutes) or '1:30'; InvalidGoal, saying what is wrong, otherwise."""
    try:
        micro = length_micro(text, 60)
    except NegativeLength:
        raise InvalidGoal("limit", f"A goal needs a positive length, not '{text.strip()}'; "
                                   "try 45m, 1h30m or 2h.") from None
    except ValueError:
        raise InvalidGoal("limit", f"'{text}' is not a length of time; try 45m, 1h30m "
                                   "or 2h.") from None
    if micro % MICRO:
        raise InvalidGoal("limit", f"'{text}' is not a whole number of seconds; try 45m, "
                                   "1h30m or 2h.")
    return micro // MICRO


def parse_time_of_day(text: str) -> int:
    """Minutes after midnight from 'HH:MM'; InvalidGoal otherwise."""
    try:
        hours, minutes = text.strip().split(":")
        if not 1 <= len(hours) <= 2 or len(minutes) != 2:
            raise ValueError(text)
        value = _digits(hours) * 60 + _digits(minutes)
        if not (0 <= _digits(hours) < 24 and 0 <= _digits(minutes) < 60):
            raise ValueError(text)
        return value
    except ValueError:
        raise InvalidGoal("quiet_start", f"'{text}' is not a time of day; try 23:00.") from None


WATCH_DAYS = 7


def suggest_goals(daily_seconds: Sequence[float]) -> list[Goal]:
    """Goals to offer after a week of watching: a daily limit near the typical day (the
    median, rounded up to 15 minutes) and a weekly limit at the week's total (rounded up to the
    hour). They describe what was, so the person can start from the truth and adjust; no
    suggestion when nothing was used."""
    days = sorted(max(0.0, s) for s in daily_seconds)
    if not days or sum(days) <= 0:
        return []
    middle = len(days) // 2
    median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    quarter = 15 * 60
    daily = max(quarter, int(-(-median // quarter)) * quarter)
    weekly = max(3600, int(-(-sum(days) // 3600)) * 3600, daily)
    return [Goal(GoalKind.DAILY, None, min(daily, DAY_S)),
            Goal(GoalKind.WEEKLY, None, min(weekly, WEEK_S))]


def watch_is_over(since: date, today: date) -> bool:
    """True once a full week of watching lies behind `since`."""
    return (today - since).days >= WATCH_DAYS
