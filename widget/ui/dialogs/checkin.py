"""The honest self-check: one question, six answers, an optional private note.

Nothing here scores or judges the answer; it is the person's own, kept on this device so the
dashboard can show it beside that week's time. "Not now" and "Skip this week" store nothing and
tell the caller which was chosen, so it can ask again tomorrow or next week. A saved answer is
acknowledged in the dialog, in the terminal's words, before it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from widget.core.checkin import ANSWERS, QUESTION, Checkin, check_note
from widget.core.format import duration
from widget.errors import DriftcheckError
from widget.store.api import CheckinWriter
from widget.ui.dialogs.form import make_quiet, window_title
from widget.ui.plain import plain_label

Choice = Literal["saved", "not-now", "skip-week"]
NOTE_PLACEHOLDER = "Only for you; it stays on this device"
THANKS = "Thank you for checking in. Your answer stays on this device, for you alone."
# The order shown: the five steps from "adds" to "replaces", then "Not sure".
ANSWER_ORDER = (1, 2, 3, 4, 5, 0)


CheckinStore = CheckinWriter  # where an answer is kept


class CheckinDialog(QDialog):
    """Asks `QUESTION`. After it closes, `choice` is "saved", "not-now" or "skip-week" (also
    emitted as `chosen`); the dialog is accepted only when an answer was saved.

    `now` dates the answer; `asked` (default: when the dialog was built) is when it was asked.
    `week_seconds` is that week's tracked time, stored with the answer. Esc is "Not now".
    """

    chosen = Signal(str)

    def __init__(self, store: CheckinStore, now: Callable[[], datetime],
                 week_seconds: int | None, reflection: str | None = None, *,
                 asked: datetime | None = None, why: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._now = now
        self._week_seconds = week_seconds
        self.asked = asked or now()
        self.choice: Choice | None = None
        self.setWindowTitle(window_title("Check-in"))

        question = plain_label(QUESTION)
        question.setWordWrap(True)
        font = question.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        question.setFont(font)
        question.setAccessibleName("The question")

        self.answers = QButtonGroup(self)
        answer_column = QVBoxLayout()
        answer_column.setSpacing(4)
        self.answer_buttons: dict[int, QRadioButton] = {}
        for value in ANSWER_ORDER:
            button = QRadioButton(ANSWERS[value])
            button.setAccessibleName(ANSWERS[value])
            self.answers.addButton(button, value)
            self.answer_buttons[value] = button
            if value == 0:
                answer_column.addSpacing(6)
            answer_column.addWidget(button)

        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(NOTE_PLACEHOLDER)
        self.note.setAccessibleName("Private note")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.note.fontMetrics().lineSpacing() * 4 + 12)
        note_label = plain_label("A note, if you like")
        note_label.setBuddy(self.note)

        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.setEnabled(False)
        self.not_now_button = QPushButton("Not now")
        self.not_now_button.setToolTip("Ask me again tomorrow")
        self.skip_button = QPushButton("Skip this week")
        buttons = QDialogButtonBox()
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.skip_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.not_now_button, QDialogButtonBox.ButtonRole.RejectRole)

        self.ask_page = QWidget()
        layout = QVBoxLayout(self.ask_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.why_label: QLabel | None = None
        if why:  # what brought this check-in, when it is not the usual moment
            self.why_label = plain_label(why)
            self.why_label.setWordWrap(True)
            self.why_label.setObjectName("why")
            make_quiet(self.why_label)
            layout.addWidget(self.why_label)
        layout.addWidget(question)
        hint = plain_label("There is no right answer; it is only for you.")
        hint.setWordWrap(True)
        make_quiet(hint)
        layout.addWidget(hint)
        layout.addLayout(answer_column)
        layout.addWidget(note_label)
        layout.addWidget(self.note)
        if week_seconds is not None:
            week = plain_label(f"Time with your tracked apps this week so far: "
                          f"{duration(week_seconds)}.")
            week.setWordWrap(True)
            make_quiet(week)
            layout.addWidget(week)
        self.reflection_label: QLabel | None = None
        if reflection:
            self.reflection_label = plain_label(reflection)
            self.reflection_label.setWordWrap(True)
            self.reflection_label.setAccessibleName("Something to think about")
            make_quiet(self.reflection_label)
            self.reflection_label.setTextFormat(Qt.TextFormat.PlainText)
            layout.addWidget(self.reflection_label)
        self.error = plain_label()
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        layout.addWidget(self.error)

        self.thanks_page = QWidget()
        thanks_layout = QVBoxLayout(self.thanks_page)
        self.thanks_label = plain_label(THANKS)
        self.thanks_label.setWordWrap(True)
        self.thanks_label.setFont(font)
        thanks_layout.addStretch(1)
        thanks_layout.addWidget(self.thanks_label)
        thanks_layout.addStretch(1)
        self.close_button = QPushButton("Close")
        self.close_button.hide()
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.clicked.connect(self.accept)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.ask_page)
        self.pages.addWidget(self.thanks_page)
        outer = QVBoxLayout(self)
        outer.setSpacing(10)
        outer.addWidget(self.pages)
        outer.addWidget(buttons)
        self.setMinimumWidth(460)

        self.answers.idToggled.connect(self._answer_toggled)
        self.save_button.clicked.connect(self._save)
        self.not_now_button.clicked.connect(lambda: self._close_with("not-now"))
        self.skip_button.clicked.connect(lambda: self._close_with("skip-week"))
        self.answer_buttons[1].setFocus()

    def answer(self) -> int | None:
        value = self.answers.checkedId()
        return None if value < 0 else value

    def reject(self) -> None:
        """Esc and the window's close button mean "Not now" (after a saved answer: Close)."""
        if self.choice == "saved":
            self.accept()
            return
        if self.choice is None:
            self._finish("not-now")
        super().reject()

    def _answer_toggled(self, _id: int, _checked: bool) -> None:
        self.save_button.setEnabled(self.answer() is not None)

    def _save(self) -> None:
        answer = self.answer()
        if answer is None:
            return
        try:
            note = check_note(self.note.toPlainText())
            self._store.add_checkin(Checkin(asked=self.asked, answered=self._now(),
                                            answer=answer, note=note,
                                            week_seconds=self._week_seconds))
        except DriftcheckError as error:
            self.error.setText(str(error))
            self.error.setVisible(True)
            return
        self._finish("saved")
        self._thank()

    def _thank(self) -> None:
        """The answer is kept: say so, as the terminal does, with one way out."""
        for button in (self.save_button, self.skip_button, self.not_now_button):
            button.hide()
        self.close_button.show()
        self.close_button.setDefault(True)
        self.pages.setCurrentWidget(self.thanks_page)
        self.close_button.setFocus()

    def _close_with(self, choice: Choice) -> None:
        self._finish(choice)
        super().reject()

    def _finish(self, choice: Choice) -> None:
        self.choice = choice
        self.chosen.emit(choice)


