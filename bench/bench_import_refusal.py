"""Peak memory of `driftcheck import` refusing each crafted file, and accepting a large
legitimate export (issue 11, finding 6; target: under 100 MB for any file up to the size cap).

    python bench/bench_import_refusal.py                 # makes the files in a temporary folder
    python bench/bench_import_refusal.py --keep DIR      # ... in DIR, kept (made once, reused)
    python bench/bench_import_refusal.py --code ../old   # the same files against another checkout

Each import runs as its own process (`python -m widget --data-dir NEW import FILE`) into an
empty data folder; its peak resident memory is the kernel's `ru_maxrss` for that one child
(`os.wait4`), its time the wall clock from start to exit. The files are those of
tests/data/imports/ and the big ones its make_imports.py writes: the issue's 348 MB zip bomb and
2 million identical intervals (zip and JSON), one interval past the limit, more rules than the
limit, one huge entry, a table with a 2 MB line, and twenty years of switch-heavy history
(1.75 million intervals) as JSON and as zip, which must come in.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, Figure, fmt_bytes, result

from tests.data.imports import make_imports  # the repository is on sys.path through _common

TARGET_MB = 100.0


def import_once(code: Path, file: Path, work: Path) -> tuple[int, float, float, str]:
    """(exit code, peak RSS in MB, seconds, the last line it printed) of one import."""
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    env = {**os.environ, "PYTHONPATH": str(code), "TZ": "UTC",
           "XDG_CONFIG_HOME": str(work / "config")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data), "import",
                             str(file)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, cwd=work)
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace").strip()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    last = output.splitlines()[-1] if output else ""
    return proc.returncode, usage.ru_maxrss / 1024, seconds, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="make (or reuse) the big files in this folder")
    parser.add_argument("--code", type=Path, default=REPO,
                        help="the checkout whose `widget` runs (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        big_dir = args.keep or work / "big"
        started = time.monotonic()
        if args.keep and (big_dir / "legit-20y.zip").exists():
            big = {p.name: p for p in sorted(big_dir.iterdir())}
        else:
            big = make_imports.big_files(big_dir)
        print(f"big files ready in {time.monotonic() - started:.0f} s ({big_dir})")
        small = {p.name: p for p in sorted(make_imports.HERE.iterdir())
                 if p.suffix in (".json", ".zip")}
        figures, raw = [], {}
        for name, file in [*small.items(), *big.items()]:
            code, peak, seconds, said = import_once(args.code, file, work)
            accepted = code == 0
            expect_in = name.startswith(("legit", "touching"))
            size = file.stat().st_size
            print(f"{name:<28} {fmt_bytes(size):>10}  {'accepted' if accepted else 'refused'}"
                  f"  peak {peak:6.1f} MB  {seconds:6.1f} s  | {said[:150]}", flush=True)
            raw[name] = {"bytes": size, "exit": code, "peak_mb": round(peak, 1),
                         "seconds": round(seconds, 2), "said": said}
            verb = "accepting" if expect_in else "refusing"
            figures.append(Figure(
                f"import: peak RSS {verb} {name}", f"{peak:.1f} MB", f"<= {TARGET_MB:.0f} MB",
                peak <= TARGET_MB and accepted == expect_in, peak))
        result("import_refusal", figures, files=raw, code=str(args.code))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
