"""The real driftcheck as a subprocess of a test: its environment, its JSON log's events, a
data folder prepared for it, the tray app, the tracker, and its database read without writing.
The desktop it runs on is tests/e2e/desktop.py's."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.helpers.waiting import wait_for
from widget.logs import LOG_NAME
from widget.paths import DB_NAME

if TYPE_CHECKING:
    from tests.e2e.desktop import XSession

REPO = Path(__file__).resolve().parents[2]
# driftcheck under an audit hook that writes down any network use (see the file).
AUDITED = REPO / "tests" / "e2e" / "audited.py"


def program_env(base: Mapping[str, str] | None = None, *, session_bus: bool = True,
                display: bool = True, **extra: str) -> dict[str, str]:
    """The environment to run driftcheck in: `base` (this process's by default) with this
    repository on PYTHONPATH and no data folder of the environment's (a test names its own);
    without the session bus, or without any display (Qt's platform choice included), when
    asked; `extra` on top."""
    env = dict(os.environ if base is None else base)
    env.pop("DRIFTCHECK_DATA_DIR", None)
    if not session_bus:
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if not display:
        for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            env.pop(key, None)
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def app_env(xs: XSession) -> dict[str, str]:
    """The tray app's environment on the X session `xs`, with no session bus: nothing but its
    window (or its tray icon) to look at."""
    return program_env(xs.env, session_bus=False)


def driftcheck_argv(*args: str) -> list[str]:
    """The command line of `driftcheck ARGS` from this repository."""
    return [sys.executable, "-m", "widget", *args]


def driftcheck(data: Path, *args: str, env: Mapping[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m widget --data-dir DATA ARGS` to its end (program_env() by default)."""
    return subprocess.run(driftcheck_argv("--data-dir", str(data), *args),
                          env=dict(env) if env is not None else program_env(),
                          capture_output=True, text=True, timeout=timeout)


class ProgramLog:
    """driftcheck's JSON log in a data folder, read by event: what a test waits on."""

    def __init__(self, data: Path) -> None:
        self.path = data / LOG_NAME

    def text(self) -> str:
        return self.path.read_text(errors="replace") if self.path.exists() else ""

    def entries(self) -> list[dict[str, Any]]:
        """Every whole line of the log (one being written may be cut short: left out)."""
        found = []
        for line in self.text().splitlines():
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
        return found

    def count(self, event: str) -> int:
        return sum(1 for entry in self.entries() if entry.get("event") == event)

    def wait(self, event: str, *, more_than: int = 0,
             proc: subprocess.Popen[Any] | None = None, timeout: float = 30,
             step: float = 0.05) -> None:
        """Until the log holds more than `more_than` lines of `event`; AssertionError at once
        when `proc` ends first (with its exit code), TimeoutError after `timeout` seconds."""
        wait_for(lambda: self.count(event) > more_than
                 or (proc is not None and proc.poll() is not None),
                 timeout, f"the event {event!r} in {self.path}", step=step)
        if self.count(event) <= more_than and proc is not None:
            raise AssertionError(f"driftcheck ended (exit code {proc.returncode}) before it "
                                 f"logged {event!r}")


def settle_first_run(data: Path) -> None:
    """The welcome done and the self-check just settled: no dialog comes before what the test
    looks at."""
    from widget.core.options import instant_to_setting
    from widget.store import Store

    data.mkdir(mode=0o700, exist_ok=True)
    store = Store.open(data / DB_NAME)
    try:
        store.set_setting("first_run_done", True)
        store.set_setting("checkin.last_asked", instant_to_setting(datetime.now(UTC)))
    finally:
        store.close()


def seed_today(data: Path) -> None:
    """A tracked app (Replika) with 38 minutes today, so the ring and the small window have
    something to show; the welcome done."""
    from widget.core.calendar import day_window, local_day
    from widget.core.model import Interval, Rule, RuleKind, TrackedApp
    from widget.desktop.localzone import local_zone
    from widget.store import Store

    data.mkdir(mode=0o700, exist_ok=True)
    store = Store.open(data / DB_NAME)
    try:
        store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),)))
        tz = local_zone()
        start = day_window(local_day(datetime.now(UTC), tz, 4), tz, 4)[0]
        store.insert_interval(Interval("replika", start + timedelta(minutes=1),
                                       start + timedelta(minutes=39)))
        store.set_setting("first_run_done", True)  # no welcome over what the test looks at
    finally:
        store.close()


