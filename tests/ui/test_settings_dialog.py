"""The settings dialog over a real temp store: the defaults show on first open, what is saved
comes back, and a value out of range is explained next to its field without saving anything."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTime
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from widget.store import Store
from widget.ui.dialogs.settings import SettingsDialog

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
    assert dialog.tracking.idle_after.spin.text() == "3 min", "minutes, not '180 s'"
    dialog.tracking.idle_after.spin.setValue(5)
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
    assert store.get_setting("idle_after") == 300
    assert again.tracking.idle_after.spin.value() == 5
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


def test_the_words_say_what_they_refer_to_and_leaving_is_cancel(qtbot: QtBot,
                                                                 store: Store) -> None:
    dialog = open_dialog(qtbot, store)
    assert dialog.windowTitle() == "driftcheck \u2014 Settings"
    assert dialog.cancel_button.text() == "Cancel"
    words = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Artificial Intelligence and Intimacy: Desire in the Age of the Machine" in words
    rhythms = [dialog.checkin.rhythm.itemText(i) for i in range(dialog.checkin.rhythm.count())]
    assert "After a long session (1 h, or your session goal)" in rhythms


def test_no_notifications_today_lasts_until_the_new_day(qtbot: QtBot, store: Store) -> None:
    from datetime import UTC, datetime

    from widget.ui.dialogs.settings import SettingsDialog

    new_day = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    dialog = SettingsDialog(store, new_day=lambda: new_day)
    qtbot.addWidget(dialog)
    dialog.load()
    assert not dialog.notifications.quiet_today.isChecked()
    dialog.notifications.quiet_today.setChecked(True)
    assert dialog.save()
    assert store.get_setting("alerts.quiet_until") == new_day.isoformat()
    again = SettingsDialog(store, new_day=lambda: new_day)
    qtbot.addWidget(again)
    again.load()
    assert again.notifications.quiet_today.isChecked()


def test_the_data_page_exports_a_file_only_you_can_read(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from widget.store import Store as FullStore
    from widget.ui.dialogs.settings import SettingsDialog

    folder = tmp_path / "data"
    folder.mkdir()
    kept = FullStore.open(folder / "driftcheck.sqlite3")
    try:
        dialog = SettingsDialog(kept, data_dir=folder)
        qtbot.addWidget(dialog)
        target = tmp_path / "mine.json"
        assert dialog.data.export_to(target)
        assert isinstance(json.loads(target.read_text()), dict)
        assert target.stat().st_mode & 0o077 == 0
        assert "Exported to" in dialog.data.done.text()
    finally:
        kept.close()
