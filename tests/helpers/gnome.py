"""A real GNOME Shell 43 on Wayland for the tests: headless, as an ordinary user, with its own
session bus, a stand-in system bus carrying a mocked logind, real Wayland (and XWayland)
windows, focus moved for real and real input; and a Python that user can run driftcheck with.

GNOME Shell refuses to run as root and needs logind, a session bus and a private runtime
folder; `gnome_session()` makes all of them under one folder of /tmp and removes them
afterwards. Focus moves through a test-only Shell extension (tests/gnome/extensions/), since
the Shell offers no way to do it from outside (`Eval` is off, `Introspect.GetWindows` denied).
The fixtures that hand these out live in tests/gnome/conftest.py.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.e2e.desktop import end_process
from tests.helpers.user_session import RunsAsUser
from tests.helpers.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
USER = "driftcheck-test"
SYSTEM_PYTHON = Path("/usr/bin/python3")
HELPER_UUID = "driftcheck-test-helper@driftcheck.invalid"
HELPER_EXTENSION = REPO / "tests" / "gnome" / "extensions" / HELPER_UUID
HELPER_PATH = "/io/github/driftcheck/TestHelper"
HELPER_IFACE = "io.github.driftcheck.TestHelper1"
APPINDICATOR_UUID = "ubuntu-appindicators@ubuntu.com"  # gnome-shell-extension-appindicator
SIZE = "1280x800"
KEY_ALT = 0xFFE9  # X keysyms, as RemoteDesktop's NotifyKeyboardKeysym takes them
KEY_TAB = 0xFF09

TOOLS = ("gnome-shell", "dbus-daemon", "gsettings", "gdbus", "foot")
# What tests/system-deps.sh installs for these tests, named when something is missing.
PACKAGES = "gnome-shell, gjs, python3-dbusmock, gnome-shell-extension-appindicator, foot, xwayland"

# Settings written before the Shell starts (schema, key, GVariant text). Nothing in this
# session may reach past loopback: location off (geoclue is absent anyway), no welcome tour
# over the first window, no screen lock or blanking in the middle of a test.
SETTINGS = (
    ("org.gnome.shell", "welcome-dialog-last-shown-version", "'999'"),
    ("org.gnome.system.location", "enabled", "false"),
    ("org.gnome.desktop.screensaver", "lock-enabled", "false"),
    ("org.gnome.desktop.session", "idle-delay", "uint32 0"),
    ("org.gnome.desktop.notifications", "show-banners", "true"),
    ("org.gnome.settings-daemon.plugins.power", "sleep-inactive-ac-type", "'nothing'"),
)

# The session bus: the standard one (its activatable services included) that root, the
# test process, may also connect to, at a fixed address in the runtime folder.
SESSION_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <standard_session_servicedirs/>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="{user}"/>
    <allow user="root"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# The stand-in system bus: anyone may connect, own and call; only the mocked logind is on it.
SYSTEM_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing_tools() -> list[str]:
    """What this machine lacks for a GNOME session (empty when it can start one)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not SYSTEM_PYTHON.exists() or subprocess.run(
            [str(SYSTEM_PYTHON), "-c", "import dbusmock"], capture_output=True).returncode:
        missing.append("python3-dbusmock")
    if not Path("/usr/share/gnome-shell/extensions", APPINDICATOR_UUID).is_dir():
        missing.append("gnome-shell-extension-appindicator")
    return missing


# --- the test user -------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionUser:
    """An ordinary local user (compositors refuse root); made once, kept on the machine."""

    name: str
    uid: int
    gid: int


def session_user(name: str = USER) -> SessionUser:
    """The user `name`, made with useradd when missing (idempotent; needs root). It has no
    home of its own: each session gives it a fresh one."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(name)
    return SessionUser(name, entry.pw_uid, entry.pw_gid)


def _owned_dir(path: Path, user: SessionUser, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, user.uid, user.gid)
    path.chmod(mode)
    return path


# --- a Python the test user can run driftcheck with ----------------------------------------

# What `python -m widget` needs short of Qt (top-level names in site-packages).
LIBRARIES = ("sqlalchemy", "psutil", "apscheduler", "tzlocal", "Xlib", "six.py", "jeepney",
             "typing_extensions.py")
QT_LIBRARIES = ("PySide6", "shiboken6")


def _site_packages() -> Path:
    return Path(next(p for p in sys.path if p.endswith("site-packages")
                     and (Path(p) / "sqlalchemy").is_dir()))


def _copy(source: Path, target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore, symlinks=True)
    else:
        shutil.copy2(source, target)


def _readable_by_all(root: Path) -> None:
    """`chmod -R a+rX` (and no write but the owner's)."""
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)


