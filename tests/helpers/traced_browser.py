"""Real browsers (Chromium, Firefox ESR) with driftcheck's extension and the real native host
under strace, for the privacy session (tests/e2e/test_privacy_session.py).

The sites are one local web server, each page titled as the test says; Chromium reaches it
for whole domains (`--host-resolver-rules` with wildcards: no page's own host name is on its
command line), Firefox through it as its HTTP proxy. The host is the one `driftcheck browser
install --config-dir` installed: the manifest's `path` is pointed at a wrapper that runs the
installed launcher under `strace -D` (strace as a detached grandchild, so that the host's
parent is still the browser, whose process the host names to the tracker), one log per host
the browser starts. What strace saw is read back here: every native message in the order it
crossed the port, the host's sockets, connects and files, and the programs it ran.

Firefox's preferences and the extension's builder come from tests/helpers/real_browsers.py;
starting the browsers differs here (these pages are titled by host and path, and Chromium
maps whole domains to the one server).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from tests.e2e.desktop import Window, XSession, end_process
from tests.helpers.real_browsers import FIREFOX_PREFS, load_build
from tests.helpers.waiting import wait_for

# Every string in full and as hex (-xx: nothing to unescape), every call that touches a file,
# the network, or a descriptor the native port may live on.
STRACE_HOST = ("-DD", "-f", "-q", "-xx", "-s", "65536", "-e",
               "trace=%file,%network,read,write,readv,writev,dup,dup2,dup3,fcntl,close")
RESOLVER_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf",
                  "/etc/gai.conf", "/run/nscd", "/var/run/nscd", "/run/systemd/resolve")
_LENGTH = struct.Struct("=I")  # native messaging: 4 bytes of length, native byte order
BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "resources" / "browser" / "build.py"


# --- the sites -------------------------------------------------------------------------------


class _Page(BaseHTTPRequestHandler):
    server: Sites

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        # Through Firefox's proxy the request line holds the whole address.
        path = urlsplit(self.path).path if "://" in self.path else self.path.split("?")[0]
        self.server.seen.append((host, path))
        title = html.escape(self.server.titles.get(path, "Not here"))
        data = (f"<!doctype html><html><head><title>{title}</title></head>"
                f"<body><h1>{title}</h1></body></html>").encode()
        self.send_response(200 if path in self.server.titles else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Sites(ThreadingHTTPServer):
    """The local web server on 127.0.0.1 that stands for every site: a page for each path of
    `titles`, titled with its value, whatever the host name."""

    daemon_threads = True

    def __init__(self, titles: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Page)
        self.titles = titles
        self.seen: list[tuple[str, str]] = []  # (host, path) of every page asked for
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> Sites:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


# --- the host under strace --------------------------------------------------------------------


def trace_installed_host(manifest: Path, folder: Path) -> TracedHosts:
    """Point the host manifest that `driftcheck browser install` wrote at a wrapper (in
    `folder`) that runs the launcher it named under strace; what strace will see."""
    installed = json.loads(manifest.read_text())
    launcher = Path(installed["path"])
    wrapper = folder / "host-under-strace.sh"
    strace = shutil.which("strace") or "strace"
    # $$: the wrapper's pid, which the host keeps (exec): a log of its own for each host.
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(
        [strace, *STRACE_HOST, "-o", f'"{folder}/host-$$.strace"', str(launcher)])
        + ' "$@"\n')
    wrapper.chmod(0o700)
    manifest.write_text(json.dumps({**installed, "path": str(wrapper)}))
    return TracedHosts(folder, launcher)


@dataclass
class TracedHosts:
    """The hosts one browser started through the wrapped manifest."""

    folder: Path
    launcher: Path  # the launcher `driftcheck browser install` wrote

    def traces(self) -> list[HostTrace]:
        """One for each host started so far, the first started first."""
        logs = sorted(self.folder.glob("host-*.strace"), key=lambda p: p.stat().st_ctime_ns)
        return [HostTrace(log) for log in logs]

    def ended(self) -> list[str]:
        """How each host ended, once every one has (else [])."""
        endings = [trace.ended() for trace in self.traces()]
        return endings if all(endings) else []


@dataclass
class Call:
    pid: int
    name: str
    args: str  # as strace wrote them, strings still in hex
    result: str
    truncated: bool  # strace cut a string short (-s)

    def strings(self) -> list[bytes]:
        """The call's string arguments (paths, data), decoded."""
        return [bytes.fromhex(s.replace("\\x", "")) for s in _STRING.findall(self.args)]

    def ints(self) -> list[int]:
        """The call's leading plain-number arguments (descriptors)."""
        found = []
        for part in self.args.split(", "):
            if not part.lstrip("-").isdigit():
                break
            found.append(int(part))
        return found


_STRING = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')
_LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(.*)$")
_UNFINISHED = re.compile(r"^(\d+)\s+(.*) <unfinished \.\.\.>$")
_RESUMED = re.compile(r"^(\d+)\s+<\.\.\. \w+ resumed>(.*)$")


