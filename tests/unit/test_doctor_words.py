"""`driftcheck doctor` in words: one clear line for each thing, none contradicting another,
none repeated, and the data folder's privacy said as a person would say it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.fakes import ScriptedProbe
from widget.commands.doctor import diagnose, render
from widget.core.model import Measure
from widget.probes.base import ProbeInfo
from widget.probes.fallback import APPROXIMATE_NOTE, NO_IDLE_NOTE

NO_DISPLAY: dict[str, str] = {}


def _with_probe(monkeypatch: pytest.MonkeyPatch, info: ProbeInfo,
                idle: float | None = 3.0) -> None:
    def choose(*_args: object, **_kwargs: object) -> ScriptedProbe:
        return ScriptedProbe(info=info, idle=idle, locked=None)

    monkeypatch.setattr("widget.probes.choose.choose_probe", choose)


def _advice(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def _counting_lines(text: str) -> list[str]:
    words = ("step away", "at the computer", "which window is in front", "idle")
    return [line for line in _advice(text) if any(w in line for w in words)]


def test_without_a_display_it_says_how_time_counts_once_without_contradiction(
        tmp_path: Path) -> None:
    # Seen: "...while a tracked app is running and you are at the computer", then "...even
    # when you step away", then the approximation said a third time.
    text = render(diagnose(tmp_path / "data", NO_DISPLAY))
    [counting] = _counting_lines(text)
    assert "even when you step away" in counting
    assert "at the computer" not in text
    assert APPROXIMATE_NOTE not in text and NO_IDLE_NOTE not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), "a line is repeated"


def test_without_a_display_there_is_one_sentence_for_tray_and_notifications(
        tmp_path: Path) -> None:
    text = render(diagnose(tmp_path / "data", NO_DISPLAY))
    display = [line for line in _advice(text) if "display" in line or "D-Bus" in line
               or "notification" in line]
    assert len(display) == 1
    assert "own window" not in text  # there is no window without a display


@pytest.mark.parametrize("private", [True, False])
def test_the_data_folder_is_said_in_words_not_octal(tmp_path: Path, private: bool) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "driftcheck.log").write_text("")
    os.chmod(folder, 0o700 if private else 0o755)
    os.chmod(folder / "driftcheck.log", 0o600 if private else 0o644)
    report = diagnose(folder, NO_DISPLAY)
    text = render(report)
    [line] = [line for line in text.splitlines() if "Data folder:" in line]
    assert "0o" not in text
    assert ("only you can read it" in line) is private
    assert ("others can read some of it" in line) is not private
    assert report["data_dir"]["mode"] == ("0o700" if private else "0o755")  # JSON keeps it


def test_an_approximate_probe_with_idle_time_says_stepping_away_stops_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_probe(monkeypatch, ProbeInfo("process-fallback", Measure.APPROXIMATE,
                                       "org.gnome.Mutter.IdleMonitor", None, False,
                                       (APPROXIMATE_NOTE,)))
    text = render(diagnose(tmp_path / "data", NO_DISPLAY))
    [counting] = _counting_lines(text)
    assert "you are at the computer" in counting and "approximation" in counting
    assert "even when you step away" not in text
    assert "Idle time:      org.gnome.Mutter.IdleMonitor" in text


def test_an_x_server_without_idle_time_is_said_once(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    note = ("The X server has no MIT-SCREEN-SAVER extension, so idle time is unknown and time "
            "keeps counting while you are away.")
    _with_probe(monkeypatch, ProbeInfo("x11", Measure.FOREGROUND, None, "X screensaver state",
                                       True, (note,)), idle=None)
    text = render(diagnose(tmp_path / "data", NO_DISPLAY))
    [counting] = _counting_lines(text)
    assert counting.startswith("- Time counts while a tracked app is the window in front, even")
    assert "Window probe:   x11, sees which app is in front" in text
    assert "Idle time:      not known on this desktop" in text


def test_a_note_about_something_else_is_kept(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    other = "App switches are noticed at the next sample, because no AppKit run loop is running."
    _with_probe(monkeypatch, ProbeInfo("macos", Measure.FOREGROUND, "CGEvent", "CGSession",
                                       False, (other, other)))
    text = render(diagnose(tmp_path / "data", NO_DISPLAY))
    assert text.count(other) == 1
    [counting] = _counting_lines(text)
    assert "it stops when you step away" in counting


def test_a_probe_that_sees_nothing_says_why_and_claims_no_counting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "driftcheck cannot see which apps are running here: no /proc"
    _with_probe(monkeypatch, ProbeInfo("null", Measure.APPROXIMATE, None, None, False,
                                       (reason,)), idle=None)
    report = diagnose(tmp_path / "data", NO_DISPLAY)
    text = render(report)
    assert f"- {reason}" in text
    assert "Time counts" not in text and "time counts" not in text
    assert "Window probe:   null, sees nothing" in text


def test_json_says_how_time_counts(tmp_path: Path) -> None:
    report = diagnose(tmp_path / "data", NO_DISPLAY)
    assert report["probe"]["counts"] in report["advice"]


