"""KDE Plasma on Wayland (issue 15) in a real KWin 5.27 (virtual output) with driftcheck's KWin
script: how soon a focus change reaches the tracker's probe, what the script costs KWin, and
what the tracker costs there (compare bench_gnome.py's X11 figures, FIGURES.md).

KWin runs as the test user on its own buses (tests/helpers/kwin.py's `kwin_session`); windows
are small PySide6 windows (Wayland) started through symlinks so that their processes are called
`koboldcpp`, `notes`, `clock`. Everything of driftcheck runs as that user, as KWin's own user
must read the script it writes (Debian's /usr/bin/python3 with a copy of `widget`:
`UserPython`).

1. Latency. A `KWinProbe` run as the user follows the script's calls with `watch_focus`; its
   callback calls `foreground()` at once, as the tracker does, and prints the monotonic
   moment it returned and the pid (CLOCK_MONOTONIC is the machine's, so this process compares
   it with its own). Each figure is from just before the focus switch is requested to that
   moment. Two ways of asking: KWin's own "Walk Through Windows" action (Alt+Tab's) invoked
   through kglobalaccel (`invokeShortcut`, one D-Bus call; it goes back to the window used
   before), `--switches` times; and the tests' helper script that activates a window by pid
   (`workspace.activeClient = w`), which KWin first reads from a file and runs: an upper
   bound, `--switches` times.
2. The script's cost. The same scripted session (below) twice in one KWin: with `driftcheck
   track` running (its script loaded) and without any driftcheck; KWin's CPU (utime + stime,
   /proc/PID/stat) over the measured part of each. The focus moves through the helper script
   in both, which costs KWin the same each time.
3. The tracker: `driftcheck track --interval 5` in the first session: its CPU over the
   measured part, RSS (USS) at its end, and the seconds it stored for the tracked window
   against the seconds it was in front.

The scripted session (seeded): three windows, `koboldcpp` "Kobold chat" (tracked: `apps add
koboldcpp`), `notes` "Shopping list", and `clock`, whose title changes every second ("Clock
<epoch>"); the focus moves to another of them every 2-8 s, and KWin is told of user activity
every 3 s (org_kde_kwin_idle_timeout simulate_user_activity, so nobody is idle). After a
warm-up of `--warmup` s, `--minutes` are measured.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import threading
import time
from typing import Any

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import REPO, Figure, result, wait_for
from bench_gnome import (
    TICK,
    Toucher,
    cpu_ticks,
    measured_session,
    probe_mode,
    scripted,
    status_kb,
    stop,
    summary,
    wait_tracking,
)

from tests.helpers.gnome import SYSTEM_PYTHON, UserPython
from tests.helpers.kwin import KWinSession, QtWindow, kwin_session, missing_tools
from tests.helpers.program import stored_seconds

APP = "koboldcpp"
LISTENER = """
import sys, time
from widget.probes.kwin import KWinProbe
probe = KWinProbe()
probe.set_title_rules(["s:kobold", "g:*list*"])
def heard(moment):
    try:
        fg = probe.foreground()
    except Exception:
        fg = None
    print(f"{moment:.6f} {time.monotonic():.6f} {fg.pid if fg is not None else 0}", flush=True)
