"""Weekly trend statistics and the drift signal, from weekly totals in seconds.

Theil-Sen gives a slope that a single unusual week cannot drag around; Mann-Kendall says how
likely a run of weeks this ordered would be by chance. Both are written here (no scipy) and
checked by hand in `tests/unit/test_trend.py`. For up to ten weeks without ties the
Mann-Kendall p-value is exact (counted over all orderings of the weeks); otherwise it is the
usual normal approximation with the tie-corrected variance and a continuity correction.

Every function takes weekly totals as *complete* weeks only, oldest first: the week in
progress is left out, because a half-finished week would always look like a fall.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from widget.core.format import duration

Direction = Literal["rising", "falling", "none"]

ALPHA = 0.05
EXACT_MAX_N = 10  # 10! = 3,628,800 orderings, counted by a small recurrence, not enumerated
TREND_WEEKS = 8
MIN_WEEKS = 4
BASELINE_WEEKS = 4
RISE_SHARE = 0.25  # rule (b): the last week at least 25% ...
RISE_MIN_S = 1800.0  # ... and at least 30 minutes above the baseline
SAME_SHARE = 0.10  # within 10% of the usual weeks reads as "about the same"


def median(values: Iterable[float]) -> float:
    """The middle value, or the mean of the two middle ones (as `statistics.median`, which is
    not used: it imports decimal and fractions, about 0.6 MB that the tray app keeps for good).
    """
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of no values")
    middle = n // 2
    if n % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def theil_sen(values: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the Theil-Sen line through (0, v0), (1, v1), ...

    The slope is the median of the slopes between every pair of points; the intercept is the
    median of `v - slope * x`. Needs at least two values.
    """
    n = len(values)
    if n < 2:
        raise ValueError(f"theil_sen needs at least 2 values, got {n}")
    slopes = [(values[j] - values[i]) / (j - i) for i in range(n) for j in range(i + 1, n)]
    slope = median(slopes)
    intercept = median(v - slope * x for x, v in enumerate(values))
    return float(slope), float(intercept)


@dataclass(frozen=True, slots=True)
class MannKendall:
    s: int  # sum of sign(x_j - x_i) over i < j
    p_value: float  # two-sided: P(|S| >= |s|) if there were no trend
    direction: Direction  # "rising"/"falling" when p_value < alpha, else "none"


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _inversion_counts(n: int) -> list[int]:
    """How many orderings of n distinct values have k inversions, for k = 0..n(n-1)/2.

    These are the Mahonian numbers: putting the m-th value into an ordering of m-1 values
    adds 0..m-1 inversions, one way each.
    """
    counts = [1]
    for m in range(2, n + 1):
        new = [0] * (len(counts) + m - 1)
        for k, c in enumerate(counts):
            for added in range(m):
                new[k + added] += c
        counts = new
    return counts


def _exact_p(s: int, n: int) -> float:
    """P(|S| >= |s|) with no trend and no ties; S = n(n-1)/2 - 2 * inversions."""
    pairs = n * (n - 1) // 2
    counts = _inversion_counts(n)
    extreme = sum(c for inv, c in enumerate(counts) if abs(pairs - 2 * inv) >= abs(s))
    return extreme / math.factorial(n)


def _normal_p(s: int, values: Sequence[float]) -> float:
    n = len(values)
    ties = Counter(values).values()
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if var <= 0 or s == 0:
        return 1.0
    z = (s - _sign(s)) / math.sqrt(var)  # continuity correction: one step towards zero
    return min(1.0, math.erfc(abs(z) / math.sqrt(2)))


def mann_kendall(values: Sequence[float], *, alpha: float = ALPHA) -> MannKendall:
    """The Mann-Kendall trend test, two-sided.

    Exact for n <= 10 without ties; with ties, or for n > 10, the normal approximation.
    Fewer than two values carry no trend: S = 0, p = 1.
    """
    n = len(values)
    if n < 2:
        return MannKendall(0, 1.0, "none")
    s = sum(_sign(values[j] - values[i]) for i in range(n) for j in range(i + 1, n))
    tied = len(set(values)) < n
    p = _exact_p(s, n) if n <= EXACT_MAX_N and not tied else _normal_p(s, values)
    direction: Direction = "none"
    if p < alpha:
        direction = "rising" if s > 0 else "falling"
    return MannKendall(s, p, direction)


def baseline(weekly_totals: Sequence[float]) -> float | None:
    """The mean of the last four values (complete weeks, oldest first), or None with fewer."""
    if len(weekly_totals) < BASELINE_WEEKS:
        return None
    return sum(weekly_totals[-BASELINE_WEEKS:]) / BASELINE_WEEKS


class DriftRule(StrEnum):
    RISING_TREND = "rising_trend"  # rule (a)
    THREE_RISING_WEEKS = "three_rising_weeks"  # rule (b)


