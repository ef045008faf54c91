"""A real KWin 5.27 on Wayland for the tests: its virtual output, as an ordinary user, with its
own session bus (and a stand-in system bus carrying a mocked logind), real Wayland windows
(small PySide6 windows), focus moved for real by a test-only KWin script, and a Python that
user can run driftcheck with.

KWin, like every compositor here, misbehaves as root, and Debian's `/usr/bin/kwin_wayland`
carries a file capability (`cap_sys_resource`) that no one may exec in this container: a plain
copy of the binary, which drops it, runs (docs: /work/shared/FACTS.md). `kwin_session()` makes
everything under one folder of /tmp and removes it afterwards. The buses, the test user, the
way programs run as that user and the bus calls of the test process come from the GNOME
harness (tests/helpers/gnome.py), whose session class this one extends: only KWin itself,
its windows and its scripts are new here. The fixtures live in tests/kwin/conftest.py.

Windows: foot crashed (SIGFPE) on KWin's virtual output, so a window is a PySide6 QWidget with
`QT_QPA_PLATFORM=wayland`, run by Debian's Python through a symlink named like the app (its
process name) with `QGuiApplication.setDesktopFileName` as its app id; a line on its stdin
changes its title. The test helper script (`_helper_script`) lists the windows KWin has, and
activates one by its caption as a click would (`workspace.activeClient = window` on KWin 5,
`workspace.activeWindow` on 6); each use is a script loaded, run and unloaded through
`org.kde.KWin /Scripting`, whose answer is a line it prints into KWin's log.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.desktop import end_process
from tests.helpers.gnome import (
    SYSTEM_PYTHON,
    USER,
    GnomeSession,
    SessionUser,
    UserPython,
    _end_all,
    _owned_dir,
    session_user,
)
from tests.helpers.waiting import wait_for
from widget.probes.wayland import Connection, encode_message, uint

KWIN = Path("/usr/bin/kwin_wayland")
DRIVER = Path(__file__).resolve().parents[1] / "kwin" / "probe_driver.py"
SOCKET = "wayland-kwin"
WIDTH, HEIGHT = 1280, 800
TOOLS = ("dbus-daemon",)
# What tests/system-deps.sh installs for these tests, named when something is missing.
PACKAGES = "kwin-wayland, python3-dbusmock, dbus"

# A window: a QWidget titled argv[1] with the app id argv[2]; each line on stdin is a new title.
WINDOW = r"""
import sys
from PySide6.QtCore import QSocketNotifier
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

app = QApplication(sys.argv[:1])
QGuiApplication.setDesktopFileName(sys.argv[2])
window = QWidget()
window.setWindowTitle(sys.argv[1])
window.resize(320, 200)
window.show()

def read_line():
    line = sys.stdin.readline()
    if not line:
        app.quit()
        return
    window.setWindowTitle(line.rstrip("\n"))

notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
notifier.activated.connect(read_line)
sys.exit(app.exec())
"""

# The test helper script: {nonce}, {caption} (a JSON string, or null) and {pid} (0: none)
# filled in. It prints one line, "driftcheck-test NONCE JSON", with every window KWin manages,
# after activating the window titled `caption`, or the one of process `pid`, if one is given.
HELPER = """
(function () {
  function text(value) {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    if (value instanceof ArrayBuffer) {
      var bytes = new Uint8Array(value), out = "";
      for (var i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
      return out;
    }
    return String(value);
  }
  var six = "activeWindow" in workspace;
  var windows = six ? workspace.windowList() : workspace.clientList();
  var wanted = %(caption)s, pid = %(pid)d, found = false;
  for (var i = 0; i < windows.length; i++) {
    if ((wanted !== null && text(windows[i].caption) === wanted)
        || (pid > 0 && windows[i].pid === pid)) {
      if (six) workspace.activeWindow = windows[i]; else workspace.activeClient = windows[i];
      found = true;
    }
  }
  var active = six ? workspace.activeWindow : workspace.activeClient;
  var list = [];
  for (var j = 0; j < windows.length; j++) {
    var w = windows[j];
    list.push({caption: text(w.caption), pid: w.pid, resourceClass: text(w.resourceClass),
               desktopFileName: text(w.desktopFileName), active: w === active});
  }
  print("driftcheck-test %(nonce)s " + JSON.stringify({found: found, windows: list}));
})();
"""


# idle.xml (org_kde_kwin_idle, org_kde_kwin_idle_timeout), github.com/KDE/plasma-wayland-protocols
KDE_IDLE = "org_kde_kwin_idle"
KDE_GET_IDLE_TIMEOUT = 0  # (new_id, seat object, timeout uint ms)
KDE_SIMULATE_USER_ACTIVITY = 1  # on org_kde_kwin_idle_timeout, no arguments


class UserActivity:
    """Input as KWin counts it, through org_kde_kwin_idle_timeout's
    `simulate_user_activity` (what video players use to keep the screen on): KWin takes it
    as input from the person (InputRedirection::simulateUserActivity) and starts every idle
    timer again from zero, ext-idle-notify-v1's included. KWin 5.27 keeps its fake-input
    protocol, which would move the pointer, to programs its desktop files allow."""

    def __init__(self, env: dict[str, str]) -> None:
        self._lock = threading.Lock()
        self.connection = Connection.open(env)
        seat = self.connection.bind("wl_seat", 1)
        manager = self.connection.bind(KDE_IDLE, 1)
        self.timeout = self.connection.new_id()
        self.connection.send(encode_message(manager, KDE_GET_IDLE_TIMEOUT, uint(self.timeout),
                                            uint(seat), uint(60_000)))
        self.connection.roundtrip()

    def poke(self) -> None:
        with self._lock:
            self.connection.send(encode_message(self.timeout, KDE_SIMULATE_USER_ACTIVITY))
            self.connection.roundtrip()

    def close(self) -> None:
        self.connection.close()


class KWinError(RuntimeError):
    """KWin did not start, or ended, with what it said last."""


@dataclass
class QtWindow:
    """A real Wayland window opened by a test: its process (called `name`), app id, title."""

    name: str
    app_id: str
    title: str
    process: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def retitle(self, title: str) -> None:
        """Change the window's title (its caption in KWin)."""
        assert self.process.stdin is not None
        self.process.stdin.write(title + "\n")
        self.process.stdin.flush()
        self.title = title


def missing_tools() -> list[str]:
    """What this machine lacks for a KWin session (empty when it can start one)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not KWIN.exists():
        missing.append("kwin_wayland")
    if not SYSTEM_PYTHON.exists() or subprocess.run(
            [str(SYSTEM_PYTHON), "-c", "import dbusmock"], capture_output=True).returncode:
        missing.append("python3-dbusmock")
    return missing


class KWinSession(GnomeSession):
    """One virtual KWin for one test user, and what a test does in it (`env`,
    `run_as_user`, `spawn_as_user`, `call`, `name_owned`, `driftcheck` as in GnomeSession).
    Made by `kwin_session()`."""

    def __init__(self, base: Path, user: SessionUser, python: UserPython | None = None) -> None:
        super().__init__(base, user, python, xwayland=False)
        self.shell_log = base / "kwin.log"  # `said()` reads it
        self.kwin: subprocess.Popen[bytes] | None = None
        self.kwin_binary = base / "kwin" / "kwin_wayland"
        self._window_script = base / "window.py"
        self._helper_count = 0
        self._input: UserActivity | None = None
        self._qt_windows: list[QtWindow] = []

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env.update({"XDG_CURRENT_DESKTOP": "KDE", "XDG_SESSION_DESKTOP": "KDE",
                    "DESKTOP_SESSION": "plasmawayland", "KDE_FULL_SESSION": "true",
                    "KDE_SESSION_VERSION": "5", "WAYLAND_DISPLAY": SOCKET})
        return env

    # -- start and end -----------------------------------------------------------------

    def start(self, extensions: Sequence[Path] = (), enabled: Sequence[str] = (),
              timeout: float = 60) -> None:
        """The buses, then KWin answering on its session bus."""
        self.bin_dir.mkdir(mode=0o755)
        self.bin_dir.chmod(0o755)  # mkdir's mode is cut by the umask
        _owned_dir(self.home, self.user)
        _owned_dir(self.runtime_dir, self.user)
        for sub in (".config", ".cache", ".local", ".local/share", ".local/state"):
            _owned_dir(self.home / sub, self.user)
        # A copy drops the file capability the user could not exec (owned by root, 0755).
        self.kwin_binary.parent.mkdir(mode=0o755)
        self.kwin_binary.parent.chmod(0o755)  # mkdir's mode is cut by the umask
        shutil.copyfile(KWIN, self.kwin_binary)
        self.kwin_binary.chmod(0o755)
        self._window_script.write_text(WINDOW, encoding="utf-8")
        self._window_script.chmod(0o644)
        self._start_system_bus()
        self._start_session_bus()
        self.start_kwin(timeout)

    def start_kwin(self, timeout: float = 60) -> float:
        """KWin on this session's buses (again, after `stop_kwin`); how long it took to
        answer on the bus with its scripting."""
        started = time.monotonic()
        argv = [str(self.kwin_binary), "--virtual", "--width", str(WIDTH), "--height",
                str(HEIGHT), "--no-lockscreen", "--socket", SOCKET]
        with self.shell_log.open("ab") as log:
            self.kwin = subprocess.Popen(argv, **self._as_user(None), stdout=log,
                                         stderr=subprocess.STDOUT)
        try:
            wait_for(self._kwin_ready, timeout, "KWin to answer", step=0.1)
        except TimeoutError as late:
            raise KWinError(f"{late}; it said: {self.said()}") from None
        return time.monotonic() - started

    def _kwin_ready(self) -> bool:
        if self.kwin is not None and self.kwin.poll() is not None:
            raise KWinError(f"KWin ended (exit code {self.kwin.returncode}): {self.said()}")
        if not (self.runtime_dir / SOCKET).exists() or not self.name_owned("org.kde.KWin"):
            return False
        try:
            self.call("org.kde.KWin", "/Scripting", "org.freedesktop.DBus.Introspectable",
                      "Introspect")
            return True
        except Exception:
            return False

    def stop_kwin(self) -> None:
        """End KWin alone (the buses stay; its windows end with it)."""
        if self._input is not None:
            with contextlib.suppress(Exception):
                self._input.close()
            self._input = None
        if self.kwin is not None:
            _end_all([self.kwin])
            self.kwin = None

    def stop_shell(self) -> None:  # GnomeSession.end calls it
        self.stop_kwin()

    @property
    def kwin_owner(self) -> str:
        """KWin's unique name on the session bus."""
        return str(self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "GetNameOwner", "s", "org.kde.KWin")[0])

    # -- scripts -----------------------------------------------------------------------

    def load_script(self, path: Path, plugin: str) -> int:
        """`loadScript` of KWin's scripting: the script's id (-1: a script of that name is
        loaded already)."""
        return int(self.call("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting",
                             "loadScript", "ss", str(path), plugin)[0])

    def unload_script(self, plugin: str) -> bool:
        return bool(self.call("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting",
                              "unloadScript", "s", plugin)[0])

    def script_loaded(self, plugin: str) -> bool:
        return bool(self.call("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting",
                              "isScriptLoaded", "s", plugin)[0])

    def run_scripts(self) -> None:
        """Run every loaded script that is not running yet (`/Scripting start`: unlike
        `/N run`, it does not depend on script ids, which KWin 5 reuses)."""
        self.call("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting", "start")

    def _helper(self, caption: str | None, pid: int = 0) -> dict[str, Any]:
        self._helper_count += 1
        nonce = secrets.token_hex(6)
        folder = self.base / "scripts"
        folder.mkdir(mode=0o755, exist_ok=True)
        folder.chmod(0o755)  # mkdir's mode is cut by the umask
        script = folder / f"helper-{nonce}.js"
        script.write_text(HELPER % {"nonce": nonce, "caption": json.dumps(caption), "pid": pid},
                          encoding="utf-8")
        script.chmod(0o644)
        plugin = f"driftcheck-test-{nonce}"
        marker = f"driftcheck-test {nonce} ".encode()
        if self.load_script(script, plugin) < 0:
            raise AssertionError(f"KWin would not load {script}")
        try:
            self.run_scripts()
            line = wait_for(lambda: self._said_line(marker), 10, "the test helper's answer")
        finally:
            self.unload_script(plugin)
            script.unlink()
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _said_line(self, marker: bytes) -> bytes | None:
        data = self.shell_log.read_bytes()
        at = data.rfind(marker)
        if at < 0:
            return None
        end = data.find(b"\n", at)
        return data[at + len(marker):end if end >= 0 else len(data)] if end >= 0 else None

    def windows(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """{caption, pid, resourceClass, desktopFileName, active} of every window KWin has."""
        windows: list[dict[str, Any]] = self._helper(None)["windows"]
        return windows

    def titles(self) -> list[str]:
        return [str(w["caption"]) for w in self.windows()]

    def focused_title(self) -> str:
        return next((str(w["caption"]) for w in self.windows() if w["active"]), "")

    def activate(self, title: str, timeout: float = 10) -> None:
        """Give the window titled `title` the focus, as a click would (KWin's own
        activation), and wait until KWin says it is active."""
        answer = self._helper(title)
        if not answer["found"]:
            raise AssertionError(f"no window titled {title!r}: {answer['windows']}")
        wait_for(lambda: self.focused_title() == title, timeout,
                 f"{title!r} to have the focus")

    def activate_pid(self, pid: int) -> None:
        """Give the window of process `pid` the focus (KWin's own activation); returns once
        the test script has run (for windows whose title keeps changing)."""
        answer = self._helper(None, pid)
        if not answer["found"]:
            raise AssertionError(f"no window of process {pid}: {answer['windows']}")

    def walk_through_windows(self) -> None:
        """KWin's own "Walk Through Windows" action (what Alt+Tab does, without the keys),
        invoked through kglobalaccel: the focus goes back to the window used before."""
        self.call("org.kde.kglobalaccel", "/component/kwin", "org.kde.kglobalaccel.Component",
                  "invokeShortcut", "s", "Walk Through Windows")

    # -- real input ------------------------------------------------------------------

    def touch(self) -> None:
        """Input as KWin counts it (`UserActivity`): its idle time starts again from zero."""
        if self._input is None:
            self._input = UserActivity(self.env)
        self._input.poke()

    # -- windows -----------------------------------------------------------------------

    def open_qt_window(self, name: str, title: str, app_id: str | None = None,
                       timeout: float = 30) -> QtWindow:
        """A real Wayland window (PySide6) whose process is called `name`, its app id
        `app_id` (`name` by default) and its title `title`; returns once KWin has it."""
        if self.python is None or self.python.qt is None:
            raise AssertionError("this session was made without a UserPython with Qt")
        link = self.named(name, str(SYSTEM_PYTHON))
        proc = self.spawn_as_user(
            [str(link), str(self._window_script), title, app_id or name],
            env={"QT_QPA_PLATFORM": "wayland", "QT_WAYLAND_DISABLE_WINDOWDECORATION": "1"},
            stdin=subprocess.PIPE, text=True)

        def shown() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the window {title!r} ended at once (exit code "
                                     f"{proc.returncode}); KWin said: {self.said(800)}")
            return title in self.titles()

        wait_for(shown, timeout, f"the window {title!r}", step=0.2)
        window = QtWindow(name, app_id or name, title, proc)
        self._qt_windows.append(window)
        return window

    def close_qt_window(self, window: QtWindow) -> None:
        end_process(window.process)

    def close_all_windows(self, timeout: float = 20) -> None:
        """Close every window a test opened; returns once KWin has none."""
        for window in self._qt_windows:
            end_process(window.process)
        self._qt_windows.clear()
        wait_for(lambda: not self.titles(), timeout, "every window to close")


class ProbeDriver:
    """widget.probes.kwin.KWinProbe running as the test user in the session
    (tests/kwin/probe_driver.py), driven over its stdin and stdout."""

    def __init__(self, session: KWinSession) -> None:
        if session.python is None:
            raise AssertionError("this session was made without a UserPython")
        self.stderr = session.base / f"probe-{secrets.token_hex(3)}.txt"
        with self.stderr.open("ab") as sink:
            self.process = session.spawn_as_user(
                [str(SYSTEM_PYTHON), str(DRIVER)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=sink, text=True)
        self.started = self._read(30)

    def _read(self, timeout: float = 15) -> dict[str, Any]:
        assert self.process.stdout is not None
        lines: list[str] = []

        def read() -> None:
            lines.append(self.process.stdout.readline())  # type: ignore[union-attr]

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not lines or not lines[0]:
            raise AssertionError(f"the probe said nothing; stderr: "
                                 f"{self.stderr.read_text(errors='replace')[-2000:]}")
        answer: dict[str, Any] = json.loads(lines[0])
        return answer

    def ask(self, do: str, **more: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"do": do, **more}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def foreground(self) -> dict[str, Any] | None:
        """foreground() as a dict (process, pid, window_class, title, title_hits), None
        when nothing is in front; AssertionError with the probe's sentence when it raised."""
        answer = self.ask("foreground")
        if "error" in answer:
            raise AssertionError(answer["error"])
        fg: dict[str, Any] | None = answer["fg"]
        return fg

    def close(self) -> None:
        if self.process.poll() is None:
            self.ask("close", )
            self.process.wait(timeout=15)


@contextlib.contextmanager
def kwin_session(*, python: UserPython | None = None, user: str = USER
                 ) -> Iterator[KWinSession]:
    """A virtual KWin 5.27 on Wayland (1280x800, no lock screen) as the test user `user`
    (made if missing), in a fresh folder /tmp/driftcheck-kwin-XXXX holding its HOME, XDG
    folders, runtime folder (0700, the user's), buses and the copy of kwin_wayland, removed
    afterwards. With `python` (and its `with_qt()`), driftcheck runs as the user and Qt
    windows open. Needs root."""
    account = session_user(user)
    base = Path(tempfile.mkdtemp(prefix="driftcheck-kwin-", dir="/tmp"))
    base.chmod(0o755)
    session = KWinSession(base, account, python)
    try:
        session.start()
        yield session
    finally:
        session.end()
        shutil.rmtree(base, ignore_errors=True)
