"""Matching a title against the worst patterns we could build, on titles up to 1 MB.

Each adversarial glob is timed alone (the compiled regular expression on the whole title:
what matching cost before titles were clipped) and through `Matcher.match` (which reads at
most `MAX_TITLE_CHARACTERS` of a title), together with the whole catalog tracked. The proof
that no pattern backtracks catastrophically is in tests/unit/test_rules_fuzz.py; these are
the timings, printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from _common import Figure, result

from widget.catalog_data import current_platform, load_catalog
from widget.core.catalog import entry_to_app
from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import MAX_TITLE_CHARACTERS, Matcher, compile_glob, validate_pattern

WORST = {
    "*a*a*a*a*a*a*a*b": "eight stars",
    "*" + "a" * 190 + "b*": "one long segment",
    "*a?a?a?a?a?a?a?b": "stars and ?",
    "*[ab][ab][ab][ab][ab]cd*": "classes",
}
LENGTHS = (1_000, 10_000, 100_000, 1_000_000)
# One match with the worst pattern and the whole catalog, any title. An ordinary sample's whole
# budget is 1 ms (bench_sample.py); this is the adversarial case, which may take twice that.
TARGET_MS = 2.0


def timed(run: Callable[[], object], repeat: int) -> float:
    """Median seconds of `run`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog()
    apps = [entry_to_app(e, current_platform()) for e in catalog.entries]
    raw: dict[str, dict[str, float]] = {}
    worst_clipped = 0.0
    print(f"{'pattern':<20} {'title':>9} {'whole title':>12} {'Matcher':>10}")
    for pattern, label in WORST.items():
        validate_pattern(RuleKind.TITLE, pattern)
        regex = compile_glob(pattern)
        mine = TrackedApp("mine", "Mine", (Rule(RuleKind.TITLE, pattern),), any_window_titles=True)
        matcher = Matcher([*apps, mine], catalog.browser_names(current_platform()))
        for length in LENGTHS:
            title = "a" * length
            fg = Foreground("firefox", title=title)
            whole = timed(lambda r=regex, t=title: r.match(t), args.repeat)  # type: ignore[misc]
            clipped = timed(lambda m=matcher, f=fg: m.match(f), args.repeat)  # type: ignore[misc]
            worst_clipped = max(worst_clipped, clipped)
            raw.setdefault(label, {})[str(length)] = whole
            raw[label][f"{length}-matcher"] = clipped
            print(f"{label:<20} {length:>9,} {whole * 1e3:>9.2f} ms {clipped * 1e3:>7.3f} ms")
    worst_whole = max(v for d in raw.values() for k, v in d.items() if k == "1000000")
    figures = [
        Figure("Worst glob on a 1 MB title, unclipped", f"{worst_whole * 1e3:.0f} ms",
               "(before the clip)", None, worst_whole),
        Figure(f"Worst match through Matcher (title read {MAX_TITLE_CHARACTERS} chars)",
               f"{worst_clipped * 1e3:.2f} ms", f"<= {TARGET_MS:g} ms",
               worst_clipped * 1e3 <= TARGET_MS, worst_clipped),
    ]
    result("rules", figures, timings=raw)


if __name__ == "__main__":
    main()
