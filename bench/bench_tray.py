"""What the tray app costs while it runs: resident memory and idle CPU.

The real tray app (`python -m widget --data-dir D`, the tracker inside it) runs as a subprocess
on a private Xvfb + openbox with `trayer` as the tray, so its ring icon really exists. One app
is tracked (`apps add koboldcpp`, `goals set --daily 45m`); the data dir says the welcome was
seen and the self-check was just asked, so no dialog opens. Active part: the koboldcpp window
(an xterm through a symlink of that name) is in front two thirds of each minute, an untracked
window the rest, and the pointer moves every few seconds. Idle part (the last
`--idle-minutes`): the untracked window in front and no input at all; the app's CPU time is
measured over it after a short settling. RSS is read 30 s after the start and at the end
(`--minutes` after the start). Icon redraws are counted from the outside: the tray icon's
pixels are read once a second (Xlib GetImage) and every change counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import (
    ActivePerson,
    DrainedProcess,
    Figure,
    XSession,
    driftcheck,
    result,
    tracker_env,
    wait_for,
    x_session,
)

TARGET_RSS_MB = 70.0
TARGET_CPU_PCT = 0.3
DB_NAME = "driftcheck.sqlite3"


# --- the tray and its icon ---------------------------------------------------------------------

def start_trayer(xs: XSession) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                             "request", "--height", "32", "--SetDockType", "true",
                             "--transparent", "false"], env=xs.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def trayer_windows(xs: XSession) -> list[str]:
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "trayer"],
                         env=xs.env, capture_output=True, text=True, timeout=10)
    return out.stdout.split()


def geometry(xs: XSession, wid: str) -> tuple[int, int, int, int]:
    shell = xs.xdotool("getwindowgeometry", "--shell", wid)
    values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


class Screen:
    """Pixels of the root window through Xlib (cheap enough to poll once a second)."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self._X = X
        self.display = xdisplay.Display(display)
        self.root = self.display.screen().root
        # No screen saver: an idle screen must not blank (it would change the icon's pixels).
        self.display.set_screen_saver(0, 0, X.DefaultBlanking, X.DefaultExposures)
        self.display.sync()

    def rgb(self, x: int, y: int, w: int, h: int) -> list[tuple[int, int, int]]:
        raw = self.root.get_image(x, y, w, h, self._X.ZPixmap, 0xFFFFFFFF).data
        data = bytes(raw)  # 32 bits a pixel, B G R x, on Xvfb's 24-bit screen
        return [(data[i + 2], data[i + 1], data[i]) for i in range(0, len(data), 4)]

    def digest(self, x: int, y: int, w: int, h: int) -> str:
        raw = self.root.get_image(x, y, w, h, self._X.ZPixmap, 0xFFFFFFFF).data
        return hashlib.sha1(bytes(raw)).hexdigest()

    def close(self) -> None:
        self.display.close()


def ring_pixels(colors: list[tuple[int, int, int]]) -> int:
    """Pixels with the ring's blue-green tint (trayer's background is a neutral grey)."""
    return sum(1 for r, g, b in colors if b - r > 15 and g - r > 10)


def find_icon(xs: XSession, screen: Screen) -> tuple[int, int, int, int] | None:
    for wid in trayer_windows(xs):
        x, y, w, h = geometry(xs, wid)
        if w >= 16 and ring_pixels(screen.rgb(x, y, w, h)) >= 20:
            return x, y, w, h
    return None


class IconWatch:
    """Counts changes of the tray icon's pixels, polled once a second."""

    def __init__(self, screen: Screen, area: tuple[int, int, int, int]) -> None:
        self.screen = screen
        self.area = area
        self.changes: list[float] = []  # seconds since start
        self._t0 = time.monotonic()
        self._last = screen.digest(*area)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                now = self.screen.digest(*self.area)
            except Exception:  # a poll that fails counts nothing
                continue
            if now != self._last:
                self.changes.append(time.monotonic() - self._t0)
                self._last = now

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def between(self, a: float, b: float) -> int:
        return sum(1 for t in self.changes if a <= t < b)


# --- the app -----------------------------------------------------------------------------------

def seed_settings(data: Path) -> None:
    """The welcome was seen and the self-check was just asked: no dialog opens."""
    from widget.core.options import instant_to_setting
    from widget.store import Store

    store = Store.open(data / DB_NAME)
    try:
        store.set_setting("first_run_done", True)
        store.set_setting("checkin.last_asked", instant_to_setting(datetime.now(UTC)))
    finally:
        store.close()


