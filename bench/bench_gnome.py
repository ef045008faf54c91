"""GNOME on Wayland (issue 14) in a real headless GNOME Shell 43 with driftcheck's extension:
how soon a focus change reaches the tracker's probe, what the extension costs the Shell, and
what the tracker costs there against X11.

GNOME Shell runs headless as the test user, on its own buses with a mocked logind
(tests/helpers/gnome.py's `gnome_session`); driftcheck's extension is built for 43 as
`driftcheck desktop install` builds it (`gnome_extension.write(folder, "43")`). Windows are
real Wayland clients (foot, started through symlinks so that their processes are called
`koboldcpp`, `notes`, `clock`).

1. Latency. A `GnomeShellProbe` in this process (on the session's bus, title rules set) follows
   the extension's `FocusChanged` with `watch_focus`; its callback calls `foreground()` at
   once, as the tracker does. Each figure is from just before the focus switch is requested
   to the moment that `foreground()` returned the new window's pid. Two ways of asking:
   the test helper extension's `Activate` (one D-Bus call; `Main.activateWindow` inside the
   Shell, as a click does) between a tracked and an untracked window, `--switches` times; and
   real Alt+Tab (`org.gnome.Mutter.RemoteDesktop` key events: Alt down, Tab down, Tab up, Alt
   up, four bus calls; the switch happens at Alt up), `--keys` times. The same on X11 (Xvfb +
   openbox, two xterms, `X11Probe.watch_focus`, from just before `xdotool windowactivate` is
   spawned), `--switches` times, for the figure beside it.
2. The extension's cost. The same scripted session (below) in two Shell starts: with
   driftcheck's extension on, and without it (not installed); GNOME Shell's CPU (utime +
   stime of its process, /proc/PID/stat, 10 ms ticks) over the measured part of each.
3. The tracker. In each of those sessions a real `driftcheck track --interval 5` runs as the
   test user (Debian's /usr/bin/python3 with a copy of `widget`: `UserPython`): with the
   extension it counts the window in front; without, approximately (the process fallback).
   Then the same session on X11 (Xvfb + openbox, xterms, `xdotool windowactivate`), the
   tracker run by the same /usr/bin/python3 and copy. Its CPU over the measured part and RSS
   (USS) at its end.

The scripted session (seeded, the same in all three): three windows, `koboldcpp` "Kobold chat"
(tracked: `apps add koboldcpp`), `notes` "Shopping list", and `clock`, a terminal whose title
changes every second ("Clock <epoch>", an OSC 2 escape); the focus moves to another of them
every 2-8 s, the pointer moves every 3 s (real input, so nobody is idle). After a warm-up of
`--warmup` s, `--minutes` are measured.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import REPO, Figure, XSession, percentile, result, wait_for, x_session

from tests.helpers.gnome import (
    HELPER_IFACE,
    HELPER_PATH,
    KEY_ALT,
    KEY_TAB,
    SYSTEM_PYTHON,
    GnomeSession,
    UserPython,
    gnome_session,
    missing_tools,
)
from tests.helpers.program import stored_seconds
from widget.desktop import gnome_extension as gx

TICK = os.sysconf("SC_CLK_TCK")
APP = "koboldcpp"
CLOCK_LOOP = ('while :; do printf "\\033]2;Clock %s\\007" "$(date +%s)"; sleep 1; done')
WINDOWS = (("koboldcpp", "Kobold chat"), ("notes", "Shopping list"), ("clock", "Clock"))


def _raise_on_term(*_: object) -> None:
    raise SystemExit(143)


# --- processes --------------------------------------------------------------------------------

def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def wait_tracking(log: Path, proc: subprocess.Popen[Any], said: Path) -> None:
    wait_for(lambda: (log.exists() and "tracking started" in log.read_text())
             or proc.poll() is not None, 60, "the tracker to start")
    if proc.poll() is not None:
        raise RuntimeError(f"the tracker exited ({proc.returncode}): "
                           f"{said.read_text(errors='replace')[-1500:]}")


def stop(proc: subprocess.Popen[Any]) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return None


def probe_mode(log: Path) -> str:
    """What the tracker's log says it counted with: its probe's name at the start."""
    text = log.read_text() if log.exists() else ""
    for line in text.splitlines():
        if "tracking started" in line:
            return line.split("probe ", 1)[1].split(",", 1)[0] if "probe " in line else "?"
    return "?"


# --- 1. latency -------------------------------------------------------------------------------

class FocusHeard:
    """What a probe's focus callback saw: (callback moment, foreground() returned, pid)."""

    def __init__(self, foreground: Callable[[], Any]) -> None:
        self.events: list[tuple[float, float, int | None]] = []
        self._foreground = foreground

    def __call__(self, moment: float) -> None:
        fg = self._foreground()
        self.events.append((moment, time.monotonic(), fg.pid if fg is not None else None))

    def time_switch(self, switch: Callable[[], None], pid: int, timeout: float = 5.0
                    ) -> tuple[float, float] | None:
        """(seconds to the callback, seconds to foreground() giving `pid`) from just before
        `switch()`, or None when it did not come within `timeout`."""
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


