"""Believable demo history for screenshots, tests and benchmarks (`driftcheck demo-data`).

`demo_intervals` is a pure function of its arguments: the same seed, weeks, zone, day start
and `today` give the same intervals. The history has evening-heavy sessions of 10-90 minutes,
some use in the quiet hours, and a drift: steady weeks, then use that rises over the last five
complete weeks, clearly enough for the rule in `widget.core.trend`.

Intervals never overlap and none is longer than `MAX_SPAN` (longer sessions are cut into
back-to-back pieces, as the tracker would store them). Nothing lies on or after `today`'s
local day, so nothing is in the future.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from widget.core.goals import Goal, GoalKind
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval

DEMO_APPS = ("replika", "character-ai", "sillytavern")
_APP_WEIGHTS = (0.5, 0.35, 0.15)

BASE_WEEK_S = 3 * 3600.0  # a usual week: about three hours
# The last five complete weeks rise over the usual weeks by these factors.
DRIFT_FACTORS = (1.15, 1.35, 1.6, 1.85, 2.1)
_NOISE = 0.06  # +-6% on each week's target
_MIN_SESSION_S = 10 * 60
_MAX_SESSION_S = 90 * 60
_DAY_WEIGHTS = (0.8, 0.8, 0.9, 1.0, 1.3, 1.6, 1.4)  # Monday..Sunday: weekends heavier

DEMO_GOALS = (
    Goal(GoalKind.DAILY, None, limit_seconds=45 * 60),
    Goal(GoalKind.WEEKLY, None, limit_seconds=5 * 3600),
    Goal(GoalKind.QUIET_HOURS, None, quiet_start=23 * 60, quiet_end=6 * 60),
)


def week_targets(weeks: int, rng: random.Random) -> list[float]:
    """Seconds aimed at for each complete week, oldest first: usual weeks, then the drift."""
    factors = [1.0] * max(0, weeks - len(DRIFT_FACTORS)) + list(DRIFT_FACTORS[-weeks:])
    return [BASE_WEEK_S * f * (1 + rng.uniform(-_NOISE, _NOISE)) for f in factors]


def _session_lengths(target_s: float, days: int, rng: random.Random) -> list[list[int]]:
    """Session lengths (whole seconds) per day of a week, adding up to about `target_s`."""
    per_day: list[list[int]] = [[] for _ in range(days)]
    if days <= 0:
        return per_day
    left = target_s
    while left >= _MIN_SESSION_S:
        length = min(int(left), rng.randint(_MIN_SESSION_S, _MAX_SESSION_S))
        day = rng.choices(range(days), weights=_DAY_WEIGHTS[:days])[0]
        per_day[day].append(length)
        left -= length
    return per_day


def _start_minute(rng: random.Random) -> int:
    """Local clock minute after the day's midnight a session begins: mostly evenings, some
    lunchtimes, some late nights (past midnight counts as minutes >= 1440)."""
    kind = rng.random()
    if kind < 0.68:
        return rng.randint(19 * 60, 22 * 60 + 30)
    if kind < 0.83:
        return rng.randint(12 * 60, 14 * 60)
    return rng.randint(23 * 60, 24 * 60 + 30)


def _lay_out_day(day: date, lengths: Sequence[int], not_before: datetime, tz: tzinfo,
                 day_start_hour: int, rng: random.Random) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of the day's sessions, in order, never before `not_before` and
    never past the next local day's start."""
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    limit = datetime.combine(day + timedelta(days=1), time(day_start_hour),
                             tzinfo=tz).astimezone(UTC)
    wanted = sorted((_start_minute(rng), length) for length in lengths)
    sessions = []
    for minute, length in wanted:
        start = (midnight + timedelta(minutes=minute)).astimezone(UTC)
        start = max(start, not_before + timedelta(minutes=rng.randint(10, 40)))
        end = min(start + timedelta(seconds=length), limit)
        if (end - start).total_seconds() < _MIN_SESSION_S:
            continue
        sessions.append((start, end))
        not_before = end
    return sessions


def _pieces(app: str, start: datetime, end: datetime) -> list[Interval]:
    """One session as back-to-back intervals of at most MAX_SPAN each."""
    pieces = []
    while end - start > MAX_SPAN:
        pieces.append(Interval(app, start, start + MAX_SPAN))
        start += MAX_SPAN
    pieces.append(Interval(app, start, end))
    return pieces


def demo_intervals(seed: int, weeks: int, tz: tzinfo, day_start_hour: int,
                   today: date) -> list[Interval]:
    """`weeks` complete ISO weeks of history before the week of `today`, then the days of
    this week before `today`; oldest first."""
    if weeks < 1:
        raise ValueError("demo history needs at least one week")
    rng = random.Random(seed)
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=weeks)
    targets = week_targets(weeks, rng)
    days_so_far = (today - this_monday).days
    targets.append(targets[-1] * days_so_far / 7)  # the week in progress keeps the pace
    intervals: list[Interval] = []
    not_before = datetime.combine(first_monday, time(0), tzinfo=tz).astimezone(UTC)
    for index, target in enumerate(targets):
        monday = first_monday + timedelta(weeks=index)
        days = 7 if index < weeks else days_so_far
        for offset, lengths in enumerate(_session_lengths(target, days, rng)):
            day = monday + timedelta(days=offset)
            for start, end in _lay_out_day(day, lengths, not_before, tz, day_start_hour, rng):
                app = rng.choices(DEMO_APPS, weights=_APP_WEIGHTS)[0]
                intervals.extend(_pieces(app, start, end))
                not_before = end
    return intervals
