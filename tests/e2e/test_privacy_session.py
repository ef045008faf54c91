"""Privacy, proven end to end: a whole session of the real program on a real desktop, every
driftcheck process under an audit hook (tests/e2e/audited.py) and under strace, then the data
folder searched for the window titles it saw, its modes read, and `wipe` checked to leave
nothing behind.

The desktop: Xvfb + openbox, trayer as the tray, a private D-Bus session bus with dunst
and dbus-monitor recording what crossed it (the fixtures of tests/e2e/conftest.py).
Windows are real xterms with titles that hold a secret token made for this run: a companion
of the person's own (its process, through a symlink, is `mira-companion`), a browser window
(`firefox`) whose tab is character.ai's, an untracked window and an untracked browser tab.
And two real browsers, Chromium and Firefox ESR, each with driftcheck's extension and the real
host (tests/helpers/traced_browser.py), installed by `driftcheck browser install --config-dir`
for the session's data folder and run under strace; each has a tab of a web companion of the
person's own, tracked by its address rule (`willow.example.net/chat`), at a secret subdomain
and path with a secret title that names no app, and a tab of an untracked site whose host,
path and title are secret; the local server that stands for both sees them asked for by
those names.

The session: apps, a goal of one minute a day and one-second samples set through the command
line; the tray app (`python -m widget --log-level debug`: the most it ever logs) tracks while
focus moves between the four windows and the two browsers (the web companion's tab in front,
then the untracked site's, picked with Ctrl+2 or Alt+2) until its goal notification reaches
dunst; the self-check is answered with `driftcheck checkin`; the dashboard is opened from the
tray's menu (clicked with xdotool); the tray app is ended, then the browsers; `report --pdf`,
`report --json`, `export --include-notes -o` and `export --format csv -o` are run; and at
last `wipe --yes`.

What must hold: no process created a socket of any family but AF_UNIX (seen twice: by the
audit hook in Python, and by strace in every library, Qt's C++ included) nor resolved a name
(the audit hook's getaddrinfo and friends; strace would see the resolver's socket); the web
companion counted through the extension alone in each browser (its title names nothing);
every native message each host read or wrote, parsed out of strace's record of its stdin and
its port, of exactly the documented shapes (to the extension only `rules`, from it only
`state` with an app id it was handed or null); each host, under strace from its launcher on,
with no socket but AF_UNIX, no connect but to the data folder's driftcheck-browser.sock, no
resolver's file looked at, no file written, and no secret in anything it read from the port,
wrote, sent, received or ran; no title, URL, host name or path, nor any distinctive part of
one, in any file of the data folder (the log among them) or among the files the commands
wrote (bytes as they are, in UTF-8 and UTF-16, zip members unpacked, the PDF's text through
pdftotext and its compressed streams inflated), in the tray app's stderr, nor on the bus;
every file there owner-only; and after `wipe --yes` the data folder and the start-at-login
entry gone.

The title patterns and the address rule the person chose do appear in the export (it carries
their rules) and in the rules the extension is given; the secret parts are in none of them.
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
from collections.abc import Iterator
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
from tests.helpers.traced_browser import (
    Browser,
    HostTrace,
    Sites,
    TracedHosts,
    start_chromium,
    start_firefox,
    trace_installed_host,
)
from widget.paths import BROWSER_LAUNCHER_NAME, BROWSER_SOCKET_NAME

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

DB = "driftcheck.sqlite3"
STRACE = ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=socket,socketpair,connect,bind"]
# The person's own web companion, tracked by its address rule alone (no title, no process).
WEB_APP, WEB_NAME, WEB_RULE = "custom-willow", "Willow", "willow.example.net/chat"
BROWSERS = ("chromium", "firefox")


# --- the secrets ---------------------------------------------------------------------------


@dataclass
class Titles:
    """The windows' titles, each with a token made for this run, and what must never be
    found: the titles, their distinctive parts and the tokens."""

    token: dict[str, str] = field(default_factory=lambda: {
        k: uuid.uuid4().hex[:12] for k in ("mira", "tab", "diary", "recipes", "note",
                                           "web_host", "web_path", "web_title",
                                           "site_host", "site_path", "site_title")})

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

    # The browser's two tabs: the web companion's (tracked by its address rule, WEB_RULE,
    # at a secret subdomain and path) and an untracked site's.
    @property
    def web_host(self) -> str:
        return f"c{self.token['web_host']}.willow.example.net"

    @property
    def web_path(self) -> str:
        return f"/chat/{self.token['web_path']}"

    @property
    def web_title(self) -> str:  # names no app
        return f"Letters to Ana {self.token['web_title']}"

    @property
    def site_host(self) -> str:
        return f"secret-{self.token['site_host']}.example.org"

    @property
    def site_path(self) -> str:
        return f"/garden/{self.token['site_path']}"

    @property
    def site_title(self) -> str:
        return f"Garden plans for Noor {self.token['site_title']}"

    def urls(self) -> list[str]:
        return [f"http://{self.web_host}{self.web_path}",
                f"http://{self.site_host}{self.site_path}"]

    def pages(self) -> dict[str, str]:
        """The local sites' pages: path -> title."""
        return {self.web_path: self.web_title, self.site_path: self.site_title}

    def secrets(self) -> list[str]:
        parts = ["Evening with Mira", "secret-title", "Lake house plans", "Diary about Sam",
                 "Recipes for Sunday", "Letters to Ana", "Garden plans for Noor", "example.org",
                 "/garden/"]
        tokens = [v for k, v in self.token.items() if k != "note"]
        return [self.mira, self.tab, self.diary, self.recipes, self.web_host, self.web_path,
                self.web_title, self.site_host, self.site_path, self.site_title,
                *self.urls(), *parts, *tokens]


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
    missing = [t for t in ("strace", "pdftotext", "trayer", "convert", "chromium",
                           "firefox-esr") if shutil.which(t) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages strace, poppler-utils, "
                     "trayer, imagemagick, chromium, firefox-esr)")


