"""The cost of one X11 sample: what the tracker does every tick, in this process.

One sample = X11Probe.foreground() + idle_seconds() + locked() + Matcher.match(), with a real
xterm (started through a symlink named `koboldcpp`) focused on a private Xvfb + openbox.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import Figure, percentile, result, x_session

TARGET_MEDIAN_MS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()

    from widget.catalog_data import load_catalog
    from widget.core.catalog import entry_to_app
    from widget.core.rules import Matcher
    from widget.probes.x11 import X11Probe

    catalog = load_catalog()
    tracked = [entry_to_app(catalog.get(i), "linux")
               for i in ("replika", "character-ai", "koboldcpp", "lm-studio", "sillytavern")]
    matcher = Matcher(tracked, catalog.browser_names("linux"))

    with x_session("sample") as (xs, _tmp):
        window = xs.spawn("koboldcpp", "KoboldCpp console")
        xs.activate(window)
        probe = X11Probe(xs.display)
        try:
            t0 = time.perf_counter_ns()
            fg = probe.foreground()
            probe.idle_seconds()
            probe.locked()
            first_app = matcher.match(fg) if fg is not None else None
            cold_ms = (time.perf_counter_ns() - t0) / 1e6
            if first_app != "koboldcpp":
                raise SystemExit(f"the focused xterm was not recognised (got {first_app!r})")
            for _ in range(50):  # warm-up, not counted
                fg = probe.foreground()
                probe.idle_seconds()
                probe.locked()
                matcher.match(fg)  # type: ignore[arg-type]

            total: list[float] = []
            parts: dict[str, list[float]] = {"foreground": [], "idle_seconds": [],
                                             "locked": [], "match": []}
            misses = 0
            for _ in range(args.samples):
                a = time.perf_counter_ns()
                fg = probe.foreground()
                b = time.perf_counter_ns()
                probe.idle_seconds()
                c = time.perf_counter_ns()
                probe.locked()
                d = time.perf_counter_ns()
                app = matcher.match(fg) if fg is not None else None
                e = time.perf_counter_ns()
                misses += app != "koboldcpp"
                total.append((e - a) / 1e6)
                for name, ns in (("foreground", b - a), ("idle_seconds", c - b),
                                 ("locked", d - c), ("match", e - d)):
                    parts[name].append(ns / 1e6)
        finally:
            probe.close()

    total.sort()
    median = statistics.median(total)
    p95 = percentile(total, 95)
    print(f"One X11 sample, {len(total)} samples with a real xterm focused "
          f"(first, cold: {cold_ms:.3f} ms; wrong matches: {misses}):")
    print(f"  median {median:.3f} ms   p95 {p95:.3f} ms   p99 {percentile(total, 99):.3f} ms   "
          f"max {total[-1]:.3f} ms")
    print("  median per part: " + ", ".join(
        f"{name} {statistics.median(v) * 1000:.0f} us" for name, v in parts.items()))
    print(f"  target: median <= {TARGET_MEDIAN_MS:g} ms -> "
          f"{'met' if median <= TARGET_MEDIAN_MS else 'MISSED'}")
    figures = [
        Figure("X11 sample: median", f"{median:.3f} ms", f"<= {TARGET_MEDIAN_MS:g} ms",
               median <= TARGET_MEDIAN_MS, median),
        Figure("X11 sample: p95", f"{p95:.3f} ms", "(info)", None, p95),
    ]
    result("sample", figures, samples=len(total), median_ms=median, p95_ms=p95,
           cold_ms=cold_ms, wrong_matches=misses,
           part_median_us={k: statistics.median(v) * 1000 for k, v in parts.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
