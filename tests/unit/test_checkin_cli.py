"""`driftcheck checkin`: asked on a terminal, answered with --answer, looked back at, changed
and deleted; without a terminal it says how to answer and never waits for input."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import stored_checkins
from widget.core.checkin import QUESTION, Checkin
from widget.desktop.localzone import local_zone
from widget.paths import DB_NAME
from widget.store import Store

NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _keep(data: Path, *checkins: Checkin) -> list[int]:
    store = Store.open(data / DB_NAME)
    try:
        return [store.add_checkin(c) for c in checkins]
    finally:
        store.close()


def _day(moment: datetime) -> str:
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d")


def _on_terminal(monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    """Stand in for a person at a terminal typing `typed` (the pty test types for real)."""
    monkeypatch.setattr("widget.commands.checkin.on_terminal", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))


# --- answering ---------------------------------------------------------------------------------


def test_without_a_terminal_it_says_how_to_answer_in_one_sentence(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    # It used to be argparse's "the following arguments are required: --answer".
    result = run("checkin")  # pytest's stdin raises if read: this must not wait for input
    assert result.code == 1
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert "`driftcheck checkin` in a terminal" in lines[0]
    assert "--answer N" in lines[0]
    assert not (data / DB_NAME).exists() or stored_checkins(data) == []


def test_answer_given_as_an_option_is_kept_with_its_note(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("checkin", "--answer", "2", "--note", "  saw a friend  ")
    assert result.code == 0, result.err
    assert "Thank you for checking in" in result.out
    [kept] = stored_checkins(data)
    assert (kept.answer, kept.note) == (2, "saw a friend")


def test_on_a_terminal_it_asks_the_question_with_numbered_answers(  # type: ignore[no-untyped-def]
        run, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _on_terminal(monkeypatch, "4\nquiet week\n")
    result = run("checkin")
    assert result.code == 0, result.err
    assert QUESTION in result.out
    assert "  1  It adds to my life" in result.out
    assert "  5  It is replacing connection" in result.out
    assert "  0  Not sure" in result.out
    assert 'Enter for "Not now"' in result.out
    assert "Thank you for checking in" in result.out
    [kept] = stored_checkins(data)
    assert (kept.answer, kept.note) == (4, "quiet week")


@pytest.mark.parametrize("typed", ["\n", "", "3\n"], ids=["enter", "ctrl-d", "ctrl-d-at-note"])
def test_enter_or_ctrl_d_is_not_now_and_keeps_nothing(  # type: ignore[no-untyped-def]
        run, data: Path, monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    _on_terminal(monkeypatch, typed)
    result = run("checkin")
    assert result.code == 0, result.err
    assert "Not now, then; nothing was kept" in result.out
    assert "Thank you" not in result.out
    assert not (data / DB_NAME).exists() or stored_checkins(data) == []


def test_a_number_not_offered_is_asked_again(  # type: ignore[no-untyped-def]
        run, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _on_terminal(monkeypatch, "7\nmaybe\n0\n\n")
    result = run("checkin")
    assert result.code == 0, result.err
    assert result.out.count("That is not one of the numbers above") == 2
    [kept] = stored_checkins(data)
    assert (kept.answer, kept.note) == (0, None)


# --- looking back ------------------------------------------------------------------------------


def test_history_shows_date_and_answer_and_the_note_only_when_asked(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    later = NOON + timedelta(days=7)
    _keep(data, Checkin(NOON, NOON, 4, "private words", 3600), Checkin(NOON + timedelta(days=3)),
          Checkin(later, later, 2, None, 1200))
    result = run("checkin", "history")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    first = next(line for line in lines if _day(NOON) in line)
    second = next(line for line in lines if _day(later) in line)
    assert "Some of it replaces connection" in first and "(with a note)" in first
    assert "Mostly adds" in second
    assert lines.index(first) < lines.index(second)  # oldest first
    assert "private words" not in result.out
    assert "Skipped" not in result.out  # a skipped week is not an answer
    assert "--notes" in result.out
    shown = run("checkin", "history", "--notes")
    assert "| private words" in shown.out


def test_history_json_carries_the_note_only_with_notes(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    [row] = _keep(data, Checkin(NOON, NOON, 1, "private words", 60))
    [entry] = json.loads(run("checkin", "history", "--json").out)
    assert entry == {"id": row, "date": _day(NOON), "asked": NOON.isoformat(),
                     "answered": NOON.isoformat(), "answer": 1,
                     "answer_words": "It adds to my life", "week_seconds": 60}
    [entry] = json.loads(run("checkin", "history", "--json", "--notes").out)
    assert entry["note"] == "private words"


def test_history_with_nothing_kept_says_how_to_start(run) -> None:  # type: ignore[no-untyped-def]
    result = run("checkin", "history")
    assert result.code == 0
    assert "You have not checked in yet" in result.out


# --- changing and deleting ---------------------------------------------------------------------


def test_change_by_date_sets_the_answer_and_keeps_the_note(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    _keep(data, Checkin(NOON, NOON, 4, "kept note", 3600))
    result = run("checkin", "change", _day(NOON), "2")
    assert result.code == 0, result.err
    assert "now says: Mostly adds" in result.out
    assert stored_checkins(data) == [Checkin(NOON, NOON, 2, "kept note", 3600)]
    run("checkin", "change", _day(NOON), "3", "--note", "second thoughts")
    assert stored_checkins(data)[0].note == "second thoughts"
    run("checkin", "change", _day(NOON), "3", "--no-note")
    assert stored_checkins(data)[0].note is None


def test_today_names_todays_checkin(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("checkin", "--answer", "5").code == 0
    assert run("checkin", "change", "today", "1").code == 0
    assert [c.answer for c in stored_checkins(data)] == [1]
    assert run("checkin", "delete", "today").code == 0
    assert stored_checkins(data) == []


def test_delete_by_date_removes_that_one_only(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    later = NOON + timedelta(days=7)
    _keep(data, Checkin(NOON, NOON, 4, "gone with it"), Checkin(later, later, 2))
    result = run("checkin", "delete", _day(NOON))
    assert result.code == 0, result.err
    assert "Deleted the check-in of" in result.out
    assert stored_checkins(data) == [Checkin(later, later, 2)]


def test_two_on_one_day_are_told_apart_by_number(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = _keep(data, Checkin(NOON, NOON, 4),
                          Checkin(NOON, NOON + timedelta(minutes=5), 1))
    result = run("checkin", "delete", _day(NOON))
    assert result.code == 1
    assert f"numbered {first} (" in result.err and f"{second} (" in result.err
    assert len(stored_checkins(data)) == 2  # nothing deleted on a guess
    assert run("checkin", "delete", str(second)).code == 0
    assert [c.answer for c in stored_checkins(data)] == [4]


@pytest.mark.parametrize("which", ["2026-02-30", "someday", "2026-W48", "9" * 5000, "0"])
def test_a_day_or_number_that_names_nothing_is_one_sentence(run, data: Path, which: str) -> None:  # type: ignore[no-untyped-def]
    _keep(data, Checkin(NOON, NOON, 4))
    result = run("checkin", "delete", which)
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert "something unexpected" not in result.err
    assert len(stored_checkins(data)) == 1


def test_the_help_says_how_a_checkin_is_named(run) -> None:  # type: ignore[no-untyped-def]
    result = run("checkin", "--help")
    assert "2026-12-04, today, yesterday" in result.out
    assert "history" in result.out and "change" in result.out and "delete" in result.out


def test_the_date_may_be_typed_as_history_shows_it(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    _keep(data, Checkin(NOON, NOON, 4))
    shown = NOON.astimezone(local_zone()).strftime("%a %Y-%m-%d")
    assert shown in run("checkin", "history").out
    assert run("checkin", "change", shown, "1").code == 0
    assert [c.answer for c in stored_checkins(data)] == [1]
