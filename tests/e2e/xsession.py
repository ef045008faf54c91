"""A real X11 desktop for end-to-end tests: Xvfb, openbox, real windows, real input."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

TOOLS = ("Xvfb", "openbox", "xdotool", "xterm", "xprop", "xdpyinfo")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def wait_for(predicate, timeout: float, what: str, step: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


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

    def activate(self, window: Window) -> None:
        self.xdotool("windowactivate", "--sync", window.wid)

    def touch(self) -> None:
        """Real input: a tiny pointer move resets the X server's idle counter."""
        self.xdotool("mousemove_relative", "--", "1", "0")
        self.xdotool("mousemove_relative", "--", "-1", "0")

    def screenshot(self, path: Path) -> None:
        subprocess.run(["import", "-display", self.display, "-window", "root", str(path)],
                       env=self.env, timeout=30, check=False)

    def close_windows(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                proc.terminate()
        stop_processes(self.procs)
        self.procs.clear()


class ActivePerson:
    """Keeps the pointer moving (real input) so that idle never builds up, until paused."""

    def __init__(self, session: XSession, every: float = 0.5) -> None:
        self._session = session
        self._every = every
        self._stop = threading.Event()
        self._active = threading.Event()
        self._active.set()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ActivePerson:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def pause(self) -> None:
        self._active.clear()

    def resume(self) -> None:
        self._session.touch()
        self._active.set()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            if self._active.is_set():
                self._session.touch()


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
