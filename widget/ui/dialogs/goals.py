"""Goals the person sets themselves: daily and weekly goals, quiet hours, a longest session,
for all tracked apps together or for one app; or "Watch for a week first".

Every goal is checked by `widget.core.goals` before anything is stored; a problem is shown next
to the field it is about and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Protocol

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from widget.core import settings as S
from widget.core.goals import Goal, GoalKind, check_goal, check_goals
from widget.desktop.localzone import local_zone
from widget.errors import DriftcheckError, InvalidGoal
from widget.store.api import GoalEditor, SettingsStore
from widget.ui.dialogs.form import error_label, make_quiet, window_title
from widget.ui.plain import plain_label

ALL_APPS_LABEL = "All tracked apps"
QUIET_HINT = ("Hours you would rather keep for yourself and others. Time in these hours is "
              "shown apart, and counts toward a notification.")

Scope = str | None  # an app key, or None for all tracked apps together


class GoalStore(GoalEditor, SettingsStore, Protocol):
    """The goals, and the "watch for a week first" setting."""


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


class DurationEdit(QWidget):
    """Hours and minutes in two spin boxes; `seconds()` is their total."""

    def __init__(self, name: str, max_hours: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hours = QSpinBox()
        self.hours.setRange(0, max_hours)
        self.hours.setSuffix(" h")
        self.hours.setAccessibleName(f"{name}, hours")
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 59)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName(f"{name}, minutes")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hours)
        layout.addWidget(self.minutes)
        layout.addStretch(1)
        self.setFocusProxy(self.hours)

    def seconds(self) -> int:
        return self.hours.value() * 3600 + self.minutes.value() * 60

    def set_seconds(self, seconds: int) -> None:
        minutes = seconds // 60
        self.hours.setValue(minutes // 60)
        self.minutes.setValue(minutes % 60)


def _minute(edit: QTimeEdit) -> int:
    time = edit.time()
    return time.hour() * 60 + time.minute()


def _set_minute(edit: QTimeEdit, minute: int) -> None:
    edit.setTime(QTime(minute // 60, minute % 60))


class GoalsForm(QWidget):
    """The fields of the goals dialog, with `load()` and `save()` (also used by the welcome).

    `save()` returns True when the goals (or the choice to watch first) were stored, False when
    a message is shown next to a field and nothing was stored.
    """

    saved = Signal()

    def __init__(self, store: GoalStore, now: Callable[[], datetime],
                 tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._now = now
        self._tz = tz or local_zone()
        self._pending: dict[Scope, list[Goal]] = {}
        self._scope: Scope = None

        self.set_goals = QRadioButton("Set goals now")
        self.set_goals.setAccessibleName("Set goals now")
        self.watch_first = QRadioButton("Watch for a week first")
        self.watch_first.setAccessibleName("Watch for a week first")
        self.watch_note = watch_note = plain_label()
        modes = QButtonGroup(self)
        modes.addButton(self.set_goals)
        modes.addButton(self.watch_first)
        self.set_goals.setChecked(True)
        watch_note.setText("driftcheck only counts time for seven days, then suggests goals "
                           "from what it saw. You decide whether to use them.")
        watch_note.setWordWrap(True)
        watch_note.setIndent(24)
        make_quiet(watch_note)

        self.scope = QComboBox()
        self.scope.setAccessibleName("Goals for")

        self.daily_on = QCheckBox("Daily goal")
        self.daily = DurationEdit("Daily goal", 24)
        self.weekly_on = QCheckBox("Weekly goal")
        self.weekly = DurationEdit("Weekly goal", 168)
        self.quiet_on = QCheckBox("Quiet hours")
        self.quiet_start = QTimeEdit()
        self.quiet_start.setDisplayFormat("HH:mm")
        self.quiet_start.setAccessibleName("Quiet hours from")
        self.quiet_end = QTimeEdit()
        self.quiet_end.setDisplayFormat("HH:mm")
        self.quiet_end.setAccessibleName("Quiet hours until")
        self.session_on = QCheckBox("Longest session")
        self.session = DurationEdit("Longest session", 24)
        for box in (self.daily_on, self.weekly_on, self.quiet_on, self.session_on):
            box.setAccessibleName(box.text())

        self.errors: dict[str, QLabel] = {name: error_label() for name in (
            "daily", "weekly", "quiet_start", "quiet_end", "session", "general")}

        quiet_times = QWidget()
        quiet_row = QHBoxLayout(quiet_times)
        quiet_row.setContentsMargins(0, 0, 0, 0)
        quiet_row.addWidget(plain_label("from"))
        quiet_row.addWidget(self.quiet_start)
        quiet_row.addWidget(plain_label("until"))
        quiet_row.addWidget(self.quiet_end)
        quiet_row.addStretch(1)
        quiet_errors = QHBoxLayout()
        quiet_errors.addWidget(self.errors["quiet_start"])
        quiet_errors.addWidget(self.errors["quiet_end"])

        self.fields = QWidget()
        grid = QGridLayout(self.fields)
        grid.setContentsMargins(24, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        scope_label = plain_label("Goals for")
        scope_label.setBuddy(self.scope)
        grid.addWidget(scope_label, 0, 0)
        grid.addWidget(self.scope, 0, 1)
        rows: list[tuple[QCheckBox, QWidget, list[QLabel], str]] = [
            (self.daily_on, self.daily, [self.errors["daily"]], "Time in a day."),
            (self.weekly_on, self.weekly, [self.errors["weekly"]], "Time in a week, Monday to "
                                                                  "Sunday."),
            (self.quiet_on, quiet_times, [], QUIET_HINT),
            (self.session_on, self.session, [self.errors["session"]], "Time in one go, before "
                                                                     "a gentle reminder."),
        ]
        row = 1
        for box, field, errors, hint in rows:
            grid.addWidget(box, row, 0)
            grid.addWidget(field, row, 1)
            row += 1
            hint_label = plain_label(hint)
            hint_label.setWordWrap(True)
            make_quiet(hint_label)
            grid.addWidget(hint_label, row, 1)
            row += 1
            if box is self.quiet_on:
                grid.addLayout(quiet_errors, row, 1)
                row += 1
            for label in errors:
                grid.addWidget(label, row, 1)
                row += 1
            box.toggled.connect(field.setEnabled)
            field.setEnabled(False)
        note = plain_label("Each goal is optional. You can change them any time.")
        note.setWordWrap(True)
        make_quiet(note)
        grid.addWidget(note, row, 0, 1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.set_goals)
        layout.addWidget(self.fields)
        layout.addSpacing(8)
        layout.addWidget(self.watch_first)
        layout.addWidget(watch_note)
        layout.addWidget(self.errors["general"])

        self.set_goals.toggled.connect(self.fields.setEnabled)
        self.scope.currentIndexChanged.connect(self._scope_changed)
        for box in (self.daily_on, self.weekly_on, self.quiet_on, self.session_on):
            box.toggled.connect(self._clear_errors)
        self.setTabOrder(self.set_goals, self.scope)
        self.setTabOrder(self.scope, self.daily_on)
        self.setTabOrder(self.daily_on, self.daily.hours)
        self.setTabOrder(self.daily.hours, self.daily.minutes)
        self.setTabOrder(self.daily.minutes, self.weekly_on)
        self.setTabOrder(self.weekly_on, self.weekly.hours)
        self.setTabOrder(self.weekly.hours, self.weekly.minutes)
        self.setTabOrder(self.weekly.minutes, self.quiet_on)
        self.setTabOrder(self.quiet_on, self.quiet_start)
        self.setTabOrder(self.quiet_start, self.quiet_end)
        self.setTabOrder(self.quiet_end, self.session_on)
        self.setTabOrder(self.session_on, self.session.hours)
        self.setTabOrder(self.session.hours, self.session.minutes)
        self.setTabOrder(self.session.minutes, self.watch_first)

    # --- load / save ----------------------------------------------------------------------

    def load(self) -> None:
        """Fill the fields from the stored goals (and the watch-first choice)."""
        self._clear_errors()
        apps = self._store.list_apps()
        self._pending = {}
        for goal in self._store.list_goals():
            self._pending.setdefault(goal.app, []).append(goal)
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.addItem(ALL_APPS_LABEL, None)
        for app in apps:
            self.scope.addItem(app.name, app.key)
        self.scope.setCurrentIndex(0)
        self.scope.blockSignals(False)
        self._scope = None
        self._show_scope(None)
        watching = S.get(self._store, S.WATCH_FIRST_SINCE) is not None
        (self.watch_first if watching and not self._pending else self.set_goals).setChecked(True)
        # With goals set, "Watch for a week first" is a first-run question: not asked again
        # (clearing every goal and saving brings it back).
        offer_watch = not self._pending
        self.watch_first.setVisible(offer_watch)
        self.watch_note.setVisible(offer_watch)
        self.set_goals.setVisible(offer_watch)

    def suggest(self, goals: Sequence[Goal]) -> None:
        """Offer `goals` (for all apps together) in the fields, unsaved: the person decides."""
        self._pending[None] = [goal for goal in goals if goal.app is None]
        self.set_goals.setChecked(True)
        self.select_app(None)
        self._scope = None
        self._show_scope(None)

    def select_app(self, key: str | None) -> None:
        """Show the goals of one app (None: all tracked apps together)."""
        index = self.scope.findData(key)
        if index >= 0:
            self.scope.setCurrentIndex(index)

    def save(self) -> bool:
        self._clear_errors()
        if self.watch_first.isChecked():
            try:
                self._store.replace_goals([])
                S.put(self._store, S.WATCH_FIRST_SINCE, self._now().astimezone(self._tz).date())
            except DriftcheckError as error:
                show_error(self.errors["general"], str(error))
                return False
            self.saved.emit()
            return True
        self._pending[self._scope] = self._collect()
        for scope, goals in self._pending.items():
            problems = _problems(goals)
            if problems:
                if scope != self._scope:
                    self.select_app(scope)
                for label, message in problems.items():
                    show_error(self.errors[label], message)
                return False
        everything = [goal for goals in self._pending.values() for goal in goals]
        try:
            check_goals(everything)
            self._store.replace_goals(everything)
            if S.get(self._store, S.WATCH_FIRST_SINCE) is not None:
                S.put(self._store, S.WATCH_FIRST_SINCE, None)
        except DriftcheckError as error:
            show_error(self.errors["general"], str(error))
            return False
        self.saved.emit()
        return True

    # --- inside ---------------------------------------------------------------------------

    def _collect(self) -> list[Goal]:
        app = self._scope
        goals: list[Goal] = []
        if self.daily_on.isChecked():
            goals.append(Goal(GoalKind.DAILY, app, limit_seconds=self.daily.seconds()))
        if self.weekly_on.isChecked():
            goals.append(Goal(GoalKind.WEEKLY, app, limit_seconds=self.weekly.seconds()))
        if self.quiet_on.isChecked():
            goals.append(Goal(GoalKind.QUIET_HOURS, app, quiet_start=_minute(self.quiet_start),
                              quiet_end=_minute(self.quiet_end)))
        if self.session_on.isChecked():
            goals.append(Goal(GoalKind.SESSION, app, limit_seconds=self.session.seconds()))
        return goals

    def _scope_changed(self, _index: int) -> None:
        self._pending[self._scope] = self._collect()
        self._scope = self.scope.currentData()
        self._show_scope(self._scope)

    def _show_scope(self, scope: Scope) -> None:
        self._clear_errors()
        by_kind = {goal.kind: goal for goal in self._pending.get(scope, [])}
        daily = by_kind.get(GoalKind.DAILY)
        weekly = by_kind.get(GoalKind.WEEKLY)
        quiet = by_kind.get(GoalKind.QUIET_HOURS)
        session = by_kind.get(GoalKind.SESSION)
        self.daily_on.setChecked(daily is not None)
        self.daily.set_seconds(daily.limit_seconds or 0 if daily else 3600)
        self.weekly_on.setChecked(weekly is not None)
        self.weekly.set_seconds(weekly.limit_seconds or 0 if weekly else 7 * 3600)
        self.quiet_on.setChecked(quiet is not None)
        _set_minute(self.quiet_start, quiet.quiet_start or 0 if quiet else 23 * 60)
        _set_minute(self.quiet_end, quiet.quiet_end or 0 if quiet else 6 * 60)
        self.session_on.setChecked(session is not None)
        self.session.set_seconds(session.limit_seconds or 0 if session else 3600)

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            show_error(label, "")


class GoalsDialog(QDialog):
    """The goals form with "Save" and "Cancel"; Esc is Cancel, Enter saves."""

    def __init__(self, store: GoalStore, now: Callable[[], datetime],
                 tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Goals"))
        intro = plain_label("Goals you set for yourself. driftcheck only lets you know, gently, "
                       "when you get near one.")
        intro.setWordWrap(True)
        self.form = GoalsForm(store, now, tz)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self._save)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def load(self) -> None:
        self.form.load()

    def save(self) -> bool:
        return self.form.save()

    def _save(self) -> None:
        if self.form.save():
            self.accept()


_LIMIT_LABELS = {GoalKind.DAILY: "daily", GoalKind.WEEKLY: "weekly", GoalKind.SESSION: "session"}


def _problems(goals: list[Goal]) -> dict[str, str]:
    """Messages for one scope's goals by error label; empty when all is well.

    Each goal is checked alone first, so a message about a goal lands next to its own field;
    then, if each is fine, the set together (a weekly goal below the daily one is the weekly
    field's problem).
    """
    found: dict[str, str] = {}
    for goal in goals:
        try:
            check_goal(goal)
        except InvalidGoal as error:
            if error.field in ("quiet_start", "quiet_end"):
                found[error.field] = str(error)
            else:
                found[_LIMIT_LABELS.get(goal.kind, "general")] = str(error)
    if not found:
        try:
            check_goals(goals)
        except InvalidGoal as error:
            found["weekly" if error.field == "limit" else "general"] = str(error)
    return found


