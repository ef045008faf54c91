"""kill -9 of the real `driftcheck track` at 50 random moments of a real X11 session (issue 5,
"Faults"): after every kill the database passes `PRAGMA integrity_check`, no two intervals
overlap, and no more than one sampling interval (1 s here) of the time the tracked window was
in front is lost.

The rounds are those of tests/e2e/kill_rounds.py (`make test` runs 10 of them; this runs the
full 50 by default); the seed is printed and `--seed` repeats a run. Unlike the other
benchmarks this one also fails (exit 1) when a round breaks the rule, since every figure here
is a pass/fail property, not a machine-dependent number.
"""

from __future__ import annotations

import argparse
import sys

from _common import Figure, driftcheck, result, x_session

from tests.e2e import kill_rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=kill_rounds.DEFAULT_SEED)
    args = parser.parse_args()
    print(f"kill -9 rounds: {args.rounds}, seed {args.seed}", flush=True)
    with x_session("faults") as (xs, tmp):
        data = tmp / "data"
        driftcheck(data, "apps", "add", kill_rounds.APP)
        rounds = kill_rounds.run_rounds(xs, data, args.rounds, args.seed,
                                        say=lambda line: print(line, flush=True))
    print(kill_rounds.summary(rounds))
    lost = sorted(r.lost for r in rounds)
    whole = sum(r.integrity == "ok" and r.overlaps == 0 for r in rounds)
    allowed = kill_rounds.INTERVAL + kill_rounds.SLACK
    figures = [
        Figure(f"kill -9 rounds with a whole database (seed {args.seed})",
               f"{whole}/{len(rounds)}", "all", whole == len(rounds)),
        Figure("time lost per kill -9 at 1 s samples, max", f"{lost[-1]:.2f} s",
               f"<= 1 s (+{kill_rounds.SLACK:g} s)", lost[-1] <= allowed, lost[-1]),
        Figure("time lost per kill -9, median", f"{lost[len(lost) // 2]:.2f} s", "", None,
               lost[len(lost) // 2]),
    ]
    result("faults", figures, seed=args.seed, rounds=[r.line() for r in rounds])
    return 0 if all(r.ok for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
