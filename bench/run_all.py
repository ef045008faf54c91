"""Run every benchmark, each in its own process, and print one table at the end:
figure | measured | target | met?

    python bench/run_all.py            # the full run (the tray for 10 minutes): about 60 min
    python bench/run_all.py --quick    # shorter runs of the slow ones: about 30 min
    python bench/run_all.py --only tray --only startup

Each benchmark ends with a `RESULT {json}` line; its figures become the table's rows. A
benchmark that fails (no RESULT line, a non-zero exit, or longer than its time limit) gets a
row saying so and the others still run. Everything is saved under bench/results/ (git-ignored):
each benchmark's whole output, every RESULT line with the machine it ran on (results.json),
and the table as text and as Markdown.

Figures are printed, never asserted: they depend on the machine. The exit status is 1 when a
benchmark failed to run or exited non-zero (bench_faults.py does when its rule is broken),
130 after Ctrl-C, 0 otherwise, whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"


@dataclass
class Bench:
    script: str
    full: list[str]  # arguments of the full run
    quick: list[str]  # arguments of --quick
    minutes: tuple[float, float]  # about how long (quick, full); the limit is 3x + 5 min
    what: str = ""
    label: str = ""  # the name when one script runs twice with different arguments

    @property
    def name(self) -> str:
        return self.label or self.script.removeprefix("bench_").removesuffix(".py")


# In the order of the list (section 5, "Figures"), then the rest.
BENCHES = [
    Bench("bench_sample.py", [], [], (0.3, 0.3), "one X11 sample"),
    Bench("bench_track.py", [], ["--minutes", "2"], (3.5, 4.5),
          "`driftcheck track`: CPU, memory, disk writes"),
    Bench("bench_tray.py", [], ["--minutes", "3", "--idle-minutes", "1.5"], (3.2, 10.2),
          "the tray app: memory, idle CPU, icon redraws"),
    Bench("bench_tray.py", ["--history-weeks", "104", "--minutes", "3", "--idle-minutes", "1.5"],
          ["--history-weeks", "104", "--minutes", "3", "--idle-minutes", "1.5"], (3.7, 3.7),
          "the tray app over two years of dense history", label="tray-history"),
    Bench("bench_dashboard_memory.py", [], [], (0.7, 0.7),
          "the tray app's memory with the dashboard open on two years"),
    Bench("bench_dashboard_lifetime.py", [], [], (2.0, 2.0),
          "the tray app's memory over 20 dashboard opens and closes"),
    Bench("bench_db.py", [], [], (0.1, 0.1), "database bytes per 1,000 switches"),
    Bench("bench_month.py", [], [], (0.4, 0.4), "database bytes per month of use"),
    Bench("bench_dashboard.py", [], [], (0.4, 0.4), "week report and dashboard on two years"),
    Bench("bench_startup.py", [], ["--runs", "3"], (0.3, 0.4), "start-up time to the tray"),
    Bench("bench_accuracy.py", [], [], (2.3, 2.3), "time attributed to the right app"),
    Bench("bench_browser.py", [], ["--quick"], (4.8, 17.0),
          "the browser extension: tab switch latency, attribution, the host's cost"),
    Bench("bench_gnome.py", [], ["--quick"], (5.5, 12.0),
          "GNOME Shell 43 on Wayland: focus latency, the extension's cost, the tracker"),
    Bench("bench_sway.py", [], ["--quick"], (5.0, 14.0),
          "Sway 1.7: focus latency, the tracker's cost against the swaymsg probe and X11"),
    Bench("bench_wlr.py", [], ["--switches", "40", "--idle", "20"], (1.0, 2.5),
          "wlr-foreign-toplevel on Sway: focus latency, the probe's cost at rest"),
    Bench("bench_kwin.py", [], ["--quick"], (4.0, 8.0),
          "KWin 5.27 on Wayland: focus latency, the script's cost, the tracker"),
    Bench("bench_sync.py", [], ["--quick"], (0.3, 0.3),
          "shared folder: bytes a month, reads, three devices' week"),
    Bench("bench_devices.py", ["--tray"], ["--quick"], (0.3, 4.0),
          "three computers: report and dashboard against one, the tray's memory"),
    Bench("bench_faults.py", [], ["--rounds", "10"], (0.7, 3.0), "kill -9 of the tracker"),
    Bench("bench_import_refusal.py", [], [], (2.5, 2.5),
          "import: peak memory refusing crafted files, accepting twenty years"),
]


@dataclass
class Outcome:
    bench: Bench
    args: list[str]
    found: dict[str, Any] | None = None
    code: int | None = None
    seconds: float = 0.0
    timed_out: bool = False
    interrupted: bool = False
    tail: list[str] = field(default_factory=list)


def derived(name: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Figures computed here from a benchmark's raw numbers: (name, insert after, figure)."""
    if name == "track" and raw.get("window_s"):
        per_hour = raw["cpu_s"] / raw["window_s"] * 3600  # CPU seconds per hour tracked
        target = 0.001 * 3600  # the 0.1%-of-a-core target, in seconds per hour
        return [{"figure": "track: CPU per tracked hour", "measured": f"{per_hour:.2f} s",
                 "target": f"<= {target:.1f} s", "met": per_hour <= target,
                 "value": per_hour, "after": "track: CPU, tracked app in front"}]
    return []


