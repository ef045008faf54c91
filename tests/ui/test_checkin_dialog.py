"""The check-in dialog over a real temp store: an answer is kept with its note and the week's
time; "Not now" and "Skip this week" keep nothing and say which was chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from widget.core.checkin import ANSWERS, QUESTION, Checkin
from widget.store import Store
from widget.ui.dialogs.checkin import NOTE_PLACEHOLDER, THANKS, CheckinDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ASKED = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
ANSWERED = ASKED + timedelta(minutes=2)


def open_dialog(qtbot: QtBot, store: Store, reflection: str | None = None) -> CheckinDialog:
    dialog = CheckinDialog(store, lambda: ANSWERED, 3 * 3600 + 20 * 60, reflection,
                           asked=ASKED)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_it_asks_the_question_with_six_answers(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store, reflection="The felt connection is real as a feeling.")
    texts = [label.text() for label in dialog.findChildren(type(dialog.error))]
    assert QUESTION in texts
    assert "The felt connection is real as a feeling." in texts
    assert [b.text() for b in dialog.answer_buttons.values()] == [
        ANSWERS[1], ANSWERS[2], ANSWERS[3], ANSWERS[4], ANSWERS[5], "Not sure"]
    assert dialog.note.placeholderText() == NOTE_PLACEHOLDER


def test_an_answer_and_a_note_are_kept_with_the_weeks_time(qtbot: QtBot,
                                                          store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    choices: list[str] = []
    dialog.chosen.connect(choices.append)
    answer = dialog.answer_buttons[2]  # clicked on its round indicator, at the left
    qtbot.mouseClick(answer, Qt.MouseButton.LeftButton, pos=QPoint(8, answer.height() // 2))
    qtbot.keyClicks(dialog.note, "Talked to Sam on Friday, felt good.")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert store.list_checkins() == [Checkin(asked=ASKED, answered=ANSWERED, answer=2,
                                             note="Talked to Sam on Friday, felt good.",
                                             week_seconds=3 * 3600 + 20 * 60)]
    assert dialog.choice == "saved" and choices == ["saved"]
    # Acknowledged, as the terminal's `driftcheck checkin` is, before it closes.
    assert dialog.thanks_label.isVisible() and dialog.thanks_label.text() == THANKS
    assert not dialog.save_button.isVisible() and dialog.close_button.isVisible()
    dialog.close_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert not dialog.isVisible()
    assert choices == ["saved"], "closing the thanks is not a second choice"


def test_escape_after_the_thanks_closes_as_saved(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    choices: list[str] = []
    dialog.chosen.connect(choices.append)
    dialog.answer_buttons[3].click()
    dialog.save_button.click()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Accepted
    assert choices == ["saved"] and len(store.list_checkins()) == 1
    assert dialog.windowTitle() == "driftcheck \u2014 Check-in"


def test_not_sure_without_a_note_is_kept_as_zero_and_no_note(qtbot: QtBot,
                                                            store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    dialog.answer_buttons[0].click()
    dialog.save_button.click()
    [kept] = store.list_checkins()
    assert kept.answer == 0 and kept.note is None


def test_save_waits_for_an_answer(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.note, "just a note")
    assert not dialog.save_button.isEnabled()
    dialog.answer_buttons[5].click()
    assert dialog.save_button.isEnabled()


@pytest.mark.parametrize(("button", "choice"), [("not_now_button", "not-now"),
                                                ("skip_button", "skip-week")])
def test_not_now_and_skip_keep_nothing_and_say_which(qtbot: QtBot, store: Store,
                                                     button: str, choice: str) -> None:
    dialog = open_dialog(qtbot, store)
    choices: list[str] = []
    dialog.chosen.connect(choices.append)
    dialog.answer_buttons[3].click()
    getattr(dialog, button).click()
    assert store.list_checkins() == []
    assert dialog.choice == choice and choices == [choice]
    assert not dialog.isVisible()


def test_escape_is_not_now(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.choice == "not-now"
    assert store.list_checkins() == []
    assert not dialog.isVisible()
