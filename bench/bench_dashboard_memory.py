"""Resident memory of the tray app with its dashboard open on two years of dense history.

The real tray app (`python -m widget --data-dir D`, the tracker inside it) runs on a private
Xvfb + openbox with `trayer` as the tray, over the history bench_dashboard.py writes (the
demo's drifting two years at about two hours a day, cut into 15-50 s stretches: >= 150,000
intervals; three apps and the demo's goals), ending yesterday, in Europe/Berlin. The
dashboard is opened for real, as a person does: a right click on the ring in trayer, then
"Open dashboard" in its menu (Down three times, Return; xdotool). Then the dashboard is sent
`--weeks-back` weeks back with Page Up, one a second, and to this week again (Alt+Home), each
step checked by the window's pixels changing; then closed (Ctrl+W).

With this history the app already shows something before the dashboard is opened: its
compact widget, carrying the weekly goal's message (this week is far over the demo's 5 h; the
private X session has no D-Bus notification service, so messages come inside the widget). The
windows the app shows are printed. RSS (and USS) of the one process are read: before the
dashboard is opened, a few seconds after it is shown, after the week navigation, and after it
was closed. The time from the menu's Return to the window being visible is printed too (it
includes reading the weeks and drawing; bench_dashboard.py times the open itself,
offscreen). Figures are printed, never asserted; the issue sets no target for the
dashboard's memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import Figure, XSession, result, wait_for, x_session
from bench_tray import (
    Screen,
    TrayApp,
    find_icon,
    geometry,
    seed_settings,
    start_trayer,
    trayer_windows,
)

TITLE = "driftcheck: your weeks"  # widget.ui.dashboard.window.TITLE (not imported: no Qt here)
ZONE_NAME = "Europe/Berlin"  # bench_dashboard's zone; the tray app gets it through TZ
TRAY_TARGET_MB = 70.0  # the tray's own target (issue 3), for comparison only


def visible_windows(xs: XSession, pid: int) -> list[str]:
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid)], env=xs.env,
                         capture_output=True, text=True, timeout=10)
    return out.stdout.split()


def dashboard_window(xs: XSession, pid: int) -> str | None:
    for wid in visible_windows(xs, pid):
        try:
            if xs.xdotool("getwindowname", wid) == TITLE:
                return wid
        except subprocess.CalledProcessError:
            continue
    return None


def write_history(data: Path, weeks: int, seed: int) -> int:
    """bench_dashboard's dense history, ending now instead of at its fixed moment."""
    import bench_dashboard

    bench_dashboard.NOW = datetime.now(UTC).replace(microsecond=0)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    _, count = bench_dashboard.make_data(data, weeks, seed)
    return count


