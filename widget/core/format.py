"""How driftcheck says a duration, a moment, a day and a week: one formatter for the tray,
the widget, notifications, `status`, `report`, the dashboard and the PDF.

The rules, in the order a reader meets them:

- Time is rounded **down**, never up: a goal is not "reached" on screen before it is.
- Under 10 minutes a duration is said to the second ("48 s", "4 min 12 s", "9 min 59 s"),
  because a one- or two-minute goal needs it; from 10 minutes on, to the minute ("45 min",
  "2 h", "2 h 5 min"). Whole hours never carry " 0 min".
- Nothing counted, or a negative or unreadable value, is "0 min".
- A figure "of" a goal names both units ("48 s of 1 min", "36 min of 45 min"), and its
  percentage is worked out from the figure as shown, so the two always agree.
- Parts shown beside their total add up to it: every part is said in the total's unit and
  rounded so that the shown parts sum to the shown total (largest remainder).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo

#: From this many seconds on, durations are said to the minute.
MINUTES_FROM = 600


def _seconds(value: float) -> float:
    """`value` as a non-negative finite number of seconds (0 for NaN, infinities, negatives)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(number) or number <= 0:
        return 0.0
    return number


def unit_for(seconds: float) -> int:
    """The unit, in seconds, `seconds` is said in: 1 under ten minutes, 60 from there on."""
    return 1 if _seconds(seconds) < MINUTES_FROM else 60


def shown_seconds(seconds: float, unit: int | None = None) -> int:
    """`seconds` rounded down to the unit it is said in (or to `unit`)."""
    value = _seconds(seconds)
    step = unit or unit_for(value)
    return int(value // step) * step


def duration(seconds: float, *, unit: int | None = None) -> str:
    """'0 min', '30 s', '4 min 12 s', '45 min', '2 h', '2 h 5 min'.

    `unit` (1 or 60) forces the precision, for parts said in their total's unit.
    """
    step = unit or unit_for(seconds)
    whole = shown_seconds(seconds, step)
    if whole <= 0:
        return "0 min"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    words = []
    if hours:
        words.append(f"{hours} h")
    if minutes:
        words.append(f"{minutes} min")
    if secs and step == 1:
        words.append(f"{secs} s")
    return " ".join(words)


def percent_of(used: float, goal: float) -> int:
    """The whole percentage of `goal` that `used`, as shown by `duration`, is (rounded down).

    0 without a goal. Rounded down so that "100%" means the goal was reached.
    """
    target = _seconds(goal)
    if target <= 0:
        return 0
    return int(100 * shown_seconds(used) // target)


def used_of(used: float, goal: float | None) -> str:
    """'48 s of 1 min', '36 min of 45 min', '1 h 5 min of 2 h'; just the figure without a goal."""
    figure = duration(used)
    if not goal or _seconds(goal) <= 0:
        return figure
    return f"{figure} of {duration(goal)}"


def apportion(parts: Sequence[float]) -> tuple[list[int], int]:
    """Shown seconds for each part and for their total, all in the total's unit, with the
    parts summing exactly to the total (largest remainder; ties go to the earlier part)."""
    values = [_seconds(part) for part in parts]
    total = sum(values)
    step = unit_for(total)
    shown_total = shown_seconds(total, step)
    units = [value / step for value in values]
    floors = [int(u) for u in units]
    spare = shown_total // step - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(units[i] - floors[i]), i))
    for index in order[:max(0, spare)]:
        floors[index] += 1
    return [count * step for count in floors], shown_total


def durations_with_total(parts: Sequence[float]) -> tuple[list[str], str]:
    """Each part and the total said as `duration` would, the parts adding up to the total."""
    shown, total = apportion(parts)
    step = unit_for(total)
    return [duration(value, unit=step) for value in shown], duration(total, unit=step)


def about(seconds: float) -> str:
    """A rounded figure for 'about ...' in a sentence: to the nearest 5 min under an hour,
    the nearest half hour under ten hours, the nearest hour from there ('about 3 h',
    'about 2 h 30 min'); under ten minutes as `duration` says it."""
    value = _seconds(seconds)
    if value < MINUTES_FROM:
        return duration(value)
    step = 300 if value < 3600 else 1800 if value < 36000 else 3600
    return duration(max(step, round(value / step) * step))


# --- moments, days and weeks --------------------------------------------------------------


def when_said(moment: datetime, now: datetime, tz: tzinfo) -> str:
    """A moment by the clock, with its day when that is not today: '16:30',
    'tomorrow, 04:00', 'Sat 05 Dec, 09:00' (local time)."""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow, {local:%H:%M}"
    return f"{local:%a %d %b}, {local:%H:%M}"


def day_label(day: date) -> str:
    """A day of a week's chart: 'Tue 17'."""
    return f"{day:%a} {day.day}"


def week_label(monday: date) -> str:
    """A week by its Monday, as people say it: '23 Nov'."""
    return f"{monday.day} {monday:%b}"


def week_span(monday: date, sunday: date) -> str:
    """'23 \u2013 29 November 2026' (the months named when the week spans two, the years when
    it spans two)."""
    if monday.month == sunday.month and monday.year == sunday.year:
        return f"{monday.day} \u2013 {sunday.day} {sunday:%B %Y}"
    if monday.year == sunday.year:
        return f"{monday.day} {monday:%B} \u2013 {sunday.day} {sunday:%B %Y}"
    return f"{monday.day} {monday:%B %Y} \u2013 {sunday.day} {sunday:%B %Y}"
