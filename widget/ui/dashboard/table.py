"""The dashboard's per-app table: a read-only model over `WeekAppRow`s and its view."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from widget.core.dashboard import ComputerRow, WeekAppRow
from widget.core.format import apportion, duration

HEADERS = ("App", "This week", "Share", "Against the week before", "A day, on average")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

Index = QModelIndex | QPersistentModelIndex


def say_change(change_s: float | None) -> str:
    """'+1 h 10 min', '-20 min', 'about the same' (under a minute either way), or words for a
    week before that lies before the history."""
    if change_s is None:
        return "no week before to compare"
    if abs(change_s) < 60:
        return "about the same"
    sign = "+" if change_s > 0 else "\u2212"  # a real minus sign reads better than a hyphen
    return f"{sign}{duration(abs(change_s))}"


class AppTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[WeekAppRow] = []
        self._shown: list[int] = []  # each row's week as said: in the total's unit, adding up
        self._colors: dict[str, QColor] = {}
        self._same_part = False
        self._current = True

    def set_rows(self, rows: Sequence[WeekAppRow], colors: dict[str, QColor], *,
                 same_part: bool = False, current: bool = True) -> None:
        """`same_part`: the week is in progress and the change column compares it with the
        same days of the week before. `current`: the week is this week (else its column is
        'That week')."""
        self.beginResetModel()
        self._rows = list(rows)
        self._shown = apportion([row.seconds for row in self._rows])[0]
        self._colors = dict(colors)
        self._same_part = same_part
        self._current = current
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def cell(self, row: WeekAppRow, column: int, shown: float | None = None) -> str:
        """The text of one cell; `shown`: the row's week as said beside the week's total."""
        if column == 0:
            return row.name
        if column == 1:
            return duration(row.seconds if shown is None else shown)
        if column == 2:
            return f"{row.share * 100:.0f}%"
        if column == 3:
            return say_change(row.change_s)
        return duration(row.daily_average_s)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.cell(row, column, self._shown[index.row()])
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return self._colors.get(row.key)
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(_RIGHT.value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if section == 3 and self._same_part:
                return "Against the same days before"
            if section == 1 and not self._current:
                return "That week"
            return HEADERS[section]
        return None


def app_table(model: QAbstractTableModel) -> QTableView:
    """A quiet, read-only, keyboard-reachable table (the apps', or the computers')."""
    view = QTableView()
    view.setObjectName("app-table")
    view.setModel(model)
    view.setAccessibleName("Time per app this week")
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table, the arrows move inside it
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, model.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return view


COMPUTER_HEADERS = ("Computer", "This week")


class ComputerTableModel(QAbstractTableModel):
    """Each of the person's computers and its own time in the shown week (issue 16)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ComputerRow] = []
        self._current = True

    def set_rows(self, rows: Sequence[ComputerRow], *, current: bool = True) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._current = current
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COMPUTER_HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.name if index.column() == 0 else duration(row.seconds)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(_RIGHT.value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if section == 1 and not self._current:
                return "That week"
            return COMPUTER_HEADERS[section]
        return None


def computer_table(model: ComputerTableModel) -> QTableView:
    """The computers' table, read-only and quiet like the apps' table."""
    view = app_table(model)
    view.setObjectName("computer-table")
    view.setAccessibleName("Time on each of your computers this week")
    return view