def summary(values: list[float]) -> dict[str, Any]:
    values = sorted(values)
    return {"n": len(values), "values_s": values,
            "median_s": statistics.median(values) if values else float("nan"),
            "p95_s": percentile(values, 95), "max_s": values[-1] if values else float("nan")}


def helper_activate(gnome: GnomeSession, pid: int) -> None:
    """The window of `pid` to the front through the test helper (titles may change under
    us: the clock's does every second, so look its title up and try again)."""
    for _ in range(5):
        titles = [w[0] for w in gnome.windows() if w[3] == pid]
        if titles and gnome.call("org.gnome.Shell", HELPER_PATH, HELPER_IFACE, "Activate", "s",
                                 titles[0])[0]:
            return
        time.sleep(0.05)
    raise RuntimeError(f"no window of pid {pid} to activate")


def gnome_latency(gnome: GnomeSession, pids: tuple[int, int], switches: int, keys: int,
                  rng: random.Random) -> dict[str, Any]:
    from widget.probes.gnome import GnomeShellProbe

    before = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = gnome.bus_address  # the probe's connections
    try:
        return _gnome_latency(GnomeShellProbe(), gnome, pids, switches, keys, rng)
    finally:  # later children (the X11 run's) must not inherit this session's bus
        if before is None:
            del os.environ["DBUS_SESSION_BUS_ADDRESS"]
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = before


def _gnome_latency(probe: Any, gnome: GnomeSession, pids: tuple[int, int], switches: int,
                   keys: int, rng: random.Random) -> dict[str, Any]:
    try:
        probe.set_title_rules(["s:kobold", "g:*list*"])
        heard = FocusHeard(probe.foreground)
        if not probe.watch_focus(heard):
            raise RuntimeError("the probe could not follow FocusChanged")
        helper_activate(gnome, pids[0])
        wait_for(lambda: (fg := probe.foreground()) is not None and fg.pid == pids[0], 10,
                 "the first window in front")
        found: dict[str, Any] = {}
        for label, count in (("activate", switches), ("alt_tab", keys)):
            signal_s: list[float] = []
            probe_s: list[float] = []
            missed = 0
            front = 0
            for _ in range(count):
                target = 1 - front
                if label == "activate":
                    took = heard.time_switch(lambda t=target: helper_activate(gnome, pids[t]),
                                             pids[target])
                else:  # Alt+Tab goes back to the window used before: the other one
                    took = heard.time_switch(lambda: gnome.press(KEY_ALT, KEY_TAB),
                                             pids[target])
                if took is None:
                    missed += 1
                    fg = probe.foreground()
                    front = 0 if fg is not None and fg.pid == pids[0] else 1
                else:
                    signal_s.append(took[0])
                    probe_s.append(took[1])
                    front = target
                time.sleep(rng.uniform(0.3, 0.8))  # a person's glance, not a wait
            found[label] = {**summary(probe_s), "signal": summary(signal_s), "missed": missed}
        found["callbacks"] = len(heard.events)
        return found
    finally:
        probe.close()


