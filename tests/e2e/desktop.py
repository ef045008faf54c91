"""The real desktop of the end-to-end tests: an X server (Xvfb) with a window manager (openbox),
real windows and real input (xdotool), a tray (trayer), and a session bus with a notification
daemon (dbus-daemon, dunst, dbus-monitor); and the clean-up of every process they started.

The fixtures that hand these out (`xsession`, `screen_on_failure`, `trayer`, `desktop`) live in
tests/e2e/conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.helpers.waiting import wait_for

TOOLS = ("Xvfb", "openbox", "xdotool", "xterm", "xprop", "xdpyinfo")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@dataclass
class Window:
    wid: str
    process: subprocess.Popen[bytes]
    name: str


@dataclass
class XSession:
    display: str
    bin_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        # Real windows on this display: no Wayland, and not the offscreen platform that the UI
        # tests set for the whole pytest process.
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
        env["DISPLAY"] = self.display
        return env

    def xdotool(self, *args: str) -> str:
        out = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True,
                             timeout=20, check=True)
        return out.stdout.strip()

    def spawn(self, name: str, title: str) -> Window:
        """A real window whose process is called `name` (an xterm started through a symlink
        of that name) and whose title is `title`."""
        link = self.bin_dir / name
        if not link.exists():
            link.symlink_to(shutil.which("xterm") or "/usr/bin/xterm")
        proc = subprocess.Popen([str(link), "-T", title, "-geometry", "60x10", "-e", "sleep",
                                 "3600"], env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wid = wait_for(lambda: self._window_of(proc.pid), 15, f"the window of {name}")
        return Window(wid, proc, name)

    def _window_of(self, pid: int) -> str | None:
        out = subprocess.run(["xdotool", "search", "--pid", str(pid)], env=self.env,
                             capture_output=True, text=True, timeout=10)
        ids = out.stdout.split()
        return ids[-1] if ids else None

    def visible(self, *criteria: str) -> list[str]:
        """The ids of the visible windows that `xdotool search` finds with `criteria`."""
        out = subprocess.run(["xdotool", "search", "--onlyvisible", *criteria], env=self.env,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.split()

    def geometry(self, wid: str) -> tuple[int, int, int, int]:
        """x, y, width, height of window `wid`."""
        shell = self.xdotool("getwindowgeometry", "--shell", wid)
        values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
        return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

    def activate(self, window: Window) -> float:
        """Bring `window` to the front; returns the monotonic moment it happened (the middle of
        xdotool's round trip)."""
        before = time.monotonic()
        self.xdotool("windowactivate", "--sync", window.wid)
        return (before + time.monotonic()) / 2

    def focus_for(self, window: Window, seconds: float) -> float:
        """Bring `window` to the front and keep it there for `seconds` (a person's time in
        front of it, not a wait); returns how long it really was."""
        before = time.monotonic()
        switched = self.activate(window)
        time.sleep(seconds - (time.monotonic() - before))
        return time.monotonic() - switched

    def touch(self) -> None:
        """Real input: a tiny pointer move resets the X server's idle counter."""
        self.xdotool("mousemove_relative", "--", "1", "0")
        self.xdotool("mousemove_relative", "--", "-1", "0")

    def screenshot(self, path: Path) -> None:
        subprocess.run(["import", "-display", self.display, "-window", "root", str(path)],
                       env=self.env, timeout=30, check=False)

    def pixels(self, shot: Path, x: int, y: int, w: int, h: int) -> list[tuple[int, int, int]]:
        """The screen's pixels in a rectangle, through ImageMagick (no Python imaging needed);
        the whole screen is left in `shot`."""
        self.screenshot(shot)
        out = subprocess.run(["convert", str(shot), "-crop", f"{w}x{h}+{x}+{y}", "+repage",
                              "-depth", "8", "txt:-"], capture_output=True, text=True,
                             timeout=30, check=True)
        found = re.findall(r"^\d+,\d+: \((\d+),(\d+),(\d+)", out.stdout, re.MULTILINE)
        return [(int(r), int(g), int(b)) for r, g, b in found]

    def close_windows(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                proc.terminate()
        stop_processes(self.procs)
        self.procs.clear()


class ActivePerson:
    """Keeps the pointer moving (real input) so that idle never builds up, until paused.
    `last_input` is the monotonic moment the last input was given (after `pause()` returns,
    the last one there will be until `resume()`): on a loaded machine the moves come late,
    and the tracker back-dates idle to the real last input, not to the planned one."""

    def __init__(self, session: XSession, every: float = 0.5) -> None:
        self._session = session
        self._every = every
        self._stop = threading.Event()
        self._active = threading.Event()
        self._active.set()
        self._touching = threading.Lock()
        self.last_input: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ActivePerson:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def pause(self) -> None:
        with self._touching:  # a move under way ends first
            self._active.clear()

    def resume(self) -> None:
        self._session.touch()
        self.last_input = time.monotonic()
        self._active.set()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            with self._touching:
                if self._active.is_set():
                    self._session.touch()
                    self.last_input = time.monotonic()


def start_session(tmp: Path, number: int | None = None, size: str = "1280x800"
                  ) -> tuple[XSession, list[subprocess.Popen[bytes]]]:
    """Xvfb (a screen of `size`) and openbox on display `number` (a free one by default);
    returns the session and the processes to stop, window manager first."""
    n = _free_display() if number is None else number
    display = f":{n}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: Path(f"/tmp/.X11-unix/X{n}").exists() or xvfb.poll() is not None, 15,
             "Xvfb")
    if xvfb.poll() is not None:
        raise RuntimeError("Xvfb did not start")
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    session = XSession(display, bin_dir)

    def accepts_clients() -> bool:  # the socket file exists a moment before the server answers
        return subprocess.run(["xdpyinfo"], env=session.env, capture_output=True,
                              timeout=10).returncode == 0

    try:
        wait_for(accepts_clients, 15, "Xvfb to accept clients")
    except BaseException:
        stop_processes([xvfb])
        raise
    wm_log = tmp / f"openbox-{n}.log"

    def start_wm() -> subprocess.Popen[bytes]:
        with wm_log.open("ab") as log:
            return subprocess.Popen(["openbox", "--sm-disable"], env=session.env,
                                    stdout=log, stderr=subprocess.STDOUT)

    wm = start_wm()

    def wm_ready() -> bool:
        nonlocal wm
        if wm.poll() is not None:  # it gave up (seen rarely at start-up): once more
            wm = start_wm()
            return False
        out = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=session.env,
                             capture_output=True, text=True, timeout=10)
        return "window id" in out.stdout

    try:
        wait_for(wm_ready, 30, "openbox", step=0.2)
    except BaseException as exc:
        stop_processes([wm, xvfb])  # nothing left behind when the desktop fails to start
        raise RuntimeError(f"openbox did not start: {wm_log.read_text(errors='replace')[-800:]}"
                           ) from exc
    return session, [wm, xvfb]