class TrayApp:
    """`python -m widget --data-dir D` (the tray app) in the X session."""

    def __init__(self, xs: XSession, data: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        env = {**program_env(xs.env), **(extra_env or {})}
        env.pop("QT_QPA_PLATFORM", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "widget", "--data-dir", str(data)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)

    def windows(self, xs: XSession) -> list[str]:
        return xs.visible("--pid", str(self.proc.pid))

    def stop(self) -> None:
        from tests.e2e.desktop import end_process

        end_process(self.proc, timeout=10)


class Tracker:
    """`driftcheck track ARGS` in its own process on the X session `xs`, its stderr in `err`
    (by default a file beside the data folder, off its disk). With `audited`, under the audit
    hook of tests/e2e/audited.py, which writes any network use to `audit_log`. Started, it
    waits until the tracker logs that tracking started, unless `wait` is False."""

    def __init__(self, xs: XSession, data: Path, *args: str, err: Path | None = None,
                 audited: bool = False, wait: bool = True) -> None:
        self.data = data
        self.log = ProgramLog(data)
        self.err = err if err is not None else data.parent / f"{data.name}-track-stderr.txt"
        self.audit_log = data.parent / f"{data.name}-audit.log"
        self._starts = self.log.count("started")
        env = program_env(xs.env)
        program = [sys.executable, "-m", "widget"]
        if audited:
            env["DRIFTCHECK_AUDIT_LOG"] = str(self.audit_log)
            program = [sys.executable, str(AUDITED)]
        with self.err.open("ab") as sink:
            self.proc = subprocess.Popen([*program, "--data-dir", str(data), "track", *args],
                                         env=env, stdout=subprocess.DEVNULL, stderr=sink)
        self.spawned = time.monotonic()
        if wait:
            self.wait_started()

    def wait_started(self, step: float = 0.05) -> None:
        try:
            self.log.wait("started", more_than=self._starts, proc=self.proc, step=step)
        except AssertionError as ended:
            raise AssertionError(f"{ended}; it said: {self.said()}") from None

    def said(self) -> str:
        return self.err.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, as a logout does; it must end cleanly."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) == 0, self.said()

    def kill(self) -> float:
        """SIGKILL now; returns the wall time of the kill."""
        at = time.time()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return at

    def end(self) -> None:
        """Stop it if it still runs. Never raises (it is called from `finally`)."""
        from tests.e2e.desktop import end_process

        end_process(self.proc, timeout=10)


def _read_only(data: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True,
                                              timeout=10))


def stored_seconds(data: Path, app: str | None = None) -> float:
    """The time the database in `data` holds (of `app` alone, when given), read without writing
    anything."""
    with _read_only(data) as conn:
        if app is None:
            (ms,) = conn.execute("SELECT coalesce(sum(end_ms - start_ms), 0) FROM intervals"
                                 ).fetchone()
        else:
            (ms,) = conn.execute(
                "SELECT coalesce(sum(i.end_ms - i.start_ms), 0) FROM intervals i "
                "JOIN tracked_apps a ON a.id = i.app_id WHERE a.key = ?", (app,)).fetchone()
    return float(ms) / 1000


def integrity_check(data: Path) -> str:
    """SQLite's PRAGMA integrity_check of the database in `data` ("ok" when whole), read
    only."""
    with _read_only(data) as conn:
        return "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))