# --- the native port, as strace saw it ------------------------------------------------------


def port_problems(messages: list[tuple[str, bytes]]) -> list[str]:
    """What on the native port is not exactly as docs/BROWSER.md has it: to the extension
    ("out") only `rules`, from it ("in") only `state` with exactly type, app, audible and
    focused, its app an id it was handed before, or null."""
    found, handed = [], set()
    for n, (direction, body) in enumerate(messages):
        try:
            message = json.loads(body)
        except ValueError:
            found.append(f"message {n} ({direction}) is not JSON: {body[:200]!r}")
            continue
        if direction == "out":
            apps = message.get("apps") if isinstance(message, dict) else None
            if (not isinstance(message, dict) or message.keys() != {"type", "version", "apps"}
                    or message["type"] != "rules" or message["version"] != 1
                    or not isinstance(apps, list)
                    or any(not isinstance(a, dict) or a.keys() != {"id", "addresses"}
                           for a in apps)):
                found.append(f"message {n} to the extension is no bare rules: {body[:200]!r}")
                continue
            handed |= {a["id"] for a in apps}
        elif (not isinstance(message, dict)
              or message.keys() != {"type", "app", "audible", "focused"}
              or message["type"] != "state"
              or type(message["audible"]) is not bool or type(message["focused"]) is not bool
              or not (message["app"] is None or message["app"] in handed)):
            found.append(f"message {n} from the extension is no bare state about an app it "
                         f"was handed ({sorted(handed)}): {body[:200]!r}")
    return found


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


def install_traced_host(dc: Audited, browser: str, folder: Path) -> TracedHosts:
    """`driftcheck browser install --browser BROWSER --config-dir` into the fresh profile of
    `browser` in `folder`, and the host it installed run under strace from then on."""
    config = config_dir(browser, folder.parent)
    dc.run(f"browser-install-{browser}", "browser", "install", "--browser", browser,
           "--config-dir", str(config))
    manifests = "NativeMessagingHosts" if browser == "chromium" else "native-messaging-hosts"
    return trace_installed_host(config / manifests / "io.github.driftcheck.json", folder)


