"""Start-up time of the tray app: from starting the process to its ring visible in the tray.

The real tray app (`python -m widget --data-dir D`, the tracker inside it) is started
`--runs` times, one after the other, on a private Xvfb + openbox with `trayer` as the tray.
Each run is timed from just before the process is spawned to the first poll (every 20 ms or
so) that finds the ring's pixels in trayer's panel; then the app is ended with SIGTERM and the
next run waits until the ring has gone. The data folder is what a person has after the first
day: one tracked app, a daily goal, the welcome seen (as bench_tray.py sets it up).

The first run is "cold-ish": just before it, the files the app reads (Python's standard
library, the installed packages it imports, Qt's libraries and plugins, the `widget` package)
are dropped from the page cache with posix_fadvise(DONTNEED). That needs no root and touches
no other file, but pages that another running process has mapped (another Qt program, a test
run) stay cached, so the share of Qt's libraries still cached at that start is printed with
the figure (via util-linux `fincore`, when present). A cold boot would be slower. The other
runs are warm: everything is in the page cache, as when driftcheck is started again.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from _common import REPO, Figure, XSession, driftcheck, result, wait_for, x_session
from bench_tray import Screen, TrayApp, find_icon, seed_settings, start_trayer, trayer_windows

# What `python -m widget` (the tray) imports from outside the standard library.
PACKAGES = ("PySide6", "shiboken6", "apscheduler", "tzlocal", "psutil", "Xlib", "jeepney",
            "six.py", "sortedcontainers")


def app_files() -> list[Path]:
    """Every file under the directories the tray app reads its code from."""
    site = Path(sysconfig.get_paths()["purelib"])
    roots = [Path(sysconfig.get_paths()["stdlib"]), REPO / "widget", REPO / "resources"]
    roots += [site / name for name in PACKAGES]
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files.extend(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return files


def evict(files: list[Path]) -> int:
    """Ask the kernel to drop these files' clean pages from the page cache; bytes asked for."""
    asked = 0
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            asked += os.fstat(fd).st_size
        except OSError:
            pass
        finally:
            os.close(fd)
    return asked


def cached_bytes(files: list[Path]) -> dict[str, tuple[int, int]]:
    """{path: (bytes in the page cache, size)} now, by util-linux fincore ({} without it)."""
    if shutil.which("fincore") is None:
        return {}
    found: dict[str, tuple[int, int]] = {}
    for at in range(0, len(files), 500):
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "--output",
                              "RES,SIZE,FILE", *map(str, files[at:at + 500])],
                             capture_output=True, text=True, timeout=60)
        for line in out.stdout.splitlines():
            parts = line.split(maxsplit=2)
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                found[parts[2]] = (int(parts[0]), int(parts[1]))
    return found


def libraries(files: list[Path]) -> list[Path]:
    """The shared libraries among `files` (Qt's, its plugins, Python's extension modules)."""
    return [p for p in files if p.suffix == ".so" or ".so." in p.name]


def one_start(xs: XSession, screen: Screen, data: Path
              ) -> tuple[float, float, int, set[str]]:
    """Seconds from spawn to the ring in trayer, the app's CPU seconds by then, its exit code
    once ended, and the files it had mapped then."""
    import psutil

    started = time.monotonic()
    app = TrayApp(xs, data)
    try:
        proc = psutil.Process(app.proc.pid)
        area = wait_for(lambda: app.proc.poll() is not None or find_icon(xs, screen), 60,
                        "the ring in trayer", step=0.02)
        seen = time.monotonic() - started
        if app.proc.poll() is not None or area is True:
            raise RuntimeError(f"the tray app exited: {''.join(app.stderr)[-2000:]}")
        times = proc.cpu_times()
        cpu = times.user + times.system
        mapped = {m.path for m in proc.memory_maps() if m.path.startswith("/")}
    finally:
        code = app.stop()
    wait_for(lambda: find_icon(xs, screen) is None, 20, "the ring to leave trayer", step=0.1)
    return seen, cpu, code, mapped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5,
                        help="starts in all: the first cold-ish, the rest warm (at least 2)")
    parser.add_argument("--no-evict", action="store_true",
                        help="leave the page cache alone before the first run")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (one cold-ish, one warm)")
    if shutil.which("trayer") is None:
        raise SystemExit("bench_startup: needs trayer (`make system-deps`).")

    files = app_files()
    starts: list[tuple[float, float, int]] = []
    with x_session("startup") as (xs, tmp):
        start_trayer(xs)
        wait_for(lambda: trayer_windows(xs), 15, "trayer's panel")
        screen = Screen(xs.display)
        data = tmp / "data"
        driftcheck(data, "apps", "add", "koboldcpp", xs=xs)
        driftcheck(data, "goals", "set", "--daily", "45m", xs=xs)
        seed_settings(data)
        other = xs.spawn("notes", "Shopping list")  # an untracked window in front
        xs.activate(other)
        try:
            evicted = 0 if args.no_evict else evict(files)
            cached = cached_bytes(libraries(files))  # just before the first start
            first_mapped: set[str] = set()
            for run in range(args.runs):
                seen, cpu, code, mapped = one_start(xs, screen, data)
                starts.append((seen, cpu, code))
                if run == 0:
                    first_mapped = mapped
                kind = "cold-ish" if run == 0 else "warm"
                print(f"  run {run + 1} ({kind}): ring in trayer after {seen:.2f} s "
                      f"(the app's CPU by then {cpu:.2f} s; exit {code})", flush=True)
        finally:
            screen.close()

    # Of the libraries the first run had mapped, how much was in the page cache at its start.
    known = [cached[p] for p in first_mapped if p in cached]
    mapped_mb = sum(size for _, size in known) / 2**20
    share = sum(res for res, _ in known) / max(1, sum(size for _, size in known))
    first = starts[0][0]
    warm = [s for s, _, _ in starts[1:]]
    warm_median = statistics.median(warm)
    codes = sorted({c for _, _, c in starts})
    if args.no_evict:
        how = "page cache left as found (--no-evict)"
    elif not cached:
        how = f"{evicted / 2**20:.0f} MB of the app's files dropped from the page cache first"
    else:
        how = (f"{evicted / 2**20:.0f} MB of the app's files dropped from the page cache "
               f"first; of the {len(known)} libraries it mapped ({mapped_mb:.0f} MB), "
               f"{share:.0%} were still cached at its start")
    print(f"\nStart-up to the ring in trayer: first {first:.2f} s ({how}); warm: median "
          f"{warm_median:.2f} s of {len(warm)} (min {min(warm):.2f}, max {max(warm):.2f}); "
          f"exit codes {codes}")
    figures = [
        Figure("start-up to tray icon, first (cold-ish)", f"{first:.2f} s", "-", None, first),
        Figure(f"start-up to tray icon, warm (median of {len(warm)})", f"{warm_median:.2f} s",
               "-", None, warm_median),
    ]
    result("startup", figures, runs=[{"seconds": s, "cpu_s": c, "exit": e} for s, c, e in starts],
           first_s=first, warm_median_s=warm_median, evicted_bytes=evicted,
           libraries_mapped=len(known), libraries_mapped_mb=mapped_mb,
           libraries_cached_share_at_first=share if cached else None,
           python=sys.version.split()[0])
    return 0 if all(c in (0, -15) for c in codes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