def x11_latency(xs: XSession, switches: int, rng: random.Random) -> dict[str, Any]:
    from widget.probes.x11 import X11Probe

    windows = [xs.spawn("koboldcpp", "Kobold chat"), xs.spawn("notes", "Shopping list")]
    xs.activate(windows[0])
    probe = X11Probe(xs.display)
    try:
        heard = FocusHeard(probe.foreground)
        probe.watch_focus(heard)
        signal_s: list[float] = []
        probe_s: list[float] = []
        missed = 0
        front = 0
        for _ in range(switches):
            target = 1 - front
            took = heard.time_switch(lambda t=target: xs.activate(windows[t]),  # type: ignore[misc]
                                     windows[target].process.pid)
            if took is None:
                missed += 1
            else:
                signal_s.append(took[0])
                probe_s.append(took[1])
            front = target
            time.sleep(rng.uniform(0.3, 0.8))
        return {"activate": {**summary(probe_s), "signal": summary(signal_s), "missed": missed}}
    finally:
        probe.close()
        xs.close_windows()


# --- 2 and 3. the scripted session under a real tracker ----------------------------------------

class Toucher:
    """Real input every `every` seconds on a thread of its own, until the `with` ends."""

    def __init__(self, touch: Callable[[], None], every: float = 3.0) -> None:
        self._touch = touch
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._touch()
            except Exception as error:  # a missed move only makes idle start earlier
                print(f"  (a pointer move failed: {error})", flush=True)

    def __enter__(self) -> Toucher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def scripted(activate: Callable[[int], None], pids: list[int], seconds: float, seed: int
             ) -> tuple[int, float]:
    """Move the focus among `pids` every 2-8 s for `seconds` (seeded); the number of switches
    and the seconds the first (tracked) window was in front, between the requests."""
    rng = random.Random(seed)
    switches = 0
    tracked_s = 0.0
    front = 1
    began = last = time.monotonic()
    while time.monotonic() - began < seconds:
        target = rng.choice([i for i in range(len(pids)) if i != front])
        now = time.monotonic()
        activate(pids[target])
        if front == 0:
            tracked_s += now - last
        front, last = target, now
        switches += 1
        time.sleep(rng.uniform(2.0, 8.0))
    if front == 0:
        tracked_s += time.monotonic() - last
    return switches, tracked_s


def measured_session(activate: Callable[[int], None], pids: list[int], tracker: int,
                     shell: int | None, stored: Callable[[], float], args: argparse.Namespace
                     ) -> dict[str, Any]:
    import psutil

    proc = psutil.Process(tracker)
    scripted(activate, pids, args.warmup, args.seed + 1)  # warm-up, not measured
    activate(pids[1])
    time.sleep(1.0)
    shell_a = cpu_ticks(shell) if shell else None
    cpu_a, t_a = sum(proc.cpu_times()[:2]), time.monotonic()
    stored_a = stored()
    switches, tracked_s = scripted(activate, pids, args.minutes * 60, args.seed)
    activate(pids[1])  # the untracked window: the last tracked interval ends here
    cpu_b, t_b = sum(proc.cpu_times()[:2]), time.monotonic()
    shell_b = cpu_ticks(shell) if shell else None
    mem = proc.memory_full_info()
    time.sleep(1.5)  # the tracker writes the interval the switch closed
    out: dict[str, Any] = {
        "window_s": t_b - t_a, "cpu_s": cpu_b - cpu_a, "cpu_pct": (cpu_b - cpu_a) / (t_b - t_a)
        * 100, "rss_mb": mem.rss / 2**20, "uss_mb": mem.uss / 2**20, "switches": switches,
        "tracked_s": tracked_s, "stored_s": stored() - stored_a}
    if shell is not None and shell_a is not None and shell_b is not None:
        out.update(shell_ticks=shell_b - shell_a,
                   shell_pct=(shell_b - shell_a) / TICK / (t_b - t_a) * 100,
                   shell_rss_mb=status_kb(shell, "VmRSS") / 1024)
    return out


