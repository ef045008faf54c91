"""Privacy, proven end to end: a whole session of the real program on a real desktop, every
driftcheck process under an audit hook (tests/e2e/audited.py) and under strace, then the data
folder searched for the window titles it saw, its modes read, and `wipe` checked to leave
nothing behind.

The desktop: Xvfb + openbox, trayer as the tray, a private D-Bus session bus with dunst
and dbus-monitor recording what crossed it (the fixtures of tests/e2e/conftest.py).
Windows are real xterms with titles that hold a secret token made for this run: a companion
of the person's own (its process, through a symlink, is `mira-companion`), a browser window
(`firefox`) whose tab is character.ai's, an untracked window and an untracked browser tab.

The session: apps, a goal of one minute a day and one-second samples set through the command
line; the tray app (`python -m widget --log-level debug`: the most it ever logs) tracks while
focus moves between the four windows until its goal notification reaches dunst; the self-check
is answered with `driftcheck checkin`; the dashboard is opened from the tray's menu (clicked
with xdotool); the tray app is ended; `report --pdf`, `report --json`, `export
--include-notes -o` and `export --format csv -o` are run; and at last `wipe --yes`.

What must hold: no process created a socket of any family but AF_UNIX (seen twice: by the
audit hook in Python, and by strace in every library, Qt's C++ included) nor resolved a name
(the audit hook's getaddrinfo and friends; strace would see the resolver's socket); no title,
nor any distinctive part of one, in any file of the data folder or among the files the
commands wrote (bytes as they are, in UTF-8 and UTF-16, zip members unpacked, the PDF's text
through pdftotext and its compressed streams inflated), nor on the bus; every file there
owner-only; and after `wipe --yes` the data folder and the start-at-login entry gone.

The title *patterns* the person chose do appear in the export (it carries their rules); the
titles' secret parts are in no pattern.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from tests.e2e.desktop import (
    ActivePerson,
    NotificationDesktop,
    XSession,
    end_pid,
    end_process,
    program_pid,
    tray_icon,
    wait_for,
)
from tests.helpers.fs import mode
from tests.helpers.program import AUDITED, ProgramLog, program_env, stored_seconds
from tests.helpers.skips import skip_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

DB = "driftcheck.sqlite3"
STRACE = ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=socket,socketpair,connect,bind"]


# --- the secrets ---------------------------------------------------------------------------


@dataclass
class Titles:
    """The windows' titles, each with a token made for this run, and what must never be
    found: the titles, their distinctive parts and the tokens."""

    token: dict[str, str] = field(default_factory=lambda: {
        k: uuid.uuid4().hex[:12] for k in ("mira", "tab", "diary", "recipes", "note")})

    @property
    def mira(self) -> str:  # tracked through its process name
        return f"Evening with Mira \u2014 secret-title-{self.token['mira']}"

    @property
    def tab(self) -> str:  # tracked through character.ai's title pattern
        return f"Lake house plans {self.token['tab']} | character.ai \u2014 Mozilla Firefox"

    @property
    def diary(self) -> str:  # untracked window
        return f"Diary about Sam {self.token['diary']}"

    @property
    def recipes(self) -> str:  # untracked browser tab
        return f"Recipes for Sunday {self.token['recipes']} \u2014 Mozilla Firefox"

    def secrets(self) -> list[str]:
        parts = ["Evening with Mira", "secret-title", "Lake house plans", "Diary about Sam",
                 "Recipes for Sunday"]
        tokens = [v for k, v in self.token.items() if k != "note"]
        return [self.mira, self.tab, self.diary, self.recipes, *parts, *tokens]


def leaks(blob: bytes, secrets: list[str]) -> list[str]:
    """The secrets found in `blob`, in any case, as UTF-8 or UTF-16."""
    lowered = blob.lower()
    return [s for s in secrets
            for encoding in ("utf-8", "utf-16-le", "utf-16-be")
            if s.lower().encode(encoding) in lowered]


def readable_parts(path: Path) -> list[tuple[str, bytes]]:
    """What to search in a file: its bytes; a zip's members unpacked; a PDF's text and its
    compressed streams inflated."""
    data = path.read_bytes() if path.is_file() else b""
    parts = [(path.name, data)]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            parts += [(f"{path.name}:{name}", archive.read(name)) for name in archive.namelist()]
    if data.startswith(b"%PDF"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              timeout=60, check=True).stdout
        parts.append((f"{path.name} (text)", text))
        for n, stream in enumerate(re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)):
            try:
                parts.append((f"{path.name} (stream {n})", zlib.decompress(stream)))
            except zlib.error:
                continue
    return parts


# --- driftcheck under the audit hook and strace ---------------------------------------------


@dataclass
class Audited:
    """Runs driftcheck commands, each under audited.py and strace, and keeps their logs."""

    logs: Path
    data: Path
    env: dict[str, str]
    names: list[str] = field(default_factory=list)

    def _argv(self, name: str, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
        self.names.append(name)
        env = {**self.env, "DRIFTCHECK_AUDIT_LOG": str(self.logs / f"{name}.audit"),
               "DRIFTCHECK_AUDIT_SEEN": str(self.logs / f"{name}.seen")}
        argv = [*STRACE, "-o", str(self.logs / f"{name}.strace"), sys.executable,
                str(AUDITED), "--data-dir", str(self.data), *args]
        return argv, env

    def run(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        argv, env = self._argv(name, args)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, f"{name}: {done.stderr}"
        return done

    def start(self, name: str, *args: str, stderr: Path) -> subprocess.Popen[bytes]:
        argv, env = self._argv(name, args)
        with stderr.open("wb") as err:
            return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)

    def network_use(self) -> dict[str, list[str]]:
        """What each process did that was not local: the audit hook's records, and strace's
        sockets of another family than AF_UNIX and connects to anything but a path."""
        found: dict[str, list[str]] = {}
        for name in self.names:
            audit = self.logs / f"{name}.audit"
            lines = audit.read_text().splitlines() if audit.exists() else []
            for line in (self.logs / f"{name}.strace").read_text().splitlines():
                call = re.search(r"\b(socket|socketpair)\((\w+)", line)
                if call and call[2] != "AF_UNIX":
                    lines.append(f"strace: {line}")
                address = re.search(r"\b(connect|bind)\(\d+, \{sa_family=(\w+)", line)
                if address and address[2] != "AF_UNIX":
                    lines.append(f"strace: {line}")
                if address and re.search(r"nscd|resolve", line):
                    lines.append(f"strace (a name resolver): {line}")
            if lines:
                found[name] = lines
        return found


def strace_sockets(logs: Path, name: str) -> list[str]:
    return [line for line in (logs / f"{name}.strace").read_text().splitlines()
            if re.search(r"\bsocket\(", line)]


@pytest.fixture
def tools() -> None:
    missing = [t for t in ("strace", "pdftotext", "trayer", "convert") if shutil.which(t) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages strace, poppler-utils, "
                     "trayer, imagemagick)")


def seed_earlier_use(data: Path, seconds: int) -> None:
    """`seconds` of Mira earlier today (a goal of one minute is then reached by the session's
    own tracking), the first run done and the self-check settled, so only the goal speaks."""
    from widget.core.calendar import day_window, local_day
    from widget.core.model import Interval
    from widget.core.options import instant_to_setting
    from widget.desktop.localzone import local_zone
    from widget.store import Store

    tz = local_zone()
    now = datetime.now(UTC)
    start, _ = day_window(local_day(now, tz, 4), tz, 4)
    store = Store.open(data / DB)
    try:
        begin = max(start, now - timedelta(minutes=5))
        store.insert_interval(Interval("custom-mira", begin, begin + timedelta(seconds=seconds)))
        store.set_setting("first_run_done", True)
        store.set_setting("checkin.last_asked", instant_to_setting(now))
    finally:
        store.close()


def tray_pid(strace: subprocess.Popen[bytes]) -> int:
    """The tray app's own process: strace's child that runs audited.py (see program_pid)."""
    return program_pid(strace, [sys.executable, str(AUDITED)])


def test_a_whole_session_sends_nothing_keeps_no_title_and_wipe_leaves_nothing(
        tools: None, desktop: NotificationDesktop, screen_on_failure: XSession,
        trayer: tuple[int, int, int, int], tmp_path: Path) -> None:
    xs = screen_on_failure
    titles = Titles()
    data = tmp_path / "driftcheck"  # made by driftcheck itself
    out, logs, config = (tmp_path / name for name in ("out", "logs", "config"))
    for folder in (out, logs, config):
        folder.mkdir()
    # The usual data folder (XDG_DATA_HOME/driftcheck): the one start at login opens.
    env = program_env(desktop.env, XDG_CONFIG_HOME=str(config), XDG_DATA_HOME=str(tmp_path))
    for name in ("QT_QPA_PLATFORM", "DRIFTCHECK_LOG_LEVEL"):
        env.pop(name, None)
    dc = Audited(logs, data, env)

    # The person's choices, through the command line.
    dc.run("apps-add-mira", "apps", "add", "--name", "Mira", "--process", "mira-companion")
    dc.run("apps-add-tab", "apps", "add", "character-ai")
    dc.run("goal", "goals", "set", "--daily", "1m")
    dc.run("interval", "settings", "sample_interval", "1")
    seed_earlier_use(data, 40)  # 40 s of 60: the near-goal heads-up comes at 48 s

    mira = xs.spawn("mira-companion", titles.mira)
    tab = xs.spawn("firefox", titles.tab)
    diary = xs.spawn("notes", titles.diary)
    recipes = xs.spawn("firefox", titles.recipes)
    xs.activate(diary)

    tray_err = tmp_path / "tray-stderr.txt"
    tray = dc.start("tray", "--log-level", "debug", stderr=tray_err)
    pid = 0
    try:
        pid = tray_pid(tray)
        ProgramLog(data).wait("started", proc=tray)

        # Real focus on every window, real input, until the goal's heads-up reaches dunst.
        # In front of a tracked window until the tracker has written time of it; in front of
        # an untracked one for a while (nothing to wait on: it must count nothing).
        with ActivePerson(xs):
            for window, app in [(mira, "custom-mira"), (tab, "character-ai")]:
                had = stored_seconds(data, app)
                xs.activate(window)
                wait_for(lambda app=app, had=had: stored_seconds(data, app) >= had + 2
                         or tray.poll() is not None, 30, f"{app} to be counted", step=0.2)
            for window in (diary, recipes):
                xs.activate(window)
                time.sleep(2)  # a person's time in an untracked window, not a wait
            xs.activate(mira)

            try:
                call = wait_for(desktop.notify_call, 40, "the goal notification on the bus",
                                step=0.3)
            except TimeoutError:
                raise AssertionError(f"no notification; the app said:\n{tray_err.read_text()}"
                                     ) from None
        assert "of today's goal" in call and "Mira" not in call, "discreet, as by default"
        xs.activate(diary)

        # The self-check, answered from a terminal while the tray app runs.
        note = f"a quiet week, note-{titles.token['note']}"
        dc.run("checkin", "checkin", "--answer", "3", "--note", note)

        # The dashboard, from the tray's menu: Pause tracking, Check in now, Open dashboard.
        x, y, w, h = wait_for(lambda: tray_icon(xs, tmp_path / "shot.png"), 30,
                              "the ring in trayer", step=0.5)
        before = set(xs.visible("--pid", str(pid)))
        xs.xdotool("mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
        wait_for(lambda: set(xs.visible("--pid", str(pid))) - before, 15, "the tray menu")
        for _ in range(3):
            xs.xdotool("key", "Down")
        xs.xdotool("key", "Return")
        wait_for(lambda: xs.visible("--pid", str(pid), "--name", "Dashboard"), 30,
                 "the dashboard window")

        assert tray.poll() is None and psutil.pid_exists(pid), \
            f"the tray app ended by itself: {tray_err.read_text()}"
        os.kill(pid, signal.SIGTERM)
        assert tray.wait(timeout=30) == 0, tray_err.read_text()
    finally:  # never raises over the failure above, whatever already ended
        end_pid(pid)
        end_process(tray)
    assert ProgramLog(data).count("stopped") >= 1, "the tray app stopped its tracker"

    # What was tracked: both tracked windows, and nothing of the two others.
    status = json.loads(dc.run("status", "status", "--json").stdout)
    seconds = {a["id"]: a["seconds"] for a in status["apps"] if a["seconds"]}
    assert set(seconds) == {"custom-mira", "character-ai"}, seconds
    assert seconds["custom-mira"] >= 40 + 2 and seconds["character-ai"] >= 2, seconds
    assert sum(seconds.values()) >= 48, "80% of the one-minute goal: the heads-up's moment"

    # The reports and exports of the week, into a folder of the person's.
    dc.run("report-pdf", "report", "--pdf", str(out / "week.pdf"))
    report = json.loads(dc.run("report-json", "report", "--json").stdout)
    (out / "report.json").write_text(json.dumps(report))
    dc.run("export-json", "export", "--include-notes", "-o", str(out / "export.json"))
    dc.run("export-csv", "export", "--format", "csv", "-o", str(out / "export.zip"))

    # No network, seen by the audit hook and by strace.
    assert dc.network_use() == {}
    seen = (logs / "tray.seen").read_text()
    assert "socket family" in seen and "connect to a path" in seen, \
        "the audit hook saw the X server's and D-Bus's Unix sockets: it was live"
    assert len(strace_sockets(logs, "tray")) >= 2, "strace saw the tray app's sockets"

    # No title anywhere: the data folder, the files written, the bus.
    secrets = titles.secrets()
    files = sorted(p for p in [*data.iterdir(), *out.iterdir()])
    assert {p.name for p in files} >= {DB, "driftcheck.log", "week.pdf", "export.json",
                                       "export.zip"}
    found = {what: hits for path in files for what, blob in readable_parts(path)
             if (hits := leaks(blob, secrets))}
    assert found == {}, f"window titles were written down: {found}"
    assert leaks(desktop.monitor_log.read_bytes(), secrets) == [], "a title crossed the bus"
    # The search can find things: the person's own words and patterns are where they belong.
    export = (out / "export.json").read_bytes()
    assert note.encode() in export and b"mira-companion" in export
    assert any(b"mira-companion" in blob for _, blob in readable_parts(out / "export.zip"))
    assert any(b"driftcheck" in blob.lower() for what, blob in readable_parts(out / "week.pdf")
               if what.endswith("(text)"))
    with contextlib.closing(sqlite3.connect(f"file:{data / DB}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT answer, note FROM checkins").fetchall() == [(3, note)]

    # Owner-only: the data folder 0700, everything in it and every file driftcheck wrote 0600
    # (report.json is the test's own copy of stdout).
    assert mode(data) == 0o700
    for path in files:
        if path.name != "report.json":
            assert stat.S_IMODE(path.lstat().st_mode) == 0o600, path.name

    # Start at login on (through the code the Settings dialog uses), then wipe.
    from widget.desktop.autostart import autostart_location, set_start_at_login

    entry = Path(autostart_location("linux", env))
    set_start_at_login(True, "linux", env)
    assert entry.exists()
    wiped = dc.run("wipe", "wipe", "--yes")
    assert "Everything driftcheck kept on this device is gone." in wiped.stdout
    assert not data.exists(), "the data folder is gone"
    assert not entry.exists() and not entry.with_name(entry.name + ".tmp").exists()
    assert sorted(p.name for p in out.iterdir()) == ["export.json", "export.zip",
                                                     "report.json", "week.pdf"], \
        "exports written elsewhere are the person's, and stay"
    assert dc.network_use() == {}
