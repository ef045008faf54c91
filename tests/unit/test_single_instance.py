"""One driftcheck per data folder, with real processes: the second launch asks the first to
show itself and goes away; a crashed first one leaves nothing that blocks the next start."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from widget.desktop.single_instance import SingleInstance

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFO and flock")
ROOT = Path(__file__).resolve().parents[2]

# The running driftcheck, reduced to what matters here: it holds the instance, listens, and
# says "shown" each time a later launch asks it to show itself.
FIRST = textwrap.dedent("""
    import sys
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication
    from widget.desktop.single_instance import SingleInstance

    instance = SingleInstance(Path(sys.argv[1]))
    if not instance.acquire():
        print("not first", flush=True)
        raise SystemExit(3)
    app = QCoreApplication([])
    instance.listen()
    shown = 0

    def on_show():
        global shown
        shown += 1
        print("shown", flush=True)
        if shown == 2:
            app.quit()

    instance.show_requested.connect(on_show)
    print("ready", flush=True)
    app.exec()
    instance.release()
""")

SECOND = textwrap.dedent("""
    import sys
    from pathlib import Path
    from widget.desktop.single_instance import SingleInstance

    instance = SingleInstance(Path(sys.argv[1]))
    if instance.acquire():
        print("first", flush=True)
        raise SystemExit(0)
    print("asked" if instance.ask_running_to_show(wait=float(sys.argv[2])) else "unheard",
          flush=True)
""")


def python(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


def start_first(data: Path) -> subprocess.Popen[str]:
    first = subprocess.Popen(python(FIRST, str(data)), env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "ready", first.stderr
    return first


def second(data: Path, wait: float = 5.0) -> str:
    out = subprocess.run(python(SECOND, str(data), str(wait)), env=env(), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_second_launch_asks_the_first_to_show_and_leaves(tmp_path: Path) -> None:
    first = start_first(tmp_path)
    try:
        assert second(tmp_path) == "asked"
        assert first.stdout is not None and first.stdout.readline().strip() == "shown"
        assert second(tmp_path) == "asked"  # and again: the FIFO keeps working
        assert first.stdout.readline().strip() == "shown"
        assert first.wait(timeout=20) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # The first one has gone: the next launch is the first again.
    assert second(tmp_path) == "first"


def test_a_crashed_first_blocks_nothing(tmp_path: Path) -> None:
    first = start_first(tmp_path)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert (tmp_path / "driftcheck.fifo").exists()  # left behind by kill -9
    assert second(tmp_path, wait=0.3) == "first"


def test_nobody_listening_is_answered_quickly(tmp_path: Path) -> None:
    # Holding the lock, not (yet) listening: the second launch gives up after its wait.
    holder = SingleInstance(tmp_path)
    assert holder.acquire()
    try:
        assert second(tmp_path, wait=0.3) == "unheard"
    finally:
        holder.release()


def test_the_lock_and_fifo_are_owner_only(tmp_path: Path) -> None:
    holder = SingleInstance(tmp_path)
    assert holder.acquire()
    try:
        fifo = (tmp_path / "driftcheck.fifo").stat()
        assert stat.S_ISFIFO(fifo.st_mode) and stat.S_IMODE(fifo.st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "driftcheck.lock").stat().st_mode) & 0o077 == 0
        assert not SingleInstance(tmp_path).acquire()  # even in the same process
    finally:
        holder.release()
    assert not (tmp_path / "driftcheck.fifo").exists()
