"""driftcheck's GNOME Shell extension in a real GNOME Shell 43 (headless, Wayland, as the test
user; tests/helpers/gnome.py) and the probe that asks it (widget.probes.gnome): the focused
window's process and app, which title rules match (never the title), focus changes as they
happen, XWayland windows once; each caller's rules its own; the real `driftcheck track`
counting the window in front; and without the extension, the approximate count saying why.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.gnome import GnomeOptions, GnomeSession
from tests.helpers.program import ProgramLog, stored_seconds
from tests.helpers.waiting import wait_for
from widget.desktop import gnome_extension as gx
from widget.probes.gnome import BUS_NAME, INTERFACE, PATH, GnomeShellProbe

pytestmark = [pytest.mark.e2e, pytest.mark.gnome]

HELPER_UUID = "driftcheck-test-helper@driftcheck.invalid"


@pytest.fixture(scope="module")
def gnome_options(tmp_path_factory: pytest.TempPathFactory) -> GnomeOptions:
    """driftcheck's extension, built for GNOME 43 as `desktop install` builds it, installed
    and enabled; XWayland on."""
    folder = tmp_path_factory.mktemp("extension") / gx.UUID
    gx.write(folder, "43")
    return GnomeOptions(extensions=(folder,), enabled=(gx.UUID,), xwayland=True)


@pytest.fixture
def probe(gnome: GnomeSession, monkeypatch: pytest.MonkeyPatch) -> Iterator[GnomeShellProbe]:
    """The probe in this process, on the session's bus (which lets root in)."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", gnome.bus_address)
    made = GnomeShellProbe()
    yield made
    made.close()


def test_the_extension_runs_and_the_probe_sees_the_focused_window_and_no_title(
        gnome: GnomeSession, probe: GnomeShellProbe) -> None:
    assert gnome.extension_state(gx.UUID) == 1, gnome.extension_error(gx.UUID)
    kobold = gnome.open_window("koboldcpp", "Kobold chat 5c1d")
    notes = gnome.open_window("notes", "Grocery list 5c1d")
    probe.set_title_rules(["s:kobold", "g:*list*", "s:nothing like it"])
    gnome.activate("Kobold chat 5c1d")
    fg = probe.foreground()
    assert fg is not None and fg.pid == kobold.pid and fg.process == "koboldcpp"
    assert fg.title is None and fg.title_hits == (0,)
    gnome.activate("Grocery list 5c1d")
    fg = probe.foreground()
    assert fg is not None and fg.pid == notes.pid and fg.title_hits == (1,)
    # What the bus carries: app id, pid, indexes, a flag; the title is nowhere in it.
    reply = gnome.call(BUS_NAME, PATH, INTERFACE, "GetFocus")
    assert reply[1] == notes.pid and "5c1d" not in repr(reply)
    assert probe.info().focus_events and probe.info().idle_source == \
        "org.gnome.Mutter.IdleMonitor"


def test_focus_changes_arrive_as_they_happen_and_xwayland_windows_count_once(
        gnome: GnomeSession, probe: GnomeShellProbe) -> None:
    gnome.open_window("koboldcpp", "Kobold again")
    xterm = gnome.open_x11_window("replika", "Replika through X")
    heard: list[float] = []
    changed = threading.Event()

    def on_focus(moment: float) -> None:
        heard.append(moment)
        changed.set()

    assert probe.watch_focus(on_focus)
    for title in ("Kobold again", "Replika through X"):
        changed.clear()
        before = time.monotonic()
        gnome.activate(title)
        assert changed.wait(10), f"no FocusChanged for {title!r}"
        assert heard[-1] >= before
    fg = probe.foreground()
    assert fg is not None and fg.pid == xterm.pid and fg.process == "replika"
    # One window, one answer: the XWayland window is not also reported as another app.
    assert [w for w in gnome.windows() if w[0] == "Replika through X"] != []
    assert len([w for w in gnome.windows() if w[3] == xterm.pid]) == 1


def test_each_caller_has_its_own_rules(gnome: GnomeSession, probe: GnomeShellProbe) -> None:
    gnome.open_window("koboldcpp", "Kobold thirds")
    probe.set_title_rules(["s:kobold"])
    gnome.activate("Kobold thirds")
    # Another program on the bus sets other rules: driftcheck's answer does not change.
    gnome.call(BUS_NAME, PATH, INTERFACE, "SetTitleRules", "as", ["s:thirds", "g:*"])
    fg = probe.foreground()
    assert fg is not None and fg.title_hits == (0,)
    other = gnome.call(BUS_NAME, PATH, INTERFACE, "GetFocus")
    assert list(other[2]) == [0, 1]


