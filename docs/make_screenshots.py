"""Screenshots of the real tray app under Xvfb + openbox with `trayer` as the tray.

    python docs/make_screenshots.py [OUT_DIR]

Starts its own X session (tests/e2e/xsession.py) and `trayer`, fills a demo data dir (three
tracked apps, goals of 45 min a day and 5 h a week, 38 minutes today across two apps and about
3 hours this week), runs `python -m widget --data-dir D`, clicks the tray icon with xdotool and
saves, in docs/screenshots/ (needs Xvfb, openbox, xdotool, trayer and ImageMagick):

- tray-icon.png       the ring in the tray, 4x
- tray-menu.png       the tray and its menu (right click), 2x
- tray-pause.png      the same with the "Pause tracking" submenu open, 2x
- compact-widget.png  the tray and the compact widget (left click)

Everything it started ends on the way out, also after an error or Ctrl-C. The dialogs come
from docs/make_dialog_screenshots.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.xsession import XSession, start_session, stop_processes, wait_for  # noqa: E402

TOOLS = ("Xvfb", "openbox", "xdotool", "trayer", "convert", "import")
DB_NAME = "driftcheck.sqlite3"
MARGIN = 8
SCREEN = (1280, 800)  # tests/e2e/xsession.py's Xvfb
DESKTOP = "#56636d"  # a quiet grey-blue behind the panel, rather than X's black


# --- the demo data ------------------------------------------------------------------------------

def seed(data: Path) -> None:
    """Three tracked apps; 45 min a day, 5 h a week; 38 min today (26 + 12) and about 3 h
    this week; the welcome seen and the self-check just asked, so no dialog opens."""
    from widget.catalog_data import load_catalog
    from widget.core import alerts
    from widget.core.calendar import day_window, local_day
    from widget.core.catalog import entry_to_app
    from widget.core.goals import Goal, GoalKind
    from widget.core.model import Interval
    from widget.core.options import Options, instant_to_setting
    from widget.core.usage import usage_now, usage_window
    from widget.desktop.localzone import local_zone
    from widget.store import Store

    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    catalog = load_catalog()
    now = datetime.now(UTC)
    tz = local_zone()
    hour = Options().day_start_hour
    today = local_day(now, tz, hour)
    store = Store.open(data / DB_NAME)
    try:
        for app_id in ("replika", "character-ai", "nomi"):
            store.add_app(entry_to_app(catalog.get(app_id), "linux"))
        store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60),
                             Goal(GoalKind.WEEKLY, None, 5 * 3600)])
        # Today: 26 min of Replika, then 12 of Nomi, ending a minute ago.
        store.insert_interval(Interval("replika", now - timedelta(minutes=41),
                                       now - timedelta(minutes=15)))
        store.insert_interval(Interval("nomi", now - timedelta(minutes=13),
                                       now - timedelta(minutes=1)))
        # Earlier this week (Monday on): 2 h 24 min more, spread over the days before today.
        earlier = [today - timedelta(days=n) for n in range(today.weekday(), 0, -1)]
        for i, day in enumerate(earlier):
            start = day_window(day, tz, hour)[0] + timedelta(hours=16)
            minutes = 144 // len(earlier)
            app = ("replika", "character-ai", "nomi")[i % 3]
            store.insert_interval(Interval(app, start, start + timedelta(minutes=minutes)))
        store.set_setting("first_run_done", True)
        store.set_setting("checkin.last_asked", instant_to_setting(now))
        # 38 of 45 min is past the 80% heads-up: say it was shown earlier today, so no balloon
        # covers the menu and the widget opens on the click rather than with the message.
        usage = usage_now(store.intervals_overlapping(*usage_window(now, tz, hour)), now, tz,
                          hour)
        due = alerts.due_alerts(store.list_goals(), usage, now, [], {})
        store.set_setting("alerts.fired", [alert.id for alert in due])
    finally:
        store.close()


# --- the X session ------------------------------------------------------------------------------

def geometry(xs: XSession, wid: str) -> tuple[int, int, int, int]:
    shell = xs.xdotool("getwindowgeometry", "--shell", wid)
    values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def search(xs: XSession, *args: str) -> list[str]:
    out = subprocess.run(["xdotool", "search", "--onlyvisible", *args], env=xs.env,
                         capture_output=True, text=True, timeout=10)
    return out.stdout.split()


def ring_pixels(shot: Path, box: tuple[int, int, int, int]) -> int:
    """Pixels with the ring's blue-green tint in `box` (trayer's background is grey)."""
    x, y, w, h = box
    out = subprocess.run(["convert", str(shot), "-crop", f"{w}x{h}+{x}+{y}", "+repage",
                          "-depth", "8", "txt:-"], capture_output=True, text=True, timeout=30,
                         check=True)
    found = re.findall(r"^\d+,\d+: \((\d+),(\d+),(\d+)", out.stdout, re.MULTILINE)
    return sum(1 for r, g, b in ((int(r), int(g), int(b)) for r, g, b in found)
               if b - r > 15 and g - r > 10)


def crop(shot: Path, box: tuple[int, int, int, int], out: Path, scale: int = 1) -> None:
    """A part of the screen, clamped to it, scaled by pixel replication (stays crisp)."""
    x, y, w, h = box
    left, top = max(0, x), max(0, y)
    right, bottom = min(SCREEN[0], x + w), min(SCREEN[1], y + h)
    args = ["convert", str(shot), "-crop", f"{right - left}x{bottom - top}+{left}+{top}",
            "+repage"]
    if scale != 1:
        args += ["-scale", f"{scale * 100}%"]
    subprocess.run([*args, str(out)], check=True, timeout=30)
    print(out)


def around(*boxes: tuple[int, int, int, int], margin: int = MARGIN) -> tuple[int, int, int, int]:
    left = min(b[0] for b in boxes) - margin
    top = min(b[1] for b in boxes) - margin
    right = max(b[0] + b[2] for b in boxes) + margin
    bottom = max(b[1] + b[3] for b in boxes) + margin
    return left, top, right - left, bottom - top


def settle(seconds: float = 0.6) -> None:
    """Time for a window to map and paint before the screen is read."""
    time.sleep(seconds)


# --- the run ------------------------------------------------------------------------------------

def paint_desktop(xs: XSession) -> None:
    from Xlib import display as xdisplay

    d = xdisplay.Display(xs.display)
    try:
        screen = d.screen()
        pixel = screen.default_colormap.alloc_named_color(DESKTOP).pixel
        screen.root.change_attributes(background_pixel=pixel)
        screen.root.clear_area()
        d.sync()
    finally:
        d.close()


def take(xs: XSession, tmp: Path, out: Path, procs: list[subprocess.Popen[bytes]]) -> None:
    paint_desktop(xs)
    trayer = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                               "request", "--height", "32", "--SetDockType", "true",
                               "--transparent", "false"], env=xs.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.insert(0, trayer)
    wait_for(lambda: search(xs, "--class", "trayer"), 15, "trayer's panel")
    data = tmp / "data"
    seed(data)
    env = {**xs.env, "PYTHONPATH": str(REPO)}
    env.pop("QT_QPA_PLATFORM", None)
    app = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.insert(0, app)
    shot = tmp / "screen.png"

    def icon_area() -> tuple[int, int, int, int] | None:
        if app.poll() is not None:
            raise SystemExit(f"the tray app exited with {app.returncode}")
        xs.screenshot(shot)
        for wid in search(xs, "--class", "trayer"):
            box = geometry(xs, wid)
            if box[2] >= 16 and ring_pixels(shot, box) >= 20:
                return box
        return None

    icon = wait_for(icon_area, 30, "the ring in trayer", step=0.5)
    settle(1.0)  # the first minute's evaluation and the tooltip
    xs.screenshot(shot)
    crop(shot, icon, out / "tray-icon.png", scale=4)
    centre = (icon[0] + icon[2] // 2, icon[1] + icon[3] // 2)

    def new_windows(before: set[str]) -> list[str]:
        return sorted(set(search(xs, "--pid", str(app.pid))) - before)

    # (a) the menu: a right click on the ring.
    before = set(search(xs, "--pid", str(app.pid)))
    xs.xdotool("mousemove", str(centre[0]), str(centre[1]), "click", "3")
    menu_wid = wait_for(lambda: new_windows(before), 15, "the tray menu")[0]
    settle()
    menu = geometry(xs, menu_wid)
    xs.screenshot(shot)
    crop(shot, around(icon, menu), out / "tray-menu.png", scale=2)

    # (b) the Pause submenu: its entry is the menu's first; Right opens it.
    with_menu = set(search(xs, "--pid", str(app.pid)))
    xs.xdotool("key", "Down")
    xs.xdotool("key", "Right")
    sub_wid = wait_for(lambda: new_windows(with_menu), 15, "the Pause submenu")[0]
    settle()
    sub = geometry(xs, sub_wid)
    xs.screenshot(shot)
    crop(shot, around(icon, menu, sub), out / "tray-pause.png", scale=2)
    xs.xdotool("key", "Escape")
    xs.xdotool("key", "Escape")
    wait_for(lambda: not (set(search(xs, "--pid", str(app.pid))) - before), 10,
             "the menus to close")

    # (c) the compact widget: a left click on the ring; the pointer moves off the ring
    # afterwards so no tooltip covers the picture.
    xs.xdotool("mousemove", str(centre[0]), str(centre[1]), "click", "1")
    widget_wid = wait_for(lambda: new_windows(before), 15, "the compact widget")[0]
    xs.xdotool("mousemove", "400", "600")
    settle(1.0)
    widget = geometry(xs, widget_wid)
    over = widget[0] + widget[2] - (SCREEN[0] - 4)
    if over > 0:
        # The app placed the widget partly past the screen's right edge; the picture shows the
        # whole widget, at the place it should have had.
        print(f"note: the compact widget opened {over} px past the screen's right edge "
              f"({widget}); moved left for the picture", file=sys.stderr)
        xs.xdotool("windowmove", widget_wid, str(widget[0] - over), str(widget[1]))
        settle()
        widget = geometry(xs, widget_wid)
    xs.screenshot(shot)
    crop(shot, around(icon, widget), out / "compact-widget.png")

    # Quit through the menu, as a person would: "Quit driftcheck" is its last entry.
    xs.xdotool("mousemove", str(centre[0]), str(centre[1]), "click", "3")
    wait_for(lambda: len(new_windows(before)) >= 1, 15, "the tray menu")
    xs.xdotool("key", "Up")
    xs.xdotool("key", "Return")
    with contextlib.suppress(subprocess.TimeoutExpired):
        app.wait(timeout=15)


def end_children() -> None:
    import psutil

    left = psutil.Process().children(recursive=True)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(left, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def main(out: Path) -> int:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"make_screenshots: needs {', '.join(missing)} (`make system-deps`).")
    out.mkdir(parents=True, exist_ok=True)

    def stop(*_: object) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, stop)
    tmp = Path(tempfile.mkdtemp(prefix="driftcheck-shots-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        xs, session = start_session(tmp)
        procs.extend(session)  # openbox, then Xvfb: stopped after the app and trayer
        take(xs, tmp, out, procs)
    finally:
        stop_processes(procs)
        end_children()  # what a failed start_session could not hand back (Xvfb, openbox)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.pop("QT_QPA_PLATFORM", None)
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else
                          Path(__file__).resolve().parent / "screenshots"))
