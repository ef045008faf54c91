"""What `driftcheck track` costs while it runs: CPU, memory and disk writes.

The real `python -m widget --data-dir D track` (default 5 s interval) runs as a subprocess on a
private Xvfb + openbox. Phase 1: one tracked window (an xterm started through a symlink named
`koboldcpp`, after `apps add koboldcpp`) is in front and the pointer moves every few seconds, so
the person is never idle; after a warm-up, CPU time and disk writes are measured over the
window and RSS is read at its end. Phase 2: an untracked window is in front for a minute;
nothing at all should be written.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    REPO,
    ActivePerson,
    Figure,
    TrackerProcess,
    driftcheck,
    fmt_bytes,
    result,
    x_session,
)

TARGET_CPU_PCT = 0.1
TARGET_RSS_MB = 40.0
TARGET_WRITES_PER_HOUR = 3 * 1024 * 1024
DB_NAME = "driftcheck.sqlite3"
# The path `driftcheck track` really imports, in order (the tracker writes through the lean
# sqlite3 store, widget.store.resident), then the whole command module.
IMPORTS = ["psutil", "Xlib.display", "apscheduler.schedulers.background", "sqlite3",
           "widget.store.resident", "widget.tracking", "widget.commands.track"]
# Each alone, to show what a module costs by itself (shared dependencies counted in each);
# sqlalchemy and widget.store.db are what the CLI and UI use, not the tracker.
ALONE = ["psutil", "Xlib.display", "apscheduler.schedulers.background", "sqlalchemy",
         "widget.store.db", "widget.store.resident", "ssl", "asyncio", "importlib.metadata"]


# --- disk writes ------------------------------------------------------------------------------

def read_write_bytes(pid: int | str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/io").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return None


def io_accounting_works(scratch: Path) -> tuple[bool, str]:
    """Whether the kernel really counts this container's writes in /proc/PID/io: write and
    fsync 256 KiB here and see our own write_bytes move."""
    before = read_write_bytes("self")
    if before is None:
        return False, "/proc/PID/io is not readable"
    path = scratch / "io-check"
    with open(path, "wb") as f:
        f.write(os.urandom(256 * 1024))
        f.flush()
        os.fsync(f.fileno())
    after = read_write_bytes("self")
    path.unlink()
    if after is None or after - before < 256 * 1024:
        return False, f"write_bytes did not count a 256 KiB fsync'd write ({before} -> {after})"
    return True, "write_bytes counted a 256 KiB test write"


class WalFrames:
    """Counts the frames SQLite appends to the -wal file, across checkpoints (a poll every
    half second notices each restart of the WAL by its new salt)."""

    def __init__(self, wal: Path) -> None:
        self.wal = wal
        self.total = 0
        self.restarts = 0
        self.page_size = 1024
        self._state: tuple[bytes, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _read(self) -> tuple[bytes, int] | None:
        try:
            with open(self.wal, "rb") as f:
                header = f.read(32)
                if len(header) < 32:
                    return None
                page_size = struct.unpack(">I", header[8:12])[0]
                self.page_size = page_size
                salt = header[16:24]
                count = 0
                while True:
                    f.seek(32 + count * (24 + page_size))
                    frame = f.read(24)
                    if len(frame) < 24 or frame[8:16] != salt:
                        return salt, count
                    count += 1
        except OSError:
            return None

    def poll(self) -> None:
        state = self._read()
        if state is None:
            return
        if self._state is None:
            self._state = state
            return
        if state[0] == self._state[0]:
            self.total += max(0, state[1] - self._state[1])
        else:
            self.restarts += 1
            self.total += state[1]
        self._state = state

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.poll()

    def start(self) -> None:
        self.poll()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.poll()

    @property
    def bytes(self) -> int:
        return self.total * (24 + self.page_size)


def file_sizes(data: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in data.iterdir() if p.is_file()}


def file_mtimes(data: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in data.iterdir() if p.is_file()}


class WriteTimeline:
    """When the kernel counted writes (polled twice a second), for telling what wrote."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.events: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.monotonic()

    def _run(self) -> None:
        last = read_write_bytes(self.pid)
        while not self._stop.wait(0.5):
            now = read_write_bytes(self.pid)
            if now is not None and last is not None and now != last:
                self.events.append((time.monotonic() - self._t0, now - last))
            last = now

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class Snapshot:
    t: float
    cpu: float
    write_bytes: int | None
    wal_frames: int
    sizes: dict[str, int]
    threads: dict[int, float]


def snapshot(proc, wal: WalFrames, data: Path) -> Snapshot:  # type: ignore[no-untyped-def]
    wal.poll()
    times = proc.cpu_times()
    return Snapshot(time.monotonic(), times.user + times.system, read_write_bytes(proc.pid),
                    wal.total, file_sizes(data),
                    {t.id: t.user_time + t.system_time for t in proc.threads()})


