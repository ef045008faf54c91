"""The real tray app (`python -m widget --data-dir D`) on a real session bus with dunst: near its
daily goal, the app's notification reaches the daemon (seen by `dbus-monitor`) with its
"Snooze 15 min" / "Not now" choices; choosing "Snooze 15 min" in dunst's menu comes back to the
app, which keeps the alert snoozed in its database; SIGTERM then ends it cleanly.

The bus, dunst (whose `dmenu` script picks the snooze line) and dbus-monitor come from the
`desktop` fixture (tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.desktop import NotificationDesktop, XSession, end_process, wait_for
from tests.helpers.program import (
    ProgramLog,
    driftcheck,
    integrity_check,
    program_env,
)

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

DB = "driftcheck.sqlite3"
APP_NAME = "KoboldCpp"


def prepare(data: Path) -> str:
    """KoboldCpp tracked, a daily goal of 45 min for all apps, 40 minutes of use today; the
    welcome done and the self-check just settled, so only the goal speaks. Returns the id the
    near-goal alert has today."""
    from widget.core.calendar import day_window, local_day
    from widget.core.model import Interval
    from widget.core.options import instant_to_setting
    from widget.desktop.localzone import local_zone
    from widget.store import Store

    for command in (["apps", "add", "koboldcpp"], ["goals", "set", "--daily", "45m"]):
        done = driftcheck(data, *command)
        assert done.returncode == 0, done.stderr
    tz = local_zone()
    now = datetime.now(UTC)
    hour = 4
    if now - day_window(local_day(now, tz, hour), tz, hour)[0] < timedelta(minutes=50):
        hour = 0  # 04:00-04:50: today started too recently to hold 40 minutes
    start, _ = day_window(local_day(now, tz, hour), tz, hour)
    store = Store.open(data / DB)
    try:
        if hour != 4:
            store.set_setting("day_start_hour", hour)
        begin = max(start, now - timedelta(minutes=45))
        store.insert_interval(Interval("koboldcpp", begin, begin + timedelta(minutes=40)))
        store.set_setting("first_run_done", True)
        store.set_setting("checkin.last_asked", instant_to_setting(now))
    finally:
        store.close()
    return f"near|daily:*|{local_day(now, tz, hour).isoformat()}"


def read_setting(db: Path, key: str) -> object:
    """A setting as the app stored it, read without writing anything."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else json.loads(row[0])


def test_the_tray_app_notifies_through_dunst_and_honours_snooze(
        desktop: NotificationDesktop, xsession: XSession,
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    alert_id = prepare(data)
    env = program_env(desktop.env)
    env.pop("QT_QPA_PLATFORM", None)
    log = tmp_path / "app-stderr.txt"
    with log.open("wb") as err:
        app = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)],
                               env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        try:
            call = wait_for(desktop.notify_call, 30, "the app's Notify on the bus", step=0.2)
        except TimeoutError:
            raise AssertionError(f"no Notify; app said:\n{log.read_text()}") from None
        body = re.search(r'string "(You [^"]*)"', call)
        assert body is not None, call
        assert "of today's goal" in body.group(1)
        share = re.search(r"(\d+)% of today's goal", body.group(1))
        assert share is not None and 80 <= int(share.group(1)) < 100, body.group(1)
        assert APP_NAME not in call and "companion" not in call.lower(), "discreet by default"
        for word in ("snooze", "Snooze 15 min", "not-now", "Not now"):
            assert f'string "{word}"' in call, word
        assert desktop.monitored().count("member=Notify") == 1, "one message, not a stream"

        # The person opens the message's menu in dunst; the dmenu script chooses Snooze.
        desktop.dunstctl("context")

        def snoozed() -> dict[str, object]:
            raw = read_setting(data / DB, "alerts.snoozed")
            return raw if isinstance(raw, dict) and raw else {}

        try:
            kept = wait_for(snoozed, 20, "the app to keep the alert snoozed", step=0.2)
        except TimeoutError:
            raise AssertionError(f"not snoozed; app said:\n{log.read_text()}") from None
        assert "Snooze 15 min" in desktop.offered.read_text()
        assert list(kept) == [alert_id]
        assert alert_id.startswith("near|daily:*|")
        until = datetime.fromisoformat(str(kept[alert_id]))
        assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
        assert alert_id not in (read_setting(data / DB, "alerts.fired") or [])
        # The app takes the answered message off the screen.
        wait_for(lambda: "member=CloseNotification" in desktop.monitored(), 15,
                 "the app to withdraw the answered message")
        assert app.poll() is None, "still running"

        app.send_signal(signal.SIGTERM)
        try:
            code = app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError("SIGTERM did not end the tray app") from None
        assert code == 0, log.read_text()
    finally:
        end_process(app, timeout=10)

    assert ProgramLog(data).count("stopped") == 1, \
        "the tracker was stopped (its open interval closed), not killed"
    assert not (data / "driftcheck.fifo").exists(), "the single-instance FIFO was removed"
    assert integrity_check(data) == "ok"