def on_screen(screen: Screen, area: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The part of a window's rectangle that lies on the screen (GetImage needs that)."""
    root = screen.root.get_geometry()
    x, y, w, h = area
    left, top = max(0, x), max(0, y)
    return left, top, min(root.width, x + w) - left, min(root.height, y + h) - top


def mb(n: int) -> float:
    return n / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=104, help="weeks of history")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weeks-back", type=int, default=8,
                        help="Page Up presses on the open dashboard (then Alt+Home)")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait before each memory reading")
    args = parser.parse_args()

    import psutil

    if shutil.which("trayer") is None:
        raise SystemExit("bench_dashboard_memory: needs trayer (`make system-deps`).")
    os.environ["TZ"] = ZONE_NAME  # the app's local zone is the history's zone
    time.tzset()
    with x_session("dashmem") as (xs, tmp):
        data = tmp / "data"
        started = time.monotonic()
        count = write_history(data, args.weeks, args.seed)
        seed_settings(data)
        db_mb = mb(sum(p.stat().st_size for p in data.glob("driftcheck.sqlite3*")))
        print(f"{count:,} intervals over {args.weeks} weeks written in "
              f"{time.monotonic() - started:.1f} s; database {db_mb:.1f} MB", flush=True)
        start_trayer(xs)
        wait_for(lambda: trayer_windows(xs), 15, "trayer's panel")
        screen = Screen(xs.display)
        other = xs.spawn("notes", "Shopping list")  # untracked: nothing is being counted
        xs.activate(other)
        app = TrayApp(xs, data)
        proc = psutil.Process(app.proc.pid)
        try:
            found = wait_for(lambda: app.proc.poll() is not None or find_icon(xs, screen), 60,
                             "the ring in trayer", step=0.2)
            if app.proc.poll() is not None or found is True:
                raise RuntimeError(f"the tray app exited: {''.join(app.stderr)[-2000:]}")
            x, y, w, h = found
            time.sleep(args.settle)
            before = proc.memory_full_info()
            # Anything else it shows by then (with this history, the compact widget carrying
            # the weekly goal's message: no D-Bus notification service here).
            others = []
            for other_wid in visible_windows(xs, app.proc.pid):
                _, _, ow, oh = geometry(xs, other_wid)
                if ow > 64 and oh > 64:  # not the tray icon's own window
                    others.append(f"{ow}x{oh}")

            # Open dashboard, through the tray menu.
            shown_before = set(visible_windows(xs, app.proc.pid))
            xs.xdotool("mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
            wait_for(lambda: set(visible_windows(xs, app.proc.pid)) - shown_before, 15,
                     "the tray menu")
            for _ in range(3):  # Pause tracking, Check in now, Open dashboard
                xs.xdotool("key", "Down")
            asked = time.monotonic()
            xs.xdotool("key", "Return")
            wid = wait_for(lambda: dashboard_window(xs, app.proc.pid), 60, "the dashboard",
                           step=0.02)
            open_s = time.monotonic() - asked
            time.sleep(args.settle)
            shown = proc.memory_full_info()

            # A few weeks back, one a second, then this week again.
            xs.xdotool("windowactivate", "--sync", wid)
            area = on_screen(screen, geometry(xs, wid))
            changed = 0
            last = screen.digest(*area)
            for key in ["Prior"] * args.weeks_back + ["alt+Home"]:
                xs.xdotool("key", key)
                time.sleep(1.0)
                now = screen.digest(*area)
                changed += now != last
                last = now
            time.sleep(args.settle)
            navigated = proc.memory_full_info()

            xs.xdotool("key", "ctrl+w")
            wait_for(lambda: dashboard_window(xs, app.proc.pid) is None, 15,
                     "the dashboard to close")
            time.sleep(args.settle)
            closed = proc.memory_full_info()
            threads = proc.num_threads()
        finally:
            code = app.stop()
            screen.close()
        log = data / "driftcheck.log"
        problems = [line for line in (log.read_text().splitlines() if log.exists() else [])
                    if '"level": "warning"' in line or '"level": "error"' in line]

    steps = args.weeks_back + 1
    print(f"\nOther windows of the app before the dashboard was opened: "
          f"{', '.join(others) or 'none'}")
    print(f"The dashboard was visible {open_s:.2f} s after Return on \"Open dashboard\"; "
          f"{changed} of {steps} week steps changed its pixels")
    for name, mem in (("before opening it", before), ("dashboard shown", shown),
                      (f"after {args.weeks_back} weeks back and this week again", navigated),
                      ("after closing it", closed)):
        print(f"  RSS {name:<40} {mb(mem.rss):6.1f} MB   (USS {mb(mem.uss):5.1f} MB)")
    print(f"  ({threads} threads; the tray's own target, without the dashboard: "
          f"<= {TRAY_TARGET_MB:g} MB)")
    if problems:
        print(f"the app logged {len(problems)} warnings or errors, e.g. {problems[:3]}")
    if code not in (0, -15):
        print(f"the tray app exited with {code}: {''.join(app.stderr)[-2000:]}")
    if changed < steps:
        print("NOTE: not every key press changed the window; the navigation figure may "
              "describe fewer weeks than asked")

    k = count // 1000
    figures = [
        Figure(f"tray RSS, {k}k intervals, before dashboard", f"{mb(before.rss):.1f} MB", "-",
               None, mb(before.rss)),
        Figure("tray RSS, dashboard open (via tray menu)", f"{mb(shown.rss):.1f} MB", "-",
               None, mb(shown.rss)),
        Figure(f"tray RSS, dashboard after {steps} week steps", f"{mb(navigated.rss):.1f} MB",
               "-", None, mb(navigated.rss)),
        Figure("tray RSS, dashboard closed again", f"{mb(closed.rss):.1f} MB", "-", None,
               mb(closed.rss)),
        Figure("dashboard open in the tray, menu to visible", f"{open_s:.2f} s", "-", None,
               open_s),
    ]
    result("dashboard_memory", figures, intervals=count, weeks=args.weeks, db_mb=db_mb,
           rss_mb={"before": mb(before.rss), "shown": mb(shown.rss),
                   "navigated": mb(navigated.rss), "closed": mb(closed.rss)},
           uss_mb={"before": mb(before.uss), "shown": mb(shown.uss),
                   "navigated": mb(navigated.uss), "closed": mb(closed.uss)},
           open_s=open_s, week_steps=steps, steps_that_changed_pixels=changed,
           threads=threads, app_exit=code, warnings=len(problems), other_windows=others)
    return 0 if code in (0, -15) and changed == steps else 1


if __name__ == "__main__":
    raise SystemExit(main())