@dataclass
class UserPython:
    """Debian's own Python (every user may run it; the default python3 here lives under
    /root, 0700) with a copy of this repository's `widget` package (and its resources) and of
    the libraries it needs, taken from this test run's venv, in a root-owned 0755 folder:
    no network, no pip. `with_qt()` adds PySide6 (~400 MB, copied on first use)."""

    root: Path
    qt: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def make(cls) -> UserPython:
        if not SYSTEM_PYTHON.exists():
            raise AssertionError(f"{SYSTEM_PYTHON} is missing: the test user needs a Python "
                                 "outside /root")
        root = Path(tempfile.mkdtemp(prefix="driftcheck-gnome-py-", dir="/tmp"))
        try:
            _copy(REPO / "widget", root / "widget")
            _copy(REPO / "resources", root / "widget" / "resources")
            site = _site_packages()
            for name in LIBRARIES:
                _copy(site / name, root / name)
            subprocess.run([str(SYSTEM_PYTHON), "-m", "compileall", "-q", str(root)],
                           check=True, capture_output=True)
            _readable_by_all(root)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cls(root)

    def with_qt(self) -> UserPython:
        """The same, with PySide6 (for the tray app); copied once."""
        with self._lock:
            if self.qt is None:
                qt = self.root.parent / f"{self.root.name}-qt"
                qt.mkdir(mode=0o755)
                site = _site_packages()
                for name in QT_LIBRARIES:
                    _copy(site / name, qt / name)
                _readable_by_all(qt)
                self.qt = qt
        return self

    @property
    def pythonpath(self) -> str:
        return os.pathsep.join(str(p) for p in (self.root, self.qt) if p is not None)

    def argv(self, *args: str) -> list[str]:
        """`python -m widget ARGS` with this Python."""
        return [str(SYSTEM_PYTHON), "-m", "widget", *args]

    def remove(self) -> None:
        for path in (self.root, self.qt):
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)


# --- the session ----------------------------------------------------------------------------


@dataclass
class Window:
    """A real window opened by a test: its process (called `name`) and its title."""

    name: str
    title: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


class ShellError(RuntimeError):
    """GNOME Shell did not start, or ended, with what it said last."""


def _descendants(procs: Sequence[subprocess.Popen[Any]]) -> list[psutil.Process]:
    found: list[psutil.Process] = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            found += psutil.Process(proc.pid).children(recursive=True)
    return found


def _end_all(procs: Sequence[subprocess.Popen[Any]], *, children_first: bool = False,
             timeout: float = 5) -> None:
    """End `procs` and everything they started (D-Bus-activated services included), by pid;
    with `children_first`, those before their parents (a bus daemon then reaps its services
    instead of leaving them to init). Never raises."""
    kids = _descendants(procs)
    if not children_first:
        for proc in procs:
            end_process(proc, timeout)
    _end_others(kids, timeout)
    for proc in procs:
        end_process(proc, timeout)


