"""Real Syncthing instances for the sync tests (issue 16), speaking only over loopback.

`syncthing_devices(folders)` (and `syncthing_pair(folder_a, folder_b)`) generate one Syncthing
home per folder with `syncthing generate` WITHOUT starting it, rewrite each `config.xml` so
that nothing can reach past 127.0.0.1 (no discovery, relays, NAT, STUN, usage or crash
reports, upgrades; listen, GUI and every device address on 127.0.0.1), share one folder
between all of them, and only then start them. They hand out a `SyncthingCluster`: each
device's REST API (over 127.0.0.1 with urllib: allowed in tests, never in widget/), waits on
Syncthing's own word (`wait_synced`, `rescan`, `wait_connected`), pauses to make a half-synced
moment (`apart()` between devices, `pause_folder()` on one), a rate limit to catch a transfer
in the middle (`set_options(maxRecvKbps=..., limitBandwidthInLan=True)`), and two loopback
checks: a watch over the processes' sockets every 0.1 s (`outside_connections`) and, with
strace installed, every address syncthing connected to, bound or sent to (`traced_outside`).
Everything is stopped by pid and removed afterwards; the shared folders belong to the caller.

Devices start one after the other and, in `apart()`, only one side of a pair pauses the other:
1.19 devices that dial each other at the same moment stall both connections in the Hello
exchange for 20 s (seen here in about one start in three).

A default Syncthing configuration announces itself on the local network and contacts
discovery, relay, STUN and upgrade servers: never start one unedited (FACTS.md, Syncthing).
The options are those of Debian's 1.19 (man 5 syncthing-config), and the outside ones are
listed in OUTSIDE_OFF so a test can read them back from the file.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.e2e.desktop import end_process
from tests.helpers.skips import skip_or_fail
from tests.helpers.waiting import wait_for

SYNCTHING = "syncthing"
PACKAGE = "syncthing"  # Debian's, 1.19 in bookworm; what tests/system-deps.sh must install
FOLDER_ID = "driftcheck-shared"
HOST = "127.0.0.1"
NAMES = ("A", "B", "C", "D", "E", "F")
FS_WATCHER_DELAY_S = 1
RESCAN_INTERVAL_S = 10
RECONNECT_INTERVAL_S = 5  # 1.19 raises anything lower to 5
TEMPORARY_PREFIX = ".syncthing."  # `.syncthing.NAME.tmp` while a file is being pulled (Unix)
CONFLICT_MARK = ".sync-conflict-"

# Every option of 1.19's <options> that could reach past this machine, with the value that
# stops it (man 5 syncthing-config). Written before the first start; tests read them back.
OUTSIDE_OFF: tuple[tuple[str, str], ...] = (
    ("globalAnnounceEnabled", "false"),  # global discovery servers
    ("localAnnounceEnabled", "false"),  # LAN broadcast / multicast announcements
    ("announceLANAddresses", "false"),  # LAN addresses in global announcements
    ("relaysEnabled", "false"),  # relays.syncthing.net pool
    ("natEnabled", "false"),  # UPnP / NAT-PMP port mapping
    ("stunKeepaliveStartS", "0"),  # "0 to disable contacting STUN servers"
    ("urAccepted", "-1"),  # usage reporting refused (0 would ask later)
    ("urURL", ""),
    ("crashReportingEnabled", "false"),
    ("crashReportingURL", ""),
    ("autoUpgradeIntervalH", "0"),  # "0 to disable automatic upgrades"
    ("upgradeToPreReleases", "false"),
    ("releasesURL", ""),
    ("startBrowser", "false"),
    ("restartOnWakeup", "false"),
)
# Multi-valued options whose default ("default") expands to servers on the Internet: removed.
OUTSIDE_LISTS = ("globalAnnounceServer", "stunServer")

# The environment Syncthing runs in: no inherited proxy variables (Go's dialers honour
# all_proxy / https_proxy; 1.19 reads ALL_PROXY), no upgrades, no restarting monitor, no
# default folder, and the SHA-256 package named (without it each start spends ~1.5 s
# measuring two packages to choose; minio is what it chooses here).
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ")
ENV_SET = {"STNOUPGRADE": "1", "STNORESTART": "1", "STNODEFAULTFOLDER": "1",
           "STHASHING": "minio"}

# With strace (when installed): every connect, bind and send of syncthing and its threads, with
# the address it named, so that even a socket too short-lived for the watch's samples is seen.
STRACE = ("strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=connect,bind,sendto,sendmsg",
          "-e", "signal=none")  # not Go's SIGURG preemption signals
TRACED_ADDRESS = re.compile(r'sa_family=(AF_INET6?),[^}]*?(?:inet_addr\("([^"]*)"\)'
                            r'|inet_pton\(AF_INET6, "([^"]*)")')

# urllib without the environment's proxies: the REST API is on 127.0.0.1 and nothing may go
# anywhere else.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SyncthingError(RuntimeError):
    """Syncthing did not start, answer or sync as the harness expected (its log attached)."""


def missing() -> str | None:
    """What is missing to run these tests on this machine (None when nothing is)."""
    if shutil.which(SYNCTHING) is None:
        return f"syncthing not installed (Debian package {PACKAGE})"
    return None



def need_syncthing() -> None:
    """Skip loudly (fail under REQUIRE_X11=1) when this machine cannot run the devices."""
    reason = missing()
    if reason:
        skip_or_fail(reason)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; False for anything else
    (wildcards included: a socket bound to 0.0.0.0 listens on every interface)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 now (bound together, then released)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((HOST, 0))
            ports.append(sock.getsockname()[1])
        return ports


def _env(home: Path) -> dict[str, str]:
    env = {key: os.environ[key] for key in ENV_KEEP if key in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(ENV_SET)
    env["HOME"] = str(home)
    return env


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class DevicePlan:
    """What one device will be: its name, id, home, ports and API key, and its folder."""

    name: str
    home: Path
    folder: Path
    device_id: str
    listen_port: int
    gui_port: int
    api_key: str

    @property
    def address(self) -> str:
        return f"tcp://{HOST}:{self.listen_port}"

    @property
    def config(self) -> Path:
        return self.home / "config.xml"


def generate(home: Path, private_home: Path) -> str:
    """Keys and a config in `home` (nothing started); the device id the config names."""
    result = subprocess.run(
        [SYNCTHING, "generate", f"--home={home}", "--no-default-folder", "--skip-port-probing"],
        env=_env(private_home), capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise SyncthingError(f"syncthing generate failed ({result.returncode}):\n"
                             f"{result.stdout}{result.stderr}")
    devices = ET.parse(home / "config.xml").getroot().findall("device")
    if len(devices) != 1:
        raise SyncthingError(f"generated config names {len(devices)} devices, expected 1")
    return devices[0].attrib["id"]


def _set(parent: ET.Element, tag: str, value: str) -> None:
    element = parent.find(tag)
    if element is None:
        element = ET.SubElement(parent, tag)
    element.text = value


def _device_element(template: ET.Element, plan: DevicePlan) -> ET.Element:
    device = copy.deepcopy(template)
    device.set("id", plan.device_id)
    device.set("name", plan.name)
    for old in device.findall("address"):
        device.remove(old)
    address = ET.Element("address")
    address.text = plan.address
    device.insert(0, address)
    _set(device, "paused", "false")
    _set(device, "autoAcceptFolders", "false")
    _set(device, "remoteGUIPort", "0")
    return device


def write_config(me: DevicePlan, everyone: Sequence[DevicePlan], folder_id: str = FOLDER_ID,
                 *, watcher_delay_s: int = FS_WATCHER_DELAY_S,
                 rescan_interval_s: int = RESCAN_INTERVAL_S) -> None:
    """Rewrite `me`'s generated config.xml before its first start: loopback only, nothing
    outside, every device of `everyone` known at its 127.0.0.1 address, one shared folder."""
    tree = ET.parse(me.config)
    root = tree.getroot()
    defaults = root.find("defaults")
    options = root.find("options")
    gui = root.find("gui")
    if defaults is None or options is None or gui is None:
        raise SyncthingError(f"{me.config} lacks <defaults>, <options> or <gui>")
    device_template = defaults.find("device")
    folder_template = defaults.find("folder")
    if device_template is None or folder_template is None:
        raise SyncthingError(f"{me.config} lacks the device or folder template")

    for old in root.findall("device") + root.findall("folder"):
        root.remove(old)
    for index, plan in enumerate(everyone):
        root.insert(index, _device_element(device_template, plan))

    folder = copy.deepcopy(folder_template)
    for old in folder.findall("device"):
        folder.remove(old)
    folder.attrib.update({
        "id": folder_id, "label": folder_id, "path": str(me.folder), "type": "sendreceive",
        "rescanIntervalS": str(rescan_interval_s), "fsWatcherEnabled": "true",
        "fsWatcherDelayS": str(watcher_delay_s), "ignorePerms": "false"})
    for index, plan in enumerate(everyone):
        share = ET.Element("device", {"id": plan.device_id, "introducedBy": ""})
        ET.SubElement(share, "encryptionPassword").text = ""
        folder.insert(1 + index, share)
    _set(folder, "paused", "false")
    root.insert(len(everyone), folder)

    gui.set("enabled", "true")
    gui.set("tls", "false")
    _set(gui, "address", f"{HOST}:{me.gui_port}")
    _set(gui, "apikey", me.api_key)
    _set(gui, "insecureAdminAccess", "false")

    for tag in ("listenAddress", *OUTSIDE_LISTS):
        for old in options.findall(tag):
            options.remove(old)
    ET.SubElement(options, "listenAddress").text = me.address
    for tag in OUTSIDE_LISTS:
        ET.SubElement(options, tag).text = ""
    for tag, value in OUTSIDE_OFF:
        _set(options, tag, value)
    _set(options, "reconnectionIntervalS", str(RECONNECT_INTERVAL_S))
    # A template for devices added later (none are): no discovery there either.
    for address in device_template.findall("address"):
        address.text = f"tcp://{HOST}:1"
    tree.write(me.config, encoding="unicode")
    me.config.chmod(0o600)


def outside_settings(config: Path) -> list[str]:
    """Every setting in a Syncthing config.xml that lets it reach past loopback, described
    (empty when there is none): what the tests assert of the file on disk."""
    root = ET.parse(config).getroot()
    found: list[str] = []
    options = root.find("options")
    if options is None:
        return ["no <options> element"]
    for tag, wanted in OUTSIDE_OFF:
        values = [element.text or "" for element in options.findall(tag)]
        if values != [wanted]:
            found.append(f"options/{tag} is {values!r}, not [{wanted!r}]")
    for tag in OUTSIDE_LISTS:
        values = [element.text or "" for element in options.findall(tag)]
        if any(value.strip() for value in values):
            found.append(f"options/{tag} is {values!r}")
    for listen in options.findall("listenAddress"):
        if not _loopback_url(listen.text or ""):
            found.append(f"options/listenAddress {listen.text!r}")
    for device in root.findall("device") + root.findall("defaults/device"):
        for address in device.findall("address"):
            if not _loopback_url(address.text or ""):
                found.append(f"device {device.get('name')!r} address {address.text!r}")
    gui_address = root.findtext("gui/address") or ""
    if not is_loopback(gui_address.rsplit(":", 1)[0]):
        found.append(f"gui/address {gui_address!r}")
    return found


# The names /rest/config/options gives the options of OUTSIDE_OFF and OUTSIDE_LISTS where they
# differ from config.xml's.
REST_NAMES = {"crashReportingURL": "crURL", "globalAnnounceServer": "globalAnnounceServers",
              "stunServer": "stunServers", "listenAddress": "listenAddresses"}


def outside_options(options: Mapping[str, Any]) -> list[str]:
    """The same check as `outside_settings`, on the options a running Syncthing reports
    (/rest/config/options): what it applies, defaults filled in, not only what the file says."""
    found = []
    for tag, wanted in OUTSIDE_OFF:
        key = REST_NAMES.get(tag, tag)
        value = options.get(key)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if value is None or text != wanted:
            found.append(f"{key} is {value!r}, not {wanted!r}")
    for tag in OUTSIDE_LISTS:
        key = REST_NAMES[tag]
        if any(str(value).strip() for value in options.get(key, ["default"])):
            found.append(f"{key} is {options.get(key)!r}")
    for listen in options.get("listenAddresses", ["default"]):
        if not _loopback_url(listen):
            found.append(f"listenAddresses has {listen!r}")
    return found


def _loopback_url(url: str) -> bool:
    """tcp://127.0.0.1:PORT (or tcp4/tcp6 to a loopback address) and nothing else: `default`,
    `dynamic`, quic://, relay:// and host names all fail."""
    parsed = urllib.parse.urlsplit(url.strip())
    return (parsed.scheme in ("tcp", "tcp4", "tcp6") and parsed.hostname is not None
            and is_loopback(parsed.hostname) and parsed.port is not None)