class TrayApp(DrainedProcess):
    """`python -m widget --data-dir D` (the tray app) on the X session's display."""

    def __init__(self, xs: XSession, data: Path) -> None:
        env = tracker_env(xs)
        env.pop("QT_QPA_PLATFORM", None)
        super().__init__(["--data-dir", str(data)], env)


def write_history_before_today(data: Path, weeks: int) -> int:
    """bench_dashboard.py's dense history, ending where today (driftcheck's day, from 04:00)
    begins: today starts empty, so no goal message opens a window the run would measure."""
    import bench_dashboard

    from widget.core.calendar import day_window, local_day
    from widget.desktop.localzone import local_zone

    tz = local_zone()
    bench_dashboard.NOW = day_window(local_day(datetime.now(UTC), tz, 4), tz, 4)[0]
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    _, count = bench_dashboard.make_data(data, weeks, seed=7)
    return count


def sleep_until(t: float) -> None:
    time.sleep(max(0.0, t - time.monotonic()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="whole run from the app's start; RSS is read at its end")
    parser.add_argument("--idle-minutes", type=float, default=3.0,
                        help="the last part of the run: untracked window in front, no input")
    parser.add_argument("--settle", type=float, default=15.0,
                        help="seconds after the idle part begins before CPU is measured")
    parser.add_argument("--touch-every", type=float, default=3.0,
                        help="seconds between pointer moves in the active part")
    parser.add_argument("--history-weeks", type=int, default=0,
                        help="first write this many weeks of bench_dashboard.py's dense history "
                        "(about 1,450 intervals a week, ending yesterday; its goals cleared)")
    args = parser.parse_args()
    if args.idle_minutes * 60 <= args.settle or args.minutes * 60 < args.idle_minutes * 60 + 40:
        parser.error("--minutes must leave >= 40 s before an idle part longer than --settle")

    import shutil

    import psutil

    if shutil.which("trayer") is None:
        raise SystemExit("bench_tray: needs trayer (`make system-deps`).")
    with x_session("tray") as (xs, tmp):
        start_trayer(xs)
        wait_for(lambda: trayer_windows(xs), 15, "trayer's panel")
        screen = Screen(xs.display)
        data = tmp / "data"
        history = ""
        if args.history_weeks:
            count = write_history_before_today(data, args.history_weeks)
            driftcheck(data, "goals", "clear", xs=xs)  # the demo's goals; the 45 min one below
            history = f" over {args.history_weeks} weeks of dense history"
            print(f"history: {count:,} intervals over {args.history_weeks} weeks", flush=True)
        driftcheck(data, "apps", "add", "koboldcpp", xs=xs)
        driftcheck(data, "goals", "set", "--daily", "45m", xs=xs)
        seed_settings(data)
        kobold = xs.spawn("koboldcpp", "KoboldCpp console")
        other = xs.spawn("notes", "Shopping list")
        # Start with the untracked window in front: with a tracked one in front, the tracker's
        # first sample (in Tracker.start, before the tray icon exists) caches the ring's look,
        # the icon is never set and trayer shows an empty slot until the look changes.
        xs.activate(other)

        app = TrayApp(xs, data)
        proc = psutil.Process(app.proc.pid)
        t0 = app.started
        end = t0 + args.minutes * 60
        idle_from = end - args.idle_minutes * 60
        print(f"tray app pid {app.proc.pid}; {args.minutes:g} min in all: active until "
              f"{idle_from - t0:.0f} s (koboldcpp in front 40 s of each minute, pointer "
              f"moving), then idle (untracked window in front, no input), CPU measured from "
              f"{idle_from - t0 + args.settle:.0f} s", flush=True)
        area = wait_for(lambda: app.proc.poll() is not None or find_icon(xs, screen), 30,
                        "the ring in trayer", step=0.5)
        if app.proc.poll() is not None:
            raise RuntimeError(f"the tray app exited: {''.join(app.stderr)}")
        icon_seen = time.monotonic() - t0
        watch = IconWatch(screen, area)
        watch.start()
        watch_t0 = watch._t0 - t0  # watch times are relative to its own start
        dialogs = [xs.xdotool("getwindowname", w) for w in subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--pid", str(app.proc.pid)], env=xs.env,
            capture_output=True, text=True, timeout=10).stdout.split()]

        rss_30 = None
        with ActivePerson(xs, every=args.touch_every) as person:
            in_front = "notes"
            while time.monotonic() < idle_from:
                now = time.monotonic() - t0
                if rss_30 is None and now >= 30:
                    rss_30 = proc.memory_info().rss
                want = "koboldcpp" if (now % 60) < 40 else "notes"
                if want != in_front:
                    xs.activate(kobold if want == "koboldcpp" else other)
                    in_front = want
                time.sleep(0.5)
            # Idle: the untracked window in front, and no input at all.
            xs.activate(other)
            person.pause()
            idle_started = time.monotonic()
            sleep_until(idle_started + args.settle)
            a_t, a = time.monotonic(), proc.cpu_times()
            sleep_until(end)
            b_t, b = time.monotonic(), proc.cpu_times()
            mem = proc.memory_full_info()
            threads = proc.num_threads()
        watch.stop()
        status = json.loads(driftcheck(data, "status", "--json", xs=xs))
        screen.close()
        code = app.stop()
        log = data / "driftcheck.log"
        log_text = log.read_text() if log.exists() else ""
        warnings = [json.loads(line)["msg"] for line in log_text.splitlines()
                    if '"level": "warning"' in line or '"level": "error"' in line]

    if rss_30 is None:
        rss_30 = mem.rss
    cpu_s = (b.user + b.system) - (a.user + a.system)
    cpu_pct = cpu_s / (b_t - a_t) * 100
    rss_mb = mem.rss / 2**20
    rss_30_mb = rss_30 / 2**20
    idle_a, idle_b = idle_started - t0 - watch_t0, end - t0 - watch_t0
    redraws_active = watch.between(0, idle_a)
    redraws_idle = watch.between(idle_a + 2, idle_b + 5)  # +2: the switch's own redraw, if any
    tracked = {a["id"]: float(a["seconds"]) for a in status.get("apps", [])}

    print(f"\nThe ring appeared in trayer {icon_seen:.1f} s after the start; the app's visible "
          f"windows then: {dialogs} (the tray icon's own; no dialog)")
    print(f"RSS      {rss_30_mb:.1f} MB at 30 s, {rss_mb:.1f} MB after {args.minutes:g} min "
          f"(USS {mem.uss / 2**20:.1f} MB, PSS {mem.pss / 2**20:.1f} MB, {threads} threads)   "
          f"target <= {TARGET_RSS_MB:g} MB -> {'met' if rss_mb <= TARGET_RSS_MB else 'MISSED'}")
    print(f"idle CPU {cpu_s:.3f} s over {b_t - a_t:.0f} s = {cpu_pct:.3f}% of one core   "
          f"target <= {TARGET_CPU_PCT}% -> {'met' if cpu_pct <= TARGET_CPU_PCT else 'MISSED'}")
    print(f"icon     {redraws_active} visible changes while active "
          f"({(idle_started - t0) / 60:.1f} min, koboldcpp tracked "
          f"{tracked.get('koboldcpp', 0.0) / 60:.1f} min: the 45 min ring moves a step every "
          f"56 s of use), {redraws_idle} while idle (should be 0)")
    if warnings:
        print(f"the app logged {len(warnings)} warnings, e.g. {warnings[:3]}")
    if code not in (0, -15):
        print(f"the tray app exited with {code}: {''.join(app.stderr)[-2000:]}")

    minutes = f"{args.minutes:g} min"
    tray = f"tray{history}"
    figures = [
        Figure(f"{tray}: RSS at 30 s", f"{rss_30_mb:.1f} MB", f"<= {TARGET_RSS_MB:g} MB",
               rss_30_mb <= TARGET_RSS_MB, rss_30_mb),
        Figure(f"{tray}: RSS after {minutes}", f"{rss_mb:.1f} MB", f"<= {TARGET_RSS_MB:g} MB",
               rss_mb <= TARGET_RSS_MB, rss_mb),
        Figure(f"{tray}: idle CPU, untracked in front", f"{cpu_pct:.3f}% core",
               f"<= {TARGET_CPU_PCT}%", cpu_pct <= TARGET_CPU_PCT, cpu_pct),
        Figure(f"{tray}: icon changes while idle", f"{redraws_idle}", "0", redraws_idle == 0,
               redraws_idle),
    ]
    result("tray-history" if history else "tray", figures, history_weeks=args.history_weeks,
           minutes=args.minutes, rss_30_mb=rss_30_mb, rss_mb=rss_mb,
           uss_mb=mem.uss / 2**20, pss_mb=mem.pss / 2**20, threads=threads,
           idle_window_s=b_t - a_t, idle_cpu_s=cpu_s, idle_cpu_pct=cpu_pct,
           icon_seen_s=icon_seen, icon_changes_active=redraws_active,
           icon_changes_idle=redraws_idle, icon_change_times_s=[round(t + watch_t0, 1)
                                                                for t in watch.changes],
           tracked_s=tracked, windows_at_start=dialogs, app_exit=code,
           warnings=len(warnings))
    return 0 if code in (0, -15) else 1


if __name__ == "__main__":
    raise SystemExit(main())