probe.watch_focus(heard)
print("ready", flush=True)
sys.stdin.read()
probe.close()
"""


def _raise_on_term(*_: object) -> None:
    raise SystemExit(143)


class Listener:
    """The probe as the user, its callbacks read on a thread: (callback, returned, pid)."""

    def __init__(self, kwin: KWinSession) -> None:
        self.events: list[tuple[float, float, int]] = []
        self.proc = kwin.spawn_as_user([str(SYSTEM_PYTHON), "-c", LISTENER],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if first.strip() != "ready":
            raise RuntimeError(f"the probe did not start: {first!r}")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            callback, returned, pid = line.split()
            self.events.append((float(callback), float(returned), int(pid)))

    def time_switch(self, switch: Any, pid: int, timeout: float = 5.0
                    ) -> tuple[float, float] | None:
        mark = len(self.events)
        sent = time.monotonic()
        switch()
        try:
            heard = wait_for(lambda: next(((cb, done) for cb, done, p in self.events[mark:]
                                           if p == pid), None), timeout, "the new pid",
                             step=0.002)
        except TimeoutError:
            return None
        return heard[0] - sent, heard[1] - sent

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=15)


def latency(kwin: KWinSession, windows: tuple[QtWindow, QtWindow], switches: int,
            rng: random.Random) -> dict[str, Any]:
    listener = Listener(kwin)
    try:
        kwin.activate(windows[1].title)
        kwin.activate(windows[0].title)
        found: dict[str, Any] = {}
        for label in ("walk", "helper"):
            signal_s: list[float] = []
            probe_s: list[float] = []
            missed = 0
            front = 0
            for _ in range(switches):
                target = 1 - front
                if label == "walk":  # back to the window used before: the other one
                    took = listener.time_switch(kwin.walk_through_windows,
                                                windows[target].pid)
                else:
                    took = listener.time_switch(
                        lambda t=target: kwin.activate_pid(windows[t].pid),  # type: ignore[misc]
                        windows[target].pid)
                if took is None:
                    missed += 1
                    front = 0 if kwin.focused_title() == windows[0].title else 1
                else:
                    signal_s.append(took[0])
                    probe_s.append(took[1])
                    front = target
                time.sleep(rng.uniform(0.3, 0.8))  # a person's glance, not a wait
            found[label] = {**summary(probe_s), "signal": summary(signal_s), "missed": missed}
        found["callbacks"] = len(listener.events)
        return found
    finally:
        listener.close()


class Clock:
    """Retitles the clock window every second ("Clock <epoch>") until stopped."""

    def __init__(self, window: QtWindow) -> None:
        self._window = window
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._window.retitle(f"Clock {int(time.time())}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def kwin_only(kwin: KWinSession, pids: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """The scripted session with no driftcheck running: KWin's CPU over the measured part."""
    assert kwin.kwin is not None
    shell = kwin.kwin.pid
    scripted(kwin.activate_pid, pids, args.warmup, args.seed + 1)
    kwin.activate_pid(pids[1])
    time.sleep(1.0)
    ticks_a, t_a = cpu_ticks(shell), time.monotonic()
    switches, _tracked = scripted(kwin.activate_pid, pids, args.minutes * 60, args.seed)
    kwin.activate_pid(pids[1])
    ticks_b, t_b = cpu_ticks(shell), time.monotonic()
    return {"window_s": t_b - t_a, "switches": switches, "shell_ticks": ticks_b - ticks_a,
            "shell_pct": (ticks_b - ticks_a) / TICK / (t_b - t_a) * 100,
            "shell_rss_mb": status_kb(shell, "VmRSS") / 1024}