def _ended(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE  # ended; its parent (init) reaps it
    except psutil.Error:
        return True


def _end_others(procs: Sequence[psutil.Process], timeout: float = 5) -> None:
    """SIGTERM, then SIGKILL, processes that may not be our children (psutil's wait would
    wait for init to reap them). Never raises."""
    for signal_them in ("terminate", "kill"):
        alive = [p for p in procs if not _ended(p)]
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                getattr(proc, signal_them)()
        with contextlib.suppress(TimeoutError):
            wait_for(lambda alive=alive: all(_ended(p) for p in alive), timeout,
                     "processes to end")
            return


class GnomeSession(RunsAsUser):
    """One headless GNOME Shell for one test user, and what a test does in it.

    `env` is the user's environment inside the session (HOME, XDG_*, WAYLAND_DISPLAY,
    DBUS_SESSION_BUS_ADDRESS, DBUS_SYSTEM_BUS_ADDRESS...); `run_as_user` / `spawn_as_user`
    run programs as that user in it; `call` / `get_property` talk to the session bus from the
    test process itself (the bus lets root in). Made by `gnome_session()`."""

    def __init__(self, base: Path, user: SessionUser, python: UserPython | None = None,
                 xwayland: bool = False) -> None:
        self.base = base
        self.user = user
        self.python = python
        self.xwayland = xwayland
        self.home = base / "home"
        self.runtime_dir = base / "run"
        self.bin_dir = base / "bin"
        self.bus_address = f"unix:path={self.runtime_dir / 'bus'}"
        self.system_bus_address = f"unix:path={base / 'system' / 'bus'}"
        self.shell_log = base / "gnome-shell.log"
        self.shell: subprocess.Popen[bytes] | None = None
        self._services: list[subprocess.Popen[bytes]] = []  # system bus, logind, session bus
        self._spawned: list[subprocess.Popen[Any]] = []
        self._conn: Any = None
        self._conn_lock = threading.Lock()
        self._x_display: str | None = None
        self._xauthority = ""
        self._remote_session: str | None = None

    # -- environment and processes ------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """The test user's environment in this session (no DISPLAY: see `x_env`)."""
        env = {
            "HOME": str(self.home), "USER": self.user.name, "LOGNAME": self.user.name,
            "SHELL": "/bin/sh", "PATH": f"{self.bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "GNOME",
            "XDG_SESSION_DESKTOP": "gnome", "DESKTOP_SESSION": "gnome",
            "WAYLAND_DISPLAY": "wayland-0",
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "DBUS_SYSTEM_BUS_ADDRESS": self.system_bus_address,
            "NO_AT_BRIDGE": "1", "GTK_A11Y": "none",
        }
        if self.python is not None:
            env["PYTHONPATH"] = self.python.pythonpath
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def x_env(self) -> dict[str, str]:
        """`env` with the XWayland display the Shell started (sessions made with
        xwayland=True)."""
        if self._x_display is None:
            raise AssertionError("this session was started without XWayland")
        return {**self.env, "DISPLAY": self._x_display, "XAUTHORITY": self._xauthority}

    # -- the session bus, from the test process ----------------------------------------

    def _connection(self) -> Any:
        from jeepney.io.blocking import open_dbus_connection

        if self._conn is None:
            self._conn = open_dbus_connection(self.bus_address)
        return self._conn

    def call(self, dest: str, path: str, iface: str, method: str, signature: str = "",
             *args: Any, timeout: float = 10) -> tuple[Any, ...]:
        """A method call on the session bus; its reply's body. DBusErrorResponse when the
        answer is an error."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        msg = new_method_call(DBusAddress(path, bus_name=dest, interface=iface), method,
                              signature or None, args)
        with self._conn_lock:
            reply = self._connection().send_and_get_reply(msg, timeout=timeout)
        body: tuple[Any, ...] = unwrap_msg(reply)
        return body

    def get_property(self, dest: str, path: str, iface: str, name: str) -> Any:
        (_signature, value), = self.call(dest, path, "org.freedesktop.DBus.Properties", "Get",
                                         "ss", iface, name)
        return value

    def name_owned(self, name: str) -> bool:
        try:
            return bool(self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                  "org.freedesktop.DBus", "NameHasOwner", "s", name)[0])
        except (OSError, ConnectionError):
            return False

    def gdbus(self, *args: str, timeout: float = 20) -> str:
        """`gdbus ARGS` as the test user on the session bus (its output), for what is easier
        said in gdbus' syntax."""
        out = self.run_as_user(["gdbus", *args], timeout=timeout)
        if out.returncode:
            raise AssertionError(f"gdbus {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout.strip()

    def gsettings(self, *args: str) -> str:
        out = self.run_as_user(["gsettings", *args], timeout=20)
        if out.returncode:
            raise AssertionError(f"gsettings {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout.strip()

    # -- the Shell ---------------------------------------------------------------------

    @property
    def shell_version(self) -> str:
        return str(self.get_property("org.gnome.Shell", "/org/gnome/Shell", "org.gnome.Shell",
                                     "ShellVersion"))

    def idle_ms(self) -> int:
        """Mutter's idle time (ms since the last input), as a probe would read it."""
        return int(self.call("org.gnome.Mutter.IdleMonitor",
                             "/org/gnome/Mutter/IdleMonitor/Core",
                             "org.gnome.Mutter.IdleMonitor", "GetIdletime")[0])

    def extension_state(self, uuid: str) -> float | None:
        """The Shell's state of extension `uuid` (1 enabled, 2 disabled, 3 error, 6
        initialized...), None when the Shell does not know it."""
        (info,) = self.call("org.gnome.Shell.Extensions", "/org/gnome/Shell/Extensions",
                            "org.gnome.Shell.Extensions", "GetExtensionInfo", "s", uuid)
        return float(info["state"][1]) if "state" in info else None

    def extension_error(self, uuid: str) -> str:
        (errors,) = self.call("org.gnome.Shell.Extensions", "/org/gnome/Shell/Extensions",
                              "org.gnome.Shell.Extensions", "GetExtensionErrors", "s", uuid)
        return "; ".join(errors)

    def user_pids(self) -> list[int]:
        """Every process the test user runs (this session's: the user has no other)."""
        return [p.pid for p in psutil.process_iter(["uids"])
                if p.info["uids"] is not None and p.info["uids"].real == self.user.uid]

    def outside_connections(self) -> list[str]:
        """The test user's internet sockets on anything but loopback (a listener on all
        addresses included): none, or something in the session talks to the network."""
        pids = set(self.user_pids())
        found = []
        for conn in psutil.net_connections(kind="inet"):
            if conn.pid not in pids:
                continue
            for addr in (conn.laddr, conn.raddr):
                if addr and not ipaddress.ip_address(addr.ip).is_loopback:
                    found.append(f"{psutil.Process(conn.pid).name()} ({conn.pid}): "
                                 f"{conn.laddr} -> {conn.raddr} {conn.status}")
        return found

    def said(self, tail: int = 3000) -> str:
        """The end of what GNOME Shell (and its session bus) wrote."""
        text = self.shell_log.read_text(errors="replace") if self.shell_log.exists() else ""
        return text[-tail:]

    # -- the test helper extension -----------------------------------------------------

    def _helper(self, method: str, signature: str = "", *args: Any) -> tuple[Any, ...]:
        return self.call("org.gnome.Shell", HELPER_PATH, HELPER_IFACE, method, signature,
                         *args)

    def windows(self) -> list[tuple[str, str, str, int, bool]]:
        """(title, wm_class, the Shell's app id (Shell.WindowTracker), pid, is_xwayland) of every
        window the Shell has."""
        return [tuple(w) for w in self._helper("Windows")[0]]  # type: ignore[misc]

    def titles(self) -> list[str]:
        return [w[0] for w in self.windows()]

    def activate(self, title: str, timeout: float = 10) -> None:
        """Bring the window titled `title` to the front, as a click would, and wait until
        the Shell says it has the focus."""
        if not self._helper("Activate", "s", title)[0]:
            raise AssertionError(f"no window titled {title!r}: {self.titles()}")
        wait_for(lambda: self.focused_title() == title, timeout,
                 f"{title!r} to have the focus (it is {self.focused_title()!r})")

    def focused_title(self) -> str:
        return str(self._helper("FocusedTitle")[0])

    def overview_visible(self) -> bool:
        return bool(self._helper("OverviewVisible")[0])

    def notifications(self) -> list[tuple[str, str, str, list[str]]]:
        """(source title, title, body, action labels) of every notification GNOME Shell's
        message tray holds (what its own notification daemon made of each Notify)."""
        return [(str(source), str(title), str(body), [str(label) for label in labels])
                for source, title, body, labels in self._helper("Notifications")[0]]

    def shown_body(self, title: str) -> str:
        """The text the Shell's banner shows for the body of the notification titled
        `title` (its markup read as the banner reads it); '' when there is none."""
        return str(self._helper("ShownBody", "s", title)[0])

    def panel_items(self) -> dict[str, bool]:
        """key -> shown, of every item in the top bar's status area (the AppIndicator
        extension's tray icons are `appindicator-<the watcher's entry>`)."""
        return {str(key): bool(shown) for key, shown in self._helper("PanelItems")[0]}

    def click_notification_action(self, title: str, label: str) -> None:
        """Click the button `label` of the notification titled `title`, as a person does on
        its banner (the Shell's daemon then sends ActionInvoked and closes it)."""
        if not self._helper("InvokeNotificationAction", "ss", title, label)[0]:
            raise AssertionError(f"no notification {title!r} with a button {label!r}: "
                                 f"{self.notifications()}")

    # -- real input: Mutter's RemoteDesktop API ---------------------------------------

    def _remote(self, method: str, signature: str = "", *args: Any) -> None:
        """A call on this session's RemoteDesktop session (made and started on first use;
        Mutter ends it when the test process's bus connection closes)."""
        iface = "org.gnome.Mutter.RemoteDesktop"
        if self._remote_session is None:
            (path,) = self.call(iface, "/org/gnome/Mutter/RemoteDesktop", iface,
                                "CreateSession")
            self.call(iface, path, f"{iface}.Session", "Start")
            self._remote_session = path
        self.call(iface, self._remote_session, f"{iface}.Session", method, signature, *args)

    def touch(self) -> None:
        """Real input: a one-pixel pointer move there and back, which starts IdleMonitor's
        idle time again from zero."""
        self._remote("NotifyPointerMotionRelative", "dd", 1.0, 0.0)
        self._remote("NotifyPointerMotionRelative", "dd", -1.0, 0.0)

    def press(self, *keysyms: int) -> None:
        """Real keys: `keysyms` pressed in order and released in reverse, as a chord (e.g.
        `press(KEY_ALT, KEY_TAB)` switches windows as a person does)."""
        for keysym in keysyms:
            self._remote("NotifyKeyboardKeysym", "ub", keysym, True)
        for keysym in reversed(keysyms):
            self._remote("NotifyKeyboardKeysym", "ub", keysym, False)

    # -- windows -----------------------------------------------------------------------

    def open_window(self, name: str, title: str, app_id: str | None = None,
                    timeout: float = 20) -> Window:
        """A real Wayland window (foot running `sleep`) whose process is called `name` and
        whose title is `title` (and app id `app_id`, `name` by default); returns once the
        Shell has it."""
        link = self.named(name, "foot")
        proc = self.spawn_as_user([str(link), "--app-id", app_id or name, "--title", title,
                                   "sleep", "3600"])
        self._wait_window(proc, title, timeout)
        return Window(name, title, proc)

    def open_x11_window(self, name: str, title: str, timeout: float = 30) -> Window:
        """A real X11 window through XWayland (xterm running `sleep`), process called
        `name`, title `title`."""
        link = self.named(name, "xterm")
        proc = self.spawn_as_user([str(link), "-T", title, "-geometry", "60x10", "-e",
                                   "sleep", "3600"], env=self.x_env())
        self._wait_window(proc, title, timeout)
        return Window(name, title, proc)

    def _wait_window(self, proc: subprocess.Popen[Any], title: str, timeout: float) -> None:
        def shown() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the window {title!r} ended at once (exit code "
                                     f"{proc.returncode})")
            return title in self.titles()

        wait_for(shown, timeout, f"the window {title!r}", step=0.1)

    def close_window(self, window: Window) -> None:
        end_process(window.process)

    # -- start and end -----------------------------------------------------------------

    def start(self, extensions: Sequence[Path], enabled: Sequence[str],
              timeout: float = 60) -> None:
        """Everything, up to a Shell that answers with its overview hidden."""
        self.bin_dir.mkdir(mode=0o755)
        self.bin_dir.chmod(0o755)  # mkdir's mode is cut by the umask
        _owned_dir(self.home, self.user)
        _owned_dir(self.runtime_dir, self.user)
        for sub in (".config", ".cache", ".local", ".local/share", ".local/state"):
            _owned_dir(self.home / sub, self.user)
        self._install_extensions([HELPER_EXTENSION, *extensions])
        self._start_system_bus()
        self._start_session_bus()
        uuids = list(dict.fromkeys([HELPER_UUID, *enabled]))
        for schema, key, value in (*SETTINGS,
                                   ("org.gnome.shell", "enabled-extensions", repr(uuids))):
            self.gsettings("set", schema, key, value)
        self.start_shell(timeout)

    def _install_extensions(self, folders: Sequence[Path]) -> None:
        target = self.home / ".local" / "share" / "gnome-shell" / "extensions"
        for folder in folders:
            uuid = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["uuid"]
            shutil.copytree(folder, target / uuid)
        for path in (target.parent, target, *target.rglob("*")):
            os.chown(path, self.user.uid, self.user.gid)

    def _start_system_bus(self) -> None:
        folder = self.base / "system"
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)  # mkdir's mode is cut by the umask
        config = folder / "bus.conf"
        config.write_text(SYSTEM_BUS.format(socket=folder / "bus"))
        self._services.append(subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: (folder / "bus").exists(), 15, "the stand-in system bus")
        (folder / "bus").chmod(0o666)
        with (self.base / "logind.log").open("ab") as log:
            self._services.append(subprocess.Popen(
                [str(SYSTEM_PYTHON), "-m", "dbusmock", "--system", "--template", "logind"],
                env={"PATH": "/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS":
                     self.system_bus_address}, stdout=log, stderr=subprocess.STDOUT))

        def logind_up() -> bool:
            if self._services[-1].poll() is not None:
                raise ShellError("python-dbusmock's logind ended: "
                                 + (self.base / "logind.log").read_text(errors="replace"))
            return _owned_on(self.system_bus_address, "org.freedesktop.login1")

        wait_for(logind_up, 20, "the mocked logind", step=0.1)

    def _start_session_bus(self) -> None:
        config = self.base / "session-bus.conf"
        config.write_text(SESSION_BUS.format(socket=self.runtime_dir / "bus",
                                             user=self.user.name))
        config.chmod(0o644)
        with self.shell_log.open("ab") as log:
            self._services.append(subprocess.Popen(
                ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile"],
                **self._as_user(None), stdout=log, stderr=subprocess.STDOUT))
        wait_for(lambda: self.name_owned("org.freedesktop.DBus"), 15, "the session bus")

    def start_shell(self, timeout: float = 60) -> float:
        """GNOME Shell on this session's buses (again, after `stop_shell`); returns how long
        it took to answer with its overview hidden."""
        started = time.monotonic()
        argv = ["gnome-shell", "--headless", "--wayland", "--wayland-display", "wayland-0",
                "--virtual-monitor", SIZE]
        if not self.xwayland:
            argv.append("--no-x11")
        # The Shell turns user extensions off when it finds this file from a start that
        # crashed within a minute; a test that restarts it wants them back on.
        with contextlib.suppress(OSError):
            (self.runtime_dir / "gnome-shell-disable-extensions").unlink()
        with self.shell_log.open("ab") as log:
            self.shell = subprocess.Popen(argv, **self._as_user(None), stdout=log,
                                          stderr=subprocess.STDOUT)
        try:
            wait_for(self._shell_ready, timeout, "GNOME Shell to answer", step=0.1)
        except TimeoutError as late:
            raise ShellError(f"{late}; it said: {self.said()}") from None
        if self.xwayland:
            self._x_display, self._xauthority = self._x_server()
        return time.monotonic() - started

    def _shell_ready(self) -> bool:
        if self.shell is not None and self.shell.poll() is not None:
            raise ShellError(f"GNOME Shell ended (exit code {self.shell.returncode}): "
                             f"{self.said()}")
        if not (self.runtime_dir / "wayland-0").exists() or not self.name_owned(
                "org.gnome.Shell"):
            return False
        try:
            self.shell_version  # noqa: B018  (answers once the Shell's D-Bus API is up)
            # Start-up over and the overview hidden: before that the overview is sometimes
            # not yet shown, and shows itself after a first window opened (no focus then).
            return bool(self._helper("Settled")[0])
        except Exception:  # the helper's object is not exported yet
            return False

    def _x_server(self) -> tuple[str, str]:
        """The X display and Xauthority file of the Shell's XWayland, as the Shell's own
        environment names them."""
        display = wait_for(lambda: self._helper("Getenv", "s", "DISPLAY")[0], 30,
                           "the Shell's DISPLAY")
        socket = Path("/tmp/.X11-unix", f"X{display.lstrip(':').split('.')[0]}")
        wait_for(socket.exists, 30, f"XWayland's socket {socket}")
        return str(display), str(self._helper("Getenv", "s", "XAUTHORITY")[0])

    def stop_shell(self) -> None:
        """End GNOME Shell alone (the buses stay): a test restarts it with `start_shell`."""
        if self.shell is not None:
            _end_all([self.shell])
            self.shell = None
        self._remote_session = None  # it lived in the Shell that ended
        self._x_display = None

    def end(self) -> None:
        """End every process of the session, the tests' ones first. Never raises."""
        with contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()
        _end_all(self._spawned)
        self.stop_shell()
        _end_others(self._strays())
        _end_all(list(reversed(self._services)), children_first=True)

    def _strays(self) -> list[psutil.Process]:
        """This session's processes that are no child of ours: the services the session bus
        started (dbus-daemon lets init adopt them), known by their runtime folder."""
        ours = f"{self.runtime_dir}"
        found = []
        for proc in psutil.process_iter(["uids"]):
            with contextlib.suppress(psutil.Error):
                if (proc.info["uids"] is not None and proc.info["uids"].real == self.user.uid
                        and proc.environ().get("XDG_RUNTIME_DIR") == ours
                        and proc.name() != "dbus-daemon"):
                    found.append(proc)
        return found


def _owned_on(address: str, name: str) -> bool:
    from jeepney import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    try:
        with open_dbus_connection(address) as conn:
            return bool(Proxy(message_bus, conn, timeout=5).NameHasOwner(name)[0])
    except (OSError, ConnectionError):
        return False


@dataclass(frozen=True)
class GnomeOptions:
    """What a test module's Shell starts with (see `gnome_session`); a module overrides the
    fixture `gnome_options` of tests/gnome/conftest.py to change it."""

    extensions: tuple[Path, ...] = ()
    enabled: tuple[str, ...] = ()
    xwayland: bool = False


@contextlib.contextmanager
def gnome_session(extensions: Sequence[Path] = (), enabled: Sequence[str] = (), *,
                  python: UserPython | None = None, xwayland: bool = False,
                  user: str = USER) -> Iterator[GnomeSession]:
    """A headless GNOME Shell 43 on Wayland (1280x800) as the test user `user` (made if
    missing), in a fresh folder /tmp/driftcheck-gnome-XXXX that holds its HOME, XDG folders,
    runtime folder (0700, the user's) and buses, removed afterwards. The extension folders
    `extensions` are installed for the user (each as the uuid its metadata.json names), the
    uuids `enabled` and the test helper enabled before the Shell starts. With `python`,
    `session.driftcheck(...)` runs driftcheck as the user; with `xwayland`, X11 windows
    open through XWayland. Needs root."""
    account = session_user(user)
    base = Path(tempfile.mkdtemp(prefix="driftcheck-gnome-", dir="/tmp"))
    base.chmod(0o755)
    session = GnomeSession(base, account, python, xwayland)
    try:
        session.start(list(extensions), list(enabled))
        yield session
    finally:
        session.end()
        shutil.rmtree(base, ignore_errors=True)


# --- the lock screen and a record of the session bus (appended for test_track_gnome) -------


@contextlib.contextmanager
def display_manager_mock(session: GnomeSession) -> Iterator[subprocess.Popen[bytes]]:
    """A stand-in GDM (python-dbusmock's `org.gnome.DisplayManager` with a `Version`) on the
    session's system bus: GNOME Shell 43 makes its lock screen (and `org.gnome.ScreenSaver`)
    only when GDM answers there (js/misc/loginManager.js `canLock()`), so a Shell started
    while this runs can lock. Ended on leaving."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    name, path = "org.gnome.DisplayManager", "/org/gnome/DisplayManager/Manager"
    proc = subprocess.Popen(
        [str(SYSTEM_PYTHON), "-m", "dbusmock", "--system", name, path, f"{name}.Manager"],
        env={"PATH": "/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS": session.system_bus_address},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _owned_on(session.system_bus_address, name), 20, "the mocked GDM",
                 step=0.1)
        with open_dbus_connection(session.system_bus_address) as conn:
            unwrap_msg(conn.send_and_get_reply(new_method_call(
                DBusAddress(path, bus_name=name, interface="org.freedesktop.DBus.Mock"),
                "AddProperty", "ssv", (f"{name}.Manager", "Version", ("s", "43.0"))),
                timeout=10))
        yield proc
    finally:
        end_process(proc)


class BusRecorder:
    """Every message on the session bus while it runs, seen from a monitor connection of the
    test process (`BecomeMonitor`; the session bus lets root do it), kept as jeepney
    Messages in `messages`."""

    def __init__(self, session: GnomeSession) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        self.messages: list[Any] = []
        self._stop = threading.Event()
        self._conn = open_dbus_connection(session.bus_address)
        unwrap_msg(self._conn.send_and_get_reply(new_method_call(
            DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                        interface="org.freedesktop.DBus.Monitoring"),
            "BecomeMonitor", "asu", ([], 0)), timeout=10))
        self._thread = threading.Thread(target=self._run, name="bus-recorder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self._conn.receive(timeout=0.2))
            except TimeoutError:
                continue
            except Exception:  # the connection closed under it: the record ends there
                return

    def stop(self) -> list[Any]:
        """Stop recording; what was recorded."""
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self._conn.close()
        return self.messages
