"""Your answers: the check-ins kept, to look back on, change or delete.

Date and answer are shown; a note only when the person asks to see notes (someone may be
looking over their shoulder). Deleting asks once more, in the dialog, before anything goes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widget.core.checkin import ANSWERS, KeptCheckin
from widget.errors import DriftcheckError
from widget.store.api import CheckinStore
from widget.ui.dialogs.form import error_label, hint, window_title
from widget.ui.plain import plain_label

ANSWER_ORDER = (1, 2, 3, 4, 5, 0)
EMPTY = "No answers kept yet. They appear here after a check-in."


AnswersStore = CheckinStore  # the answers: read, changed, deleted


class AnswersDialog(QDialog):
    """The kept answers, newest first; choose one to change its answer or delete it."""

    def __init__(self, store: AnswersStore, tz: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Your answers"))
        self._store = store
        self._tz = tz
        self._kept: list[KeptCheckin] = []
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Date", "Answer", "Note"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = plain_label(EMPTY)
        self.show_notes = QCheckBox("Show my notes")
        self.show_notes.toggled.connect(self._notes_toggled)
        self.answer = QComboBox()
        for value in ANSWER_ORDER:
            self.answer.addItem(ANSWERS[value], value)
        self.answer.setAccessibleName("New answer")
        self.change_button = QPushButton("Change answer")
        self.delete_button = QPushButton("Delete...")
        self.confirm = QWidget()
        confirm_row = QHBoxLayout(self.confirm)
        confirm_row.setContentsMargins(0, 0, 0, 0)
        confirm_row.addWidget(plain_label("Delete this answer for good?"))
        self.confirm_button = QPushButton("Delete it")
        self.keep_button = QPushButton("Keep it")
        confirm_row.addStretch(1)
        confirm_row.addWidget(self.confirm_button)
        confirm_row.addWidget(self.keep_button)
        self.confirm.hide()
        self.error = error_label()
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.answer, 1)
        edit_row.addWidget(self.change_button)
        edit_row.addWidget(self.delete_button)
        buttons = QDialogButtonBox()
        self.close_button = QPushButton("Close")
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint("Your check-in answers, kept only on this device. Choose one to "
                              "change or delete it."))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.show_notes)
        layout.addLayout(edit_row)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.change_button.clicked.connect(self._change)
        self.delete_button.clicked.connect(lambda: self.confirm.setVisible(True))
        self.keep_button.clicked.connect(lambda: self.confirm.setVisible(False))
        self.confirm_button.clicked.connect(self._delete)
        self.table.itemSelectionChanged.connect(self._selected)
        self.setMinimumSize(520, 380)

    def load(self) -> None:
        kept = [k for k in self._store.checkin_history() if k.checkin.answer is not None]
        self._kept = sorted(kept, key=lambda k: k.checkin.answered or k.checkin.asked,
                            reverse=True)
        self.table.setRowCount(len(self._kept))
        for row, item in enumerate(self._kept):
            moment = (item.checkin.answered or item.checkin.asked).astimezone(self._tz)
            answer = item.checkin.answer
            self.table.setItem(row, 0, QTableWidgetItem(moment.strftime("%a %d %b %Y")))
            self.table.setItem(row, 1, QTableWidgetItem(
                ANSWERS[answer] if answer is not None else ""))
            self.table.setItem(row, 2, QTableWidgetItem(item.checkin.note or ""))
        self.table.resizeColumnsToContents()
        self.table.setColumnHidden(2, not self.show_notes.isChecked())
        self.empty.setVisible(not self._kept)
        self.confirm.hide()
        self._selected()

    def select(self, row: int) -> None:
        self.table.selectRow(row)

    def chosen(self) -> KeptCheckin | None:
        rows = self.table.selectionModel().selectedRows()
        return self._kept[rows[0].row()] if rows else None

    def _selected(self) -> None:
        chosen = self.chosen()
        for widget in (self.answer, self.change_button, self.delete_button):
            widget.setEnabled(chosen is not None)
        if chosen is not None and chosen.checkin.answer is not None:
            self.answer.setCurrentIndex(self.answer.findData(chosen.checkin.answer))
        self.confirm.hide()

    def _notes_toggled(self, shown: bool) -> None:
        self.table.setColumnHidden(2, not shown)

    def _change(self) -> None:
        chosen = self.chosen()
        if chosen is None:
            return
        self._act(lambda: self._store.change_checkin(chosen.id, int(self.answer.currentData()),
                                                     chosen.checkin.note))

    def _delete(self) -> None:
        chosen = self.chosen()
        if chosen is not None:
            self._act(lambda: self._store.delete_checkin(chosen.id))

    def _act(self, doing: Callable[[], None]) -> None:
        self.error.setVisible(False)
        try:
            doing()
        except DriftcheckError as error:
            self.error.setText(str(error))
            self.error.setVisible(True)
        self.load()
