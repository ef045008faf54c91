"""What the benchmarks share: the repository on sys.path, a private X session that is always
torn down, `driftcheck` as a subprocess, and the `RESULT {json}` line run_all.py reads."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e.xsession import (  # noqa: E402  (needs the repository on sys.path first)
    ActivePerson,
    Window,
    XSession,
    missing_tools,
    start_session,
    stop_processes,
    wait_for,
)

__all__ = ["REPO", "ActivePerson", "Figure", "TrackerProcess", "Window", "XSession", "driftcheck",
           "fmt_bytes", "result", "tracker_env", "wait_for", "x_session"]

DB_NAME = "driftcheck.sqlite3"


class Figure(dict[str, Any]):
    """One row of the final table: figure | measured | target | met?"""

    def __init__(self, figure: str, measured: str, target: str, met: bool | None,
                 value: float | None = None) -> None:
        super().__init__(figure=figure, measured=measured, target=target, met=met, value=value)


def show(fig: Figure) -> None:
    met = {True: "MET", False: "MISSED", None: "n/a"}[fig["met"]]
    print(f"  {fig['figure']:<44} {fig['measured']:>16}   target {fig['target']:<14} {met}")


def result(bench: str, figures: list[Figure], **raw: Any) -> None:
    """Print the figures, then the machine-readable line run_all.py parses."""
    print()
    for fig in figures:
        show(fig)
    print("RESULT " + json.dumps({"bench": bench, "figures": figures, "raw": raw},
                                 separators=(",", ":")), flush=True)


def fmt_bytes(n: float) -> str:
    if abs(n) >= 1024 * 1024:
        return f"{n / (1024 * 1024):.2f} MB"
    if abs(n) >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n:.0f} B"


def _children() -> list[Any]:
    import psutil

    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _end_children(keep: set[int]) -> None:
    """End every child process this script started that is still alive (Xvfb, openbox,
    xterms, a tracker), by pid: politely first, then for sure."""
    import psutil

    left = [p for p in _children() if p.pid not in keep]
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(left, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def _raise_on_term(*_: object) -> None:
    raise SystemExit(143)


@contextlib.contextmanager
def x_session(prefix: str) -> Iterator[tuple[XSession, Path]]:
    """Xvfb + openbox on a free display and a temp dir; everything ends on the way out, also
    after an exception, Ctrl-C or SIGTERM."""
    missing = missing_tools()
    if missing:
        raise SystemExit(f"{prefix}: needs {', '.join(missing)} (`make system-deps`).")
    signal.signal(signal.SIGTERM, _raise_on_term)
    before = {p.pid for p in _children()}
    tmp = Path(tempfile.mkdtemp(prefix=f"driftcheck-{prefix}-"))
    xs: XSession | None = None
    procs: list[subprocess.Popen[bytes]] = []
    try:
        xs, procs = start_session(tmp)
        yield xs, tmp
    finally:
        if xs is not None:
            xs.close_windows()
        stop_processes(procs)  # openbox, then Xvfb
        _end_children(before)
        shutil.rmtree(tmp, ignore_errors=True)


def tracker_env(xs: XSession | None = None) -> dict[str, str]:
    env = dict(xs.env) if xs is not None else dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def driftcheck(data: Path, *args: str, xs: XSession | None = None) -> str:
    out = subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data), *args],
                         env=tracker_env(xs), capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"driftcheck {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


class DrainedProcess:
    """`python -m widget ...` as a subprocess whose stderr a thread drains into `stderr` (a
    pipe, not a file: the process's disk writes may be what is measured)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.stderr: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "widget", *argv], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.started = time.monotonic()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        return code


class TrackerProcess(DrainedProcess):
    """`python -m widget --data-dir D track ...`, returned once its log says it started."""

    def __init__(self, xs: XSession, data: Path, *args: str) -> None:
        self.data = data
        log = data / "driftcheck.log"
        starts = log.read_text().count("tracking started") if log.exists() else 0
        super().__init__(["--data-dir", str(data), "track", *args], tracker_env(xs))
        wait_for(lambda: (log.exists() and log.read_text().count("tracking started") > starts)
                 or self.proc.poll() is not None, 30, "the tracker to start")
        if self.proc.poll() is not None:
            raise RuntimeError(f"the tracker exited: {''.join(self.stderr)}")
        self.started = time.monotonic()


def status_seconds(data: Path, xs: XSession | None = None) -> tuple[str, dict[str, float]]:
    report = json.loads(driftcheck(data, "status", "--json", xs=xs))
    return report["mode"], {a["id"]: float(a["seconds"]) for a in report["apps"]}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]
