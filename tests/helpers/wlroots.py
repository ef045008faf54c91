"""A real headless wlroots compositor for the tests (Sway 1.7, phoc 0.24; Wayfire 0.7 where it
can run), as an ordinary user, with real Wayland windows (foot), focus moved for real and real
input.

Compositors refuse to run as root (Sway: "Unable to drop root"), so each session runs as the
test user of tests/helpers/gnome.py in a fresh folder /tmp/driftcheck-wlr-XXXX holding its
HOME, its runtime folder (0700, the user's) and the compositor's log; two test runs at once
never share one. The test process itself (root) talks to the compositor's Wayland socket with
driftcheck's own wire client (widget/probes/wayland.py): it lists the toplevels and activates
one through wlr-foreign-toplevel-management (focus as a taskbar moves it), and moves a
virtual pointer through wlr-virtual-pointer (real input: idle starts again from zero).

Headless recipe (wlroots' headless backend): `WLR_BACKENDS=headless
WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman`, a renderer that needs no GPU. It works for
Sway 1.7 and phoc 0.24 (Phosh's compositor: wlroots 0.15, foreign toplevels and KDE idle, no
Sway IPC). Wayfire 0.7 renders with GLES only and exits at start without a DRM render node
("Failed to get DRM file descriptor!"), headless or not: this machine (and a CI runner) has
no /dev/dri, so its recipe is here but `missing_tools("wayfire")` names the device.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.e2e.desktop import end_process
from tests.helpers.gnome import SessionUser, UserPython, _end_all, session_user
from tests.helpers.user_session import RunsAsUser
from tests.helpers.waiting import wait_for
from widget.probes.wayland import (
    Connection,
    MessageReader,
    WaylandError,
    encode_message,
    fixed,
    uint,
)

COMPOSITORS = ("sway", "wayfire", "phoc", "cage")
TOOLS = {"sway": ("sway", "swaymsg", "foot"), "wayfire": ("wayfire", "foot"),
         "phoc": ("phoc", "foot"), "cage": ("cage",)}
PACKAGES = {"sway": "sway, foot", "wayfire": "wayfire, foot", "phoc": "phoc, foot",
            "cage": "cage"}

SWAY_CONFIG = """\
# driftcheck's test session: one headless output, no bar, no XWayland, nothing started.
output HEADLESS-1 resolution 1280x800
xwayland disable
default_border none
focus_on_window_activation focus
"""

WAYFIRE_CONFIG = """\
# driftcheck's test session: no XWayland, no plugins but the window manager's basics.
[core]
plugins = move resize place
xwayland = false

[input]
xkb_layout = us
"""

PHOC_CONFIG = """\
# driftcheck's test session: one headless output, no XWayland.
[core]
xwayland = false