def run(bench: Bench, args: list[str], log_dir: Path, limit_s: float) -> Outcome:
    print(f"\n=== {bench.script} {' '.join(args)}  ({bench.what})", flush=True)
    out = Outcome(bench, args)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(HERE / bench.script), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=REPO)

    def too_long() -> None:
        out.timed_out = True
        proc.terminate()  # the benchmark ends its X session on SIGTERM

    timer = threading.Timer(limit_s, too_long)
    timer.daemon = True
    timer.start()
    with (log_dir / f"{bench.name}.log").open("w") as log:
        log.write(f"$ {sys.executable} bench/{bench.script} {' '.join(args)}\n")
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if line.startswith("RESULT "):
                    try:
                        out.found = json.loads(line[len("RESULT "):])
                    except json.JSONDecodeError:
                        print("  (an unreadable RESULT line)")
                else:
                    print("  " + line, end="", flush=True)
                    if line.strip():
                        out.tail = [*out.tail[-4:], line.rstrip()]
            out.code = proc.wait(timeout=60)
        except BaseException as exc:
            out.interrupted = isinstance(exc, KeyboardInterrupt)
            proc.terminate()
            try:
                out.code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                out.code = proc.wait(timeout=10)
            if not out.interrupted:
                raise
        finally:
            timer.cancel()
            if out.timed_out:
                try:
                    out.code = proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out.code = proc.wait(timeout=10)
    out.seconds = time.monotonic() - started
    state = ("timed out" if out.timed_out else "interrupted" if out.interrupted
             else f"exit {out.code}")
    print(f"  ({bench.script}: {out.seconds:.0f} s, {state})", flush=True)
    return out


def rows_of(outcomes: list[Outcome]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for out in outcomes:
        figures = list(out.found["figures"]) if out.found else []
        for extra in derived(out.bench.name, out.found.get("raw", {}) if out.found else {}):
            at = next((i + 1 for i, f in enumerate(figures) if f["figure"] == extra["after"]),
                      len(figures))
            figures.insert(at, extra)
        for fig in figures:
            met = {True: "yes", False: "NO", None: "-"}[fig["met"]]
            rows.append((fig["figure"], fig["measured"], fig["target"], met))
        if out.timed_out:
            rows.append((f"{out.bench.script}", f"TIMED OUT after {out.seconds:.0f} s", "",
                         "?"))
        elif out.interrupted:
            rows.append((f"{out.bench.script}", "interrupted (Ctrl-C)", "", "?"))
        elif out.found is None:
            why = out.tail[-1][:60] if out.tail else "no output"
            rows.append((f"{out.bench.script}", f"FAILED (exit {out.code}): {why}", "", "?"))
        elif out.code != 0:
            rows.append((f"{out.bench.script}", f"exited with {out.code} (see its log)", "",
                         "?"))
    return rows


def text_table(rows: list[tuple[str, str, str, str]]) -> str:
    headers = ("figure", "measured", "target", "met?")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)