def clock_argv(link: Path, wayland: bool) -> list[str]:
    if wayland:
        return [str(link), "--app-id", "clock", "--title", "Clock", "sh", "-c", CLOCK_LOOP]
    return [str(link), "-T", "Clock", "-geometry", "60x10", "-e", "sh", "-c", CLOCK_LOOP]


def gnome_run(python: UserPython, extension: Path | None, args: argparse.Namespace,
              rng: random.Random) -> dict[str, Any]:
    """One Shell start: with driftcheck's extension (`extension` given), the latency series
    first; then the scripted session under a real `track`."""
    ext = [extension] if extension is not None else []
    enabled = [gx.UUID] if extension is not None else []
    with gnome_session(ext, enabled, python=python) as gnome:
        assert gnome.shell is not None
        shell = gnome.shell.pid
        state = gnome.extension_state(gx.UUID)
        print(f"  GNOME Shell {gnome.shell_version} pid {shell}, driftcheck's extension: "
              f"{ {1.0: 'on', None: 'not installed'}.get(state, state) }", flush=True)
        kobold = gnome.open_window("koboldcpp", "Kobold chat")
        notes = gnome.open_window("notes", "Shopping list")
        out: dict[str, Any] = {"shell_version": gnome.shell_version, "extension_state": state}
        if extension is not None:
            out["latency"] = gnome_latency(gnome, (kobold.pid, notes.pid), args.switches,
                                           args.keys, rng)
        link = gnome.named("clock", "foot")
        clock = gnome.spawn_as_user(clock_argv(link, wayland=True))
        wait_for(lambda: any(w[3] == clock.pid for w in gnome.windows()), 20, "the clock")
        data = gnome.home / "data"
        added = gnome.driftcheck("--data-dir", str(data), "apps", "add", APP)
        if added.returncode:
            raise RuntimeError(f"apps add: {added.stderr}")
        said = gnome.base / "track.stderr"
        with said.open("wb") as err:
            tracker = gnome.spawn_as_user(python.argv("--data-dir", str(data), "track",
                                                      "--interval", "5"), stderr=err)
        log = data / "driftcheck.log"
        wait_tracking(log, tracker, said)
        out["probe"] = probe_mode(log)
        print(f"  track pid {tracker.pid}, probe {out['probe']}; session: {args.warmup:g} s "
              f"warm-up, {args.minutes:g} min measured", flush=True)
        with Toucher(gnome.touch):
            out.update(measured_session(lambda pid: helper_activate(gnome, pid),
                                        [kobold.pid, notes.pid, clock.pid], tracker.pid,
                                        shell, lambda: stored_seconds(data, APP), args))
        out["tracker_exit"] = stop(tracker)
        out["warnings"] = [line for line in log.read_text().splitlines()
                           if '"level": "warning"' in line or '"level": "error"' in line][:5]
    return out