@dataclass
class HostTrace:
    """What strace wrote about the host: read once it has ended (`ended`)."""

    log: Path
    _calls: list[Call] = field(default_factory=list, init=False)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ended(self) -> str:
        """strace's last word on the host ("exited with 0", "killed by SIGKILL"), or ''."""
        found = re.findall(r"^\d+\s+\+\+\+ (exited with \d+|killed by \w+)", self.text(), re.M)
        return found[-1] if found else ""

    def calls(self) -> list[Call]:
        if not self._calls:
            pending: dict[str, str] = {}
            for line in self.text().splitlines():
                if m := _UNFINISHED.match(line):
                    pending[m[1]] = m[2]
                    continue
                if (m := _RESUMED.match(line)) and m[1] in pending:
                    line = f"{m[1]} {pending.pop(m[1])}{m[2]}"
                if m := _LINE.match(line):
                    args, truncated = m[3], '"...' in m[3]
                    self._calls.append(Call(int(m[1]), m[2], args, m[4], truncated))
        return self._calls

    def everything(self) -> bytes:
        """Every byte strace saw go through the host's calls but what it read from files (the
        Python modules it loads): what it read from the port, everything it wrote or sent or
        received, every path, argument and address."""
        return b"\n".join(s for call in self.calls()
                           if not (call.name == "read" and call.ints()[:1] != [0])
                           for s in call.strings())

    def native_messages(self) -> list[tuple[str, bytes]]:
        """Every native message on the port, in order: ("in", body) read from stdin (the
        extension's), ("out", body) written to stdout or what was made of it (the host
        keeps a duplicate of fd 1 as its port and points fd 1 at stderr)."""
        port_in, port_out = {0}, {1}
        streams = {"in": b"", "out": b""}
        order: list[tuple[str, bytes]] = []

        def take(direction: str, data: bytes) -> None:
            streams[direction] += data
            while len(streams[direction]) >= _LENGTH.size:
                (length,) = _LENGTH.unpack_from(streams[direction])
                if len(streams[direction]) < _LENGTH.size + length:
                    break
                order.append((direction, streams[direction][4:4 + length]))
                streams[direction] = streams[direction][4 + length:]

        for call in self.calls():
            fds, done = call.ints(), call.result.split()[0]
            if call.name in ("read", "write") and fds:
                port = port_in if call.name == "read" else port_out
                if fds[0] in port and done.isdigit() and int(done) > 0:
                    assert not call.truncated, f"strace cut a message short: {call.args[:80]}"
                    take("in" if call.name == "read" else "out", call.strings()[0])
            elif call.name in ("readv", "writev") and fds and fds[0] in port_in | port_out:
                raise AssertionError(f"the port was used through {call.name}: add it here")
            elif call.name in ("dup", "fcntl", "dup2", "dup3") and fds and done.isdigit():
                new = int(done)
                if call.name == "fcntl" and "F_DUPFD" not in call.args:
                    continue
                for port in (port_in, port_out):
                    port.discard(new)
                    if fds[0] in port:
                        port.add(new)
            elif call.name == "close" and fds:
                port_in.discard(fds[0])
                port_out.discard(fds[0])
        assert streams == {"in": b"", "out": b""}, f"a message was left half way: {streams}"
        return order

    def programs(self) -> list[list[bytes]]:
        """The argv of every program the host's process ran (the launcher, `driftcheck
        browser-host`, then the lean host)."""
        return [call.strings()[1:] for call in self.calls()
                if call.name == "execve" and call.result.startswith("0")]

    def system_problems(self, socket_path: Path) -> list[str]:
        """What the host did beyond its port and the tracker's socket at `socket_path`: a
        socket of another family than AF_UNIX, a connect to anywhere else, a socket it
        listened on, an address it sent to, a resolver's file looked at, a file opened for
        writing (but Python's own byte-code cache)."""
        found = []
        name = socket_path.name.encode()
        for call in self.calls():
            text = f"{call.name}({call.args[:200]}) = {call.result}"
            if call.name in ("socket", "socketpair") and not call.args.startswith("AF_UNIX"):
                found.append(f"a socket not AF_UNIX: {text}")
            elif call.name == "connect":
                path = call.strings()
                if ("sa_family=AF_UNIX" not in call.args or not path or not (
                        path[0] == bytes(socket_path)
                        or re.fullmatch(rb"/proc/self/fd/\d+/" + re.escape(name), path[0]))):
                    found.append(f"a connect to anything but the tracker's socket: {text}")
            elif call.name in ("bind", "listen", "accept", "accept4"):
                found.append(f"the host listens: {text}")
            elif (call.name == "sendto" and not call.args.endswith("NULL, 0")) or (
                    call.name in ("sendmsg", "sendmmsg") and "msg_name=NULL" not in call.args):
                found.append(f"sent to an address: {text}")
            elif call.name in ("open", "openat", "creat") and re.search(
                    r"O_WRONLY|O_RDWR|O_CREAT", call.args) and not any(
                    b"__pycache__" in s for s in call.strings()):
                found.append(f"a file opened for writing: {call.strings()}")
            if any(s.decode(errors="replace").startswith(RESOLVER_FILES)
                   for s in call.strings()):
                found.append(f"a name resolver's file: {call.name} {call.strings()[:1]}")
        return found