# --- running devices ------------------------------------------------------------------------


class SyncthingDevice:
    """One running Syncthing: its plan, its process and its REST API on 127.0.0.1."""

    def __init__(self, plan: DevicePlan, private_home: Path, folder_id: str,
                 trace: bool = False) -> None:
        self.plan = plan
        self.folder_id = folder_id
        self.log_path = plan.home / "syncthing.log"
        self.trace_path = plan.home / "syncthing.strace" if trace else None
        self._private_home = private_home
        self.proc: subprocess.Popen[bytes] | None = None  # syncthing, or strace running it
        self._pid = 0

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def device_id(self) -> str:
        return self.plan.device_id

    @property
    def folder(self) -> Path:
        return self.plan.folder

    def __repr__(self) -> str:
        return f"<Syncthing {self.name} {self.device_id[:7]} gui {self.plan.gui_port}>"

    def start(self) -> None:
        """Start `syncthing serve` (under strace from its first instruction when traced)."""
        argv = [SYNCTHING, "serve", f"--home={self.plan.home}", "--no-browser", "--no-restart",
                "--no-upgrade", "--logflags=2"]
        if self.trace_path is not None:
            argv = [*STRACE, "-o", str(self.trace_path), *argv]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv, env=_env(self._private_home), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self._private_home)
        self._pid = self.proc.pid
        if self.trace_path is not None:
            strace = psutil.Process(self.proc.pid)
            self._pid = wait_for(lambda: next((child.pid for child in strace.children()
                                               if child.name() == SYNCTHING), 0),
                                 10, f"strace to start {self.name}'s syncthing")

    @property
    def pid(self) -> int:
        """Syncthing's own process id (strace's child when traced)."""
        if not self._pid:
            raise SyncthingError(f"{self.name} was never started")
        return self._pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """SIGTERM to syncthing by its pid; never raises."""
        if self._pid and self.running():
            with contextlib.suppress(psutil.Error):
                psutil.Process(self._pid).terminate()

    def stop(self) -> None:
        """SIGTERM to syncthing by its pid, SIGKILL after 5 s, then strace (which ends with
        it) reaped; never raises."""
        if self.proc is None:
            return
        if self.trace_path is not None and self.running():
            with contextlib.suppress(psutil.Error):
                syncthing = psutil.Process(self._pid)
                syncthing.terminate()
                try:
                    syncthing.wait(5)
                except psutil.TimeoutExpired:
                    syncthing.kill()
                    syncthing.wait(5)
        end_process(self.proc)

    def traced(self) -> list[tuple[str, str, str]]:
        """(call, family, address) of every IPv4 / IPv6 address syncthing connected to, bound
        or sent to, as strace recorded them (empty when not traced)."""
        if self.trace_path is None or not self.trace_path.exists():
            return []
        found = []
        for line in self.trace_path.read_text(errors="replace").splitlines():
            call = re.search(r"\b(connect|bind|sendto|sendmsg)\(", line)
            for match in TRACED_ADDRESS.finditer(line):
                found.append((call[1] if call else "?", match[1], match[2] or match[3]))
        return found

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"

    # REST -----------------------------------------------------------------------------------

    def request(self, method: str, path: str, params: Mapping[str, str] | None = None,
                body: Any = None, timeout: float = 30) -> Any:
        """One REST call to this device on 127.0.0.1 with its API key; the decoded JSON (None
        for an empty answer). SyncthingError on an HTTP error, with Syncthing's text."""
        url = f"http://{HOST}:{self.plan.gui_port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={
            "X-API-Key": self.plan.api_key, "Content-Type": "application/json"})
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise SyncthingError(f"{self.name}: {method} {path} -> {error.code} {text}") from None
        return json.loads(payload) if payload.strip() else None

    def get(self, path: str, **params: str) -> Any:
        return self.request("GET", path, params)

    def post(self, path: str, **params: str) -> Any:
        return self.request("POST", path, params)

    def answers(self) -> bool:
        """True once the REST API answers ping with this device's key."""
        if not self.running():
            raise SyncthingError(f"{self.name} exited ({self.proc and self.proc.returncode}) "
                                 f"before answering:\n{self.log()[-3000:]}")
        try:
            return bool(self.get("/rest/system/ping") == {"ping": "pong"})
        except (OSError, SyncthingError):
            return False

    def status(self) -> dict[str, Any]:
        """/rest/system/status: myID, connectionServiceStatus, discoveryStatus, lastDialStatus."""
        return dict(self.get("/rest/system/status"))

    def connections(self) -> dict[str, dict[str, Any]]:
        """Each configured device id -> /rest/system/connections' entry for it."""
        return dict(self.get("/rest/system/connections")["connections"])

    def connected_to(self, other: SyncthingDevice) -> bool:
        entry = self.connections().get(other.device_id, {})
        return bool(entry.get("connected"))

    def folder_status(self) -> dict[str, Any]:
        """/rest/db/status for the shared folder (state, needBytes, globalFiles...)."""
        return dict(self.get("/rest/db/status", folder=self.folder_id))

    def completion(self, other: SyncthingDevice | None = None) -> dict[str, Any]:
        """/rest/db/completion of the shared folder on `other` as this device sees it (on this
        device itself without one)."""
        params = {"folder": self.folder_id}
        if other is not None:
            params["device"] = other.device_id
        return dict(self.get("/rest/db/completion", **params))

    def rescan(self, sub: str | None = None) -> None:
        """Scan the shared folder (or `sub` in it) now; returns when the scan is done."""
        params = {"folder": self.folder_id}
        if sub is not None:
            params["sub"] = sub
        self.post("/rest/db/scan", **params)

    def pause(self, other: SyncthingDevice) -> None:
        """Stop talking to `other` (its connection closes) until `resume`."""
        self.post("/rest/system/pause", device=other.device_id)

    def resume(self, other: SyncthingDevice) -> None:
        self.post("/rest/system/resume", device=other.device_id)

    def pause_folder(self) -> None:
        """Pause the shared folder on this device: it neither scans, sends nor takes changes
        until `resume_folder` (the connection stays up)."""
        self.request("PATCH", f"/rest/config/folders/{self.folder_id}", body={"paused": True})

    def folder_paused(self) -> bool:
        """True once the shared folder is paused here (1.19 then reports no state for it)."""
        config = self.get(f"/rest/config/folders/{self.folder_id}")
        return bool(config["paused"]) and self.folder_status()["state"] in ("", "paused")

    def resume_folder(self) -> None:
        self.request("PATCH", f"/rest/config/folders/{self.folder_id}", body={"paused": False})

    def set_options(self, **options: Any) -> None:
        """PATCH /rest/config/options (e.g. maxRecvKbps=..., limitBandwidthInLan=True)."""
        self.request("PATCH", "/rest/config/options", body=options)

    def temporaries(self) -> list[Path]:
        """Syncthing's partial files in this device's folder (`.syncthing.NAME.tmp`)."""
        return sorted(path for path in self.folder.rglob(f"{TEMPORARY_PREFIX}*")
                      if path.name.endswith(".tmp"))

    def conflicts(self) -> list[Path]:
        """Conflict copies in this device's folder (`NAME.sync-conflict-DATE-TIME-ID.EXT`)."""
        return sorted(path for path in self.folder.rglob(f"*{CONFLICT_MARK}*"))


