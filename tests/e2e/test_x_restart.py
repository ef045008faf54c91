"""The X server goes away under a running tracker and comes back: the tracker survives, logs
the loss without any title, and tracks again on the new server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.e2e.test_track_x11 import Tracker, focus_for
from tests.e2e.xsession import ActivePerson, missing_tools, start_session, stop_processes

pytestmark = [pytest.mark.e2e, pytest.mark.x11]


def test_tracker_survives_the_x_server_restarting(tmp_path: Path, run_driftcheck) -> None:  # type: ignore[no-untyped-def]
    if missing_tools():
        skip_or_fail(f"{', '.join(missing_tools())} not installed")
    xs, procs = start_session(tmp_path)
    number = int(xs.display.lstrip(":"))
    data = tmp_path / "data"
    tracker = None
    try:
        run_driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp")
        window = xs.spawn("koboldcpp", "Secret before 51aa")
        xs.spawn("notes", "Notes")  # openbox focuses a new window: not the tracked one yet
        tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "30")
        with ActivePerson(xs):
            before = focus_for(xs, window, 3)
        xs.close_windows()
        stop_processes(procs)  # the X server is gone
        time.sleep(4)
        assert tracker.proc.poll() is None, "the tracker died with the X server"

        xs, procs = start_session(tmp_path, number)
        window = xs.spawn("koboldcpp", "Secret after 62bb")
        xs.spawn("notes", "Notes")
        time.sleep(2.5)  # the probe reconnects at most every 2 s
        with ActivePerson(xs):
            after = focus_for(xs, window, 4)
        tracker.stop()
        tracker = None
    finally:
        if tracker is not None:
            tracker.kill()
        xs.close_windows()
        stop_processes(procs)

    out = run_driftcheck("--data-dir", str(data), "status", "--json")
    seconds = {a["id"]: a["seconds"] for a in json.loads(out.stdout)["apps"]}["koboldcpp"]
    # The first span, then the second (its start may wait up to one interval for a tick after
    # the reconnection).
    assert before + after - 2.0 <= seconds <= before + after + 1.0, (seconds, before, after)
    log = (data / "driftcheck.log").read_text()
    assert "went away" in log or "not reachable" in log
    assert "Secret" not in log