def config_dir(browser: str, tmp: Path) -> Path:
    """Where the run of `browser` reads host manifests: Chromium's user data dir, the
    .mozilla of Firefox's HOME."""
    return tmp / "chromium" / "profile" if browser == "chromium" else \
        tmp / "firefox" / "home" / ".mozilla"


def check_host(browser: Browser, traces: list[HostTrace], data: Path,
               secrets: list[str]) -> None:
    """Every native message on the browser's port of the documented shapes and the person's
    moves seen in them; each host the real one, lean, local, and blind to the tabs."""
    name = browser.name
    assert traces, f"{name} started no host"
    messages = [message for trace in traces for message in trace.native_messages()]
    assert port_problems(messages) == [], name
    rules = [json.loads(body) for direction, body in messages if direction == "out"]
    states = [json.loads(body) for direction, body in messages if direction == "in"]
    assert rules and {"id": WEB_APP, "addresses": [WEB_RULE]} in rules[-1]["apps"], rules
    said = [(state["app"], state["focused"]) for state in states]
    assert (WEB_APP, True) in said, (name, said)
    assert (None, True) in said[said.index((WEB_APP, True)):], f"{name}: the untracked tab"
    assert (None, False) in said, f"{name}: another window in front"
    assert not any(state["audible"] for state in states), f"{name}: no tab played sound"
    sock = data / BROWSER_SOCKET_NAME
    for trace in traces:
        # Under strace from its launcher on: the real host, its lean Python, and local.
        programs = trace.programs()
        assert programs[0][0] == bytes(data / BROWSER_LAUNCHER_NAME), programs
        assert any(argv[1:] and b"browser-host" in argv for argv in programs), programs
        assert programs[-1][1:3] == [b"-I", b"-S"], programs
        assert programs[-1][-2:] == [bytes(sock), name.encode()], programs
        assert trace.system_problems(sock) == [], name
        assert leaks(trace.everything(), secrets) == [], f"{name}'s host saw a tab's address"
    calls = [call for trace in traces for call in trace.calls()]
    assert any(call.name == "connect" and call.result == "0" for call in calls), \
        f"{name}'s host reached the tracker"
    assert any(WEB_RULE.encode() in trace.everything() for trace in traces), \
        "the search over the host's record can find things"
    assert "dropped a message" not in browser.log.read_text(errors="replace"), \
        f"{name}'s host took every message"


def tray_pid(strace: subprocess.Popen[bytes]) -> int:
    """The tray app's own process: strace's child that runs audited.py (see program_pid)."""
    return program_pid(strace, [sys.executable, str(AUDITED)])


@pytest.fixture
def titles() -> Titles:
    return Titles()


@pytest.fixture
def sites(titles: Titles) -> Iterator[Sites]:
    """The local server that stands for the browser's two sites."""
    with Sites(titles.pages()) as server:
        yield server