# --- the loopback watch ---------------------------------------------------------------------


def inet_sockets(pids: Sequence[int]) -> list[tuple[int, Any]]:
    """(pid, psutil connection) for every TCP and UDP socket, IPv4 or IPv6, of the processes
    `pids` and their children."""
    found = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            processes = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for each in processes:
            try:
                sockets = each.net_connections(kind="inet")
            except psutil.NoSuchProcess:
                continue
            found += [(each.pid, conn) for conn in sockets]
    return found


def outside_sockets(pids: Sequence[int]) -> list[str]:
    """Every internet socket of the processes `pids` (and their children) that is bound or
    connected to anything but loopback, described; empty when all are on loopback."""
    return _outside(inet_sockets(pids))


def _outside(sockets: Sequence[tuple[int, Any]]) -> list[str]:
    found = []
    for pid, conn in sockets:
        local_ok = is_loopback(conn.laddr.ip) if conn.laddr else True
        remote_ok = is_loopback(conn.raddr.ip) if conn.raddr else True
        if not (local_ok and remote_ok):
            kind = "udp" if conn.type == socket.SOCK_DGRAM else "tcp"
            found.append(f"pid {pid} {kind} {conn.laddr} -> {conn.raddr or '-'} {conn.status}")
    return found


class LoopbackWatch:
    """Samples the sockets of the running devices in a thread, every `step` seconds, and keeps
    every one found outside loopback; a sample is also taken on each `outside()` call.
    `samples` and `most_sockets` (the most internet sockets one sample saw) show it looked."""

    def __init__(self, pids: Sequence[int] = (), step: float = 0.1) -> None:
        self._pids = list(pids)
        self._step = step
        self._found: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.samples = 0
        self.most_sockets = 0
        self._thread = threading.Thread(target=self._run, name="loopback-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, pid: int) -> None:
        """Watch `pid` too, from the next sample on."""
        with self._lock:
            self._pids.append(pid)

    def _sample(self) -> None:
        with self._lock:
            pids = list(self._pids)
        sockets = inet_sockets(pids)
        seen = _outside(sockets)
        with self._lock:
            self.samples += 1
            self.most_sockets = max(self.most_sockets, len(sockets))
            self._found += [each for each in seen if each not in self._found]

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self._step):
                return

    def outside(self) -> list[str]:
        self._sample()
        with self._lock:
            return list(self._found)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