@dataclass(frozen=True, slots=True)
class DriftSignal:
    rule: DriftRule  # rule (a) is named when both hold
    slope_s_per_week: float  # Theil-Sen over the last up-to-8 weeks
    p_value: float  # Mann-Kendall over the same weeks
    baseline_s: float | None  # the baseline the last week is compared with (see drift_signal)
    last_week_s: float
    change_pct: float | None  # 100 * (last - baseline) / baseline; None without a baseline > 0


def drift_signal(weekly_totals: Sequence[float], *, alpha: float = ALPHA) -> DriftSignal | None:
    """The drift signal over complete weeks (oldest first, the week in progress left out).

    The rule:
    - never with fewer than 4 weeks of data;
    - (a) the last up-to-8 weeks show a Mann-Kendall rising trend with p < alpha and a
      positive Theil-Sen slope; or
    - (b) the last three weeks each rose over the week before, and the last week is at least
      25% AND at least 30 minutes (1800 s) above the baseline of the four weeks before those
      three (so (b) needs at least 7 weeks).

    For (b) the signal's baseline is those four weeks; for (a) it is the four weeks before
    the last one (None with fewer than five weeks). Note that with exactly four weeks the
    smallest exact p is 2/24, so (a) cannot hold at alpha = 0.05 before the fifth week.
    """
    weeks = [float(w) for w in weekly_totals]
    if len(weeks) < MIN_WEEKS:
        return None
    window = weeks[-TREND_WEEKS:]
    slope, _ = theil_sen(window)
    mk = mann_kendall(window, alpha=alpha)
    last = weeks[-1]

    def signal(rule: DriftRule, base: float | None) -> DriftSignal:
        change = 100 * (last - base) / base if base else None
        return DriftSignal(rule, slope, mk.p_value, base, last, change)

    if mk.direction == "rising" and slope > 0:
        return signal(DriftRule.RISING_TREND, baseline(weeks[:-1]))
    if len(weeks) >= 3 + BASELINE_WEEKS:
        base = baseline(weeks[:-3])
        rising = all(weeks[i] > weeks[i - 1] for i in (-3, -2, -1))
        if (base is not None and rising and last >= base * (1 + RISE_SHARE)
                and last - base >= RISE_MIN_S):
            return signal(DriftRule.THREE_RISING_WEEKS, base)
    return None


_DAY_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven")


def week_in_words(this_week_s: float, baseline_s: float | None,
                  signal: DriftSignal | None, *, days_so_far: int | None = None,
                  days_used: int | None = None) -> str:
    """One or two plain sentences about a week against the usual weeks.

    Factual and warm: no judgement, no urgency; a rising trend is named and the meaning of
    it left to the person. `days_so_far` (1-6) marks this week, in progress: then the time so
    far, on how many of those days there was use (`days_used`, when known), and a usual whole
    week are said side by side, never as "less than usual", which part of a week always
    would be. A week that has ended is "That week".
    """
    this_week_s = max(0.0, this_week_s)
    said = f"That week: {duration(this_week_s)}"
    if days_so_far is not None and 0 < days_so_far < 7:
        first = f"So far this week: {duration(this_week_s)}"
        if days_used is not None:
            used = _DAY_COUNTS[min(max(days_used, 0), days_so_far)]
            first += (", on its first day" if days_so_far == 1 else
                      f", with use on {used} of its {_DAY_COUNTS[days_so_far]} days")
        first += (f"; a usual whole week is {duration(baseline_s)}." if baseline_s
                  is not None and baseline_s >= 60 else ".")
    elif baseline_s is None:
        first = f"{said}; after four full weeks there will be a usual week to compare it with."
    elif baseline_s < 60:  # "your usual 0 min" would read oddly
        first = (f"{said}, about the same as your usual weeks." if this_week_s < 60
                 else f"{said}, more than your usual weeks, which had almost none.")
    else:
        first = f"{said}, {_compared(this_week_s, baseline_s)}."
    if signal is None:
        return first
    return (f"{first} The last few weeks have been rising; only you can say whether that is "
            "adding to your life.")


def _compared(this_week_s: float, baseline_s: float) -> str:
    ratio = this_week_s / baseline_s
    usual = duration(baseline_s)
    if abs(ratio - 1) < SAME_SHARE:
        return "about the same as your usual weeks"
    if ratio >= 2:
        return f"about {_say_times(ratio)} your usual {usual}"
    pct = 5 * round(abs(ratio - 1) * 100 / 5)
    more_or_less = "more" if ratio > 1 else "less"
    return f"about {pct}% {more_or_less} than your usual {usual}"


def _say_times(ratio: float) -> str:
    times = round(ratio * 2) / 2  # to the nearest half
    if times == int(times):
        return "twice" if times == 2 else f"{int(times)} times"
    return f"{times:g} times"