[output:HEADLESS-1]
mode = 1280x800
"""

# wlr-foreign-toplevel-management-unstable-v1.xml, github.com/swaywm/wlr-protocols (v3)
FOREIGN_MANAGER = "zwlr_foreign_toplevel_manager_v1"
MANAGER_TOPLEVEL = 0
MANAGER_FINISHED = 1
HANDLE_TITLE, HANDLE_APP_ID, HANDLE_STATE, HANDLE_DONE, HANDLE_CLOSED = 0, 1, 4, 5, 6
HANDLE_ACTIVATE = 4  # (seat)
HANDLE_DESTROY = 7
STATE_ACTIVATED = 2
# wlr-virtual-pointer-unstable-v1.xml, same repository (v2)
POINTER_MANAGER = "zwlr_virtual_pointer_manager_v1"
POINTER_CREATE = 0  # (seat or null, new_id)
POINTER_MOTION = 0  # (time uint ms, dx fixed, dy fixed)
POINTER_FRAME = 4


def missing_tools(compositor: str) -> list[str]:
    """What this machine lacks for a session of `compositor` (empty when it can start one)."""
    missing = [t for t in TOOLS[compositor] if shutil.which(t) is None]
    if compositor == "wayfire" and not list(Path("/dev/dri").glob("renderD*")):
        # Wayfire 0.7 exits at start without one ("Failed to get DRM file descriptor!"),
        # headless or not: it renders with GLES only. Containers and CI runners have none.
        missing.append("a DRM render node (/dev/dri/renderD*) for Wayfire")
    return missing


@dataclass
class Window:
    """A real window opened by a test: its app id, its title and its process."""

    app_id: str
    title: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Toplevel:
    """One toplevel as wlr-foreign-toplevel-management describes it (after its `done`)."""

    handle: int
    title: str | None = None
    app_id: str | None = None
    activated: bool = False
    _pending: dict[str, Any] = field(default_factory=dict, repr=False)


class CompositorError(RuntimeError):
    """The compositor did not start, or ended, with what it said last."""


class Controls:
    """The test side's own Wayland client: toplevels, activation and a virtual pointer.
    Every public method reads what the compositor said so far (a round trip) first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._lock = threading.Lock()
        self.connection = Connection.open(env)
        self.toplevels: dict[int, Toplevel] = {}
        self.pointer: int | None = None
        if self.connection.find(POINTER_MANAGER) is not None:
            # On the default seat (null): phoc makes its seat only for a first input device,
            # which this pointer is (headless, there is no other).
            manager = self.connection.bind(POINTER_MANAGER, 1)
            self.pointer = self.connection.new_id()
            self.connection.send(encode_message(manager, POINTER_CREATE, uint(0),
                                                uint(self.pointer)))
            self.connection.roundtrip()
        self.seat = self.connection.bind("wl_seat", 1) if self.connection.find(
            "wl_seat") else None
        if self.connection.find(FOREIGN_MANAGER) is not None:  # cage has none
            self.connection.bind(FOREIGN_MANAGER, 3, self._on_manager)
        self.connection.roundtrip()
        self.connection.roundtrip()

    def _on_manager(self, opcode: int, payload: bytes) -> None:
        if opcode == MANAGER_TOPLEVEL:
            handle = MessageReader(payload).uint()
            self.toplevels[handle] = Toplevel(handle)
            self.connection.handle(handle, lambda op, data: self._on_handle(handle, op, data))

    def _on_handle(self, handle: int, opcode: int, payload: bytes) -> None:
        toplevel = self.toplevels.get(handle)
        if toplevel is None:
            return
        reader = MessageReader(payload)
        if opcode == HANDLE_TITLE:
            toplevel._pending["title"] = reader.string()
        elif opcode == HANDLE_APP_ID:
            toplevel._pending["app_id"] = reader.string()
        elif opcode == HANDLE_STATE:
            toplevel._pending["activated"] = STATE_ACTIVATED in reader.uints()
        elif opcode == HANDLE_DONE:
            for key, value in toplevel._pending.items():
                setattr(toplevel, key, value)
            toplevel._pending.clear()
        elif opcode == HANDLE_CLOSED:
            del self.toplevels[handle]
            self.connection.send(encode_message(handle, HANDLE_DESTROY))
            self.connection.forget(handle)

    def sync(self) -> list[Toplevel]:
        """The toplevels now, after a round trip."""
        with self._lock:
            self.connection.roundtrip()
            return list(self.toplevels.values())

    def find(self, app_id: str, title: str) -> Toplevel | None:
        return next((t for t in self.sync() if t.app_id == app_id and t.title == title), None)

    def activate(self, toplevel: Toplevel) -> None:
        if self.seat is None:
            raise AssertionError("the compositor has no seat to activate a window on")
        with self._lock:
            self.connection.send(encode_message(toplevel.handle, HANDLE_ACTIVATE,
                                                uint(self.seat)))
            self.connection.roundtrip()

    def wiggle(self) -> None:
        """A one-pixel pointer move there and back: real input."""
        if self.pointer is None:
            raise AssertionError(f"the compositor offers no {POINTER_MANAGER}")
        with self._lock:
            now = int(time.monotonic() * 1000) & 0xFFFFFFFF
            for dx in (1.0, -1.0):
                self.connection.send(encode_message(self.pointer, POINTER_MOTION, uint(now),
                                                    fixed(dx), fixed(0.0)))
                self.connection.send(encode_message(self.pointer, POINTER_FRAME))
            self.connection.roundtrip()

    def close(self) -> None:
        self.connection.close()