# --- the browsers ------------------------------------------------------------------------------


@dataclass
class Browser:
    """A browser running on the X session with driftcheck's extension, in its own process
    group."""

    name: str  # "chromium" or "firefox"
    process: subprocess.Popen[bytes]
    xs: XSession
    log: Path
    tab_key: str  # the key that goes with 1..9 to pick a tab
    _window: Window | None = None

    def window(self) -> Window:
        """Its main window, once it shows."""
        if self._window is None:
            def shown() -> str:
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} ended: {self.log_tail()}")
                ids = self.xs.visible("--pid", str(self.process.pid))
                return ids[-1] if ids else ""
            self._window = Window(wait_for(shown, 30, f"{self.name}'s window"), self.process,
                                  self.name)
        return self._window

    def title(self) -> str:
        return self.xs.xdotool("getwindowname", self.window().wid)

    def wait_title(self, words: str, timeout: float = 30) -> None:
        """Until the tab in front is the page titled `words` (the window's title holds it)."""
        wait_for(lambda: words in self.title(), timeout, f"the page {words!r} in front")

    def tab(self, number: int, words: str) -> None:
        """Real input: Ctrl+`number` (Alt+ in Firefox) in the browser in front, until the tab
        titled `words` is in front."""
        self.xs.xdotool("key", f"{self.tab_key}+{number}")
        self.wait_title(words, timeout=15)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def quit(self, timeout: float = 20) -> None:
        """SIGTERM to the browser alone, as a logout does: it closes its native ports on the
        way out, and its hosts end by themselves a moment later (on a loaded machine, after
        the browser). Only what of its group is left after that is killed. Never raises."""
        with contextlib.suppress(OSError):
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        with contextlib.suppress(TimeoutError):
            wait_for(lambda: not _group(self.process.pid), timeout, f"{self.name}'s processes")
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        end_process(self.process)


def _group(pgid: int) -> list[int]:
    """The living processes of process group `pgid` (zombies count as ended)."""
    found = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == pgid and \
                    process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except (OSError, psutil.Error):
            continue
    return found


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # Its own process group, so that what it leaves behind can be ended with it.
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def start_chromium(xs: XSession, folder: Path, profile: Path, sites: Sites,
                   domains: list[str], urls: list[str]) -> Browser:
    """Chromium with the fresh profile `profile` (its host manifest already there), the
    unpacked extension, and `domains` with their subdomains reaching `sites` (every other name
    fails); the tabs `urls`, the first in front."""
    extension = load_build().build_chromium(folder / "extension")
    resolve = ", ".join([f"MAP {pattern} 127.0.0.1:{sites.port}"
                         for domain in domains for pattern in (domain, f"*.{domain}")]
                        + ["MAP * ~NOTFOUND"])
    argv = [shutil.which("chromium") or "chromium", f"--user-data-dir={profile}",
            f"--load-extension={extension}", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--password-store=basic", "--disable-features=HttpsUpgrades",
            f"--host-resolver-rules={resolve}", "--window-position=0,0",
            "--window-size=1000,700", *urls]
    if os.geteuid() == 0:
        argv.insert(1, "--no-sandbox")
    home = folder / "home"
    home.mkdir(exist_ok=True)
    log = folder / "chromium.log"
    proc = _spawn(argv, {**xs.env, "HOME": str(home)}, log)
    return Browser("chromium", proc, xs, log, "ctrl")




def start_firefox(xs: XSession, folder: Path, home: Path, sites: Sites,
                  urls: list[str]) -> Browser:
    """Firefox ESR with a fresh profile holding the .xpi and user.js, HOME `home` (its
    .mozilla holding the host manifest already), every request going to `sites` as its
    proxy; the tabs `urls`, the first in front."""
    build = load_build()
    profile = folder / "profile"
    build.build_firefox(profile / "extensions" / f"{build.ids()['firefox']}.xpi")
    prefs = {**FIREFOX_PREFS, "network.proxy.http_port": sites.port,
             "network.proxy.ssl_port": sites.port}
    (profile / "user.js").write_text("".join(f'user_pref("{name}", {json.dumps(value)});\n'
                                             for name, value in prefs.items()))
    argv = [shutil.which("firefox-esr") or "firefox-esr", "--no-remote", "--profile",
            str(profile), "--width", "1000", "--height", "700", *urls]
    env = {**xs.env, "HOME": str(home), "MOZ_CRASHREPORTER_DISABLE": "1"}
    log = folder / "firefox.log"
    return Browser("firefox", _spawn(argv, env, log), xs, log, "alt")