def test_track_counts_the_window_in_front_through_the_extension(gnome: GnomeSession) -> None:
    data = gnome.home / "driftcheck-data"
    added = gnome.driftcheck("--data-dir", str(data), "apps", "add", "--name", "Kobold",
                             "--process", "koboldcpp")
    assert added.returncode == 0, added.stderr
    doctor = json.loads(gnome.driftcheck("--data-dir", str(data), "doctor", "--json").stdout)
    assert doctor["probe"]["name"] == "gnome-shell"
    assert doctor["probe"]["measure"] == "foreground" and doctor["probe"]["focus_events"]
    assert doctor["gnome_extension"]["active"] and doctor["gnome_extension"]["installed"]
    words = gnome.driftcheck("--data-dir", str(data), "doctor").stdout
    assert "  GNOME extension: active" in words.splitlines()
    gnome.open_window("koboldcpp", "Kobold counted")
    gnome.open_window("notes", "Notes not counted")
    gnome.activate("Notes not counted")
    tracker = gnome.spawn_as_user(gnome.python.argv(  # type: ignore[union-attr]
        "--data-dir", str(data), "track", "--interval", "1"))
    log = data / "driftcheck.log"
    wait_for(lambda: log.exists() and '"started"' in log.read_text(), 30, "the tracker")
    assert '"probe": "gnome-shell"' in log.read_text()
    spans: list[tuple[str, float]] = []
    for title, seconds in (("Kobold counted", 4.0), ("Notes not counted", 3.0),
                           ("Kobold counted", 3.0), ("Notes not counted", 2.0)):
        start = time.monotonic()
        gnome.activate(title)
        gnome.touch()
        time.sleep(seconds)
        spans.append((title, time.monotonic() - start))
    tracker.send_signal(signal.SIGTERM)
    assert tracker.wait(timeout=30) == 0
    focused = sum(length for title, length in spans if title == "Kobold counted")
    counted = stored_seconds(data, "custom-kobold")
    assert focused - 1.5 <= counted <= focused + 1.0, (counted, focused)
    kept = b"".join(path.read_bytes() for path in data.rglob("*") if path.is_file())
    assert b"Notes not counted" not in kept and b"Kobold counted" not in kept


def _measures(data: Path) -> list[tuple[int, float]]:
    """(measure as stored, seconds) of each interval of the data folder, oldest first."""
    connection = sqlite3.connect(f"file:{data / 'driftcheck.sqlite3'}?mode=ro", uri=True,
                                 timeout=10)
    try:
        return [(m, (end - start) / 1000) for m, start, end in connection.execute(
            "SELECT measure, start_ms, end_ms FROM intervals ORDER BY start_ms")]
    finally:
        connection.close()


def test_without_the_extension_the_count_is_approximate_and_says_why(
        gnome: GnomeSession) -> None:
    """Switched off while `track` runs: the tracker counts approximately (its intervals say
    so) and `doctor` says what to do; switched on again: the window in front once more."""
    data = gnome.home / "driftcheck-switched"
    assert gnome.driftcheck("--data-dir", str(data), "apps", "add", "--name", "Kobold",
                            "--process", "koboldcpp").returncode == 0
    gnome.open_window("koboldcpp", "Kobold switched")
    gnome.activate("Kobold switched")
    tracker = gnome.spawn_as_user(gnome.python.argv(  # type: ignore[union-attr]
        "--data-dir", str(data), "track", "--interval", "1"))
    log = ProgramLog(data)
    log.wait("started", proc=tracker)

    def modes() -> list[str]:
        return [entry.get("measure", "") for entry in log.entries()
                if entry.get("event") == "probe_mode"]

    def doctor() -> dict[str, Any]:
        done = gnome.driftcheck("--data-dir", str(gnome.home / "d2"), "doctor", "--json")
        report: dict[str, Any] = json.loads(done.stdout)
        return report

    gnome.touch()
    time.sleep(2)
    gnome.gsettings("set", "org.gnome.shell", "enabled-extensions", f"['{HELPER_UUID}']")
    try:
        wait_for(lambda: gnome.extension_state(gx.UUID) != 1, 15, "the extension to stop")
        wait_for(lambda: modes() == ["approximate"], 15, "the tracker to count approximately")
        report = doctor()
        assert report["probe"]["name"] == "process-fallback"
        assert report["probe"]["measure"] == "approximate"
        assert any("installed but switched off" in line for line in report["advice"]), \
            report["advice"]
        assert report["gnome_extension"] == {
            "uuid": gx.UUID, "installed": True, "enabled": False, "active": False,
            "folder": str(gnome.home / ".local/share/gnome-shell/extensions" / gx.UUID)}
        gnome.touch()
        time.sleep(3)
    finally:
        gnome.gsettings("set", "org.gnome.shell", "enabled-extensions",
                        f"['{HELPER_UUID}', '{gx.UUID}']")
    wait_for(lambda: gnome.extension_state(gx.UUID) == 1, 15, "the extension to run again")
    wait_for(lambda: modes() == ["approximate", "foreground"], 15, "the window in front again")
    gnome.touch()
    time.sleep(2)
    tracker.send_signal(signal.SIGTERM)
    assert tracker.wait(timeout=30) == 0
    assert doctor()["probe"]["name"] == "gnome-shell"
    stored = _measures(data)
    # foreground (0), then approximate (1) while it was off, then foreground again
    kinds = [measure for measure, _ in stored]
    assert kinds[0] == 0 and 1 in kinds and kinds[-1] == 0, stored
    assert sum(seconds for measure, seconds in stored if measure == 1) >= 2.0, stored