def markdown_table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| Figure | Measured | Target | Met? |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = float("nan")
    distro = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                                capture_output=True, text=True).stdout.strip())
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": round(memory, 1), "os": distro or platform.platform(),
            "kernel": platform.release(), "python": platform.python_version(),
            "executable": sys.executable, "commit": commit + ("+changes" if dirty else ""),
            "load_at_start": list(os.getloadavg())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="shorter runs: tray 3 min, track 2 min, 10 kill rounds, 3 starts, "
                        "the browser bench in Chromium alone, GNOME sessions of 1 min")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this benchmark (tray, bench_tray or bench_tray.py; "
                        "repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args()

    chosen = [b for b in BENCHES
              if not args.only or ({b.name} | ({b.script, b.script[:-3]} if not b.label else set()))
              & set(args.only)]
    if args.list or not chosen:
        for b in BENCHES:
            print(f"{b.name:<18} {b.script:<28} {b.what}")
        return 0 if args.list else 2
    mode = "quick" if args.quick else "full"
    started_at = datetime.now(UTC)
    run_dir = RESULTS / f"{started_at:%Y%m%d-%H%M%S}-{mode}"
    run_dir.mkdir(parents=True, exist_ok=True)
    about = machine()
    expected = sum(b.minutes[0 if args.quick else 1] for b in chosen)
    print(f"driftcheck benchmarks, {mode} run of {len(chosen)}, about {expected:.0f} min; "
          f"output saved in {run_dir}", flush=True)

    outcomes: list[Outcome] = []
    started = time.monotonic()
    stop = False
    try:
        for bench in chosen:
            if stop:
                break
            extra = bench.quick if args.quick else bench.full
            limit = bench.minutes[0 if args.quick else 1] * 60 * 3 + 300
            out = run(bench, extra, run_dir, limit)
            outcomes.append(out)
            stop = out.interrupted
    except KeyboardInterrupt:  # between two benchmarks
        stop = True
    took = time.monotonic() - started

    about["load_at_end"] = list(os.getloadavg())  # other work on the machine skews figures
    rows = rows_of(outcomes)
    not_run = [b.script for b in chosen[len(outcomes):]]
    for script in not_run:
        rows.append((script, "not run (interrupted)", "", "?"))
    title = (f"driftcheck benchmarks, {mode} run, {started_at:%Y-%m-%d %H:%M} UTC, "
             f"{took / 60:.1f} min; {about['cores']} x {about['cpu']}, {about['os']}, "
             f"Linux {about['kernel']}, Python {about['python']}, commit {about['commit']}; "
             f"load average {about['load_at_start'][0]:.1f} at the start, "
             f"{about['load_at_end'][0]:.1f} at the end")
    table = text_table(rows) if rows else "(nothing ran)"
    print(f"\n{title}\nFigures depend on the machine: compare runs on the same one.\n")
    print(table)
    missed = [r[0] for r in rows if r[3] == "NO"]
    failed = [o.bench.script for o in outcomes
              if o.found is None or o.code != 0 or o.timed_out or o.interrupted]
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
    if failed or not_run:
        print(f"benchmarks that failed or did not finish: {', '.join(failed + not_run)}")

    (run_dir / "table.txt").write_text(f"{title}\n\n{table}\n")
    (run_dir / "table.md").write_text(f"{title}\n\n{markdown_table(rows)}\n")
    (run_dir / "results.json").write_text(json.dumps({
        "mode": mode, "started": started_at.isoformat(), "seconds": took, "machine": about,
        "benchmarks": [{"script": o.bench.script, "args": o.args, "exit": o.code,
                        "seconds": o.seconds, "timed_out": o.timed_out,
                        "interrupted": o.interrupted, "result": o.found} for o in outcomes],
        "not_run": not_run, "table": [dict(zip(("figure", "measured", "target", "met"), r,
                                               strict=True)) for r in rows],
    }, indent=1) + "\n")
    print(f"\nraw results: {run_dir}/ (results.json, table.txt, table.md, one .log per "
          "benchmark)")
    if stop:
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a TERM ends as Ctrl-C does
    raise SystemExit(main())