def x11_run(python: UserPython, args: argparse.Namespace, rng: random.Random
            ) -> dict[str, Any]:
    with x_session("gnome-x11") as (xs, tmp):
        out: dict[str, Any] = {"latency": x11_latency(xs, args.switches, rng)}
        kobold = xs.spawn("koboldcpp", "Kobold chat")
        notes = xs.spawn("notes", "Shopping list")
        link = xs.bin_dir / "clock"
        if not link.exists():
            link.symlink_to("/usr/bin/xterm")
        clock = subprocess.Popen(clock_argv(link, wayland=False), env=xs.env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        xs.procs.append(clock)
        wids = {kobold.process.pid: kobold.wid, notes.process.pid: notes.wid,
                clock.pid: wait_for(lambda: xs.visible("--pid", str(clock.pid))[-1:], 15,
                                    "the clock's window")[0]}
        data = tmp / "data"
        env = {**xs.env, "PYTHONPATH": python.pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run(python.argv("--data-dir", str(data), "apps", "add", APP), env=env,
                       check=True, capture_output=True, timeout=60)
        said = tmp / "track.stderr"
        with said.open("wb") as err:
            tracker = subprocess.Popen(python.argv("--data-dir", str(data), "track",
                                                   "--interval", "5"), env=env,
                                       stdout=subprocess.DEVNULL, stderr=err)
        try:
            log = data / "driftcheck.log"
            wait_tracking(log, tracker, said)
            out["probe"] = probe_mode(log)
            print(f"  track pid {tracker.pid}, probe {out['probe']}", flush=True)
            with Toucher(xs.touch):
                out.update(measured_session(
                    lambda pid: xs.xdotool("windowactivate", "--sync", wids[pid]),
                    [kobold.process.pid, notes.process.pid, clock.pid], tracker.pid, None,
                    lambda: stored_seconds(data, APP), args))
        finally:
            out["tracker_exit"] = stop(tracker)
        out["warnings"] = [line for line in log.read_text().splitlines()
                           if '"level": "warning"' in line or '"level": "error"' in line][:5]
    return out


# --- report -----------------------------------------------------------------------------------

def ms(s: float) -> str:
    return f"{s * 1000:.0f}"


def lat_line(label: str, f: dict[str, Any]) -> str:
    return (f"  {label}: {f['n']} switches, to foreground() with the new pid: median "
            f"{ms(f['median_s'])} ms, p95 {ms(f['p95_s'])} ms, max {ms(f['max_s'])} ms (to the "
            f"callback alone: median {ms(f['signal']['median_s'])}, p95 "
            f"{ms(f['signal']['p95_s'])} ms); {f['missed']} not seen within 5 s")


def session_line(label: str, s: dict[str, Any]) -> str:
    line = (f"  {label}: probe {s['probe']}, {s['switches']} switches in {s['window_s']:.0f} s; "
            f"track CPU {s['cpu_s']:.2f} s = {s['cpu_pct']:.3f}% core, RSS {s['rss_mb']:.1f} MB "
            f"(USS {s['uss_mb']:.1f} MB), exit {s['tracker_exit']}; stored for {APP} "
            f"{s['stored_s']:.1f} s of the {s['tracked_s']:.1f} s it was in front (measured part)")
    if "shell_ticks" in s:
        line += (f"; GNOME Shell CPU {s['shell_ticks'] * 1000 // TICK} ms = "
                 f"{s['shell_pct']:.2f}% core, RSS {s['shell_rss_mb']:.0f} MB")
    if s["warnings"]:
        line += f"; tracker warnings: {s['warnings']}"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="16 switches, 8 Alt+Tabs, 1 min sessions, 10 s warm-up")
    parser.add_argument("--switches", type=int, default=None,
                        help="focus switches timed through the helper, and on X11 (40)")
    parser.add_argument("--keys", type=int, default=None, help="Alt+Tab switches timed (20)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="measured part of each scripted session (3)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of the session before measuring (20)")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    args.switches = args.switches or (16 if args.quick else 40)
    args.keys = args.keys or (8 if args.quick else 20)
    args.minutes = args.minutes or (1.0 if args.quick else 3.0)
    args.warmup = args.warmup or (10.0 if args.quick else 20.0)

    if os.geteuid() != 0:
        raise SystemExit("bench_gnome: needs root (to run GNOME Shell as the test user)")
    missing = missing_tools()
    if missing:
        raise SystemExit(f"bench_gnome: needs {', '.join(missing)} (tests/system-deps.sh)")
    signal.signal(signal.SIGTERM, _raise_on_term)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "widget",
                            "resources"], capture_output=True, text=True).stdout.split("\n")
    dirty = [line for line in dirty if line.strip()]
    if dirty:
        print(f"note: the working tree's widget/ or resources/ has uncommitted changes "
              f"({len(dirty)} files): the tracker and extension run as they are on disk",
              flush=True)
    load = os.getloadavg()
    rng = random.Random(args.seed)
    python = UserPython.make()
    found: dict[str, Any] = {}
    try:
        folder = python.root.parent / f"{python.root.name}-ext" / gx.UUID
        folder.parent.mkdir(mode=0o755)
        gx.write(folder, "43")
        print("GNOME Shell with driftcheck's extension", flush=True)
        found["on"] = gnome_run(python, folder, args, rng)
        print("GNOME Shell without it", flush=True)
        found["off"] = gnome_run(python, None, args, rng)
        print("X11 (Xvfb + openbox)", flush=True)
        found["x11"] = x11_run(python, args, rng)
    finally:
        import shutil

        python.remove()
        shutil.rmtree(python.root.parent / f"{python.root.name}-ext", ignore_errors=True)
    load_end = os.getloadavg()

    on, off, x11 = found["on"], found["off"], found["x11"]
    g_act, g_key, x_act = on["latency"]["activate"], on["latency"]["alt_tab"], \
        x11["latency"]["activate"]
    print(f"\nload average {load[0]:.2f} at the start, {load_end[0]:.2f} at the end "
          f"({os.cpu_count()} cores); tracker and extension from {python.root.name} "
          f"(Python {SYSTEM_PYTHON})")
    print("Focus change to the tracker's probe knowing it")
    print(lat_line("GNOME, helper Activate", g_act))
    print(lat_line("GNOME, Alt+Tab (RemoteDesktop keys)", g_key))
    print(lat_line("X11, xdotool windowactivate", x_act))
    print("The scripted session (3 windows, one titled by a clock), track --interval 5")
    print(session_line("GNOME, extension on ", on))
    print(session_line("GNOME, extension off", off))
    print(session_line("X11                 ", x11))
    extra_pct = on["shell_pct"] - off["shell_pct"]
    print(f"  the Shell with the extension minus without: {extra_pct:+.2f}% of a core "
          f"({extra_pct / 100 * 3600:+.1f} s of CPU an hour; one run each, so this includes "
          "whatever else the machine did meanwhile)")
    figures = [
        Figure("gnome: focus change to the probe, p95", f"{ms(g_act['p95_s'])} ms "
               f"(n={g_act['n']})", f"as X11 ({ms(x_act['p95_s'])} ms)", None, g_act["p95_s"]),
        Figure("gnome: Alt+Tab to the probe, p95", f"{ms(g_key['p95_s'])} ms (n={g_key['n']})",
               "-", None, g_key["p95_s"]),
        Figure("x11: focus change to the probe, p95", f"{ms(x_act['p95_s'])} ms "
               f"(n={x_act['n']})", "-", None, x_act["p95_s"]),
        Figure("gnome: Shell CPU, extension on / off",
               f"{on['shell_pct']:.2f} / {off['shell_pct']:.2f}%", "-", None, extra_pct),
        Figure("gnome: track CPU, GNOME / X11",
               f"{on['cpu_pct']:.3f} / {x11['cpu_pct']:.3f}%", "-", None, on["cpu_pct"]),
        Figure("gnome: track RSS, GNOME / X11", f"{on['rss_mb']:.1f} / {x11['rss_mb']:.1f} MB",
               "-", None, on["rss_mb"]),
        Figure("gnome: track, extension off (approximate): CPU, RSS",
               f"{off['cpu_pct']:.3f}%, {off['rss_mb']:.1f} MB", "-", None, off["cpu_pct"]),
    ]
    result("gnome", figures, **found, load=[load, load_end], args=vars(args),
           dirty_files=dirty)
    failed = any(s.get("tracker_exit") not in (0,) for s in (on, off, x11))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