def test_a_whole_session_sends_nothing_keeps_no_title_and_wipe_leaves_nothing(
        tools: None, desktop: NotificationDesktop, screen_on_failure: XSession,
        trayer: tuple[int, int, int, int], titles: Titles, sites: Sites,
        tmp_path: Path) -> None:
    xs = screen_on_failure
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
    dc.run("apps-add-web", "apps", "add", "--name", WEB_NAME, "--address", WEB_RULE)
    dc.run("goal", "goals", "set", "--daily", "1m")
    dc.run("interval", "settings", "sample_interval", "1")
    seed_earlier_use(data, 40)  # 40 s of 60: the near-goal heads-up comes at 48 s

    # Each browser's host, installed for this data folder, then run under strace.
    hosts = {name: install_traced_host(dc, name, tmp_path / name) for name in BROWSERS}
    assert {h.launcher for h in hosts.values()} == {data / BROWSER_LAUNCHER_NAME}, \
        "the real host's launcher"

    mira = xs.spawn("mira-companion", titles.mira)
    tab = xs.spawn("firefox", titles.tab)
    diary = xs.spawn("notes", titles.diary)
    recipes = xs.spawn("firefox", titles.recipes)
    browsers = [start_chromium(xs, tmp_path / "chromium", config_dir("chromium", tmp_path),
                               sites, ["willow.example.net", "example.org"], titles.urls()),
                start_firefox(xs, tmp_path / "firefox", config_dir("firefox", tmp_path).parent,
                              sites, titles.urls())]
    try:
        for browser in browsers:
            browser.wait_title(titles.web_title)  # the web companion's tab loaded, in front
    except BaseException:
        for browser in browsers:
            browser.quit()
        raise
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
            # Each browser: the web companion's tab, known by its address alone, then the
            # untracked site's tab (Ctrl+2, Alt+2).
            ProgramLog(data).wait("browser_connected", more_than=len(browsers) - 1, proc=tray)
            for browser in browsers:
                had = stored_seconds(data, WEB_APP)
                xs.activate(browser.window())
                wait_for(lambda had=had: stored_seconds(data, WEB_APP) >= had + 2
                         or tray.poll() is not None, 30,
                         f"the web companion in {browser.name} to be counted", step=0.2)
                browser.tab(2, titles.site_title)
                time.sleep(2)  # a person's time on an untracked site, not a wait
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
        for browser in browsers:
            browser.quit()  # it closes the native port: the host ends
    assert ProgramLog(data).count("stopped") >= 1, "the tray app stopped its tracker"
    for name, host in hosts.items():
        endings = wait_for(host.ended, 30, f"{name}'s hosts to end with it")
        assert set(endings) == {"exited with 0"}, f"{name}'s hosts: {endings}"

    # What was tracked: both tracked windows and the web companion, and nothing of the
    # untracked windows and site.
    status = json.loads(dc.run("status", "status", "--json").stdout)
    seconds = {a["id"]: a["seconds"] for a in status["apps"] if a["seconds"]}
    assert set(seconds) == {"custom-mira", "character-ai", WEB_APP}, seconds
    assert seconds["custom-mira"] >= 40 + 2 and seconds["character-ai"] >= 2, seconds
    assert seconds[WEB_APP] >= 2, "the web companion, through the extension: its title names " \
        "nothing"
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

    # Each browser's native port and host, as strace saw them.
    secrets = titles.secrets()
    for browser in browsers:
        check_host(browser, hosts[browser.name].traces(), data, secrets)

    # No title anywhere: the data folder, the files written, the bus.
    files = sorted(p for p in [*data.iterdir(), *out.iterdir()])
    assert {p.name for p in files} >= {DB, "driftcheck.log", BROWSER_LAUNCHER_NAME, "week.pdf",
                                       "export.json", "export.zip"}
    found = {what: hits for path in files for what, blob in readable_parts(path)
             if (hits := leaks(blob, secrets))}
    assert found == {}, f"window titles were written down: {found}"
    assert leaks(tray_err.read_bytes(), secrets) == [], "a title in the tray app's stderr"
    assert leaks(desktop.monitor_log.read_bytes(), secrets) == [], "a title crossed the bus"
    # The secrets were there to leak: the browser asked the sites for them by name.
    assert (titles.web_host, titles.web_path) in sites.seen, sites.seen
    assert (titles.site_host, titles.site_path) in sites.seen, sites.seen
    # The search can find things: the person's own words and patterns are where they belong.
    export = (out / "export.json").read_bytes()
    assert note.encode() in export and b"mira-companion" in export
    assert WEB_RULE.encode() in export
    assert any(b"mira-companion" in blob for _, blob in readable_parts(out / "export.zip"))
    assert any(b"driftcheck" in blob.lower() for what, blob in readable_parts(out / "week.pdf")
               if what.endswith("(text)"))
    with contextlib.closing(sqlite3.connect(f"file:{data / DB}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT answer, note FROM checkins").fetchall() == [(3, note)]

    # Owner-only: the data folder 0700, everything in it and every file driftcheck wrote 0600
    # (report.json is the test's own copy of stdout), but the host's launcher: 0700, the
    # browser runs it.
    assert mode(data) == 0o700
    for path in files:
        if path.name != "report.json":
            wanted = 0o700 if path.name == BROWSER_LAUNCHER_NAME else 0o600
            assert stat.S_IMODE(path.lstat().st_mode) == wanted, path.name

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


# --- the checks above can fail -----------------------------------------------------------------

RULES = b'{"type":"rules","version":1,"apps":[{"id":"custom-willow","addresses":["w.example"]}]}'
STATE = b'{"type":"state","app":"custom-willow","audible":false,"focused":true}'


@pytest.mark.parametrize("messages", [
    [("out", RULES), ("in", b'{"type":"state","app":"custom-willow","audible":false,'
                            b'"focused":true,"url":"http://w.example/chat"}')],
    [("out", RULES), ("in", b'{"type":"state","app":"custom-other","audible":false,'
                            b'"focused":true}')],
    [("in", STATE), ("out", RULES)],  # an app before it was handed out
    [("out", RULES), ("in", b'{"type":"state","app":"custom-willow","audible":0,'
                            b'"focused":true}')],
    [("out", RULES[:-1] + b',"title":"Letters"}')],
    [("out", STATE)],
    [("out", RULES), ("in", RULES)],
    [("out", b"not json")],
])
def test_the_port_check_sees_each_kind_of_message_it_forbids(
        messages: list[tuple[str, bytes]]) -> None:
    assert port_problems([("out", RULES), ("in", STATE)]) == []
    assert port_problems(messages) != []


def _hex(data: bytes) -> str:
    """A string as `strace -xx` writes it."""
    return '"' + "".join(f"\\x{byte:02x}" for byte in data) + '"'


def test_the_host_trace_reads_the_port_and_sees_what_the_host_must_not_do(
        tmp_path: Path) -> None:
    from widget.browser.protocol import native_frame

    rules, state = native_frame(json.loads(RULES)), native_frame(json.loads(STATE))
    sock = tmp_path / BROWSER_SOCKET_NAME
    lines = [
        f'7 execve({_hex(b"/d/launcher")}, [{_hex(b"/d/launcher")}, {_hex(b"x")}], 0x1) = 0',
        "7 fcntl(1, F_DUPFD_CLOEXEC, 0) = 3",
        "7 dup2(2, 1) = 1",
        f"7 write(3, {_hex(rules)}, {len(rules)}) = {len(rules)}",
        f"7 write(1, {_hex(b'a word on stderr')}, 16) = 16",
        f"7 read(0, {_hex(state[:5])}, 65536) = 5",
        f"7 read(4, {_hex(b'a module')}, 65536) = 8",
        f"7 read(0, {_hex(state[5:])}, 65536) = {len(state) - 5}",
        "7 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 5",
        f"7 connect(5, {{sa_family=AF_UNIX, sun_path={_hex(bytes(sock))}}}, 110) = 0",
        "7 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 6",
        f"7 connect(6, {{sa_family=AF_UNIX, sun_path={_hex(b'/run/dbus/x')}}}, 110) = 0",
        f"7 openat(AT_FDCWD, {_hex(b'/etc/resolv.conf')}, O_RDONLY|O_CLOEXEC) = 8",
        f"7 openat(AT_FDCWD, {_hex(b'/tmp/diary')}, O_WRONLY|O_CREAT|O_TRUNC, 0666) = 9",
        "7 +++ exited with 0 +++",
    ]
    log = tmp_path / "host.strace"
    log.write_text("\n".join(lines) + "\n")
    trace = HostTrace(log)
    assert trace.ended() == "exited with 0"
    assert trace.native_messages() == [("out", RULES), ("in", STATE)]
    assert trace.programs() == [[b"/d/launcher", b"x"]]
    problems = trace.system_problems(sock)
    assert [p.split(":")[0] for p in problems] == [
        "a socket not AF_UNIX", "a connect to anything but the tracker's socket",
        "a name resolver's file", "a file opened for writing"], problems
    assert b"a module" not in trace.everything() and b"a word on stderr" in trace.everything()
