"""Settings, in five pages that each `load()` from and `save()` to the store. "Other
computers" (widget/ui/dialogs/sharing.py) starts and stops sharing this computer's time at
once, as the last, "Your data", exports at once; that one also shows the data folder and,
after asking, hands "Delete everything" to the app (which stops, removes every trace as
`driftcheck wipe` does, and quits).

Numbers are checked with `widget.core.options.check_option` before anything is stored; a value
out of range shows a message next to its field and nothing is saved. "Start at login" is only
stored here; the app applies it (widget/autostart.py) when the dialog is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QTime, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QMessageBox,
    QPushButton,
    QSpacerItem,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from widget.core import settings as S
from widget.core.format import duration
from widget.core.options import SPECS, check_option
from widget.errors import DriftcheckError, UsageError
from widget.services.reminders import LONG_SESSION_S
from widget.store.api import SettingsStore, StoreContract
from widget.ui.dialogs.form import error_label, hint, window_title
from widget.ui.dialogs.sharing import SharingPage
from widget.ui.plain import plain_box

RHYTHMS = (("weekly", "Once a week"), ("daily", "Every day"),
           ("after_long_session",
            f"After a long session ({duration(LONG_SESSION_S)}, or your session goal)"),
           ("off", "Off"))
ARTICLE = "Artificial Intelligence and Intimacy: Desire in the Age of the Machine"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DELETE_QUESTION = "Delete everything driftcheck keeps on this device?"
DELETE_DETAILS = ("This removes your apps and goals, the time counted, your check-ins and "
                  "notes, your settings, the log, and the start-at-login entry if you turned "
                  "it on. It cannot be undone. If you would like a copy first, choose Cancel "
                  "and export it from this page.\n\ndriftcheck closes once it is done.")


def _form(page: QWidget) -> QFormLayout:
    form = QFormLayout(page)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
    return form


class NumberField:
    """A spin box for one numeric option of `SPECS`, with its message label.

    The spin box allows a little more than the option does, so a value out of range gets a
    sentence from the check rather than a box that silently refuses to move.
    """

    def __init__(self, key: str, name: str, low: int, high: int, suffix: str,
                 scale: float = 1.0) -> None:
        self.key = key
        self.scale = scale  # stored value = shown value * scale (percent -> share)
        self.spin = QSpinBox()
        self.spin.setRange(low, high)
        self.spin.setSuffix(suffix)
        self.spin.setAccessibleName(name)
        self.error = error_label()
        self.spin.valueChanged.connect(lambda _v: self.error.setVisible(False))

    def load(self, store: SettingsStore) -> None:
        self.spin.setValue(round(S.get(store, S.SETTINGS[self.key]) / self.scale))

    def save(self, store: SettingsStore) -> None:
        """Keep the value shown (`validate` has checked it)."""
        value = self.checked()
        if value is not None:
            S.put(store, S.SETTINGS[self.key], value)

    def checked(self) -> float | int | None:
        """The value to store, or None after showing why it cannot be stored."""
        try:
            return check_option(self.key, round(self.spin.value() * self.scale, 4))
        except UsageError:
            spec = SPECS[self.key]
            if self.scale == 60.0:
                low, high = max(1.0, float(round(spec.low / 60))), spec.high / 60
                text = f"Please choose from {low:g} to {high:g} min."
            elif self.scale != 1.0:
                low, high = spec.low / self.scale, spec.high / self.scale
                text = f"Please choose from {low:g} to {high:g} %."
            else:
                text = f"Please choose from {spec.low:g} to {spec.high:g} {spec.unit}."
            self.error.setText(text)
            self.error.setVisible(True)
            return None


class NotificationsPage(QWidget):
    def __init__(self, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.discreet = QCheckBox("Discreet notifications")
        self.discreet.setAccessibleName("Discreet notifications")
        self.near = NumberField("near_share", "Heads-up at this share of a goal", 0, 100, " %",
                                scale=0.01)
        form = _form(self)
        form.addRow(self.discreet)
        form.addRow(hint("Notifications name no app, so they can be seen over your shoulder "
                          "without saying more than you want."))
        form.addRow("Heads-up at", self.near.spin)
        form.addRow("", self.near.error)
        form.addRow(hint("A gentle note when you have used this much of a goal. "
                          "You can always snooze it or say Not now."))
        self.summary = QCheckBox("A short summary when a week ends")
        self.summary.setAccessibleName("A short summary when a week ends")
        form.addRow(self.summary)
        form.addRow(hint("Last week's time beside your usual week, in one line, once a week."))
        self.quiet_today = QCheckBox("No notifications today")
        self.quiet_today.setAccessibleName("No notifications today")
        form.addRow(self.quiet_today)
        form.addRow(hint("Nothing pops up until the new day begins; time is still counted."))
        self.new_day: Callable[[], datetime] | None = None  # when today ends (the tray's)

    def load(self) -> None:
        self.discreet.setChecked(S.get(self._store, S.DISCREET))
        self.near.load(self._store)
        self.summary.setChecked(S.get(self._store, S.SUMMARY_WEEKLY))
        until = S.get(self._store, S.ALERTS_QUIET_UNTIL)
        self.quiet_today.setChecked(until is not None and self.new_day is not None
                                    and until >= self.new_day())
        self.quiet_today.setEnabled(self.new_day is not None)

    def validate(self) -> bool:
        return self.near.checked() is not None

    def save(self) -> None:
        S.put(self._store, S.DISCREET, self.discreet.isChecked())
        self.near.save(self._store)
        S.put(self._store, S.SUMMARY_WEEKLY, self.summary.isChecked())
        if self.new_day is not None:
            S.put(self._store, S.ALERTS_QUIET_UNTIL,
                  self.new_day() if self.quiet_today.isChecked() else None)


class CheckinPage(QWidget):
    def __init__(self, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.rhythm = QComboBox()
        for value, text in RHYTHMS:
            self.rhythm.addItem(text, value)
        self.rhythm.setAccessibleName("How often to check in")
        self.weekday = QComboBox()
        for number, day in enumerate(WEEKDAYS):
            self.weekday.addItem(day, number)
        self.weekday.setAccessibleName("Day of the week")
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.time.setAccessibleName("Time of day")
        self.reflections = QCheckBox("Add a thought to reflect on")
        self.reflections.setAccessibleName("Add a thought to reflect on")
        self.on_drift = QCheckBox("Also ask once when my time has been rising for a few weeks")
        self.on_drift.setAccessibleName("Also ask when my time has been rising")
        form = _form(self)
        form.addRow(hint("Now and then driftcheck asks one question: is your time with AI "
                          "companions adding to a full life, or quietly replacing connection "
                          "with people? There is no wrong answer, and you can always say "
                          "Not now."))
        form.addRow("Ask", self.rhythm)
        form.addRow("On", self.weekday)
        form.addRow("At", self.time)
        form.addRow(self.reflections)
        form.addRow(hint(f"A short thought from the article the question comes from "
                          f"(\u201c{ARTICLE}\u201d), a different one each time."))
        form.addRow(self.on_drift)
        form.addRow(hint("At most one extra check-in in a week, when the dashboard's drift "
                          "signal appears."))
        self.rhythm.currentIndexChanged.connect(self._rhythm_changed)
        self.answers_button = QPushButton("Your answers...")
        self.answers_button.setAutoDefault(False)
        self.answers_button.setToolTip("Look back on your check-ins; change or delete one")
        self.answers_button.hide()  # shown when the dialog is given a way to open them
        form.addRow(self.answers_button)

    def load(self) -> None:
        self.rhythm.setCurrentIndex(max(0, self.rhythm.findData(
            S.get(self._store, S.CHECKIN_RHYTHM))))
        self.weekday.setCurrentIndex(S.get(self._store, S.CHECKIN_WEEKDAY))
        self.time.setTime(QTime.fromString(S.get(self._store, S.CHECKIN_TIME), "HH:mm"))
        self.reflections.setChecked(S.get(self._store, S.CHECKIN_REFLECTIONS))
        self.on_drift.setChecked(S.get(self._store, S.CHECKIN_ON_DRIFT))
        self._rhythm_changed()

    def validate(self) -> bool:
        return True

    def save(self) -> None:
        S.put(self._store, S.CHECKIN_RHYTHM, str(self.rhythm.currentData()))
        S.put(self._store, S.CHECKIN_WEEKDAY, int(self.weekday.currentData()))
        S.put(self._store, S.CHECKIN_TIME, self.time.time().toString("HH:mm"))
        S.put(self._store, S.CHECKIN_REFLECTIONS, self.reflections.isChecked())
        S.put(self._store, S.CHECKIN_ON_DRIFT, self.on_drift.isChecked())

    def _rhythm_changed(self, _index: int = 0) -> None:
        rhythm = self.rhythm.currentData()
        self.weekday.setEnabled(rhythm == "weekly")
        self.time.setEnabled(rhythm in ("weekly", "daily"))
        self.reflections.setEnabled(rhythm != "off")
        self.on_drift.setEnabled(rhythm != "off")


class TrackingPage(QWidget):
    def __init__(self, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.sample_interval = NumberField("sample_interval", "Look every (seconds)", 0, 600,
                                           " s")
        # People think of being away in minutes: "Away after 3 min", stored as 180 s.
        self.idle_after = NumberField("idle_after", "Away after (minutes)", 0, 1440, " min",
                                      scale=60.0)
        self.day_start_hour = NumberField("day_start_hour", "A new day begins at (hour)", 0, 23,
                                          ":00")
        self.start_at_login = QCheckBox("Start driftcheck when I log in")
        self.start_at_login.setAccessibleName("Start driftcheck when I log in")
        form = _form(self)
        form.addRow("Look every", self.sample_interval.spin)
        form.addRow("", self.sample_interval.error)
        form.addRow("Away after", self.idle_after.spin)
        form.addRow("", self.idle_after.error)
        form.addRow(hint("Time stops counting when there has been no keyboard or mouse for "
                          "this long."))
        form.addRow("New day at", self.day_start_hour.spin)
        form.addRow("", self.day_start_hour.error)
        form.addRow(hint("Late nights belong to the evening before."))
        form.addRow(self.start_at_login)

    def fields(self) -> tuple[NumberField, ...]:
        return (self.sample_interval, self.idle_after, self.day_start_hour)

    def load(self) -> None:
        for field in self.fields():
            field.load(self._store)
        self.start_at_login.setChecked(S.get(self._store, S.START_AT_LOGIN))

    def validate(self) -> bool:
        return all([field.checked() is not None for field in self.fields()])

    def save(self) -> None:
        for field in self.fields():
            field.save(self._store)
        S.put(self._store, S.START_AT_LOGIN, self.start_at_login.isChecked())


def delete_confirmation(parent: QWidget | None) -> QMessageBox:
    """The question before "Delete everything": what goes, that it cannot be undone, that an
    export can come first. Cancel is the default button, and Esc is Cancel."""
    box = plain_box(QMessageBox(QMessageBox.Icon.Warning, window_title("Delete everything"),
                                DELETE_QUESTION, QMessageBox.StandardButton.NoButton, parent))
    box.setInformativeText(DELETE_DETAILS)
    box.addButton("Delete everything", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


class DataPage(QWidget):
    """Your data: export it, see where it is kept, delete it all. Nothing here waits for Save.

    `delete_confirmed` is emitted when the person said "Delete everything" to the question;
    the page itself deletes nothing."""

    delete_confirmed = Signal()

    def __init__(self, data_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self.confirmation: QMessageBox | None = None
        self.export_button = QPushButton("Export...")
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self._export)
        self.folder_button = QPushButton("Show the data folder")
        self.folder_button.setAutoDefault(False)
        self.folder_button.clicked.connect(self.show_folder)
        # The mnemonic (Alt+D) opens the question, never deletes by itself.
        self.delete_button = QPushButton("&Delete everything...")
        self.delete_button.setAutoDefault(False)
        self.delete_button.setAccessibleName("Delete everything")
        self.delete_button.clicked.connect(self.ask_to_delete)
        self.delete_button.hide()  # shown when the dialog is given a way to delete
        self.delete_hint = hint("Removes everything driftcheck keeps on this device, after "
                                "asking, and closes driftcheck. (In a terminal, driftcheck "
                                "wipe does the same once driftcheck is closed.)")
        self.wipe_hint = hint("To remove everything driftcheck keeps: quit it, then run "
                              "driftcheck wipe in a terminal; it asks before it removes "
                              "anything.")
        self.delete_hint.hide()
        self.done = hint("")
        self.error = error_label()
        form = _form(self)
        form.addRow(hint("Everything driftcheck keeps stays on this device"
                         + (f", in {data_dir}." if data_dir is not None else ".")))
        form.addRow(self.export_button)
        form.addRow(hint("A JSON file of your apps, goals, time and check-in answers "
                         "(without your notes), that only you can read."))
        form.addRow(self.folder_button)
        form.addItem(QSpacerItem(0, 10))  # the one that removes things, a little apart
        form.addRow(self.delete_button)
        form.addRow(self.delete_hint)
        form.addRow(self.wipe_hint)
        form.addRow(self.done)
        form.addRow(self.error)
        for button in (self.export_button, self.folder_button, self.delete_button):
            button.setEnabled(data_dir is not None)

    def offer_delete(self) -> None:
        """Show "Delete everything..." (the app has a way to carry it out)."""
        self.delete_button.show()
        self.delete_hint.show()
        self.wipe_hint.hide()

    def ask_to_delete(self) -> None:
        """The question, window-modal; `delete_confirmed` only on "Delete everything"."""
        box = delete_confirmation(self)
        self.confirmation = box

        def answered(_code: int) -> None:
            chosen = box.clickedButton()
            self.confirmation = None
            box.deleteLater()
            if chosen is not None and box.buttonRole(chosen) \
                    is QMessageBox.ButtonRole.DestructiveRole:
                self.delete_confirmed.emit()

        box.finished.connect(answered)
        box.open()

    def export_to(self, target: Path) -> bool:
        """Write the export to `target`; says so below, or why not."""
        from datetime import UTC

        from widget.services.exchange import export_bytes, write_private
        from widget.store.codec import SCHEMA_VERSION
        from widget.store.portable import read_snapshot

        assert self._data_dir is not None
        self.error.setVisible(False)
        try:
            from widget.paths import DB_NAME

            snapshot = read_snapshot(self._data_dir / DB_NAME, False)
            write_private(target, export_bytes(snapshot, "json", SCHEMA_VERSION,
                                               datetime.now(UTC)))
        except (DriftcheckError, OSError) as error:
            self.error.setText(f"The export could not be written: {error}")
            self.error.setVisible(True)
            return False
        self.done.setText(f"Exported to {target}.")
        return True

    def show_folder(self) -> bool:
        if self._data_dir is None:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._data_dir)))

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, window_title("Export"),
                                              str(Path.home() / "driftcheck-export.json"),
                                              "JSON (*.json)")
        if name:
            self.export_to(Path(name))

    def load(self) -> None:
        pass

    def validate(self) -> bool:
        return True

    def save(self) -> None:
        pass


class SettingsDialog(QDialog):
    """The settings pages with "Save" and "Cancel". `save()` stores every page only when every
    page is valid; it returns whether it stored. Esc is Cancel, Enter saves.

    `new_day` (when today ends) enables "No notifications today"; `data_dir` the data page;
    `delete_everything` is called (after the dialog closed, unsaved) once the person confirmed
    "Delete everything"; without it the page names `driftcheck wipe` instead."""

    def __init__(self, store: StoreContract, parent: QWidget | None = None, *,
                 data_dir: Path | None = None,
                 new_day: Callable[[], datetime] | None = None,
                 open_answers: Callable[[], None] | None = None,
                 delete_everything: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Settings"))
        self.notifications = NotificationsPage(store)
        self.notifications.new_day = new_day
        self.checkin = CheckinPage(store)
        if open_answers is not None:
            self.checkin.answers_button.show()
            self.checkin.answers_button.clicked.connect(lambda: open_answers())
        self.tracking = TrackingPage(store)
        self.data = DataPage(data_dir)
        self.sharing = SharingPage(store, data_dir)
        if delete_everything is not None:
            self.data.offer_delete()

            def confirmed() -> None:
                self.reject()  # nothing on the pages is saved over what is about to go
                delete_everything()

            self.data.delete_confirmed.connect(confirmed)
        self.tabs = QTabWidget()
        # Alt+N, C, T, O, Y open a page from the keyboard (Alt+D: "Delete everything...").
        self.tabs.addTab(self.notifications, "&Notifications")
        self.tabs.addTab(self.checkin, "&Check-in")
        self.tabs.addTab(self.tracking, "&Tracking")
        self.tabs.addTab(self.sharing, "&Other computers")
        self.tabs.addTab(self.data, "&Your data")
        self.error = error_label()
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        buttons = QDialogButtonBox()
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self._save)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(540)  # five tabs side by side

    def pages(self) -> tuple[NotificationsPage, CheckinPage, TrackingPage, SharingPage,
                             DataPage]:
        return (self.notifications, self.checkin, self.tracking, self.sharing, self.data)

    def load(self) -> None:
        for page in self.pages():
            page.load()

    def save(self) -> bool:
        self.error.setVisible(False)
        for page in self.pages():
            if not page.validate():
                self.tabs.setCurrentWidget(page)
                return False
        try:
            for page in self.pages():
                page.save()
        except DriftcheckError as error:
            self.error.setText(str(error))
            self.error.setVisible(True)
            return False
        return True

    def _save(self) -> None:
        if self.save():
            self.accept()
