"""`driftcheck dashboard [--week]`: the week parsed and refused in one sentence (malformed: exit
2; not begun yet: exit 1), the single-instance line that carries it ("dashboard 2026-W48") and
nothing else, a running driftcheck (a real process holding the lock and listening) asked for
its dashboard at that week, and no desktop said in one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from widget.commands.dashboard import NOT_BEGUN, OPENED_IN_TRAY, refuse_future
from widget.desktop.single_instance import SingleInstance, dashboard_message, read_message
from widget.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
# Sunday 29 November 2026, 23:30 in Berlin: still 2026-W48 (the day starts at 04:00)
NOW = datetime(2026, 11, 30, 2, 30, tzinfo=BERLIN).astimezone(UTC)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFO and flock")


def driftcheck(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "DRIFTCHECK_DATA_DIR")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data), *args],
                          env=env, capture_output=True, text=True, timeout=60)


# --- the week -------------------------------------------------------------------------------


def test_this_week_and_past_weeks_are_taken() -> None:
    for week in (None, "2026-W48", "2026-W47", "2025-W01"):
        refuse_future(week, NOW, BERLIN, 4)  # no refusal


def test_a_week_not_begun_is_refused_in_one_sentence() -> None:
    with pytest.raises(UsageError) as refused:
        refuse_future("2026-W49", NOW, BERLIN, 4)  # Monday 30 Nov has not begun at 02:30
    assert str(refused.value) == NOT_BEGUN.format(week="2026-W49", this="2026-W48")
    assert str(refused.value).count(".") == 1 and str(refused.value).endswith(".")


@pytest.mark.parametrize("week", ["2026-48", "W48", "2026-W54", "next week", "2026-W4x"])
def test_a_malformed_week_is_refused_by_the_parser(tmp_path: Path, week: str) -> None:
    done = driftcheck(tmp_path / "data", "dashboard", "--week", week)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftcheck: ") and "--help'." in lines[0]
    assert "Traceback" not in done.stderr


def test_a_future_week_on_the_command_line_is_one_sentence(tmp_path: Path) -> None:
    done = driftcheck(tmp_path / "data", "dashboard", "--week", "2999-W01")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "The week 2999-W01 has not begun yet" in lines[0]
    assert done.stdout == ""


def test_without_a_desktop_it_says_so_in_one_sentence(tmp_path: Path) -> None:
    done = driftcheck(tmp_path / "data", "dashboard", "--week", "2026-W40")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a graphical desktop" in lines[0], done.stderr
    assert "`driftcheck report`" in lines[0]


# --- the line on the FIFO ---------------------------------------------------------------------


def test_the_dashboard_line_carries_the_week_and_nothing_else() -> None:
    assert dashboard_message(None) == "dashboard"
    assert dashboard_message("2026-W48") == "dashboard 2026-W48"
    assert read_message(b"dashboard 2026-W48") == ("dashboard", "2026-W48")
    assert read_message(b"dashboard") == ("dashboard", None)
    assert read_message(b"show") == ("show", None)
    for noise in (b"dashboard ../../etc", b"dashboard 2026-W48 rm", b"dash", b"\xff\xfe",
                  b"", b"show now", b"dashboard; show"):
        assert read_message(noise) is None, noise
    with pytest.raises(ValueError):
        dashboard_message("2026-W48\nshow")


# The running tray app, reduced to its channel: holds the instance, listens, and prints each
# dashboard request it hears ("" is this week), ending after two.
RUNNING = textwrap.dedent("""
    import sys
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication
    from widget.desktop.single_instance import SingleInstance

    instance = SingleInstance(Path(sys.argv[1]))
    assert instance.acquire()
    app = QCoreApplication([])
    instance.listen()
    heard = []

    def on_dashboard(week):
        heard.append(week)
        print(f"dashboard [{week}]", flush=True)
        if len(heard) == 2:
            app.quit()

    instance.dashboard_requested.connect(on_dashboard)
    instance.show_requested.connect(lambda: print("show", flush=True))
    print("ready", flush=True)
    app.exec()
    instance.release()
""")


def test_a_running_driftcheck_is_asked_for_its_dashboard_at_the_week(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    running = subprocess.Popen([sys.executable, "-c", RUNNING, str(data)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert running.stdout is not None
        assert running.stdout.readline().strip() == "ready", running.stderr
        assert SingleInstance(data).is_running()
        done = driftcheck(data, "dashboard", "--week", "2026-W40")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == OPENED_IN_TRAY and done.stderr == ""
        assert running.stdout.readline().strip() == "dashboard [2026-W40]"
        done = driftcheck(data, "dashboard")
        assert done.returncode == 0, done.stderr
        assert running.stdout.readline().strip() == "dashboard []"  # this week
        assert running.wait(timeout=20) == 0
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert not SingleInstance(data).is_running()
