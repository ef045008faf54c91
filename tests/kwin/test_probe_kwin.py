"""driftcheck's KWin script in a real KWin 5.27 (virtual output, Wayland, as the test user;
tests/helpers/kwin.py) and the probe that loads it (widget.probes.kwin), run as the same user
as KWin (tests/kwin/probe_driver.py): the script loaded and run for real, the active window's
process, pid and app id, which title rules match (never the caption, on the bus or in the
calls), caption changes that change a match and those that do not, nothing active, calls
from anything but KWin refused, and the script unloaded at close.
"""

from __future__ import annotations

import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.gnome import BusRecorder
from tests.helpers.kwin import KWinSession, ProbeDriver
from tests.helpers.waiting import wait_for
from widget.probes.kwin import INTERFACE, PATH

pytestmark = [pytest.mark.e2e, pytest.mark.kwin]

TOKEN = secrets.token_hex(4)  # in every caption here; must reach no bus message but the helper's


@pytest.fixture
def probe(kwin: KWinSession) -> Iterator[ProbeDriver]:
    driver = ProbeDriver(kwin)
    assert "ready" in driver.started, driver.started
    yield driver
    driver.close()


def _events(probe: ProbeDriver) -> int:
    return int(probe.ask("events")["events"])


def _fg(probe: ProbeDriver, **expected: Any) -> dict[str, Any]:
    """The probe's foreground once it has all of `expected` (the script's call is on its
    way when KWin's activation returns)."""
    def matches() -> dict[str, Any] | None:
        fg = probe.foreground()
        return fg if fg is not None and all(fg[k] == v for k, v in expected.items()) else None

    try:
        return wait_for(matches, 10, f"the probe to see {expected}")
    except TimeoutError:
        raise AssertionError(f"the probe sees {probe.foreground()}, not {expected}") from None


def _plugins(kwin: KWinSession, pid: int) -> list[str]:
    """The driftcheck scripts of process `pid` KWin has loaded (n = 1..5)."""
    return [f"driftcheck-{pid}-{n}" for n in range(1, 6)
            if kwin.script_loaded(f"driftcheck-{pid}-{n}")]


def test_the_script_runs_and_reports_the_active_window_and_no_caption(
        kwin: KWinSession, probe: ProbeDriver) -> None:
    kobold = kwin.open_qt_window("koboldcpp", f"Kobold chat {TOKEN}")
    notes = kwin.open_qt_window("notes", f"Grocery list {TOKEN}", app_id="org.example.notes")
    recorder = BusRecorder(kwin)
    try:
        assert probe.ask("rules", rules=["s:kobold", "g:*list*", "s:nothing like it"])["ok"]
        kwin.activate(kobold.title)
        fg = _fg(probe, pid=kobold.pid)
        assert fg == {"process": "koboldcpp", "pid": kobold.pid, "window_class": "koboldcpp",
                      "title": None, "title_hits": [0]}
        kwin.activate(notes.title)
        fg = _fg(probe, pid=notes.pid)
        assert fg["process"] == "notes" and fg["title_hits"] == [1]
        assert fg["window_class"] == "org.example.notes"
    finally:
        messages = recorder.stop()
    from jeepney.low_level import HeaderFields

    focus_calls = [m for m in messages if m.header.fields.get(HeaderFields.path) == PATH]
    assert focus_calls, "no call of the script on the bus"
    for message in focus_calls:
        fields = message.header.fields
        assert fields.get(HeaderFields.interface) == INTERFACE
        assert fields.get(HeaderFields.sender) == kwin.kwin_owner  # KWin's own connection
        assert fields.get(HeaderFields.destination) == probe.started["ready"]
    # The caption is nowhere on the bus but in the test helper's own script loading (its
    # file name carries no caption; KWin prints its answer to its log, not the bus).
    for message in messages:
        assert TOKEN.encode() not in message.serialise(), message.header.fields
    # The script KWin reads lives in a folder only the user can open.
    folder = Path(probe.started["folder"])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert folder.stat().st_uid == kwin.user.uid


