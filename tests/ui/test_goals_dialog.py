"""The goals dialog over a real temp store: a problem is shown next to its field and nothing
is stored; good goals are stored and come back when the dialog opens again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QTime
from PySide6.QtWidgets import QCheckBox, QLabel
from pytestqt.qtbot import QtBot

from widget.core.goals import Goal, GoalKind
from widget.core.model import Rule, RuleKind, TrackedApp
from widget.store import Store
from widget.ui.dialogs.goals import GoalsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),))
NOMI = TrackedApp("nomi", "Nomi", (Rule(RuleKind.PROCESS, "Nomi"),))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "db.sqlite3")
    opened.add_app(REPLIKA)
    opened.add_app(NOMI)
    try:
        yield opened
    finally:
        opened.close()


def open_dialog(qtbot: QtBot, store: Store) -> GoalsDialog:
    dialog = GoalsDialog(store, lambda: NOW, tz=ZoneInfo("Europe/Berlin"))
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    return dialog


def shown_errors(dialog: GoalsDialog) -> dict[str, str]:
    return {name: label.text() for name, label in dialog.form.errors.items()
            if label.isVisibleTo(dialog)}


def test_a_zero_daily_limit_is_explained_next_to_it_and_nothing_is_stored(
        qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    form = dialog.form
    form.daily_on.setChecked(True)
    form.daily.set_seconds(0)
    dialog.save_button.click()
    assert shown_errors(dialog) == {"daily": "Please choose a goal above zero."}
    assert dialog.isVisible(), "the dialog stays open so the person can fix it"
    assert store.list_goals() == []


def test_a_weekly_limit_below_the_daily_one_is_explained_next_to_the_weekly_limit(
        qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    form = dialog.form
    form.daily_on.setChecked(True)
    form.daily.set_seconds(2 * 3600)
    form.weekly_on.setChecked(True)
    form.weekly.set_seconds(3600)
    dialog.save_button.click()
    errors = shown_errors(dialog)
    assert list(errors) == ["weekly"]
    assert "weekly goal is below one day at the daily goal" in errors["weekly"]
    assert store.list_goals() == []


def test_quiet_hours_that_start_when_they_end_are_explained_next_to_the_end(
        qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    form = dialog.form
    form.quiet_on.setChecked(True)
    form.quiet_start.setTime(QTime(23, 0))
    form.quiet_end.setTime(QTime(23, 0))
    dialog.save_button.click()
    assert list(shown_errors(dialog)) == ["quiet_end"]
    assert store.list_goals() == []
    # Fixing it clears the way: the same dialog now saves and closes.
    form.quiet_end.setTime(QTime(6, 0))
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert store.list_goals() == [Goal(GoalKind.QUIET_HOURS, None, None, 23 * 60, 6 * 60)]


def test_a_good_set_is_stored_and_fills_the_dialog_next_time(qtbot: QtBot,
                                                             store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    form = dialog.form
    form.daily_on.setChecked(True)
    form.daily.set_seconds(45 * 60)
    form.weekly_on.setChecked(True)
    form.weekly.set_seconds(5 * 3600)
    form.select_app("replika")  # switching keeps what was typed for all apps
    form.session_on.setChecked(True)
    form.session.set_seconds(3600 + 30 * 60)
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert set(store.list_goals()) == {
        Goal(GoalKind.DAILY, None, 45 * 60),
        Goal(GoalKind.WEEKLY, None, 5 * 3600),
        Goal(GoalKind.SESSION, "replika", 90 * 60),
    }

    reopened = open_dialog(qtbot, store)
    again = reopened.form
    assert again.scope.currentText() == "All tracked apps"
    assert again.daily_on.isChecked() and again.daily.seconds() == 45 * 60
    assert again.weekly_on.isChecked() and again.weekly.seconds() == 5 * 3600
    assert not again.session_on.isChecked()
    again.select_app("replika")
    assert again.session_on.isChecked() and again.session.seconds() == 90 * 60
    assert not again.daily_on.isChecked()
    again.select_app("nomi")
    assert not any(box.isChecked() for box in (again.daily_on, again.weekly_on,
                                               again.quiet_on, again.session_on))


def test_a_problem_in_another_apps_goals_is_shown_for_that_app(qtbot: QtBot,
                                                               store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    form = dialog.form
    form.select_app("nomi")
    form.daily_on.setChecked(True)
    form.daily.set_seconds(0)
    form.select_app(None)
    form.daily_on.setChecked(True)
    form.daily.set_seconds(3600)
    dialog.save_button.click()
    assert form.scope.currentText() == "Nomi"
    assert shown_errors(dialog) == {"daily": "Please choose a goal above zero."}
    assert store.list_goals() == []


def test_watch_for_a_week_first_stores_the_day_and_no_limits(qtbot: QtBot,
                                                            store: Store) -> None:
    store.replace_goals([Goal(GoalKind.DAILY, None, 3600)])
    dialog = open_dialog(qtbot, store)
    dialog.form.watch_first.setChecked(True)
    assert not dialog.form.daily_on.isEnabled()
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert store.get_setting("watch_first_since") == "2026-11-27"
    assert store.list_goals() == []
    reopened = open_dialog(qtbot, store)
    assert reopened.form.watch_first.isChecked()


def test_cancel_stores_nothing(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    assert dialog.cancel_button.text() == "Cancel"  # it was "Not now", which meant Cancel
    assert dialog.windowTitle() == "driftcheck \u2014 Goals"
    dialog.form.daily_on.setChecked(True)
    dialog.cancel_button.click()
    assert not dialog.isVisible()
    assert store.list_goals() == []
    assert store.get_setting("watch_first_since") is None


def test_the_words_say_goal_and_quiet_hours_in_plain_words(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    labels = [w.text() for w in dialog.findChildren(QLabel)] + \
        [w.text() for w in dialog.findChildren(QCheckBox)]
    assert "Daily goal" in labels and "Weekly goal" in labels
    assert not any("limit" in text.lower() for text in labels)
    assert any("shown apart, and counts toward a notification" in text for text in labels)
    assert not any("counts as over the goal" in text for text in labels)


def test_with_goals_set_watch_for_a_week_first_is_not_offered_again(
        qtbot: QtBot, store: Store) -> None:
    first = open_dialog(qtbot, store)
    assert first.form.watch_first.isVisible(), "the first time, watching first is a choice"
    store.replace_goals([Goal(GoalKind.DAILY, None, limit_seconds=45 * 60)])
    later = open_dialog(qtbot, store)
    assert not later.form.watch_first.isVisible()
    assert later.form.daily_on.isChecked()
