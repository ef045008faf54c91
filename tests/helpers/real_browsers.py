"""Real browsers with driftcheck's extension in them, for tests/browser: a local web server that
stands for the sites, a stand-in native host that records what the extension says, a sound
server with a null sink, and Chromium or Firefox ESR started on the e2e desktop with a fresh
profile, driven with real input (xdotool).

The fixtures that hand these out live in tests/browser/conftest.py; test modules take them from
there (tests/unit/test_test_layout.py).
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import psutil

from tests.e2e.desktop import XSession, end_process
from tests.helpers.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
STAND_IN_HOST = ROOT / "tests" / "browser" / "stand_in_host.py"  # a program of its own
BUILD_SCRIPT = ROOT / "resources" / "browser" / "build.py"
HOST_NAME = "io.github.driftcheck"

# The sites: two tracked (ids unlike any host name, so that a leaked host cannot hide inside an
# id), two not, one of them a look-alike of a tracked one.
TRACKED = {"companion-a": "claude.ai", "companion-b": "character.ai"}
UNTRACKED = ("example.org", "notclaude.ai")
HOSTS = (*TRACKED.values(), "www.claude.ai", *UNTRACKED)
# In every page's title, so that a title leaking to the host is seen.
TITLE_WORDS = "Secret diary entry"


def load_build() -> ModuleType:
    """resources/browser/build.py, loaded by its path (it is no package module)."""
    spec = importlib.util.spec_from_file_location("driftcheck_extension_build", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rules_apps(tracked: dict[str, str] = TRACKED) -> list[dict[str, Any]]:
    return [{"id": app, "addresses": [site]} for app, site in tracked.items()]


# --- the sites ---------------------------------------------------------------------------------

VOICE_PAGE = """<!doctype html><html><head><title>{title}</title></head><body>
<p>A voice call stands here: an oscillator plays.</p><script>
const context = new AudioContext();
const oscillator = context.createOscillator();
const gain = context.createGain();
gain.gain.value = 0.2;
oscillator.connect(gain).connect(context.destination);
oscillator.start();
</script></body></html>"""

# A link over the whole page: a click anywhere in it follows the link.
LINK_PAGE = """<!doctype html><html><head><title>{title}</title></head><body>
<a id="go" href="{target}" style="position:fixed;inset:0;display:block;background:#cde">
{title}</a></body></html>"""

PAGE = """<!doctype html><html><head><title>{title}</title></head><body>
<h1>{title}</h1></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer

    def do_GET(self) -> None:
        # Through Firefox's proxy pref the request line holds the whole URL.
        path = urlsplit(self.path).path if "://" in self.path else self.path.split("?")[0]
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        self.server.seen.append((host, path))
        title = html.escape(f"{TITLE_WORDS} {host}{path}")
        if path.endswith("/voice"):
            body = VOICE_PAGE.format(title=title)
        elif path.startswith("/go/"):
            target = "http://" + path[len("/go/"):]
            body = LINK_PAGE.format(title=title, target=html.escape(target))
        else:
            body = PAGE.format(title=title)
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        # CONNECT (https through the proxy) and anything else the browsers try on their own.
        self.send_error(403)

    do_CONNECT = do_POST = do_PUT = do_HEAD = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SiteServer(ThreadingHTTPServer):
    """The local web server that stands for every site, on 127.0.0.1."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str]] = []  # (host, path) of every page asked for
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


# --- the stand-in native host -----------------------------------------------------------------

STATE = re.compile(rb'\{"type":"state","app":(null|"[a-z-]+"),"audible":(true|false),'
                   rb'"focused":(true|false)\}')


class StandInHost:
    """The native host the browser starts (tests/browser/stand_in_host.py): it sends the rules
    in its folder and records every byte the extension sends, one message a line."""

    def __init__(self, folder: Path, apps: list[dict[str, Any]]) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.ids: set[str] = set()  # every app id ever sent
        self.set_rules(apps)
        self.launcher = folder / "host.sh"
        self.launcher.write_text(f"#!/bin/sh\nexec {sys.executable} "
                                 f"{STAND_IN_HOST} {folder} \"$@\"\n")
        self.launcher.chmod(0o755)
        self.log = folder / "messages.log"

    def manifest(self, browser: str, extension_id: str) -> dict[str, Any]:
        """The host manifest `browser` reads (docs/BROWSER.md, "Installing")."""
        allowed = ({"allowed_origins": [f"chrome-extension://{extension_id}/"]}
                   if browser == "chromium" else {"allowed_extensions": [extension_id]})
        return {"name": HOST_NAME, "description": "driftcheck's stand-in host for tests",
                "path": str(self.launcher), "type": "stdio", **allowed}

    def set_rules(self, apps: list[dict[str, Any]]) -> None:
        """New rules: a running host sends them at once (it watches the file)."""
        partial = self.folder / "rules.json.partial"
        partial.write_text(json.dumps({"apps": apps}))
        os.replace(partial, self.folder / "rules.json")
        self.ids |= {app["id"] for app in apps}

    def raw(self) -> list[bytes]:
        """Every message recorded so far, byte for byte (only whole lines)."""
        try:
            data = self.log.read_bytes()
        except FileNotFoundError:
            return []
        return data.split(b"\n")[:-1]

    def states(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw()]

    def mark(self) -> int:
        """A place in the record: waits after it look only at what came later."""
        return len(self.raw())

    def wait_state(self, since: int, timeout: float = 20, **expected: Any) -> dict[str, Any]:
        """Wait until the extension has said something after `since` and the last thing it
        said is the state `expected` (app, audible, focused; all three unless left out)."""

        def arrived() -> dict[str, Any] | None:
            states = self.states()
            if len(states) > since and all(states[-1][k] == v for k, v in expected.items()):
                return states[-1]
            return None

        try:
            found = wait_for(arrived, timeout, f"the state {expected}")
        except TimeoutError as exc:
            raise AssertionError(f"no state {expected} after message {since}; the extension "
                                 f"said: {self.states()}") from exc
        assert found is not None
        return found

    def started(self) -> list[int]:
        """The pids of the hosts the browser started, in no particular order."""
        return [int(p.stem.split("-")[1]) for p in self.folder.glob("started-*.json")]

    def running(self) -> list[int]:
        return [pid for pid in self.started() if not (self.folder / f"ended-{pid}").exists()
                and Path(f"/proc/{pid}").exists()]

    def problems(self, forbidden: list[str]) -> list[str]:
        """What in the record is not a state message of the documented shape, names an app
        the host never sent, or holds any of `forbidden` (hosts, paths, titles, the port)."""
        found = []
        for n, line in enumerate(self.raw()):
            match = STATE.fullmatch(line)
            if match is None:
                found.append(f"message {n} is not a bare state: {line[:200]!r}")
                continue
            app = match.group(1)
            if app != b"null" and app.strip(b'"').decode() not in self.ids:
                found.append(f"message {n} names an app the host never sent: {line!r}")
            found += [f"message {n} holds {word!r}: {line!r}" for word in forbidden
                      if word.lower().encode() in line.lower()]
        return found


# --- a sound server with a null sink (Firefox marks a tab audible only with real output) ---------

@contextlib.contextmanager
def null_sink_sound_server(folder: Path) -> Iterator[dict[str, str]]:
    """PulseAudio with a null sink, on its own socket; gives the environment that reaches it."""
    folder.mkdir(parents=True)
    socket = folder / "native"
    env = {**os.environ, "HOME": str(folder), "XDG_RUNTIME_DIR": str(folder)}
    with (folder / "pulseaudio.log").open("wb") as log:
        proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--load=module-null-sink sink_name=nowhere",
             f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        reached = {"PULSE_SERVER": f"unix:{socket}"}

        def answers() -> bool:
            if proc.poll() is not None:
                raise RuntimeError("pulseaudio ended: "
                                   + (folder / "pulseaudio.log").read_text(errors="replace"))
            return subprocess.run(["pactl", "info"], env={**os.environ, **reached},
                                  capture_output=True, timeout=10).returncode == 0

        wait_for(answers, 20, "pulseaudio to answer")
        yield reached
    finally:
        end_process(proc)


# --- the browsers -------------------------------------------------------------------------------

@dataclass
class BrowserRun:
    """One browser running on the X session with the extension and the stand-in host."""

    name: str  # "chromium" or "firefox"
    process: subprocess.Popen[bytes]
    xs: XSession
    host: StandInHost | None  # None: the real host, installed by `driftcheck browser install`
    sites: SiteServer
    log: Path
    tab_modifier: str  # the key that goes with 1..9 to pick a tab
    _window: str = field(default="", init=False)

    def window(self) -> str:
        """The browser's main window (its process's visible window)."""
        if not self._window:
            def found() -> str | None:
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} ended: {self.log_tail()}")
                ids = self.xs.visible("--pid", str(self.process.pid))
                return ids[-1] if ids else None
            self._window = wait_for(found, 30, f"{self.name}'s window") or ""
        return self._window

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def key(self, *keys: str) -> None:
        self.xs.xdotool("key", *keys)

    def tab(self, number: int) -> None:
        self.key(f"{self.tab_modifier}+{number}")

    def title(self) -> str:
        return self.xs.xdotool("getwindowname", self.window())

    def type_address(self, url: str) -> None:
        """Real typing into the address bar: Ctrl+L, the address, Return, each key as its own
        xdotool call (Firefox dropped the text when all three came in one); then the wait for
        the page's title in the window's, which also says the page has taken the keyboard
        from the address bar (a Ctrl+L before that is undone by it).

        Nothing says when the address bar has the keyboard after Ctrl+L: under load Firefox
        gave the first two keys to the page (40 ms of typing; the rest, "tp://...", was then
        searched for). So a short pause comes first, and when the page does not come the
        address is typed once more (Escape, then all again), with a warning."""
        for attempt in range(3):
            if attempt:
                warnings.warn(f"{self.name}: the address bar missed keys of {url}; typed "
                              "again", stacklevel=2)
                self.key("Escape")
            self.key("ctrl+l")
            time.sleep(0.25)
            self.xs.xdotool("type", "--delay", "20", url)
            self.key("Return")
            try:
                self.wait_page(url, timeout=10)
                return
            except TimeoutError:
                continue
        raise AssertionError(f"{self.name} did not load {url}, typed three times")

    def wait_page(self, url: str, timeout: float = 30) -> None:
        """Wait until the page at `url` (one of the local sites') is the one in front: its
        title is in the window's."""
        parts = urlsplit(url)
        title = f"{TITLE_WORDS} {parts.hostname}{parts.path or '/'}"
        wait_for(lambda: title in self.title(), timeout, f"the title of {url} in the window's")

    def new_tab(self, url: str) -> None:
        self.key("ctrl+t")
        wait_for(lambda: TITLE_WORDS not in self.title(), 20, "a new tab in front")
        self.type_address(url)

    def window_pid(self) -> int:
        """The process that owns the browser's window, as the tracker sees it."""
        return int(self.xs.xdotool("getwindowpid", self.window()))

    def activate(self) -> None:
        self.xs.xdotool("windowactivate", "--sync", self.window())

    def click_page(self) -> None:
        """A click in the middle of the window: on the page, below the toolbars."""
        x, y, w, h = self.xs.geometry(self.window())
        self.xs.xdotool("mousemove", "--sync", str(x + w // 2), str(y + h * 2 // 3), "click", "1")

    def real_hosts(self) -> list[int]:
        """The pids of the running `driftcheck browser-host` processes this browser started
        (the real host, through the launcher `driftcheck browser install` wrote)."""
        found = []
        with contextlib.suppress(psutil.Error):
            for kid in psutil.Process(self.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if (kid.status() != psutil.STATUS_ZOMBIE
                            and any("browser-host" in part or "browser/host" in part
                                    or "browser.host" in part for part in kid.cmdline())):
                        found.append(int(kid.pid))
        return found

    def close_window(self) -> None:
        """Close its window as a person does (Ctrl+Shift+W, in front): its last window, so the
        browser ends; wait until it has."""
        for attempt in range(2):
            # A key can be lost to a busy browser (once in a full run under load, Firefox
            # kept its window): pressed again, as a person would, before giving up.
            if attempt == 0:
                self.activate()
                self.key("ctrl+shift+w")
            else:
                with contextlib.suppress(Exception):  # its window may be gone by now
                    self.activate()
                    self.key("ctrl+shift+w")
            try:
                self.process.wait(timeout=15 if attempt == 0 else 30)
                return
            except subprocess.TimeoutExpired:
                pass
        raise AssertionError(f"{self.name} did not end when its last window closed: "
                             f"{self.log_tail()}")

    def stop(self) -> None:
        """End the browser and every process it started (its own process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        end_process(self.process)


def _new_log(folder: Path, name: str) -> Path:
    """`name`.log in `folder`, or `name`-2.log... when a run before this one (the same profile
    reopened) left its log there."""
    log, n = folder / f"{name}.log", 1
    while log.exists():
        n += 1
        log = folder / f"{name}-{n}.log"
    return log


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # Its own process group, so that stopping it ends its helpers and the host with it.
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def config_dir(browser: str, folder: Path) -> Path:
    """Where the run of `browser` in `folder` reads host manifests from (`--config-dir` of
    `driftcheck browser install`): Chromium's user data dir, the .mozilla of Firefox's HOME."""
    return folder / "profile" if browser == "chromium" else folder / "home" / ".mozilla"


def _write_host_manifest(browser: str, folder: Path, host: StandInHost, extension: str) -> None:
    manifests = config_dir(browser, folder) / (
        "NativeMessagingHosts" if browser == "chromium" else "native-messaging-hosts")
    manifests.mkdir(parents=True, exist_ok=True)
    (manifests / f"{HOST_NAME}.json").write_text(json.dumps(host.manifest(browser, extension)))


def start_chromium(xs: XSession, folder: Path, sites: SiteServer, host: StandInHost | None,
                   urls: list[str]) -> BrowserRun:
    """Chromium with a fresh profile, the unpacked extension and, with `host`, its manifest
    in the profile's NativeMessagingHosts/ (without, one installed there before); site names
    reach `sites`, every other name fails."""
    build = load_build()
    extension = build.build_chromium(folder / "extension")
    profile = config_dir("chromium", folder)
    profile.mkdir(parents=True, exist_ok=True)
    if host is not None:
        _write_host_manifest("chromium", folder, host, build.ids()["chromium"])
    resolve = ", ".join([f"MAP {name} 127.0.0.1:{sites.port}" for name in HOSTS]
                        + ["MAP * ~NOTFOUND"])
    argv = [shutil.which("chromium") or "chromium", f"--user-data-dir={profile}",
            f"--load-extension={extension}", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--password-store=basic", "--autoplay-policy=no-user-gesture-required",
            "--disable-features=HttpsUpgrades", f"--host-resolver-rules={resolve}",
            "--window-position=0,0", "--window-size=1000,700", *urls]
    if os.geteuid() == 0:
        argv.insert(1, "--no-sandbox")
    log = _new_log(folder, "chromium")
    proc = _spawn(argv, {**xs.env, "HOME": str(folder)}, log)
    return BrowserRun("chromium", proc, xs, host, sites, log, "ctrl")


FIREFOX_PREFS: dict[str, object] = {
    # The unsigned extension, installed by its file in the profile (FACTS.md).
    "xpinstall.signatures.required": False,
    "extensions.autoDisableScopes": 0,
    "extensions.enabledScopes": 15,
    # Every request through the local server; it refuses CONNECT, so nothing leaves.
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.no_proxies_on": "",
    "network.proxy.allow_hijacking_localhost": True,
    "network.dns.disablePrefetch": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "dom.security.https_first": False,
    "dom.security.https_only_mode": False,
    "browser.fixup.fallback-to-https": False,
    # Quiet start: no first-run pages, no default-browser question.
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.normandy.enabled": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.tabs.warnOnClose": False,
    "browser.warnOnQuitShortcut": False,  # its last window closed by keys quits it: no question
    # A voice page plays without a click.
    "media.autoplay.default": 0,
    "media.autoplay.block-webaudio": False,
    "media.block-autoplay-until-in-foreground": False,
}


def start_firefox(xs: XSession, folder: Path, sites: SiteServer, host: StandInHost | None,
                  urls: list[str], sound: dict[str, str]) -> BrowserRun:
    """Firefox ESR with a fresh profile holding the .xpi and user.js, HOME a folder of its own
    holding, with `host`, its manifest (without, one installed there before); every request
    goes to `sites` as its proxy."""
    build = load_build()
    gecko_id = build.ids()["firefox"]
    profile = folder / "profile"
    build.build_firefox(profile / "extensions" / f"{gecko_id}.xpi")
    prefs = {**FIREFOX_PREFS, "network.proxy.http_port": sites.port,
             "network.proxy.ssl_port": sites.port}
    (profile / "user.js").write_text("".join(f'user_pref("{name}", {json.dumps(value)});\n'
                                             for name, value in prefs.items()))
    home = folder / "home"
    home.mkdir(exist_ok=True)
    if host is not None:
        _write_host_manifest("firefox", folder, host, gecko_id)
    argv = [shutil.which("firefox-esr") or "firefox-esr", "--no-remote", "--profile",
            str(profile), "--width", "1000", "--height", "700", *urls]
    env = {**xs.env, **sound, "HOME": str(home), "MOZ_CRASHREPORTER_DISABLE": "1"}
    log = _new_log(folder, "firefox")
    proc = _spawn(argv, env, log)
    return BrowserRun("firefox", proc, xs, host, sites, log, "alt")