# --- the cluster ----------------------------------------------------------------------------


@dataclass
class SyncthingCluster:
    """Running devices sharing one folder, every one knowing every other, on 127.0.0.1."""

    devices: list[SyncthingDevice]
    root: Path
    folder_id: str
    watch: LoopbackWatch | None = None
    _paused: list[tuple[SyncthingDevice, SyncthingDevice]] = field(default_factory=list)

    @property
    def a(self) -> SyncthingDevice:
        return self.devices[0]

    @property
    def b(self) -> SyncthingDevice:
        return self.devices[1]

    def pairs(self) -> Iterator[tuple[SyncthingDevice, SyncthingDevice]]:
        for one in self.devices:
            for other in self.devices:
                if one is not other:
                    yield one, other

    def all_connected(self) -> bool:
        return all(one.connected_to(other) for one, other in self.pairs())

    def wait_connected(self, timeout: float = 60) -> None:
        self._wait(self.all_connected, timeout, "every device to be connected to every other")

    def rescan(self) -> None:
        """Every device scans the shared folder now (each call returns after its scan)."""
        for device in self.devices:
            device.rescan()

    def in_sync(self) -> bool:
        """True when, by Syncthing's own word, every device has the folder idle with nothing
        needed, every device sees every other at 100% completion, and all agree on the
        folder's global size and file count."""
        if not self.all_connected():
            return False
        globals_ = set()
        for device in self.devices:
            status = device.folder_status()
            if status["state"] != "idle" or status["needTotalItems"] or status["needBytes"]:
                return False
            if status.get("pullErrors"):
                return False
            globals_.add((status["globalFiles"], status["globalBytes"],
                          status["globalDeleted"], status["globalDirectories"]))
        if len(globals_) != 1:
            return False
        return all(one.completion(other)["completion"] == 100 for one, other in self.pairs())

    def wait_synced(self, timeout: float = 60, *, rescan: bool = True) -> None:
        """Wait until every device holds the same folder (see `in_sync`). With `rescan` (the
        default) every device first scans, so what was just written is known to Syncthing
        and counted, without waiting for the watcher's delay."""
        if rescan:
            self.rescan()
        self._wait(self.in_sync, timeout, "the shared folder to be in sync on every device")

    def wait_all(self, predicate: Any, timeout: float, what: str) -> Any:
        """`wait_for` that attaches every device's log to the timeout."""
        return self._wait(predicate, timeout, what)

    def _wait(self, predicate: Any, timeout: float, what: str) -> Any:
        try:
            return wait_for(predicate, timeout, what, step=0.1)
        except TimeoutError as error:
            raise SyncthingError(f"{error}\n{self.logs(tail=4000)}") from None

    @contextlib.contextmanager
    def apart(self, timeout: float = 60) -> Iterator[None]:
        """No device exchanges anything with another for the block: each side's changes stay
        its own. Afterwards every device rescans, and they reconnect. Use it to make conflicts
        or a half-synced moment.

        Of each pair, the first device (in `devices`) pauses the other and refuses it; the
        other keeps dialling, so its own `connected_to` may flicker true for the moment
        between a refused connection's Hello and its close (no index or data passes)."""
        # One side of each pair pauses the other: that side alone dials again on resume (when
        # both do at once, 1.19's two connections stall in the Hello exchange for 20 s).
        for index, one in enumerate(self.devices):
            for other in self.devices[index + 1:]:
                one.pause(other)
                self._paused.append((one, other))
        self._wait(lambda: not any(one.connected_to(other) for one, other in self._paused),
                   timeout, "every connection to close")
        try:
            yield
        finally:
            self.rescan()
            while self._paused:
                one, other = self._paused.pop()
                one.resume(other)
        self.wait_connected(timeout)

    def pids(self) -> list[int]:
        return [device.pid for device in self.devices if device.proc is not None]

    def traced_outside(self) -> list[str]:
        """Every address outside loopback a device connected to, bound or sent to since its
        start, by strace's record (empty when not traced: see `traced`)."""
        return [f"{device.name}: {call} {family} {address}" for device in self.devices
                for call, family, address in device.traced() if not is_loopback(address)]

    @property
    def traced(self) -> bool:
        return all(device.trace_path is not None for device in self.devices)

    def outside_connections(self) -> list[str]:
        """Every socket of the Syncthing processes found outside loopback since they started
        (sampled every 0.1 s while they run) and now."""
        if self.watch is not None:
            return self.watch.outside()
        return outside_sockets(self.pids())

    def logs(self, tail: int = 20000) -> str:
        parts = []
        for device in self.devices:
            parts.append(f"--- syncthing {device.name} ({device.device_id[:7]}, pid "
                         f"{device.proc.pid if device.proc else '-'}) log ---\n"
                         f"{device.log()[-tail:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop every device by its pid (SIGTERM, then SIGKILL). Never raises."""
        if self.watch is not None:
            self.watch.stop()
        for device in self.devices:  # all at once: each takes about a second to shut down
            device.terminate()
        for device in self.devices:
            device.stop()


def plan_devices(folders: Sequence[Path], root: Path,
                 names: Sequence[str] = NAMES) -> list[DevicePlan]:
    """Generate a home under `root` for each folder and choose its ports and API key."""
    if len(folders) > len(names):
        raise ValueError(f"at most {len(names)} devices")
    ports = free_ports(2 * len(folders))
    plans = []
    for index, folder in enumerate(folders):
        name = names[index]
        home = root / f"home-{name}"
        device_id = generate(home, root / "private-home")
        plans.append(DevicePlan(name=name, home=home, folder=Path(folder).resolve(),
                                device_id=device_id, listen_port=ports[2 * index],
                                gui_port=ports[2 * index + 1],
                                api_key=secrets.token_urlsafe(24)))
    return plans


@contextlib.contextmanager
def syncthing_devices(folders: Sequence[Path], *, folder_id: str = FOLDER_ID,
                      watcher_delay_s: int = FS_WATCHER_DELAY_S,
                      rescan_interval_s: int = RESCAN_INTERVAL_S,
                      start_timeout: float = 60, trace: bool | None = None
                      ) -> Iterator[SyncthingCluster]:
    """One Syncthing per folder in `folders` (made if missing), all sharing `folder_id`, all
    connected to each other over 127.0.0.1 when this yields; stopped by pid and their homes
    removed afterwards (the folders are the caller's and stay). With `trace` (the default
    when strace is installed) each runs under strace (`traced_outside`)."""
    if trace is None:
        trace = shutil.which(STRACE[0]) is not None
    root = Path(tempfile.mkdtemp(prefix="driftcheck-syncthing-"))
    (root / "private-home").mkdir(mode=0o700)
    cluster = SyncthingCluster(devices=[], root=root, folder_id=folder_id)
    try:
        plans = plan_devices(folders, root)
        for plan in plans:
            plan.folder.mkdir(parents=True, exist_ok=True)
            write_config(plan, plans, folder_id, watcher_delay_s=watcher_delay_s,
                         rescan_interval_s=rescan_interval_s)
            problems = outside_settings(plan.config)
            if problems:  # never start a configuration that could reach outside
                raise SyncthingError(f"{plan.config} still reaches outside: {problems}")
        cluster.devices = [SyncthingDevice(plan, root / "private-home", folder_id, trace)
                           for plan in plans]
        # One after the other: started together, two 1.19 devices dial each other at the same
        # moment and both connections stall in the Hello exchange until its 20 s timeout.
        cluster.watch = LoopbackWatch()
        cluster.watch.start()
        for device in cluster.devices:
            device.start()
            cluster.watch.add(device.pid)
            cluster.wait_all(device.answers, start_timeout, f"{device.name}'s REST API")
        cluster.wait_connected(start_timeout)
        cluster.wait_all(lambda: all(d.folder_status()["state"] == "idle"
                                     for d in cluster.devices),
                         start_timeout, "the shared folder to be idle on every device")
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def syncthing_pair(folder_a: Path, folder_b: Path, **kwargs: Any) -> Iterator[SyncthingCluster]:
    """Two Syncthing devices, A on `folder_a` and B on `folder_b` (see `syncthing_devices`)."""
    with syncthing_devices([folder_a, folder_b], **kwargs) as cluster:
        yield cluster
