"""Run every benchmark (each in its own process, short settings: about 10 minutes in all)
and print one table: figure | measured | target | met?

Figures are printed, never asserted: they depend on the machine. Exit status 1 only when a
benchmark itself failed to run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES: list[tuple[str, list[str]]] = [
    ("bench_sample.py", []),
    ("bench_db.py", []),
    ("bench_track.py", ["--minutes", "2", "--untracked-minutes", "1"]),
    ("bench_accuracy.py", ["--minutes", "2"]),
    # 3 minutes here (its figure says "after 3 min"); the 10-minute figure of the issue comes
    # from `python bench/bench_tray.py` (default --minutes 10).
    ("bench_tray.py", ["--minutes", "3", "--idle-minutes", "1.5"]),
]


def run(script: str, args: list[str]) -> tuple[dict[str, object] | None, float]:
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    started = time.monotonic()
    found: dict[str, object] | None = None
    proc = subprocess.Popen([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=HERE.parent)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("RESULT "):
                found = json.loads(line[len("RESULT "):])
            else:
                print("  " + line, end="", flush=True)
        proc.wait(timeout=60)
    except BaseException:
        proc.terminate()  # the bench cleans up its X session on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
    if proc.returncode != 0:
        print(f"  ({script} exited with {proc.returncode})")
    return found, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="run only this script (repeatable)")
    args = parser.parse_args()

    rows: list[tuple[str, str, str, str]] = []
    failed: list[str] = []
    started = time.monotonic()
    for script, extra in BENCHES:
        if args.only and not {script, script[:-3], script[6:-3]} & set(args.only):
            continue
        found, took = run(script, extra)
        if found is None:
            failed.append(script)
            rows.append((script, "FAILED (no RESULT line)", "", "?"))
            continue
        print(f"  ({script}: {took:.0f} s)")
        for fig in found["figures"]:  # type: ignore[union-attr]
            met = {True: "yes", False: "NO", None: "-"}[fig["met"]]
            rows.append((fig["figure"], fig["measured"], fig["target"], met))

    headers = ("figure", "measured", "target", "met?")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(f"\ndriftcheck benchmarks ({time.monotonic() - started:.0f} s; figures depend on the "
          "machine)\n")
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    missed = [r[0] for r in rows if r[3] == "NO"]
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
