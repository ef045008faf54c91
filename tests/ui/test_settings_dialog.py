"""The settings dialog over a real temp store: the defaults show on first open, what is saved
comes back, and a value out of range is explained next to its field without saving anything."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTime
from pytestqt.qtbot import QtBot

from widget.store import Store
from widget.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def open_dialog(qtbot: QtBot, store: Store) -> SettingsDialog:
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    return dialog


def test_a_first_open_shows_the_defaults(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    assert dialog.notifications.discreet.isChecked()
    assert dialog.notifications.near.spin.value() == 80
    assert dialog.checkin.rhythm.currentData() == "weekly"
    assert dialog.checkin.weekday.currentText() == "Sunday"
    assert dialog.checkin.time.time() == QTime(19, 0)
    assert dialog.checkin.reflections.isChecked()
    assert dialog.checkin.on_drift.isChecked()
    assert dialog.tracking.sample_interval.spin.value() == 5
    assert dialog.tracking.day_start_hour.spin.value() == 4
    assert not dialog.tracking.start_at_login.isChecked()


def test_saved_settings_come_back(qtbot: QtBot, store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    dialog.notifications.discreet.setChecked(False)
    dialog.notifications.near.spin.setValue(70)
    dialog.checkin.rhythm.setCurrentIndex(dialog.checkin.rhythm.findData("daily"))
    dialog.checkin.time.setTime(QTime(20, 30))
    dialog.checkin.reflections.setChecked(False)
    dialog.checkin.on_drift.setChecked(False)
    dialog.tracking.sample_interval.spin.setValue(10)
    dialog.tracking.idle_after.spin.setValue(300)
    dialog.tracking.day_start_hour.spin.setValue(6)
    dialog.tracking.start_at_login.setChecked(True)
    dialog.save_button.click()
    assert not dialog.isVisible()
    assert store.get_setting("discreet") is False
    assert store.get_setting("near_share") == pytest.approx(0.7)
    assert store.get_setting("checkin.rhythm") == "daily"
    assert store.get_setting("checkin.time") == "20:30"
    assert store.get_setting("sample_interval") == 10
    assert store.get_setting("start_at_login") is True

    again = open_dialog(qtbot, store)
    assert not again.notifications.discreet.isChecked()
    assert again.notifications.near.spin.value() == 70
    assert again.checkin.rhythm.currentText() == "Every day"
    assert not again.checkin.weekday.isEnabled(), "a daily check-in has no weekday"
    assert again.checkin.time.time() == QTime(20, 30)
    assert not again.checkin.reflections.isChecked()
    assert not again.checkin.on_drift.isChecked()
    assert store.get_setting("checkin.on_drift") is False
    assert again.tracking.idle_after.spin.value() == 300
    assert again.tracking.day_start_hour.spin.value() == 6
    assert again.tracking.start_at_login.isChecked()


def test_a_value_out_of_range_is_explained_and_nothing_is_saved(qtbot: QtBot,
                                                                store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    dialog.notifications.discreet.setChecked(False)
    dialog.tracking.sample_interval.spin.setValue(90)
    dialog.save_button.click()
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.tracking
    error = dialog.tracking.sample_interval.error
    assert error.isVisibleTo(dialog)
    assert error.text() == "Please choose from 1 to 60 seconds."
    assert store.all_settings() == {}


def test_a_heads_up_share_out_of_range_is_explained_in_percent(qtbot: QtBot,
                                                               store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    dialog.notifications.near.spin.setValue(99)
    assert not dialog.save()
    assert dialog.notifications.near.error.text() == "Please choose from 50 to 95 %."
    assert store.get_setting("near_share") is None
