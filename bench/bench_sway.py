"""Sway (issue 15) in a real headless Sway 1.7: how soon a focus change reaches the probe and
the running tracker's database, and what the tracker costs there, against X11 and against the
Sway probe before issue 15 (one `swaymsg -t get_tree` per sample, `swaymsg -t subscribe -m`).

Sway runs headless as the test user (tests/helpers/wlroots.py's `wlroots_session`); windows
are real Wayland clients (foot, started through symlinks so that their processes are called
`koboldcpp`, `notes`, `clock`). The tracker is the real `driftcheck track --interval 5` run by
Debian's /usr/bin/python3 with a copy of `widget` (`UserPython`), as the test user.

1. Focus change to the probe. A `SwayProbe` in this process follows Sway's events with
   `watch_focus`; its callback calls `foreground()` at once, as the tracker does. Each figure
   is from just before the switch is requested to the moment `foreground()` returned the new
   window's pid, between a tracked and an untracked window, `--switches` times each way of
   asking: `swaymsg '[pid=N] focus'` (a program started per switch, as a key binding runs
   one) and foreign-toplevel `activate` (as a taskbar does; one Wayland request).
2. Focus change to the tracker's state. The real tracker runs; the bench switches between the
   tracked and the untracked window with foreign-toplevel `activate` and times, from just
   before the request, until the tracker's database shows it (an interval opened: one more
   row; closed: the last row's end written), read through a read-only connection every 2 ms.
3. The tracker's cost. The scripted session of bench_gnome.py (three windows, one a clock
   whose title changes every second, the focus moving every 2-8 s, the pointer every 3 s;
   `--warmup` s, then `--minutes` measured) under the tracker with this probe, under the same
   tracker with the probe of before (its file taken from git, `--old`), and on X11 (Xvfb +
   openbox, bench_gnome.py's run, with its X11 latency series). CPU over the measured part,
   RSS (USS) at its end, and the seconds stored against the seconds the tracked window was in
   front.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts the repository on sys.path)
import bench_gnome as bg
from _common import REPO, Figure, result, wait_for

from tests.helpers.gnome import SYSTEM_PYTHON, UserPython
from tests.helpers.program import stored_seconds
from tests.helpers.wlroots import WlrSession, missing_tools, wlroots_session

APP = bg.APP
# The probe before issue 15's socket client: swaymsg per sample (see the module docstring).
OLD_PROBE_COMMIT = "8307756"


def old_probe_python(commit: str) -> UserPython:
    """A UserPython whose widget/probes/sway.py is the one of `commit`."""
    python = UserPython.make()
    old = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:widget/probes/sway.py"],
                         capture_output=True, text=True, check=True).stdout
    # choose_probe now hands the probe the session's environment first; the old one found
    # swaymsg on PATH and read SWAYSOCK from its own environment (the same one here).
    signature = "def __init__(self, swaymsg: str | None = None,"
    if signature not in old:
        raise RuntimeError(f"the Sway probe of {commit} is not the swaymsg one")
    old = old.replace(signature, "def __init__(self, _env: object = None, "
                                 "swaymsg: str | None = None,")
    target = python.root / "widget" / "probes" / "sway.py"
    target.write_text(old)
    target.chmod(0o644)
    for cached in (python.root / "widget" / "probes" / "__pycache__").glob("sway.*"):
        cached.unlink()
    return python


# --- 1. focus change to the probe -------------------------------------------------------------

def probe_latency(sway: WlrSession, windows: list[Any], switches: int,
                  rng: random.Random) -> dict[str, Any]:
    from widget.probes.sway import SwayProbe

    probe = SwayProbe(env=sway.env)
    try:
        heard = bg.FocusHeard(probe.foreground)
        if not probe.watch_focus(heard):
            raise RuntimeError("the probe could not subscribe to Sway's events")
        sway.focus(windows[0])
        found: dict[str, Any] = {}
        ways = {"swaymsg": lambda w: sway.swaymsg(f"[pid={w.pid}] focus"),
                "activate": sway.focus}
        for label, ask in ways.items():
            signal_s: list[float] = []
            probe_s: list[float] = []
            missed = 0
            fg = probe.foreground()
            front = 0 if fg is not None and fg.pid == windows[0].pid else 1
            for _ in range(switches):
                target = 1 - front
                took = heard.time_switch(lambda t=target, a=ask: a(windows[t]),  # type: ignore[misc]
                                         windows[target].pid)
                if took is None:
                    missed += 1
                else:
                    signal_s.append(took[0])
                    probe_s.append(took[1])
                front = target
                time.sleep(rng.uniform(0.3, 0.8))  # a person's glance, not a wait
            found[label] = {**bg.summary(probe_s), "signal": bg.summary(signal_s),
                            "missed": missed}
        found["callbacks"] = len(heard.events)
        return found
    finally:
        probe.close()


# --- 2. focus change to the tracker's database --------------------------------------------

def tracker_latency(sway: WlrSession, data: Path, windows: list[Any], switches: int,
                    rng: random.Random) -> dict[str, Any]:
    """windows[0] tracked, windows[1] not; the tracker runs on `data`."""
    db = sqlite3.connect(f"file:{data / 'driftcheck.sqlite3'}?mode=ro", uri=True, timeout=10)

    def state() -> tuple[int, int]:
        return db.execute("SELECT count(*), coalesce(max(end_ms), 0) FROM intervals").fetchone()

    try:
        opened: list[float] = []
        closed: list[float] = []
        missed = 0
        sway.focus(windows[1])
        time.sleep(1.0)
        front = 1
        for _ in range(switches * 2):
            target = 1 - front
            before = state()
            sent = time.monotonic()
            sway.focus(windows[target])
            try:
                if target == 0:  # a new interval: one more row
                    wait_for(lambda b=before: state()[0] > b[0], 5, "a row", step=0.002)
                else:  # the open interval closed: its end written
                    wait_for(lambda b=before: state() != b, 5, "an end", step=0.002)
            except TimeoutError:
                missed += 1
            else:
                (opened if target == 0 else closed).append(time.monotonic() - sent)
            front = target
            time.sleep(rng.uniform(0.6, 1.2))
        return {"opened": bg.summary(opened), "closed": bg.summary(closed),
                "both": bg.summary(opened + closed), "missed": missed}
    finally:
        db.close()


# --- 3. the scripted session under a real tracker ------------------------------------------

def family_cpu(pid: int) -> float:
    """CPU seconds of a process, its ended children and its live ones."""
    import psutil

    proc = psutil.Process(pid)
    times = proc.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in proc.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.Error:
            continue
        total += child_times.user + child_times.system
    return total


def sway_run(python: UserPython, label: str, args: argparse.Namespace, rng: random.Random,
             latency: bool) -> dict[str, Any]:
    with wlroots_session("sway", python=python) as sway:
        kobold = sway.open_window("koboldcpp", "Kobold chat")
        notes = sway.open_window("notes", "Shopping list")
        out: dict[str, Any] = {}
        if latency:
            out["latency"] = probe_latency(sway, [kobold, notes], args.switches, rng)
        link = sway.named("clock", "foot")
        clock = sway.spawn_as_user(bg.clock_argv(link, wayland=True))
        wait_for(lambda: any(t.app_id == "clock" for t in sway.toplevels()), 20, "the clock")
        data = sway.home / "data"
        added = sway.driftcheck("--data-dir", str(data), "apps", "add", APP)
        if added.returncode:
            raise RuntimeError(f"apps add: {added.stderr}")
        said = sway.base / "track.stderr"
        with said.open("wb") as err:
            tracker = sway.spawn_as_user(python.argv("--data-dir", str(data), "track",
                                                     "--interval", "5"), stderr=err)
        log = data / "driftcheck.log"
        bg.wait_tracking(log, tracker, said)
        out["probe"] = bg.probe_mode(log)
        print(f"  {label}: track pid {tracker.pid}, probe {out['probe']}; session: "
              f"{args.warmup:g} s warm-up, {args.minutes:g} min measured", flush=True)
        if latency:
            out["tracker_latency"] = tracker_latency(sway, data, [kobold, notes],
                                                     args.switches, rng)
        by_pid = {kobold.pid: kobold, notes.pid: notes}

        def activate(pid: int) -> None:
            if pid in by_pid:
                sway.focus(by_pid[pid])
            else:  # the clock, whose title changes under us
                sway.swaymsg(f"[pid={pid}] focus")

        with bg.Toucher(sway.touch):
            family_a, t_a = family_cpu(tracker.pid), time.monotonic()
            out.update(bg.measured_session(activate, [kobold.pid, notes.pid, clock.pid],
                                           tracker.pid, None,
                                           lambda: stored_seconds(data, APP), args))
            family_b, t_b = family_cpu(tracker.pid), time.monotonic()
        # The old probe's swaymsg processes are the tracker's children: their CPU counts too.
        out["family_cpu_pct"] = (family_b - family_a) / (t_b - t_a) * 100
        out["tracker_exit"] = bg.stop(tracker)
        out["warnings"] = [line for line in log.read_text().splitlines()
                           if '"level": "warning"' in line or '"level": "error"' in line][:5]
    return out


# --- report -----------------------------------------------------------------------------------

def tracker_line(f: dict[str, Any]) -> str:
    o, c = f["opened"], f["closed"]
    return (f"  Sway, foreign-toplevel activate to the tracker's database: opened {o['n']}: "
            f"median {bg.ms(o['median_s'])} ms, p95 {bg.ms(o['p95_s'])} ms; closed {c['n']}: "
            f"median {bg.ms(c['median_s'])} ms, p95 {bg.ms(c['p95_s'])} ms; both p95 "
            f"{bg.ms(f['both']['p95_s'])} ms; {f['missed']} not seen within 5 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="16 switches, 1 min sessions, 10 s warm-up")
    parser.add_argument("--switches", type=int, default=None,
                        help="focus switches timed each way (40)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="measured part of each scripted session (3)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of the session before measuring (20)")
    parser.add_argument("--old", default=OLD_PROBE_COMMIT,
                        help="the commit whose Sway probe is 'before' (swaymsg per sample)")
    parser.add_argument("--no-old", action="store_true", help="skip the old probe's session")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    args.switches = args.switches or (16 if args.quick else 40)
    args.minutes = args.minutes or (1.0 if args.quick else 3.0)
    args.warmup = args.warmup or (10.0 if args.quick else 20.0)

    if os.geteuid() != 0:
        raise SystemExit("bench_sway: needs root (to run Sway as the test user)")
    missing = missing_tools("sway")
    if missing:
        raise SystemExit(f"bench_sway: needs {', '.join(missing)} (tests/system-deps.sh)")
    signal.signal(signal.SIGTERM, bg._raise_on_term)
    load = os.getloadavg()
    rng = random.Random(args.seed)
    found: dict[str, Any] = {}
    python = UserPython.make()
    old: UserPython | None = None
    try:
        print("Sway 1.7, the probe on Sway's IPC socket", flush=True)
        found["sway"] = sway_run(python, "IPC socket", args, rng, latency=True)
        if not args.no_old:
            old = old_probe_python(args.old)
            print(f"Sway 1.7, the probe of {args.old} (swaymsg per sample)", flush=True)
            found["sway_old"] = sway_run(old, "swaymsg", args, rng, latency=False)
        print("X11 (Xvfb + openbox)", flush=True)
        found["x11"] = bg.x11_run(python, args, rng)
    finally:
        python.remove()
        if old is not None:
            old.remove()
    load_end = os.getloadavg()

    sway, x11 = found["sway"], found["x11"]
    s_msg, s_act = sway["latency"]["swaymsg"], sway["latency"]["activate"]
    x_act = x11["latency"]["activate"]
    tl = sway["tracker_latency"]
    print(f"\nload average {load[0]:.2f} at the start, {load_end[0]:.2f} at the end "
          f"({os.cpu_count()} cores); tracker from a copy of widget (Python {SYSTEM_PYTHON})")
    print("Focus change to the tracker's probe knowing it")
    print(bg.lat_line("Sway, swaymsg focus", s_msg))
    print(bg.lat_line("Sway, foreign-toplevel activate", s_act))
    print(bg.lat_line("X11, xdotool windowactivate", x_act))
    print("Focus change to the running tracker's state")
    print(tracker_line(tl))
    print("The scripted session (3 windows, one titled by a clock), track --interval 5")
    print(bg.session_line("Sway, IPC socket    ", sway))
    if "sway_old" in found:
        print(bg.session_line("Sway, swaymsg (old) ", found["sway_old"]))
    for key, label in (("sway", "IPC socket"), ("sway_old", "swaymsg (old)")):
        if key in found:
            print(f"  Sway, {label}: track with its child processes, over warm-up and "
                  f"measured part: {found[key]['family_cpu_pct']:.3f}% core")
    print(bg.session_line("X11                 ", x11))
    figures = [
        Figure("sway: focus change to the probe, p95",
               f"{bg.ms(s_act['p95_s'])} ms (n={s_act['n']})",
               f"as X11 ({bg.ms(x_act['p95_s'])} ms)", None, s_act["p95_s"]),
        Figure("sway: swaymsg focus to the probe, p95",
               f"{bg.ms(s_msg['p95_s'])} ms (n={s_msg['n']})", "-", None, s_msg["p95_s"]),
        Figure("sway: focus change to the tracker's database, p95",
               f"{bg.ms(tl['both']['p95_s'])} ms (n={tl['both']['n']})", "-", None,
               tl["both"]["p95_s"]),
        Figure("sway: track CPU, Sway / X11", f"{sway['cpu_pct']:.3f} / {x11['cpu_pct']:.3f}%",
               "-", None, sway["cpu_pct"]),
        Figure("sway: track RSS, Sway / X11", f"{sway['rss_mb']:.1f} / {x11['rss_mb']:.1f} MB",
               "-", None, sway["rss_mb"]),
    ]
    if "sway_old" in found:
        so = found["sway_old"]
        figures.append(Figure("sway: track CPU with children, socket / swaymsg (old)",
                              f"{sway['family_cpu_pct']:.3f} / {so['family_cpu_pct']:.3f}%",
                              "-", None, so["family_cpu_pct"]))
    result("sway", figures, **found, load=[load, load_end], args=vars(args))
    failed = any(s.get("tracker_exit") not in (0,) for s in found.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
