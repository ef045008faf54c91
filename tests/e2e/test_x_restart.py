"""The X server goes away and comes back. `driftcheck track` survives, logs the loss without
any title, and tracks again on the new server; the tray app, which Qt cannot keep drawing,
closes with its time saved and one line, and tracks again once started on the new server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.desktop import (
    ActivePerson,
    XSession,
    end_process,
    missing_tools,
    start_session,
    stop_processes,
    wait_for,
)
from tests.helpers.program import (
    ProgramLog,
    Tracker,
    app_env,
    driftcheck,
    integrity_check,
    settle_first_run,
    stored_seconds,
)
from tests.helpers.skips import skip_or_fail

pytestmark = [pytest.mark.e2e, pytest.mark.x11]


def test_tracker_survives_the_x_server_restarting(tmp_path: Path, run_driftcheck) -> None:  # type: ignore[no-untyped-def]
    if missing_tools():
        skip_or_fail(f"{', '.join(missing_tools())} not installed")
    xs, procs = start_session(tmp_path)
    number = int(xs.display.lstrip(":"))
    data = tmp_path / "data"
    log = data / "driftcheck.log"
    tracker = None
    try:
        run_driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp")
        window = xs.spawn("koboldcpp", "Secret before 51aa")
        notes = xs.spawn("notes", "Notes")  # openbox focuses a new window: not the tracked one
        tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "30", audited=True)
        with ActivePerson(xs):
            before = xs.focus_for(window, 3)
            xs.activate(notes)  # the span ends here, not whenever the windows close
        xs.close_windows()
        stop_processes(procs)  # the X server is gone
        wait_for(lambda: "probe error" in log.read_text() or tracker.proc.poll() is not None,
                 30, "the tracker to notice that the X server is gone")
        assert tracker.proc.poll() is None, "the tracker died with the X server"

        xs, procs = start_session(tmp_path, number)
        window = xs.spawn("koboldcpp", "Secret after 62bb")
        notes = xs.spawn("notes", "Notes")
        xs.activate(notes)
        # "the probe answers again": it tries at most every 2 s.
        ProgramLog(data).wait("probe_ok", proc=tracker.proc, timeout=30)
        with ActivePerson(xs):
            after = xs.focus_for(window, 4)
            xs.activate(notes)
        tracker.stop()
        tracker = None
    finally:
        if tracker is not None:
            tracker.end()
        xs.close_windows()
        stop_processes(procs)

    out = run_driftcheck("--data-dir", str(data), "status", "--json")
    seconds = {a["id"]: a["seconds"] for a in json.loads(out.stdout)["apps"]}["koboldcpp"]
    # The first span, then the second (its start may wait up to one interval for a tick after
    # the reconnection).
    assert before + after - 2.0 <= seconds <= before + after + 1.0, (seconds, before, after)
    said = log.read_text()
    assert "went away" in said or "not reachable" in said
    assert "Secret" not in said


def test_the_tray_app_closes_in_one_line_with_its_time_saved_and_tracks_again(
        tmp_path: Path) -> None:
    """Qt cannot move to a new display, so the tray app closes, as after Quit: the open
    interval ends at that moment and is written (with 20 s samples no sample came after the
    focus change, so only that closing can have saved the time), and it says so in one line.
    Started again on the new display, it tracks on."""
    if missing_tools():
        skip_or_fail(f"{', '.join(missing_tools())} not installed")
    from widget.ui.display_loss import DISPLAY_LOST

    data = tmp_path / "data"
    settle_first_run(data)
    cli = [sys.executable, "-m", "widget", "--data-dir", str(data)]
    for command in (["apps", "add", "koboldcpp"], ["settings", "sample_interval", "20"]):
        done = driftcheck(data, *command)
        assert done.returncode == 0, done.stderr
    log = ProgramLog(data)

    def start_app(xs: XSession, err: Path) -> subprocess.Popen[bytes]:
        starts = log.count("started")
        with err.open("wb") as sink:
            app = subprocess.Popen(cli, env=app_env(xs), stdout=subprocess.DEVNULL, stderr=sink)
        try:
            log.wait("started", more_than=starts, proc=app, step=0.1)
        except AssertionError as ended:
            raise AssertionError(f"{ended}: {err.read_text()}") from None
        # With no tray it shows a window, which takes the focus.
        wait_for(lambda: xs.visible("--pid", str(app.pid), "--name", "^driftcheck$"), 30,
                 "the tray app's window", step=0.2)
        return app

    xs, procs = start_session(tmp_path)
    number = int(xs.display.lstrip(":"))
    app: subprocess.Popen[bytes] | None = None
    try:
        window = xs.spawn("koboldcpp", "Secret before 51aa")
        xs.spawn("notes", "Notes")
        first_err = tmp_path / "first-stderr.txt"
        app = start_app(xs, first_err)
        with ActivePerson(xs):
            before = xs.focus_for(window, 3)
        gone_from = time.monotonic()
        # The server first, with the window still in front: no focus change can close the
        # interval before the app does.
        wm, server = procs
        stop_processes([server])
        gone = time.monotonic() - gone_from
        stop_processes([wm])
        xs.close_windows()
        assert app.wait(timeout=30) == 1, first_err.read_text()
        app = None
        assert first_err.read_text().splitlines() == [DISPLAY_LOST]
        saved = stored_seconds(data)
        assert before - 0.3 <= saved <= before + gone + 0.3, (saved, before, gone)
        assert not (data / "driftcheck.fifo").exists(), "it closed as after Quit"

        xs, procs = start_session(tmp_path, number)
        window = xs.spawn("koboldcpp", "Secret after 62bb")
        xs.spawn("notes", "Notes")
        second_err = tmp_path / "second-stderr.txt"
        app = start_app(xs, second_err)
        with ActivePerson(xs):
            after = xs.focus_for(window, 3)
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=30) == 0, second_err.read_text()
        app = None
    finally:
        if app is not None:
            end_process(app, timeout=10)
        xs.close_windows()
        stop_processes(procs)
    total = stored_seconds(data)
    assert saved + after - 0.3 <= total <= saved + after + 0.5, (total, saved, after)
    assert integrity_check(data) == "ok"
    assert "Secret" not in log.text()