def test_a_caption_change_is_told_only_when_it_changes_a_match(
        kwin: KWinSession, probe: ProbeDriver) -> None:
    window = kwin.open_qt_window("firefox", f"Inbox {TOKEN}")
    probe.ask("rules", rules=["g:*- Claude"])
    kwin.activate(window.title)
    _fg(probe, pid=window.pid, title_hits=[])
    before = _events(probe)
    window.retitle(f"Talk {TOKEN} - Claude")
    _fg(probe, pid=window.pid, title_hits=[0])
    wait_for(lambda: kwin.focused_title() == window.title, 10, "KWin to have the new caption")
    matched = _events(probe)
    assert matched == before + 1
    # A change that keeps the match (a clock, an unread count) says nothing.
    window.retitle(f"Talk {TOKEN} (2) - Claude")
    wait_for(lambda: kwin.focused_title() == window.title, 10, "KWin to have the caption")
    window.retitle(f"Mail {TOKEN}")
    _fg(probe, pid=window.pid, title_hits=[])
    assert _events(probe) == matched + 1


def test_nothing_active_is_none(kwin: KWinSession, probe: ProbeDriver) -> None:
    kwin.close_all_windows()
    wait_for(lambda: probe.foreground() is None, 10, "the probe to see nothing active")
    only = kwin.open_qt_window("koboldcpp", f"Alone {TOKEN}")
    kwin.activate(only.title)
    _fg(probe, pid=only.pid)


def test_calls_from_anything_but_kwin_are_refused(kwin: KWinSession,
                                                  probe: ProbeDriver) -> None:
    """Another program of the same user, which can find the probe's name and read the
    token in a bus record, calls the probe's object as the script would: AccessDenied, and
    what the probe says stays KWin's."""
    from jeepney.wrappers import DBusErrorResponse

    window = kwin.open_qt_window("koboldcpp", f"Trusted {TOKEN}")
    kwin.activate(window.title)
    _fg(probe, pid=window.pid)
    script = next(Path(probe.started["folder"]).glob("*.js"))
    found = re.search(r'"token": "([0-9a-f]+)"', script.read_text(encoding="utf-8"))
    assert found is not None
    before = _events(probe)
    with pytest.raises(DBusErrorResponse) as refused:
        kwin.call(probe.started["ready"], PATH, INTERFACE, "Focus", "sssss", found.group(1),
                  "replika", "replika", "1", "0")
    assert refused.value.name == "org.freedesktop.DBus.Error.AccessDenied"
    assert _fg(probe, pid=window.pid)["process"] == "koboldcpp"
    assert _events(probe) == before


def test_close_unloads_the_script_and_removes_its_folder(kwin: KWinSession) -> None:
    """Also the script ids KWin 5 reuses: the third script gets the id of the second, which
    still holds its object path, so `run` there runs nothing new and the probe falls back on
    `/Scripting start` (without it the third never runs)."""
    driver = ProbeDriver(kwin)
    pid = driver.process.pid
    assert _plugins(kwin, pid) == [f"driftcheck-{pid}-1"]  # loaded at start, no rules
    driver.ask("rules", rules=["s:one"])
    driver.ask("rules", rules=["s:two"])  # each a new script, which replaces the one before
    assert _plugins(kwin, pid) == [f"driftcheck-{pid}-3"]
    folder = Path(driver.started["folder"])
    assert [p.name for p in folder.iterdir()] == [f"driftcheck-{pid}-3.js"]
    driver.close()
    assert _plugins(kwin, pid) == []
    assert not folder.exists()


def test_without_kwin_the_probe_is_unavailable_and_says_why(kwin: KWinSession) -> None:
    """No KWin on the bus: the probe does not start (ProbeUnavailable, whose sentence `doctor`
    shows while the process fallback counts approximately) and `kwin_answers` says False;
    KWin back: both answer again."""
    from widget.probes.kwin import NO_KWIN

    answers = [_kwin_answers_as_user(kwin)]
    kwin.stop_kwin()
    try:
        refused = ProbeDriver(kwin).started
        answers.append(_kwin_answers_as_user(kwin))
    finally:
        kwin.start_kwin()
    assert refused == {"error": NO_KWIN, "kind": "ProbeUnavailable"}
    assert answers == [True, False]
    assert _kwin_answers_as_user(kwin)


def _kwin_answers_as_user(kwin: KWinSession) -> bool:
    """`kwin_answers()` as the test user in the session."""
    done = kwin.run_as_user(["/usr/bin/python3", "-c", "from widget.probes.kwin import "
                             "kwin_answers; print(kwin_answers())"])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"
