"""Your answers: a person looks back on their check-ins (date, answer; the note only when they
ask), changes one, deletes one after saying so twice, over a real temp store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from widget.core.checkin import ANSWERS, Checkin
from widget.store import Store
from widget.ui.dialogs.answers import AnswersDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def kept(store: Store) -> None:
    store.add_checkin(Checkin(asked=FIRST, answered=FIRST, answer=2, note="Saw Sam."))
    later = FIRST + timedelta(weeks=1)
    store.add_checkin(Checkin(asked=later, answered=later, answer=4, note=None))
    store.add_checkin(Checkin(asked=later + timedelta(days=1)))  # a skip: not an answer


def open_dialog(qtbot: QtBot, store: Store) -> AnswersDialog:
    dialog = AnswersDialog(store, BERLIN)
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    return dialog


def cell(dialog: AnswersDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    return item.text() if item is not None else ""


def test_answers_are_listed_newest_first_and_notes_only_when_asked(qtbot: QtBot,
                                                                   store: Store) -> None:
    kept(store)
    dialog = open_dialog(qtbot, store)
    assert dialog.windowTitle() == "driftcheck \u2014 Your answers"
    assert dialog.table.rowCount() == 2, "a skipped week is not an answer"
    assert (cell(dialog, 0, 0), cell(dialog, 0, 1)) == ("Sun 29 Nov 2026", ANSWERS[4])
    assert cell(dialog, 1, 1) == ANSWERS[2]
    assert dialog.table.isColumnHidden(2), "notes stay hidden until asked for"
    dialog.show_notes.setChecked(True)
    assert not dialog.table.isColumnHidden(2) and cell(dialog, 1, 2) == "Saw Sam."


def test_an_answer_can_be_changed_and_one_deleted_after_a_second_word(qtbot: QtBot,
                                                                      store: Store) -> None:
    kept(store)
    dialog = open_dialog(qtbot, store)
    dialog.select(1)
    dialog.answer.setCurrentIndex(dialog.answer.findData(3))
    dialog.change_button.click()
    answers = sorted((k.checkin.answered, k.checkin.answer, k.checkin.note)
                     for k in store.checkin_history() if k.checkin.answer is not None)
    assert answers[0][1:] == (3, "Saw Sam."), "the answer changed, the note kept"
    dialog.select(0)
    dialog.delete_button.click()
    assert len([k for k in store.checkin_history() if k.checkin.answer is not None]) == 2
    assert dialog.confirm.isVisible()
    dialog.confirm_button.click()
    assert [k.checkin.answer for k in store.checkin_history()
            if k.checkin.answer is not None] == [3]
    assert dialog.table.rowCount() == 1


def test_settings_open_your_answers(qtbot: QtBot, store: Store) -> None:
    from widget.ui.dialogs.settings import SettingsDialog

    opened: list[bool] = []
    dialog = SettingsDialog(store, open_answers=lambda: opened.append(True))
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.checkin.answers_button.click()
    assert opened == [True]
