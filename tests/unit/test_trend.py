"""Trend statistics and the drift rule, against cases worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widget.core.trend import (
    DriftRule,
    DriftSignal,
    baseline,
    drift_signal,
    mann_kendall,
    median,
    theil_sen,
    week_in_words,
)

H = 3600.0
MIN = 60.0


# --- Theil-Sen -------------------------------------------------------------------------------


def test_theil_sen_on_a_straight_line() -> None:
    # [1,2,3,4]: every pairwise slope is 1; intercepts y - x = 1,1,1,1.
    assert theil_sen([1, 2, 3, 4]) == (1.0, 1.0)


def test_theil_sen_by_hand() -> None:
    # [3,1,4,1,5], x = 0..4. Pairwise slopes (y_j - y_i)/(j - i):
    #   (0,1) -2   (0,2) 1/2   (0,3) -2/3  (0,4) 2/4 = 1/2
    #   (1,2) 3    (1,3) 0     (1,4) 4/3
    #   (2,3) -3   (2,4) 1/2
    #   (3,4) 4
    # sorted: -3, -2, -2/3, 0, 1/2, 1/2, 1/2, 4/3, 3, 4 -> median (1/2 + 1/2)/2 = 0.5
    # y - 0.5x: 3, 0.5, 3, -0.5, 3 -> sorted -0.5, 0.5, 3, 3, 3 -> median 3
    assert theil_sen([3, 1, 4, 1, 5]) == (0.5, 3.0)


def test_theil_sen_shrugs_off_one_unusual_week() -> None:
    # [0,1,2,30,4]: slopes 1,1,10,1 / 1,14.5,1 / 28,1 / -26 -> sorted
    # -26,1,1,1,1,1,1,10,14.5,28 -> median 1 (a least-squares line would be dragged up).
    assert theil_sen([0, 1, 2, 30, 4])[0] == 1.0


def test_theil_sen_needs_two_values() -> None:
    with pytest.raises(ValueError):
        theil_sen([5.0])


# --- Mann-Kendall ----------------------------------------------------------------------------


def test_mann_kendall_all_rising_exact() -> None:
    # [1..5]: all 10 pairs rise, S = 10. Of the 5! = 120 orderings only the sorted one has
    # S = 10 and only the reversed one S = -10: two-sided p = 2/120 = 0.01667.
    mk = mann_kendall([1, 2, 3, 4, 5])
    assert mk.s == 10
    assert mk.p_value == pytest.approx(2 / 120)
    assert mk.direction == "rising"


def test_mann_kendall_all_falling_exact() -> None:
    mk = mann_kendall([5, 4, 3, 2, 1])
    assert mk.s == -10
    assert mk.p_value == pytest.approx(2 / 120)
    assert mk.direction == "falling"


def test_mann_kendall_exact_with_one_swap() -> None:
    # [1,2,4,3]: 5 pairs rise, (4,3) falls, S = 4 (one inversion). Inversion counts of the
    # 24 orderings of 4 (Mahonian numbers, k = 0..6): 1,3,5,6,5,3,1; S = 6 - 2k.
    # |S| >= 4 <=> k <= 1 or k >= 5: 1 + 3 + 3 + 1 = 8 -> p = 8/24 = 1/3.
    mk = mann_kendall([1, 2, 4, 3])
    assert mk.s == 4
    assert mk.p_value == pytest.approx(1 / 3)
    assert mk.direction == "none"


def test_mann_kendall_four_rising_weeks_are_not_enough() -> None:
    # n = 4, S = 6: p = 2/24 = 0.0833 > 0.05.
    assert mann_kendall([1, 2, 3, 4]).p_value == pytest.approx(2 / 24)
    assert mann_kendall([1, 2, 3, 4]).direction == "none"


def test_mann_kendall_ties_use_the_normal_approximation() -> None:
    # [1,2,2,3]: pairs +,+,+,0,+,+ -> S = 5. One tie group of t = 2.
    # var = (4*3*13 - 2*1*9)/18 = (156 - 18)/18 = 7.6667
    # z = (5 - 1)/sqrt(7.6667) = 4/2.7689 = 1.4446; p = erfc(1.4446/sqrt 2) = 0.1486
    mk = mann_kendall([1, 2, 2, 3])
    assert mk.s == 5
    assert mk.p_value == pytest.approx(0.1486, abs=1e-4)
    assert mk.direction == "none"


def test_mann_kendall_large_n_uses_the_normal_approximation() -> None:
    # 0..10 (n = 11): S = 55, var = 11*10*27/18 = 165, z = 54/sqrt(165) = 4.2039,
    # p = erfc(4.2039/sqrt 2) = 2.62e-5.
    mk = mann_kendall([float(i) for i in range(11)])
    assert mk.s == 55
    assert mk.p_value == pytest.approx(2.62e-5, rel=1e-2)
    assert mk.direction == "rising"


def test_mann_kendall_all_equal_is_no_trend() -> None:
    mk = mann_kendall([7, 7, 7, 7, 7])
    assert (mk.s, mk.p_value, mk.direction) == (0, 1.0, "none")


def test_exact_p_values_sum_to_one_over_the_distribution() -> None:
    # n = 3: inversions 0..3 occur 1,2,2,1 times; S = 3,1,-1,-3. P(|S| >= 3) = 2/6.
    assert mann_kendall([1, 2, 3]).p_value == pytest.approx(2 / 6)
    assert mann_kendall([1, 3, 2]).p_value == pytest.approx(1.0)  # |S| = 1: every ordering


# --- baseline and the drift rule -------------------------------------------------------------


def test_baseline_is_the_mean_of_the_last_four_weeks() -> None:
    assert baseline([100, 1, 2, 3, 6]) == 3.0  # (1 + 2 + 3 + 6)/4
    assert baseline([1, 2, 3]) is None


def test_no_signal_on_three_weeks() -> None:
    assert drift_signal([1 * H, 2 * H, 10 * H]) is None


def test_no_signal_on_four_rising_weeks() -> None:
    # the smallest exact p for n = 4 is 2/24 = 0.083, and rule (b) needs 7 weeks
    assert drift_signal([1 * H, 2 * H, 3 * H, 4 * H]) is None


def test_no_signal_on_a_flat_series() -> None:
    assert drift_signal([3 * H] * 8) is None


def test_a_steady_eight_week_rise_is_rule_a() -> None:
    # 3600, 4000, ..., 6400: S = 28, exact p = 2/8! = 2/40320 = 4.96e-5; slope 400 s/week.
    # baseline of the four weeks before the last: (4800 + 5200 + 5600 + 6000)/4 = 5400;
    # change (6400 - 5400)/5400 = 18.5%.
    sig = drift_signal([3600 + 400 * i for i in range(8)])
    assert sig is not None
    assert sig.rule is DriftRule.RISING_TREND
    assert sig.slope_s_per_week == 400.0
    assert sig.p_value == pytest.approx(2 / 40320)
    assert sig.baseline_s == 5400.0
    assert sig.last_week_s == 6400.0
    assert sig.change_pct == pytest.approx(1000 / 54)


def test_rule_a_looks_only_at_the_last_eight_weeks() -> None:
    # four very high weeks long ago, then the same steady rise: still (a)
    sig = drift_signal([20 * H] * 4 + [3600 + 400 * i for i in range(8)])
    assert sig is not None and sig.rule is DriftRule.RISING_TREND


# Baseline weeks 9500, 8500, 7500, 6500 (mean 8000), then 7000 > 6500, 8000 > 7000,
# 10400 > 8000. 10400 = 8000 * 1.30 and 10400 - 8000 = 2400 s = 40 min.
# Mann-Kendall over the 7 weeks: sums of signs per row
#   9500: -,-,-,-,-,+ = -4   8500: -,-,-,-,+ = -3   7500: -,-,+,+ = 0
#   6500: +,+,+ = 3          7000: +,+ = 2          8000: + = 1      -> S = -1, p = 1
THREE_RISING = [9500.0, 8500.0, 7500.0, 6500.0, 7000.0, 8000.0, 10400.0]


def test_three_rising_weeks_30_percent_and_40_min_above_is_rule_b() -> None:
    sig = drift_signal(THREE_RISING)
    assert sig is not None
    assert sig.rule is DriftRule.THREE_RISING_WEEKS
    assert sig.baseline_s == 8000.0
    assert sig.last_week_s == 10400.0
    assert sig.change_pct == pytest.approx(30.0)
    assert sig.p_value == 1.0


def test_30_percent_but_only_20_min_above_is_no_signal() -> None:
    # the same shape halved: baseline 4000, last 5200 = +30% but +1200 s = 20 min; S = -1
    assert drift_signal([w / 2 for w in THREE_RISING]) is None


def test_rule_b_edges_are_inclusive() -> None:
    # baseline (8700 + 7700 + 6700 + 5700)/4 = 7200; last 9000 = +25% and +1800 s exactly.
    # Same ordering as THREE_RISING, so S = -1 and (a) stays silent.
    weeks = [8700.0, 7700.0, 6700.0, 5700.0, 6000.0, 7000.0, 9000.0]
    sig = drift_signal(weeks)
    assert sig is not None and sig.rule is DriftRule.THREE_RISING_WEEKS
    assert drift_signal([*weeks[:-1], 8999.0]) is None


def test_rule_b_needs_each_of_the_three_weeks_to_rise() -> None:
    # 8000 then 7000: the middle week fell
    assert drift_signal([9500.0, 8500.0, 7500.0, 6500.0, 8000.0, 7000.0, 10400.0]) is None


# --- this week in words ----------------------------------------------------------------------


def _signal() -> DriftSignal:
    sig = drift_signal([3600 + 400 * i for i in range(8)])
    assert sig is not None
    return sig


def test_words_about_the_same() -> None:
    assert (week_in_words(3 * H + 10 * MIN, 3 * H + 10 * MIN, None)
            == "That week: 3 h 10 min, about the same as your usual weeks.")


def test_words_more_with_a_rising_trend() -> None:
    # 320 min against 230 min: +39% -> "about 40%"
    assert week_in_words(5 * H + 20 * MIN, 3 * H + 50 * MIN, _signal()) == (
        "That week: 5 h 20 min, about 40% more than your usual 3 h 50 min. The last few "
        "weeks have been rising; only you can say whether that is adding to your life.")


def test_words_less_and_without_a_baseline() -> None:
    assert (week_in_words(2 * H, 4 * H, None)
            == "That week: 2 h, about 50% less than your usual 4 h.")
    assert (week_in_words(2 * H, None, None) == "That week: 2 h; after four full weeks there "
            "will be a usual week to compare it with.")
    assert "3 times your usual 1 h" in week_in_words(3 * H, 1 * H, None)


@given(this_week=st.floats(min_value=-10.0, max_value=200 * H),
       base=st.one_of(st.none(), st.floats(min_value=0.0, max_value=200 * H)),
       with_signal=st.booleans())
def test_words_never_judge(this_week: float, base: float | None, with_signal: bool) -> None:
    text = week_in_words(this_week, base, _signal() if with_signal else None)
    lowered = text.lower()
    for word in ("should", "too much", "addict", "!"):
        assert word not in lowered
    assert text.startswith("That week: ")
    assert text.endswith(".") and len(text.split(". ")) <= 2  # one or two sentences


def test_a_week_in_progress_is_said_beside_a_whole_usual_week() -> None:
    text = week_in_words(2 * H, 4 * H, None, days_so_far=3)
    assert text == "So far this week: 2 h; a usual whole week is 4 h."
    assert "less" not in text
    assert week_in_words(10 * MIN, None, None, days_so_far=1, days_used=1) == \
        "So far this week: 10 min, on its first day."


def test_a_week_in_progress_says_the_days_that_had_use_not_the_days_gone_by() -> None:
    # Issue 10: "2 min in 4 days" read as four days of use when there had been one.
    assert week_in_words(2 * MIN, None, None, days_so_far=4, days_used=1) == \
        "So far this week: 2 min, with use on one of its four days."
    assert week_in_words(3 * H, 5 * H, None, days_so_far=5, days_used=4) == \
        "So far this week: 3 h, with use on four of its five days; a usual whole week is 5 h."
    assert week_in_words(2 * H, 4 * H, None, days_so_far=7) == week_in_words(2 * H, 4 * H, None)


@given(st.lists(st.one_of(st.integers(-10**9, 10**9),
                          st.floats(-1e9, 1e9, allow_nan=False)), min_size=1, max_size=40))
def test_median_is_the_standard_median(values: list[float]) -> None:
    import statistics

    assert median(values) == pytest.approx(statistics.median(values), rel=1e-12, abs=1e-9)
    assert median(iter(values)) == median(values)  # any iterable, read once


def test_median_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        median([])
