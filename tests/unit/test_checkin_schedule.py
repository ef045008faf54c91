"""When the honest self-check is asked, with a fake clock: the weekly default, a missed
check-in after a restart, never twice in a day, quiet hours, "Not now", "Skip this week",
and the Sundays on which the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from widget.core.checkin import (
    REFLECTIONS,
    Rhythm,
    checkin_due,
    next_checkin,
    not_now_until,
    parse_rhythm,
    reflection_for,
    skip_week_until,
    week_index,
)
from widget.core.goals import Goal, GoalKind

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SUNDAY, SEVEN_PM = 6, 19 * 60


def at(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type,misc]


def when(now: datetime, *, rhythm: str = "weekly", last_asked: datetime | None,
         not_before: datetime | None = None, tz: ZoneInfo = BERLIN,
         **kw: Any) -> datetime | None:
    return next_checkin(rhythm, weekday=kw.pop("weekday", SUNDAY),
                        time_of_day_min=kw.pop("minute", SEVEN_PM), last_asked=last_asked,
                        not_before=not_before, now=now, tz=tz, **kw)


def due(now: datetime, **kw: Any) -> bool:
    moment = when(now, **kw)
    return moment is not None and moment <= now


def test_weekly_on_sunday_evening() -> None:
    last = at(2026, 11, 15, 19, 0)  # asked last Sunday
    assert when(at(2026, 11, 22, 18, 59), last_asked=last) == at(2026, 11, 22, 19, 0)
    assert at(2026, 11, 22, 19, 0) == datetime(2026, 11, 22, 18, 0, tzinfo=UTC)  # CET
    assert not due(at(2026, 11, 22, 18, 59), last_asked=last)
    assert due(at(2026, 11, 22, 19, 0), last_asked=last)
    assert checkin_due("weekly", weekday=SUNDAY, time_of_day_min=SEVEN_PM, last_asked=last,
                       not_before=None, now=at(2026, 11, 22, 19, 1), tz=BERLIN)
    # Asked at 19:00 and answered: the next one is a week on.
    asked = at(2026, 11, 22, 19, 0)
    assert when(at(2026, 11, 22, 19, 5), last_asked=asked) == at(2026, 11, 29, 19, 0)
    assert not due(at(2026, 11, 28, 23, 0), last_asked=asked)


def test_a_missed_checkin_comes_once_after_a_restart() -> None:
    last = at(2026, 11, 15, 19, 0)
    # The computer was off from Friday the 20th until Monday the 30th: two Sundays missed.
    start = at(2026, 11, 30, 9, 0)
    assert when(start, last_asked=last) == at(2026, 11, 29, 19, 0)
    assert due(start, last_asked=last)
    # Asked then; a restart later that morning brings nothing more, not a second week.
    for restart in (at(2026, 11, 30, 9, 5), at(2026, 11, 30, 12, 0), at(2026, 12, 5, 12, 0)):
        assert not due(restart, last_asked=start)
    assert when(at(2026, 11, 30, 12, 0), last_asked=start) == at(2026, 12, 6, 19, 0)


def test_a_missed_checkin_not_yet_asked_is_still_due_after_another_restart() -> None:
    last = at(2026, 11, 15, 19, 0)
    assert due(at(2026, 11, 30, 9, 0), last_asked=last)
    assert due(at(2026, 11, 30, 9, 10), last_asked=last)  # dismissed by a crash: still due


def test_daily_keeps_its_time_of_day_but_never_comes_twice_in_a_day() -> None:
    shown_late = at(2026, 11, 26, 19, 0, 40)  # yesterday's was shown 40 s after 19:00
    assert when(at(2026, 11, 27, 12, 0), rhythm="daily", last_asked=shown_late) == \
        at(2026, 11, 27, 19, 0)
    # A check-in done by hand at 21:30 covers tomorrow's 19:00 (21.5 h later).
    by_hand = at(2026, 11, 26, 21, 30)
    assert when(at(2026, 11, 27, 19, 0), rhythm="daily", last_asked=by_hand) == \
        at(2026, 11, 28, 19, 0)
    assert not due(at(2026, 11, 27, 19, 30), rhythm="daily", last_asked=by_hand)


def test_after_a_long_session_but_not_within_a_day() -> None:
    now = at(2026, 11, 27, 22, 0)
    kw: dict[str, Any] = {"rhythm": "after_long_session"}
    assert when(now, last_asked=None, **kw) is None  # no session ended
    assert due(now, last_asked=None, long_session_ended=True, **kw)
    assert not due(now, last_asked=now - timedelta(hours=10), long_session_ended=True, **kw)
    assert when(now, last_asked=now - timedelta(hours=10), long_session_ended=True,
                **kw) is None  # dropped, not kept for later
    assert due(now, last_asked=now - timedelta(hours=25), long_session_ended=True, **kw)


def test_off_is_never() -> None:
    assert when(at(2026, 11, 22, 19, 0), rhythm="off", last_asked=None) is None
    assert not due(at(2026, 11, 22, 19, 0), rhythm="off", last_asked=None,
                   long_session_ended=True)
    assert parse_rhythm("sometimes") is Rhythm.WEEKLY


def test_never_in_quiet_hours() -> None:
    night = Goal(GoalKind.QUIET_HOURS, quiet_start=23 * 60, quiet_end=6 * 60)
    late = 23 * 60 + 30
    assert when(at(2026, 11, 27, 12, 0), rhythm="daily", minute=late,
                last_asked=at(2026, 11, 26, 6, 0), quiet_goal=night) == at(2026, 11, 28, 6, 0)
    evening = Goal(GoalKind.QUIET_HOURS, quiet_start=18 * 60, quiet_end=20 * 60)
    last = at(2026, 11, 15, 20, 0)
    assert when(at(2026, 11, 22, 12, 0), last_asked=last, quiet_goal=evening) == \
        at(2026, 11, 22, 20, 0)
    assert not due(at(2026, 11, 22, 19, 30), last_asked=last, quiet_goal=evening)
    # Quiet hours for a single app still keep the question out of those hours.
    one_app = Goal(GoalKind.QUIET_HOURS, "replika", quiet_start=18 * 60, quiet_end=20 * 60)
    assert when(at(2026, 11, 22, 12, 0), last_asked=last, quiet_goal=one_app) == \
        at(2026, 11, 22, 20, 0)


def test_not_now_asks_again_tomorrow_at_the_same_time() -> None:
    last = at(2026, 11, 15, 19, 0)
    pressed = at(2026, 11, 22, 19, 2)
    tomorrow = not_now_until(pressed, BERLIN)
    assert tomorrow == at(2026, 11, 23, 19, 2)
    assert not due(at(2026, 11, 23, 19, 1), last_asked=last, not_before=tomorrow)
    assert due(at(2026, 11, 23, 19, 2), last_asked=last, not_before=tomorrow)
    # The night the clocks go forward makes that day 23 hours long; the time of day stays.
    assert not_now_until(at(2026, 3, 28, 19, 0), BERLIN) == at(2026, 3, 29, 19, 0)
    assert at(2026, 3, 29, 19, 0) - at(2026, 3, 28, 19, 0) == timedelta(hours=23)


def test_skip_this_week() -> None:
    last = at(2026, 11, 15, 19, 0)
    pressed = at(2026, 11, 22, 19, 1)
    until = skip_week_until("weekly", weekday=SUNDAY, time_of_day_min=SEVEN_PM, now=pressed,
                            tz=BERLIN)
    assert until == at(2026, 11, 29, 19, 0)
    assert not due(at(2026, 11, 29, 18, 59), last_asked=last, not_before=until)
    assert due(at(2026, 11, 29, 19, 0), last_asked=last, not_before=until)
    # Daily: skipped on Wednesday, asked again on Monday evening, not before.
    daily = skip_week_until("daily", weekday=SUNDAY, time_of_day_min=SEVEN_PM,
                            now=at(2026, 11, 25, 19, 1), tz=BERLIN)
    assert daily == at(2026, 11, 30, 19, 0)
    assert not due(at(2026, 11, 28, 19, 0), rhythm="daily", last_asked=at(2026, 11, 24, 19, 0),
                   not_before=daily)
    assert skip_week_until("off", weekday=SUNDAY, time_of_day_min=SEVEN_PM,
                           now=pressed, tz=BERLIN) == at(2026, 11, 23, 0, 0)


def test_never_asked_means_the_latest_moment_is_due() -> None:
    assert when(at(2026, 11, 25, 12, 0), last_asked=None) == at(2026, 11, 22, 19, 0)


@pytest.mark.parametrize(("tz", "sunday", "utc"), [
    (BERLIN, date(2026, 3, 29), datetime(2026, 3, 29, 17, 0, tzinfo=UTC)),  # CEST from 02:00
    (BERLIN, date(2026, 10, 25), datetime(2026, 10, 25, 18, 0, tzinfo=UTC)),  # CET from 03:00
    (NEW_YORK, date(2026, 3, 8), datetime(2026, 3, 8, 23, 0, tzinfo=UTC)),  # EDT
    (NEW_YORK, date(2026, 11, 1), datetime(2026, 11, 2, 0, 0, tzinfo=UTC)),  # EST
])
def test_sunday_evening_on_the_days_the_clocks_change(tz: ZoneInfo, sunday: date,
                                                      utc: datetime) -> None:
    week_before = datetime.combine(sunday - timedelta(days=7), datetime.min.time(),
                                   tzinfo=tz).replace(hour=19)
    saturday = datetime.combine(sunday - timedelta(days=1), datetime.min.time(),
                                tzinfo=tz).replace(hour=12)
    moment = when(saturday.astimezone(UTC), last_asked=week_before.astimezone(UTC), tz=tz)
    assert moment == utc
    assert moment.astimezone(tz).hour == 19
    assert not due(utc - timedelta(minutes=1), last_asked=week_before.astimezone(UTC), tz=tz)
    assert due(utc, last_asked=week_before.astimezone(UTC), tz=tz)


def test_daily_across_the_spring_change_stays_at_seven() -> None:
    saturday_shown = at(2026, 3, 28, 19, 0, 30)
    assert when(at(2026, 3, 29, 12, 0), rhythm="daily", last_asked=saturday_shown) == \
        datetime(2026, 3, 29, 17, 0, tzinfo=UTC)
    autumn_saturday = at(2026, 10, 24, 19, 0, 30)
    assert when(at(2026, 10, 25, 12, 0), rhythm="daily", last_asked=autumn_saturday) == \
        datetime(2026, 10, 25, 18, 0, tzinfo=UTC)


def test_reflections_rotate_week_by_week_and_can_be_switched_off() -> None:
    monday = date(2026, 11, 23)
    assert week_index(monday) == week_index(date(2026, 11, 29))  # same ISO week
    assert week_index(date(2026, 11, 30)) == week_index(monday) + 1
    weeks = [reflection_for(week_index(monday + timedelta(weeks=n))) for n in range(6)]
    assert len(set(weeks)) == len(REFLECTIONS) == 3
    assert weeks[:3] == weeks[3:]
    assert reflection_for(week_index(monday), enabled=False) is None
    for text in REFLECTIONS:
        assert "should" not in text.lower() and "!" not in text


# --- the drift signal's one extra check-in ---------------------------------------------------


def test_drift_offer_asks_now_between_weekly_moments() -> None:
    last = at(2026, 11, 22, 19, 0)  # Sunday's check-in was answered
    wednesday = at(2026, 11, 25, 10, 0)
    assert not due(wednesday, last_asked=last)
    assert when(wednesday, last_asked=last, drift_offer=True) == wednesday


def test_drift_offer_keeps_a_day_after_the_last_check_in() -> None:
    last = at(2026, 11, 22, 19, 0)
    monday_morning = at(2026, 11, 23, 9, 0)
    assert not due(monday_morning, last_asked=last, drift_offer=True)
    # The scheduled moment still stands when the extra one is held back.
    assert when(monday_morning, last_asked=last, drift_offer=True) == at(2026, 11, 29, 19, 0)
    assert due(at(2026, 11, 23, 19, 0), last_asked=last, drift_offer=True)


def test_drift_offer_respects_not_now_and_quiet_hours() -> None:
    last = at(2026, 11, 15, 19, 0)
    later = at(2026, 11, 25, 18, 0)
    assert not due(at(2026, 11, 25, 10, 0), last_asked=last, not_before=later,
                   drift_offer=True)
    assert due(later, last_asked=last, not_before=later, drift_offer=True)
    quiet = Goal(GoalKind.QUIET_HOURS, quiet_start=23 * 60, quiet_end=6 * 60)
    monday_noon = at(2026, 11, 23, 12, 0)  # a Monday-noon rhythm, answered this week
    assert not due(at(2026, 11, 25, 23, 30), last_asked=monday_noon, quiet_goal=quiet,
                   drift_offer=True, minute=12 * 60, weekday=0)
    assert due(at(2026, 11, 26, 6, 0), last_asked=monday_noon, quiet_goal=quiet,
               drift_offer=True, minute=12 * 60, weekday=0)
    assert not due(at(2026, 11, 26, 6, 0), last_asked=monday_noon, quiet_goal=quiet,
                   minute=12 * 60, weekday=0)


def test_drift_offer_never_overrides_off() -> None:
    assert when(at(2026, 11, 25, 10, 0), rhythm="off", last_asked=None,
                drift_offer=True) is None


def test_drift_offer_with_after_long_session_rhythm() -> None:
    last = at(2026, 11, 20, 19, 0)
    now = at(2026, 11, 25, 10, 0)
    assert when(now, rhythm="after_long_session", last_asked=last) is None
    assert when(now, rhythm="after_long_session", last_asked=last, drift_offer=True) == now
