"""Settings' "Delete everything..." in the real tray app, under Xvfb + openbox with `trayer` as
the tray: the person right-clicks the ring, opens Settings..., goes to "Your data" and deletes
everything from the keyboard (real X input through xdotool). The app stops, every trace goes
(the usual data folder with its database, log, lock and FIFO; the start-at-login entry), one
last message says so, and once it is closed the app ends; afterwards nothing of driftcheck's
is in the folder, and nothing came back during the app's own shutdown.

The app runs on its usual data folder (no --data-dir) under a HOME of the test's own, so the
start-at-login entry is its own to remove, as `driftcheck wipe` would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.desktop import XSession, end_process, tray_icon, wait_for
from tests.helpers.program import ProgramLog, program_env

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"


def home_env(xs: XSession, home: Path) -> dict[str, str]:
    """The X session's environment with a HOME of the test's own and no data-folder override:
    the app keeps its data in the usual place, home/.local/share/driftcheck."""
    env = program_env(xs.env, HOME=str(home))
    for key in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env.pop(key, None)
    return env


def seed(data: Path, env: dict[str, str]) -> Path:
    """A tracked app with 38 minutes today, a goal, a check-in with a note, settings, and the
    start-at-login entry; returns the entry's path."""
    from widget.core.calendar import day_window, local_day
    from widget.core.checkin import Checkin
    from widget.core.goals import Goal, GoalKind
    from widget.core.model import Interval, Rule, RuleKind, TrackedApp
    from widget.core.options import instant_to_setting
    from widget.desktop.autostart import autostart_location, set_start_at_login
    from widget.desktop.localzone import local_zone
    from widget.store import Store

    data.mkdir(mode=0o700, parents=True)
    now = datetime.now(UTC)
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),)))
        tz = local_zone()
        start = day_window(local_day(now, tz, 4), tz, 4)[0]
        store.insert_interval(Interval("replika", start + timedelta(minutes=1),
                                       start + timedelta(minutes=39)))
        store.replace_goals([Goal(GoalKind.DAILY, None, 8 * 3600)])  # far away: no alert
        store.add_checkin(Checkin(asked=now - timedelta(days=2), answered=now - timedelta(days=2),
                                  answer=4, note="a private note"))
        store.set_setting("first_run_done", True)  # no welcome over what the test does
        store.set_setting("summary.weekly", False)  # nothing pops up meanwhile
        store.set_setting("checkin.last_asked", instant_to_setting(now))
        store.set_setting("start_at_login", True)
    finally:
        store.close()
    set_start_at_login(True, env=env, command=["/usr/bin/driftcheck"])
    entry = Path(autostart_location(sys.platform, env))
    assert entry.exists()
    return entry


def open_paths(pid: int) -> list[str]:
    """What process `pid` has open, as /proc shows it: a deleted file still held reads
    'PATH (deleted)' (psutil's open_files leaves those out)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.append(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
    return found


def window_named(xs: XSession, ending: str, timeout: float = 30) -> str:
    """The visible window whose title ends with `ending` (titles are 'driftcheck — X')."""
    ids: list[str] = wait_for(lambda: xs.visible("--name", f"{re.escape(ending)}$"), timeout,
                              f"the window '{ending}'", step=0.2)
    return ids[-1]


def press(xs: XSession, wid: str, *keys: str) -> None:
    """Real key presses in window `wid`, brought to the front first."""
    xs.xdotool("windowactivate", "--sync", wid)
    xs.xdotool("key", "--clearmodifiers", *keys)


def test_delete_everything_in_the_running_app_leaves_no_trace(
        screen_on_failure: XSession, trayer: tuple[int, int, int, int], tmp_path: Path) -> None:
    from widget.datafolder import our_files

    xs = screen_on_failure
    home = tmp_path / "home"
    env = home_env(xs, home)
    data = home / ".local" / "share" / "driftcheck"
    entry = seed(data, env)
    stderr = tmp_path / "app-stderr.txt"
    with stderr.open("w") as err:
        app = subprocess.Popen([sys.executable, "-m", "widget"], env=env,
                               stdout=subprocess.DEVNULL, stderr=err, text=True)

    def said() -> str:
        return stderr.read_text(errors="replace")

    try:
        ProgramLog(data).wait("started", proc=app)
        assert (data / "driftcheck.lock").exists() and (data / "driftcheck.fifo").exists()

        x, y, w, h = wait_for(lambda: tray_icon(xs, tmp_path / "s.png"), 30,
                              "the ring in trayer", step=0.5)
        before = set(xs.visible("--pid", str(app.pid)))
        xs.xdotool("mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
        wait_for(lambda: set(xs.visible("--pid", str(app.pid))) - before, 15, "the tray menu")
        # From nothing selected, Up lands on the last entry (Quit), Up again on Settings...
        xs.xdotool("key", "Up", "Up", "Return")
        settings = window_named(xs, "Settings")

        def asked() -> list[str]:
            # Alt+Y: the "Your data" page; Alt+D: "Delete everything..." (which only asks).
            # Both mean the same however often pressed, so they are pressed until it asks.
            press(xs, settings, "alt+y")
            press(xs, settings, "alt+d")
            try:
                return [window_named(xs, "Delete everything", timeout=5)]
            except TimeoutError:
                return []

        question = wait_for(asked, 30, "the question before deleting", step=0.2)[0]
        assert our_files(data), "nothing goes before the answer"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        xs.screenshot(ARTIFACTS / "delete-everything-question.png")
        # Cancel has the focus (the default); Tab moves it to "Delete everything", Space
        # presses that.
        press(xs, question, "Tab", "space")
        farewell = window_named(xs, "Everything deleted")
        # The app is still running, with its last word on screen, and the folder is empty.
        assert app.poll() is None
        assert our_files(data) == [] and not data.exists(), sorted(data.iterdir())
        assert not entry.exists(), "the start-at-login entry went too"
        # It let go of its database and log before deleting them (a tracker still writing
        # would hold them, deleted, until its end); only the single-instance lock and FIFO,
        # already gone from the folder, stay open until the process ends.
        held = sorted(Path(target.removesuffix(" (deleted)")).name
                      for target in open_paths(app.pid) if target.startswith(f"{data}/"))
        assert set(held) <= {"driftcheck.lock", "driftcheck.fifo"}, held
        xs.screenshot(ARTIFACTS / "delete-everything-farewell.png")
        press(xs, farewell, "Return")
        try:
            code = app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the app did not end after its last word:\n{said()}") \
                from None
        assert code == 0, said()
    finally:
        end_process(app, timeout=10)

    # Nothing came back during the shutdown (no log line, no database, no lock or FIFO).
    assert not data.exists() or our_files(data) == [], sorted(data.iterdir())
    assert not entry.exists()
    assert "Traceback" not in said(), said()