def program_pid(parent: subprocess.Popen[Any], argv: list[str], timeout: float = 15) -> int:
    """The pid of the child of `parent` (a wrapper such as strace) that runs `argv`.

    Not simply its first child: strace forks short-lived children of its own first, to test
    what the kernel offers (PTRACE_SEIZE, seccomp), and the child that will run the program
    shows strace's command line until it execs. Taking the first child seen sometimes took one
    of those, already gone: the tray menu was then looked for among the windows of a process
    that had none, and killing it raised ProcessLookupError."""
    def runs_argv() -> int | None:
        if parent.poll() is not None:
            raise AssertionError(f"{argv[:2]} ended before it could be seen running")
        with contextlib.suppress(psutil.Error):
            for kid in psutil.Process(parent.pid).children():
                with contextlib.suppress(psutil.Error):
                    if kid.cmdline()[:len(argv)] == argv:
                        return int(kid.pid)
        return None

    pid: int = wait_for(runs_argv, timeout, f"{' '.join(argv[:2])} to start")
    return pid


def end_process(proc: subprocess.Popen[Any], timeout: float = 5) -> None:
    """Stop `proc` if it still runs (SIGTERM, then SIGKILL) and reap it. Never raises: teardown
    code runs after a failure, and must not put its own error in the failure's place."""
    try:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
    except (OSError, subprocess.SubprocessError):  # already gone, or stuck past SIGKILL
        pass


def end_pid(pid: int) -> None:
    """SIGKILL a process that is not our child (the program under strace), if it still runs."""
    if pid > 0:
        with contextlib.suppress(OSError):  # ProcessLookupError: it had already ended
            os.kill(pid, signal.SIGKILL)


def stop_processes(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop each of `procs` in turn (each one whatever became of the ones before)."""
    for proc in procs:
        end_process(proc)


# --- the tray: trayer (XEmbed) ----------------------------------------------------------------

TRAY_TOOLS = ("trayer", "convert")  # convert (ImageMagick): to find the ring among its pixels


@contextlib.contextmanager
def running_trayer(xs: XSession) -> Iterator[tuple[int, int, int, int]]:
    """trayer as the tray, at the top right; gives its panel's x, y, width, height."""
    proc = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                             "request", "--height", "32", "--SetDockType", "true",
                             "--transparent", "false"], env=xs.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        panel = wait_for(lambda: xs.visible("--class", "trayer"), 15, "trayer's panel")
        yield xs.geometry(panel[-1])
    finally:
        end_process(proc, timeout=10)


def ring_pixels(colors: list[tuple[int, int, int]]) -> int:
    """Pixels with the ring's blue-green tint (trayer's background is a neutral grey)."""
    return sum(1 for r, g, b in colors if b - r > 15 and g - r > 10)


def tray_icon(xs: XSession, shot: Path) -> tuple[int, int, int, int] | None:
    """Where driftcheck's ring is drawn in trayer, once it is (trayer grows to the width its
    icons ask for, so it is looked for again each time)."""
    for wid in xs.visible("--class", "trayer"):
        x, y, w, h = xs.geometry(wid)
        if w >= 16 and ring_pixels(xs.pixels(shot, x, y, w, h)) >= 20:
            return x, y, w, h
    return None


