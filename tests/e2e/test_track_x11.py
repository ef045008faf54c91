"""`driftcheck track` as a real subprocess on a real X server, driven by real focus changes and
real input, checked through `driftcheck status --json`."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.desktop import ActivePerson, XSession
from tests.helpers.fs import mode
from tests.helpers.program import Tracker, integrity_check

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

# Titles that must never reach the disk. The first matches the catalog's character.ai rule.
CHAT_TITLE = "Secret chat 7f3a | character.ai — Mozilla Firefox"
NOTES_TITLE = "Secret notes 9b2c"
RECIPES_TITLE = "Recipes for Sunday e41d — Mozilla Firefox"
PRIVATE_WORDS = [b"Secret chat 7f3a", b"Secret notes 9b2c", b"Recipes for Sunday e41d"]


def status(run_driftcheck, data: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    out = run_driftcheck("--data-dir", str(data), "status", "--json")
    report = json.loads(out.stdout)
    assert report["mode"] == "foreground"
    return {a["id"]: a["seconds"] for a in report["apps"]}


def test_tracked_time_follows_real_focus_and_stays_private(
        screen_on_failure: XSession, run_driftcheck, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    xs = screen_on_failure
    data = tmp_path / "data"
    run_driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp", "character-ai")
    run_driftcheck("--data-dir", str(data), "apps", "add", "--name", "Evening friend",
                   "--process", "evening-friend")
    kobold = xs.spawn("koboldcpp", "KoboldCpp console")
    chat = xs.spawn("firefox", CHAT_TITLE)
    notes = xs.spawn("notes", NOTES_TITLE)
    recipes = xs.spawn("firefox", RECIPES_TITLE)
    friend = xs.spawn("evening-friend", "Evening friend")
    xs.activate(notes)

    tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "30", audited=True)
    spans: list[tuple[str | None, float]] = []
    with ActivePerson(xs):
        for window, app, seconds in [(kobold, "koboldcpp", 6), (chat, "character-ai", 5),
                                     (notes, None, 4), (recipes, None, 3),
                                     (friend, "custom-evening-friend", 4),
                                     (kobold, "koboldcpp", 5)]:
            spans.append((app, xs.focus_for(window, seconds)))
        tracker.stop()
    expected: dict[str, float] = {}
    count: dict[str, int] = {}
    for app, seconds in spans:
        if app is not None:
            expected[app] = expected.get(app, 0.0) + seconds
            count[app] = count.get(app, 0) + 1
    got = status(run_driftcheck, data)
    for app, seconds in expected.items():
        # Within one sampling interval (1 s) per focus span.
        assert abs(got[app] - seconds) <= 1.0 * count[app], (app, got[app], seconds)
    assert set(got) == set(expected)  # the untracked window and browser tab counted nothing
    attributed = sum(min(got[a], s) for a, s in expected.items()) / sum(expected.values())
    print(f"attributed {attributed:.1%} of focused time: got {got}, expected {expected}")

    # Privacy: no title anywhere in the data directory; owner-only files; no network.
    files = [p for p in data.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"driftcheck.sqlite3", "driftcheck.log"}
    for path in files:
        content = path.read_bytes()
        for word in PRIVATE_WORDS:
            assert word not in content, f"a window title leaked into {path.name}"
        assert mode(path) == 0o600, path.name
    assert mode(data) == 0o700
    assert not tracker.audit_log.exists() or tracker.audit_log.read_text() == ""


def test_idle_time_is_not_counted_and_kill_9_loses_at_most_one_interval(
        screen_on_failure: XSession, run_driftcheck, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    xs = screen_on_failure
    data = tmp_path / "data"
    run_driftcheck("--data-dir", str(data), "apps", "add", "koboldcpp")
    kobold = xs.spawn("koboldcpp", "KoboldCpp console")
    other = xs.spawn("notes", NOTES_TITLE)
    xs.activate(other)

    # Idle: 4 s of real input in front of the app, then 7 s of none; idle counts after 3 s,
    # and the tracker back-dates it to the last input: what counts is the focus up to then.
    tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "3", audited=True)
    with ActivePerson(xs) as person:
        switched = xs.activate(kobold)
        time.sleep(4)
        person.pause()
        assert person.last_input is not None and person.last_input > switched
        active = person.last_input - switched
        time.sleep(7)
    tracker.stop()
    assert abs(status(run_driftcheck, data)["koboldcpp"] - active) <= 1.0

    # kill -9 in the middle of a span: what was written up to the last sample survives.
    xs.activate(other)
    before = status(run_driftcheck, data)["koboldcpp"]
    tracker = Tracker(xs, data, "--interval", "1", "--idle-after", "30", audited=True)
    with ActivePerson(xs):
        xs.activate(kobold)
        started = time.monotonic()
        time.sleep(5.5)
        os.kill(tracker.proc.pid, signal.SIGKILL)
        focused = time.monotonic() - started
    tracker.proc.wait(timeout=10)
    counted = status(run_driftcheck, data)["koboldcpp"] - before
    assert focused - 1.0 - 0.3 <= counted <= focused + 0.3, (counted, focused)
    assert integrity_check(data) == "ok"


def test_doctor_sees_the_x11_probe_and_its_idle_source(
        xsession: XSession, run_driftcheck, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = run_driftcheck("--data-dir", str(tmp_path / "d"), "doctor", "--json")
    report = json.loads(out.stdout)
    assert report["probe"]["name"] == "x11"
    assert report["probe"]["idle_source"] == "MIT-SCREEN-SAVER"
    assert report["probe"]["idle_readable"] is True
    assert report["probe"]["focus_events"] is True
    assert report["tray"]["available"] is False  # bare openbox has no tray
    assert report["data_dir"]["exists"] is False  # doctor only looks; it creates nothing
    assert not (tmp_path / "d").exists()