def logical_writes(a: Snapshot, b: Snapshot, wal: WalFrames) -> int:
    """Fallback: WAL frames appended plus growth of the other files (the DB, the log)."""
    frames = (b.wal_frames - a.wal_frames) * (24 + wal.page_size)
    growth = sum(max(0, size - a.sizes.get(name, 0)) for name, size in b.sizes.items()
                 if not name.endswith(("-wal", "-shm")))
    return frames + growth


# --- memory: which imports cost what ------------------------------------------------------------

_RSS_PROBE = r"""
import json, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
out = [["(python itself)", rss()]]
for name in sys.argv[1:]:
    __import__(name)
    out.append([name, rss()])
out.append(["(sqlalchemy loaded: %s)" % ("sqlalchemy" in sys.modules), rss()])
print(json.dumps(out))
"""


def import_rss(*modules: str) -> list[tuple[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", _RSS_PROBE, *modules], env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return [(name, mb) for name, mb in json.loads(out.stdout)]


def import_breakdown(tracker_rss_mb: float) -> dict[str, object]:
    cumulative = import_rss(*IMPORTS)
    base = import_rss()[0][1]
    alone = {name: import_rss(name)[-1][1] - base for name in ALONE}
    print("\nResident memory by import (fresh interpreter each; RSS from /proc/self/status, MB)")
    print(f"  in the tracker's order:  {'module':<36} {'cumulative':>10} {'added':>7}")
    previous = 0.0
    for name, mb in cumulative:
        print(f"  {'':<24} {name:<36} {mb:10.1f} {mb - previous:7.1f}")
        previous = mb
    print(f"  {'':<24} {'the running tracker (end of phase 1)':<36} {tracker_rss_mb:10.1f} "
          f"{tracker_rss_mb - previous:7.1f}  (threads, connections, heap)")
    print(f"  each alone, over bare python ({base:.1f} MB): " + ", ".join(
        f"{name} +{mb:.1f}" for name, mb in alone.items()))
    return {"cumulative_mb": cumulative, "alone_mb": alone, "python_mb": base}


# --- the run ------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0,
                        help="length of the measured tracked window, after the warm-up")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds")
    parser.add_argument("--untracked-minutes", type=float, default=1.0)
    parser.add_argument("--touch-every", type=float, default=3.0,
                        help="seconds between pointer moves (real input)")
    parser.add_argument("--imports", action="store_true",
                        help="print the import RSS breakdown even when RSS meets its target")
    args = parser.parse_args()

    import psutil

    with x_session("track") as (xs, tmp):
        data = tmp / "data"
        driftcheck(data, "apps", "add", "koboldcpp", xs=xs)
        kobold = xs.spawn("koboldcpp", "KoboldCpp console")
        other = xs.spawn("notes", "Shopping list")
        xs.activate(kobold)
        io_ok, io_note = io_accounting_works(tmp)
        tracker = TrackerProcess(xs, data)  # the default interval: what a person runs
        proc = psutil.Process(tracker.pid)
        wal = WalFrames(data / (DB_NAME + "-wal"))
        print(f"tracker pid {tracker.pid} started; warm-up {args.warmup:g} s, then "
              f"{args.minutes:g} min with koboldcpp in front, then {args.untracked_minutes:g} "
              "min with an untracked window in front", flush=True)
        with ActivePerson(xs, every=args.touch_every):
            time.sleep(args.warmup)
            wal.start()
            a = snapshot(proc, wal, data)
            time.sleep(args.minutes * 60)
            b = snapshot(proc, wal, data)
            mem = proc.memory_full_info()
            # Phase 2: an untracked window in front; the switch itself writes (it closes the
            # interval), so measure from one sampling interval after it.
            xs.activate(other)
            time.sleep(7.0)
            c = snapshot(proc, wal, data)
            mtimes_c = file_mtimes(data)
            timeline = WriteTimeline(tracker.pid)
            timeline.start()
            time.sleep(args.untracked_minutes * 60)
            timeline.stop()
            d = snapshot(proc, wal, data)
            touched = [name for name, ns in file_mtimes(data).items()
                       if mtimes_c.get(name) != ns]
            rss_end2 = proc.memory_info().rss
        wal.stop()
        code = tracker.stop()
        log_text = (data / "driftcheck.log").read_text()
        warnings = [json.loads(line)["msg"] for line in log_text.splitlines()
                    if '"level": "warning"' in line or '"level": "error"' in line]
    if code != 0:
        print(f"the tracker exited with {code}: {''.join(tracker.stderr)}")

    window = b.t - a.t
    cpu_pct = (b.cpu - a.cpu) / window * 100
    rss_mb = mem.rss / (1024 * 1024)
    logical = logical_writes(a, b, wal)
    if io_ok and a.write_bytes is not None and b.write_bytes is not None:
        method = "/proc/PID/io write_bytes"
        written = b.write_bytes - a.write_bytes
    else:
        method = "file growth + WAL frames (write_bytes unusable: " + io_note + ")"
        written = logical
    per_hour = written / window * 3600
    logical_per_hour = logical / window * 3600
    untracked_kernel = (d.write_bytes - c.write_bytes
                        if io_ok and c.write_bytes is not None and d.write_bytes is not None
                        else None)
    untracked_logical = logical_writes(c, d, wal)
    untracked = untracked_kernel if untracked_kernel is not None else untracked_logical
    untracked_cpu = (d.cpu - c.cpu) / (d.t - c.t) * 100

    print(f"\nPhase 1: {window:.0f} s measured with koboldcpp in front "
          f"(default 5 s interval, after {args.warmup:g} s warm-up)")
    print(f"  CPU      {b.cpu - a.cpu:.3f} s = {cpu_pct:.3f}% of one core   "
          f"target <= {TARGET_CPU_PCT}% -> {'met' if cpu_pct <= TARGET_CPU_PCT else 'MISSED'}")
    print(f"  RSS      {rss_mb:.1f} MB (USS {mem.uss / 2**20:.1f} MB, PSS {mem.pss / 2**20:.1f} "
          f"MB; {rss_end2 / 2**20:.1f} MB after phase 2)   target <= {TARGET_RSS_MB:g} MB -> "
          f"{'met' if rss_mb <= TARGET_RSS_MB else 'MISSED'}")
    print(f"  writes   {fmt_bytes(written)} in the window = {fmt_bytes(per_hour)} per tracked "
          f"hour   target <= 3 MB -> {'met' if per_hour <= TARGET_WRITES_PER_HOUR else 'MISSED'}")
    print(f"           method: {method} ({io_note})")
    print(f"           for comparison, logical bytes (WAL frames x {24 + wal.page_size} B + "
          f"file growth): {fmt_bytes(logical)} = {fmt_bytes(logical_per_hour)} per hour; "
          f"{wal.total} WAL frames in all, {wal.restarts} WAL restarts")
    print(f"Phase 2: {d.t - c.t:.0f} s with an untracked window in front")
    print(f"  writes   {untracked if untracked is not None else 'n/a'} B by {method.split(' (')[0]}"
          f" (logical: {untracked_logical} B)   target 0 B -> "
          f"{'met' if untracked == 0 else 'MISSED'}")
    if untracked:
        print("  when (s after the phase began, bytes): "
              + ", ".join(f"{t:.1f} s +{n}" for t, n in timeline.events)
              + f"; files whose mtime changed: {touched or 'none'}")
    print(f"  CPU      {untracked_cpu:.3f}% of one core")
    if warnings:
        print(f"  the tracker logged {len(warnings)} warnings, e.g. {warnings[:3]}")
    if cpu_pct > TARGET_CPU_PCT:
        busiest = sorted(((b.threads.get(tid, 0.0) - a.threads.get(tid, 0.0), tid)
                          for tid in b.threads), reverse=True)
        print("  CPU by thread over phase 1 (s, thread id): "
              + ", ".join(f"{s:.3f} ({tid})" for s, tid in busiest))

    breakdown = None
    if rss_mb > TARGET_RSS_MB or args.imports:
        breakdown = import_breakdown(rss_mb)

    figures = [
        Figure("track: CPU, tracked app in front", f"{cpu_pct:.3f}% core",
               f"<= {TARGET_CPU_PCT}%", cpu_pct <= TARGET_CPU_PCT, cpu_pct),
        Figure("track: RSS", f"{rss_mb:.1f} MB", f"<= {TARGET_RSS_MB:g} MB",
               rss_mb <= TARGET_RSS_MB, rss_mb),
        Figure("track: disk writes per tracked hour", fmt_bytes(per_hour), "<= 3 MB",
               per_hour <= TARGET_WRITES_PER_HOUR, per_hour),
        Figure("track: writes, untracked in front 1 min", f"{untracked} B", "0 B",
               untracked == 0, untracked),
    ]
    result("track", figures, window_s=window, cpu_s=b.cpu - a.cpu, cpu_pct=cpu_pct,
           rss_mb=rss_mb, uss_mb=mem.uss / 2**20, pss_mb=mem.pss / 2**20,
           write_method=method, written=written, per_hour=per_hour,
           logical_per_hour=logical_per_hour, wal_frames=wal.total,
           untracked_s=d.t - c.t, untracked_written=untracked,
           untracked_logical=untracked_logical, untracked_cpu_pct=untracked_cpu,
           untracked_write_events=timeline.events, untracked_files_touched=touched,
           tracker_exit=code, warnings=len(warnings), imports=breakdown)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