class WlrSession(RunsAsUser):
    """One headless wlroots compositor for one test user, and what a test does in it.

    `env` is the user's environment in the session (HOME, XDG_RUNTIME_DIR, WAYLAND_DISPLAY,
    and SWAYSOCK under Sway); `run_as_user` / `spawn_as_user` run programs as that user in it;
    `driftcheck(...)` runs `python -m widget` as the user (sessions made with a UserPython).
    Made by `wlroots_session()`."""

    def __init__(self, base: Path, user: SessionUser, compositor: str,
                 python: UserPython | None = None) -> None:
        if compositor not in COMPOSITORS:
            raise ValueError(f"no recipe for the compositor {compositor!r}")
        self.base = base
        self.user = user
        self.compositor = compositor
        self.python = python
        self.home = base / "home"
        self.runtime_dir = base / "run"
        self.bin_dir = base / "bin"
        self.config = base / f"{compositor}.conf"
        self.log = base / f"{compositor}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.display: str | None = None  # the WAYLAND_DISPLAY name it took
        self.swaysock: str | None = None
        self._controls: Controls | None = None
        self._spawned: list[subprocess.Popen[Any]] = []

    # -- environment and processes ------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """The test user's environment in this session."""
        env = {
            "HOME": str(self.home), "USER": self.user.name, "LOGNAME": self.user.name,
            "SHELL": "/bin/sh", "PATH": f"{self.bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_SESSION_TYPE": "wayland",
            # What each desktop's session sets (Phosh's names GNOME too, for its apps).
            "XDG_CURRENT_DESKTOP": {"sway": "sway", "phoc": "Phosh:GNOME",
                                    "wayfire": "Wayfire", "cage": "cage"}[self.compositor],
        }
        if self.display is not None:
            env["WAYLAND_DISPLAY"] = self.display
        if self.swaysock is not None:
            env["SWAYSOCK"] = self.swaysock
        if self.python is not None:
            env["PYTHONPATH"] = self.python.pythonpath
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def swaymsg(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`swaymsg ARGS` against this Sway (from the test process: root may use its socket)."""
        if self.swaysock is None:
            raise AssertionError("this session runs no Sway")
        return subprocess.run(["swaymsg", "-s", self.swaysock, *args], capture_output=True,
                              text=True, timeout=10, check=True)

    def said(self, tail: int = 3000) -> str:
        """The end of what the compositor wrote."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-tail:]

    # -- windows and input, through the compositor's own protocols -----------------------

    @property
    def controls(self) -> Controls:
        """The test side's Wayland client (made again after a restart)."""
        if self._controls is None or self._controls.connection.closed:
            self._controls = Controls(self.env)
        return self._controls

    def toplevels(self) -> list[Toplevel]:
        return self.controls.sync()

    def focused(self) -> Toplevel | None:
        return next((t for t in self.toplevels() if t.activated), None)

    def open_window(self, app_id: str, title: str, *, name: str | None = None,
                    timeout: float = 20) -> Window:
        """A real Wayland window (foot running `sleep`) with app id `app_id` and title
        `title`, its process called `name` (the app id by default); returns once the
        compositor lists it."""
        link = self.named(name or app_id, "foot")
        proc = self.spawn_as_user([str(link), "--app-id", app_id, "--title", title,
                                   "sleep", "3600"])

        def shown() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the window {title!r} ended at once (exit code "
                                     f"{proc.returncode}); the compositor said: {self.said()}")
            return self.controls.find(app_id, title) is not None

        wait_for(shown, timeout, f"the window {title!r}", step=0.1)
        return Window(app_id, title, proc)

    def focus(self, window: Window, timeout: float = 10) -> None:
        """Activate `window` as a taskbar would (foreign-toplevel `activate`), and wait
        until the compositor says it is the active one."""
        toplevel = self.controls.find(window.app_id, window.title)
        if toplevel is None:
            raise AssertionError(f"the window {window.title!r} is not open")
        self.controls.activate(toplevel)
        wait_for(lambda: (t := self.controls.find(window.app_id, window.title)) is not None
                 and t.activated, timeout, f"{window.title!r} to be focused")

    def close_window(self, window: Window, timeout: float = 10) -> None:
        end_process(window.process)
        wait_for(lambda: self.controls.find(window.app_id, window.title) is None, timeout,
                 f"the window {window.title!r} to close")

    def close_windows(self, timeout: float = 10) -> None:
        """End every program the test started in the session, and wait until the compositor
        lists no window (the next test starts from an empty desktop). A compositor that a
        test stopped and did not start again is started."""
        for proc in self._spawned:
            end_process(proc)
        self._spawned = [p for p in self._spawned if p.poll() is None]
        if self.process is None:
            self.start()
        wait_for(lambda: not self.toplevels(), timeout, "the windows to close")

    def touch(self) -> None:
        """Real input: a one-pixel pointer move there and back through a virtual pointer,
        which the compositor counts as activity (idle starts again from zero)."""
        self.controls.wiggle()

    # -- start and end -----------------------------------------------------------------

    def prepare(self) -> None:
        self.bin_dir.mkdir(mode=0o755)
        self.bin_dir.chmod(0o755)  # mkdir's mode is cut by the umask
        for folder in (self.home, self.runtime_dir, self.home / ".config",
                       self.home / ".cache", self.home / ".local",
                       self.home / ".local" / "share", self.home / ".local" / "state"):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, self.user.uid, self.user.gid)
            folder.chmod(0o700)
        self.config.write_text({"sway": SWAY_CONFIG, "wayfire": WAYFIRE_CONFIG,
                                "phoc": PHOC_CONFIG, "cage": ""}[self.compositor])
        self.config.chmod(0o644)

    def start(self, timeout: float = 30) -> float:
        """The compositor (again, after `stop`); returns how long it took to answer. The
        display name it takes is the first free one, which after a `stop` is the one it had:
        WAYLAND_DISPLAY stays; SWAYSOCK names Sway's pid, so it changes."""
        started = time.monotonic()
        env = {"WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1",
               "WLR_HEADLESS_OUTPUTS": "1"}
        if self.compositor == "sway":
            env["WLR_RENDERER"] = "pixman"
            argv = ["sway", "-c", str(self.config)]
        elif self.compositor == "phoc":
            env["WLR_RENDERER"] = "pixman"
            argv = ["phoc", "-C", str(self.config)]
        elif self.compositor == "cage":
            # A kiosk: it runs one program and ends with it. It lists no windows to
            # others (no foreign toplevels), which is what a test of that wants.
            env["WLR_RENDERER"] = "pixman"
            argv = ["cage", "--", "sleep", "infinity"]
        else:
            env.update({"WLR_RENDERER": "gles2", "LIBGL_ALWAYS_SOFTWARE": "1"})
            argv = ["wayfire", "-c", str(self.config)]
        before = {p.name for p in self.runtime_dir.glob("wayland-*")}
        with self.log.open("ab") as log:
            log.write(f"--- {' '.join(argv)} at {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            # WAYLAND_DISPLAY / SWAYSOCK of an earlier start must not leak into this one.
            base_env = {k: v for k, v in self.env.items()
                        if k not in ("WAYLAND_DISPLAY", "SWAYSOCK")}
            self.process = subprocess.Popen(
                argv, user=self.user.uid, group=self.user.gid, extra_groups=[],
                env={**base_env, **env}, cwd=str(self.home), stdout=log,
                stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: self._ready(before), timeout, f"{self.compositor} to answer",
                     step=0.05)
        except TimeoutError as late:
            raise CompositorError(f"{late}; it said: {self.said()}") from None
        return time.monotonic() - started

    def _ready(self, before: set[str]) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise CompositorError(f"{self.compositor} ended (exit code "
                                  f"{self.process.returncode}): {self.said()}")
        sockets = sorted(p.name for p in self.runtime_dir.glob("wayland-*")
                         if not p.name.endswith(".lock") and p.is_socket())
        if not sockets:
            return False
        fresh = [s for s in sockets if s not in before]
        self.display = (fresh or sockets)[0]
        if self.compositor == "sway":
            assert self.process is not None
            sock = self.runtime_dir / f"sway-ipc.{self.user.uid}.{self.process.pid}.sock"
            if not sock.is_socket():
                return False
            self.swaysock = str(sock)
        try:
            self._controls = Controls(self.env)
        except WaylandError:
            return False
        return True

    def stop(self) -> None:
        """End the compositor alone (what the test started in it ends with it)."""
        if self._controls is not None:
            self._controls.close()
            self._controls = None
        if self.process is not None:
            _end_all([self.process])
            self.process = None
        self.swaysock = None

    def restart(self, timeout: float = 30) -> float:
        """End the compositor and start it again in the same runtime folder; the windows
        opened before are gone. Returns how long it took to answer again."""
        display = self.display
        self.stop()
        took = self.start(timeout)
        if display is not None and self.display != display:
            raise CompositorError(f"restarted on {self.display}, not {display}")
        return took

    def end(self) -> None:
        """End every process of the session, the tests' ones first. Never raises."""
        _end_all(self._spawned)
        with contextlib.suppress(Exception):
            self.stop()
        strays = []
        for proc in psutil.process_iter(["uids"]):
            with contextlib.suppress(psutil.Error):
                if (proc.info["uids"] is not None and proc.info["uids"].real == self.user.uid
                        and proc.environ().get("XDG_RUNTIME_DIR") == str(self.runtime_dir)):
                    strays.append(proc)
        for stray in strays:
            with contextlib.suppress(psutil.Error):
                stray.kill()
        with contextlib.suppress(psutil.Error):
            psutil.wait_procs(strays, timeout=5)


@contextlib.contextmanager
def wlroots_session(compositor: str = "sway", *, python: UserPython | None = None,
                    user: str = "driftcheck-test") -> Iterator[WlrSession]:
    """A headless `compositor` ("sway", "phoc" or "wayfire") as the test user `user` (made if
    missing), in a fresh folder /tmp/driftcheck-wlr-XXXX holding its HOME, runtime folder
    and log, removed afterwards. With `python`, `session.driftcheck(...)` runs driftcheck as
    the user. Needs root."""
    account = session_user(user)
    base = Path(tempfile.mkdtemp(prefix="driftcheck-wlr-", dir="/tmp"))
    base.chmod(0o755)
    session = WlrSession(base, account, compositor, python)
    try:
        session.prepare()
        session.start()
        yield session
    finally:
        session.end()
        shutil.rmtree(base, ignore_errors=True)