def run(python: UserPython, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    with kwin_session(python=python) as kwin:
        assert kwin.kwin is not None
        shell = kwin.kwin.pid
        print(f"  KWin pid {shell}", flush=True)
        kobold = kwin.open_qt_window("koboldcpp", "Kobold chat")
        notes = kwin.open_qt_window("notes", "Shopping list")
        out: dict[str, Any] = {"latency": latency(kwin, (kobold, notes), args.switches, rng)}
        clock_window = kwin.open_qt_window("clock", "Clock")
        clock = Clock(clock_window)
        pids = [kobold.pid, notes.pid, clock_window.pid]
        try:
            with Toucher(kwin.touch):
                print(f"  without driftcheck: {args.warmup:g} s warm-up, {args.minutes:g} min "
                      "measured", flush=True)
                out["off"] = kwin_only(kwin, pids, args)
                data = kwin.home / "data"
                added = kwin.driftcheck("--data-dir", str(data), "apps", "add", APP)
                if added.returncode:
                    raise RuntimeError(f"apps add: {added.stderr}")
                said = kwin.base / "track.stderr"
                with said.open("wb") as err:
                    tracker = kwin.spawn_as_user(python.argv(
                        "--data-dir", str(data), "track", "--interval", "5"), stderr=err)
                log = data / "driftcheck.log"
                wait_tracking(log, tracker, said)
                on: dict[str, Any] = {"probe": probe_mode(log)}
                print(f"  track pid {tracker.pid}, probe {on['probe']}", flush=True)
                on.update(measured_session(kwin.activate_pid, pids, tracker.pid, shell,
                                           lambda: stored_seconds(data, APP), args))
                on["tracker_exit"] = stop(tracker)
                on["warnings"] = [line for line in log.read_text().splitlines()
                                  if '"level": "warning"' in line
                                  or '"level": "error"' in line][:5]
                out["on"] = on
        finally:
            clock.stop()
    return out


def ms(s: float) -> str:
    return f"{s * 1000:.0f}"


def lat_line(label: str, f: dict[str, Any]) -> str:
    return (f"  {label}: {f['n']} switches, to foreground() with the new pid: median "
            f"{ms(f['median_s'])} ms, p95 {ms(f['p95_s'])} ms, max {ms(f['max_s'])} ms (to the "
            f"callback alone: median {ms(f['signal']['median_s'])}, p95 "
            f"{ms(f['signal']['p95_s'])} ms); {f['missed']} not seen within 5 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="16 switches each way, 1 min sessions, 10 s warm-up")
    parser.add_argument("--switches", type=int, default=None, help="switches timed (40)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="measured part of each scripted session (3)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of the session before measuring (20)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    args.switches = args.switches or (16 if args.quick else 40)
    args.minutes = args.minutes or (1.0 if args.quick else 3.0)
    args.warmup = args.warmup or (10.0 if args.quick else 20.0)

    if os.geteuid() != 0:
        raise SystemExit("bench_kwin: needs root (to run KWin as the test user)")
    missing = missing_tools()
    if missing:
        raise SystemExit(f"bench_kwin: needs {', '.join(missing)} (tests/system-deps.sh)")
    signal.signal(signal.SIGTERM, _raise_on_term)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "widget",
                            "resources"], capture_output=True, text=True).stdout.split("\n")
    dirty = [line for line in dirty if line.strip()]
    if dirty:
        print(f"note: the working tree's widget/ or resources/ has uncommitted changes "
              f"({len(dirty)} files): the tracker and script run as they are on disk",
              flush=True)
    load = os.getloadavg()
    rng = random.Random(args.seed)
    python = UserPython.make().with_qt()
    try:
        print("KWin 5.27 (virtual output)", flush=True)
        found = run(python, args, rng)
    finally:
        python.remove()
    load_end = os.getloadavg()

    walk, helper = found["latency"]["walk"], found["latency"]["helper"]
    on, off = found["on"], found["off"]
    print(f"\nload average {load[0]:.2f} at the start, {load_end[0]:.2f} at the end "
          f"({os.cpu_count()} cores); tracker and probe from {python.root.name} "
          f"(Python {SYSTEM_PYTHON})")
    print("Focus change to the tracker's probe knowing it")
    print(lat_line("KWin, Walk Through Windows (kglobalaccel)", walk))
    print(lat_line("KWin, helper script activation (upper bound)", helper))
    print("The scripted session (3 windows, one titled by a clock), track --interval 5")
    print(f"  with track: probe {on['probe']}, {on['switches']} switches in "
          f"{on['window_s']:.0f} s; track CPU {on['cpu_s']:.2f} s = {on['cpu_pct']:.3f}% core, "
          f"RSS {on['rss_mb']:.1f} MB (USS {on['uss_mb']:.1f} MB), exit {on['tracker_exit']}; "
          f"stored for {APP} {on['stored_s']:.1f} s of the {on['tracked_s']:.1f} s it was in "
          f"front; KWin CPU {on['shell_pct']:.2f}% core, RSS {on['shell_rss_mb']:.0f} MB"
          + (f"; tracker warnings: {on['warnings']}" if on["warnings"] else ""))
    print(f"  without driftcheck: {off['switches']} switches in {off['window_s']:.0f} s; KWin "
          f"CPU {off['shell_pct']:.2f}% core, RSS {off['shell_rss_mb']:.0f} MB")
    extra_pct = on["shell_pct"] - off["shell_pct"]
    print(f"  KWin with driftcheck's script minus without: {extra_pct:+.2f}% of a core (one "
          "run each, so this includes whatever else the machine did meanwhile)")
    figures = [
        Figure("kwin: Walk Through Windows to the probe, p95",
               f"{ms(walk['p95_s'])} ms (n={walk['n']})", "-", None, walk["p95_s"]),
        Figure("kwin: helper activation to the probe, p95",
               f"{ms(helper['p95_s'])} ms (n={helper['n']})", "-", None, helper["p95_s"]),
        Figure("kwin: KWin CPU, script on / off",
               f"{on['shell_pct']:.2f} / {off['shell_pct']:.2f}%", "-", None, extra_pct),
        Figure("kwin: track CPU", f"{on['cpu_pct']:.3f}%", "-", None, on["cpu_pct"]),
        Figure("kwin: track RSS", f"{on['rss_mb']:.1f} MB", "-", None, on["rss_mb"]),
    ]
    result("kwin", figures, **found, load=[load, load_end], args=vars(args),
           dirty_files=dirty)
    return 0 if on.get("tracker_exit") == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
