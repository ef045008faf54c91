"""The one duration formatter: edge values, goal figures and percentages, parts and totals."""

from __future__ import annotations

import math

import pytest

from widget.core.format import (
    about,
    apportion,
    duration,
    durations_with_total,
    percent_of,
    shown_seconds,
    used_of,
)


@pytest.mark.parametrize(("seconds", "said"), [
    (0, "0 min"), (-5, "0 min"), (math.nan, "0 min"), (math.inf, "0 min"), (0.4, "0 min"),
    (1, "1 s"), (30, "30 s"), (59.99, "59 s"), (60, "1 min"), (119.9, "1 min 59 s"),
    (252, "4 min 12 s"), (599.9, "9 min 59 s"), (600, "10 min"), (659, "10 min"),
    (2700, "45 min"), (3599, "59 min"), (3600, "1 h"), (7200, "2 h"), (7500, "2 h 5 min"),
    (7259, "2 h"), (90 * 3600 + 61, "90 h 1 min"),
])
def test_duration_over_edge_values(seconds: float, said: str) -> None:
    assert duration(seconds) == said


def test_whole_hours_never_carry_zero_minutes() -> None:
    for hours in range(1, 30):
        assert duration(hours * 3600) == f"{hours} h"


def test_a_goal_figure_names_both_units() -> None:
    assert used_of(48, 60) == "48 s of 1 min"
    assert used_of(96, 120) == "1 min 36 s of 2 min"
    assert used_of(36 * 60 + 59, 45 * 60) == "36 min of 45 min"
    assert used_of(660, 120) == "11 min of 2 min"
    assert used_of(3900, 7200) == "1 h 5 min of 2 h"
    assert used_of(300, None) == "5 min"


@pytest.mark.parametrize(("used", "goal", "percent"), [
    (48, 60, 80), (96, 120, 80), (101, 120, 84), (119.9, 120, 99), (120, 120, 100),
    (36 * 60 + 59, 45 * 60, 80), (0, 60, 0), (30, 0, 0),
])
def test_the_percentage_is_worked_out_from_the_figure_shown(used: float, goal: float,
                                                            percent: int) -> None:
    assert percent_of(used, goal) == percent
    # and the figure beside it, read back, gives the same whole percentage
    assert int(100 * shown_seconds(used) // goal if goal else 0) == percent


def test_notification_figures_for_a_one_and_a_two_minute_goal_at_80_percent() -> None:
    # the cases seen in the field: "84% ... (1 of 2 min)" and "80% ... (0 of 1 min)"
    assert (percent_of(48, 60), used_of(48, 60)) == (80, "48 s of 1 min")
    assert (percent_of(96, 120), used_of(96, 120)) == (80, "1 min 36 s of 2 min")


def test_parts_add_up_to_the_total_shown() -> None:
    # 1 h 30 min 40 s + 1 h 11 min 40 s: floored separately that is 1 h 30 + 1 h 11 = 2 h 41,
    # while the total is 2 h 42
    parts, total = durations_with_total([5440, 4300])
    assert total == "2 h 42 min"
    assert parts == ["1 h 31 min", "1 h 11 min"]


@pytest.mark.parametrize("parts", [
    [5440, 4300], [59, 59, 59], [1, 2, 3, 600], [3599.5, 0.5], [30] * 40, [0, 0], [],
    [123.4, 456.7, 789.1, 12], [7200, 1, 1, 1],
])
def test_apportioned_parts_always_sum_to_the_shown_total(parts: list[float]) -> None:
    shown, total = apportion(parts)
    assert sum(shown) == total == shown_seconds(sum(parts))
    assert all(value >= 0 for value in shown)
    # no part moves by a whole unit or more from what it was
    step = 1 if sum(parts) < 600 else 60
    assert all(abs(value - part) < step for value, part in zip(shown, parts, strict=True))


@pytest.mark.parametrize(("seconds", "said"), [
    (0, "0 min"), (252, "4 min 12 s"), (600, "10 min"), (1740, "30 min"), (3580, "1 h"),
    (3 * 3600 - 200, "3 h"), (2 * 3600 + 35 * 60, "2 h 30 min"), (6 * 3600 + 50 * 60, "7 h"),
    (12.4 * 3600, "12 h"),
])
def test_about_rounds_to_a_figure_said_in_a_sentence(seconds: float, said: str) -> None:
    assert about(seconds) == said



def test_a_moment_is_said_with_its_day_when_that_is_not_today() -> None:
    """One way for the tray, the widget and `status`: a pause that ends in two days names
    that day (the widget once said "tomorrow" for any other day)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from widget.core.format import when_said
    from widget.core.standing import paused_words

    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 12, 3, 22, 0, tzinfo=berlin)
    assert when_said(datetime(2026, 12, 3, 23, 15, tzinfo=berlin), now, berlin) == "23:15"
    assert when_said(datetime(2026, 12, 4, 4, 0, tzinfo=berlin), now, berlin) \
        == "tomorrow, 04:00"
    assert when_said(datetime(2026, 12, 5, 9, 0, tzinfo=berlin), now, berlin) \
        == "Sat 05 Dec, 09:00"
    later = datetime(2026, 12, 5, 9, 0, tzinfo=berlin)
    assert paused_words(later, now, berlin) == ("Tracking is paused until Sat 05 Dec, 09:00, "
                                                "as you chose; nothing counts until then.")