# --- a session bus, and a notification daemon on it ---------------------------------------------

NOTIFY_TOOLS = ("dbus-daemon", "dbus-monitor", "dunst", "dunstctl")

# A session bus with no service directories: nothing can be activated on it.
BARE_BUS = ("<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
            "<policy context='default'><allow send_destination='*' eavesdrop='true'/>"
            "<allow eavesdrop='true'/><allow own='*'/></policy></busconfig>")

# dunst's context menu: remember what it offered, pick the snooze line.
DMENU = """#!/bin/sh
cat > "{offered}"
grep ',snooze]' "{offered}" | head -n 1
"""


@contextlib.contextmanager
def session_bus(config: Path | None = None) -> Iterator[str]:
    """A private dbus-daemon (the session bus, or one made from `config`); gives its address
    and stops it afterwards."""
    how = [f"--config-file={config}"] if config is not None else ["--session"]
    started = subprocess.run(["dbus-daemon", *how, "--fork", "--print-address=1",
                              "--print-pid=1"], capture_output=True, text=True, timeout=20,
                             check=True)
    address, pid = started.stdout.split()[:2]
    try:
        yield address
    finally:
        with contextlib.suppress(OSError):  # it may have ended already
            os.kill(int(pid), signal.SIGTERM)


def name_owned(address: str, name: str) -> bool:
    from jeepney import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    with open_dbus_connection(address) as conn:
        return bool(Proxy(message_bus, conn, timeout=5).NameHasOwner(name)[0])


@dataclass
class NotificationDesktop:
    """A session bus with dunst on it and dbus-monitor recording what crossed it."""

    address: str
    monitor_log: Path
    offered: Path  # what dunst's context menu offered, as its dmenu script saw it
    env: dict[str, str]  # the X session's, with this bus

    def dunstctl(self, *args: str) -> str:
        done = subprocess.run(["dunstctl", *args], env=self.env, check=True, timeout=20,
                              capture_output=True, text=True)
        return done.stdout.strip()

    def monitored(self) -> str:
        return self.monitor_log.read_text(errors="replace")

    def notify_call(self) -> str:
        """The first Notify call on the bus once dbus-monitor has seen all of it (its last
        argument, the timeout, is there), else ''."""
        call = notify_call(self.monitored())
        return call if "int32 -1" in call else ""


def notify_call(log: str) -> str:
    """The text of the first Notify method call dbus-monitor recorded."""
    start = log.find("member=Notify")
    if start < 0:
        return ""
    end = log.find("\nmethod call", start)
    end = log.find("\nsignal", start) if end < 0 else end
    return log[start:] if end < 0 else log[start:end]


@contextlib.contextmanager
def notification_desktop(xs: XSession, folder: Path) -> Iterator[NotificationDesktop]:
    """A private session bus on the X session `xs`, dunst owning the notification service (its
    `dmenu` a script that chooses "Snooze 15 min") and dbus-monitor recording into `folder`."""
    with session_bus() as address:
        procs: list[subprocess.Popen[bytes]] = []
        try:
            env = {**xs.env, "DBUS_SESSION_BUS_ADDRESS": address}
            offered = folder / "offered.txt"
            dmenu = folder / "dmenu.sh"
            dmenu.write_text(DMENU.format(offered=offered))
            dmenu.chmod(0o755)
            dunstrc = folder / "dunstrc"
            # markup = full, as many desktops ship it: dunst then says "body-markup" and draws
            # a body's tags (1.9's own default is markup = no).
            dunstrc.write_text(f"[global]\n    dmenu = {dmenu}\n    markup = full\n")
            procs.append(subprocess.Popen(["dunst", "-config", str(dunstrc)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            # Our dunst must own the name before anything calls it, or the bus would start
            # another one (with no dmenu) through D-Bus activation.
            wait_for(lambda: name_owned(address, "org.freedesktop.Notifications"), 15,
                     "dunst to own org.freedesktop.Notifications")
            monitor_log = folder / "dbus-monitor.log"
            with monitor_log.open("wb") as out:
                procs.append(subprocess.Popen(
                    ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
                    env=env, stdout=out, stderr=subprocess.STDOUT))
            wait_for(lambda: "NameAcquired" in monitor_log.read_text(errors="replace"), 15,
                     "dbus-monitor to listen")
            yield NotificationDesktop(address, monitor_log, offered, env)
        finally:
            stop_processes(list(reversed(procs)))


@contextlib.contextmanager
def module_session(tmp: Path) -> Iterator[XSession]:
    """A session for a module of tests: skipped loudly (failed with REQUIRE_X11=1) when a
    tool is missing; its windows closed and its processes stopped afterwards."""
    from tests.helpers.skips import skip_or_fail

    missing = missing_tools()
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed")
    session, procs = start_session(tmp)
    try:
        yield session
    finally:
        session.close_windows()
        stop_processes(procs)
