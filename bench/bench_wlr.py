"""wlroots compositors through wlr-foreign-toplevel (issue 15): how soon a focus change reaches
`WlrToplevelProbe`, and what the probe costs while nothing happens.

A real headless Sway 1.7 or phoc 0.24 runs as the test user (tests/helpers/wlroots.py); two
real foot windows (`kindroid`, `notes`). The probe runs in this process (its own Wayland
connection and thread; idle through its own WaylandIdle, KDE's protocol here).

1. Latency: the focus is switched `--switches` times between the two windows through
   foreign-toplevel `activate` from the harness's own connection (as a taskbar does); each
   figure runs from just before the request is sent to the moment the probe's focus callback
   (which calls `foreground()`, as the tracker does) first got the new window.
2. Idle cost: the CPU time of this process (the probe's threads and the idle thread; the main
   thread sleeps) over `--idle` seconds with no window or input change, as a percentage of
   one core.

Run as root (the test user is made if missing): `python bench/bench_wlr.py [--compositor
phoc] [--switches 100] [--idle 60]`.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import Figure, percentile, result

from tests.helpers.waiting import wait_for
from tests.helpers.wlroots import wlroots_session
from widget.probes.wlr import WlrToplevelProbe, process_for_app_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compositor", choices=("sway", "phoc"), default="sway")
    parser.add_argument("--switches", type=int, default=100)
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()

    with wlroots_session(args.compositor) as session:
        windows = [session.open_window("kindroid", "Kindroid chat"),
                   session.open_window("notes", "Shopping list")]
        probe = WlrToplevelProbe(session.env, find_process=lambda app_id: process_for_app_id(
            app_id, uid=session.user.uid))
        try:
            latencies = _latencies(session, probe, windows, args.switches)
            cpu = _idle_cpu(probe, args.idle)
        finally:
            probe.close()
    latencies.sort()
    p95 = percentile(latencies, 95) * 1000
    median = statistics.median(latencies) * 1000
    print(f"{args.compositor}: {len(latencies)} switches, median {median:.2f} ms, "
          f"p95 {p95:.2f} ms, max {latencies[-1] * 1000:.2f} ms; probe CPU while idle "
          f"{cpu:.3f}% over {args.idle:.0f} s")
    result("bench_wlr", [
        Figure(f"focus change -> wlr probe p95 ({args.compositor})", f"{p95:.1f} ms",
               "< 100 ms", p95 < 100, p95),
        Figure(f"wlr probe CPU while idle ({args.compositor})", f"{cpu:.3f}%", "< 0.1%",
               cpu < 0.1, cpu),
    ], median_ms=median, switches=len(latencies), idle_seconds=args.idle)


def _latencies(session, probe, windows, switches: int) -> list[float]:  # type: ignore[no-untyped-def]
    seen = threading.Condition()
    got: dict[str, float] = {}

    def on_focus(_moment: float) -> None:
        fg = probe.foreground()
        with seen:
            if fg is not None and fg.window_class not in got:
                got[fg.window_class] = time.monotonic()
                seen.notify_all()

    probe.watch_focus(on_focus)
    found = []
    for turn in range(switches + 1):
        window = windows[turn % 2]
        toplevel = session.controls.find(window.app_id, window.title)
        with seen:
            got.clear()
        asked = time.monotonic()
        session.controls.activate(toplevel)
        with seen:
            if not seen.wait_for(lambda w=window: w.app_id in got, timeout=10):
                raise TimeoutError(f"the probe never saw {window.app_id} in front")
            if turn:  # the first switch may be to the window already in front
                found.append(got[window.app_id] - asked)
        wait_for(lambda w=window: (t := session.controls.find(w.app_id, w.title)) is not None
                 and t.activated, 10, "the switch to settle")
    return found


def _idle_cpu(probe: WlrToplevelProbe, seconds: float) -> float:
    probe.idle_seconds()
    start_cpu, start = time.process_time(), time.monotonic()
    time.sleep(seconds)  # the measured quiet: nothing to wait for
    return (time.process_time() - start_cpu) / (time.monotonic() - start) * 100


if __name__ == "__main__":
    main()
