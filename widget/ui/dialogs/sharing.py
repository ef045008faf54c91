"""Settings' "Other computers" page: share this computer's time with the person's other
computers through a folder their own sync tool keeps in step (issue 16), or stop.

Like "Your data", it acts at once rather than at Save: "Start sharing" writes this computer's
files into the folder, and unticking the box stops (after asking whether to take this
computer's files out of the folder). The decisions are `widget.services.share`'s, the same as
`driftcheck devices share` / `stop`.

Threads: the checks before anything is written run on the Qt main thread (a few `stat`
calls). Starting, stopping and reading the folder run on a `QThread` of their own, with a
signal back (rather than a progress bar over a blocked loop: nothing would repaint): the first
write of two years of dense history took 3.4 s here (4.8 s with a passphrase), and opening the
shared folder decodes the kept copies of the other computers' files (about 0.75 s each with two
years); a progress line says what is happening meanwhile and the page's controls wait, so the
dialog never freezes. A run the dialog does not wait for (it was closed) still finishes, and
its thread is kept until then. This page is the one place the tray app itself decodes and
encodes shared files (the tracker's syncs normally run in a child process): once it was used,
that code (and `cryptography`, with a passphrase) stays loaded until the app ends.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widget.core import settings as S
from widget.core.text import printable
from widget.errors import DriftcheckError, UsageError
from widget.store.api import StoreContract
from widget.ui.dialogs.form import error_label, hint, window_title
from widget.ui.plain import plain_box, plain_label

if TYPE_CHECKING:
    from widget.sync.view import DeviceView, FolderView

log = logging.getLogger(__name__)

SHARE_TEXT = "Share my time with my other computers through a folder"
INTRO = ("Your time can count across your computers: each one writes its own file into a folder "
         "that your sync tool (Syncthing, or a folder you already keep in step) carries to the "
         "others. driftcheck has no server and no account, and never connects to anything "
         "itself.")
PASSPHRASE_HINT = ("A passphrase protects the files wherever your sync tool carries them; use "
                   "the same one on each of your computers. It is needed for a folder that is "
                   "not a Syncthing folder (a Dropbox or Nextcloud folder keeps a copy with its "
                   "provider).")
NO_PASSPHRASE = "No passphrase"
AT_ONCE = ("Starting writes this computer's file into the folder at once; Save is not "
           "needed, and you can stop at any time.")
NEEDS_PASSPHRASE = ("This folder is not a Syncthing folder, so its files may leave your "
                    "computers (a cloud folder such as Dropbox or Nextcloud keeps a copy with "
                    "its provider). Please choose a passphrase, the same on each of your "
                    "computers; or, if you are sure, tick \u201cNo passphrase\u201d.")
NOT_THE_SAME = "The two passphrases are not the same; please type it once more in both fields."
NO_FOLDER = "Please choose the folder your sync tool keeps in step."
BUSY = "One moment, please: driftcheck is still at work on the shared folder."
NOT_STARTED = ("Sharing has not started yet: choose \u201cStart sharing\u201d, or untick the "
               "box to leave it off.")
STOP_QUESTION = "Stop sharing this computer's time?"
STOP_DETAILS = ("From now on this computer counts its own time alone and writes nothing more "
                "into the shared folder. Its files can stay there, so your other computers "
                "keep its history, or be taken out; the other computers' files stay as they "
                "are either way.")
USE_GOALS_QUESTION = "Use {name}'s goals on this computer?"
USE_GOALS_DETAILS = ("{name}'s goals: {said}. They would take the place of this computer's own; "
                     "a goal for an app this computer does not track is left out. Nothing "
                     "changes on {name}.")
USE_GOALS = "Use {name}'s goals"
NOT_NOW = "Not now"
REMOVE = "Remove this computer's files"
LEAVE = "Leave them there"
KEEP = "Keep sharing"


def this_host() -> str:
    """The computer's host name, as the name offered for it."""
    return platform.node().split(".")[0] or "This computer"


class Work(QThread):
    """One blocking call off the Qt main thread; `done(result)` or `failed(sentence)` come
    back to the main thread. Kept alive (in `running`) until it has finished, also when the
    page that started it is gone."""

    done = Signal(object)
    failed = Signal(str)
    running: ClassVar[set[Work]] = set()

    def __init__(self, call: Callable[[], object]) -> None:
        super().__init__()
        self._call = call
        Work.running.add(self)
        self.finished.connect(self._forget)

    def run(self) -> None:
        try:
            result = self._call()
        except DriftcheckError as error:
            self.failed.emit(str(error))
            return
        except OSError as error:
            self.failed.emit(f"The folder could not be used ({error.strerror or error}); "
                             "please check it and try again.")
            return
        except Exception as error:  # said by kind only: never what a file held
            log.warning("sharing could not be changed (%s)", type(error).__name__,
                        extra={"event": "sharing-failed"})
            self.failed.emit("Something went wrong on the way; please try again. The log "
                             "says of what kind.")
            return
        self.done.emit(result)

    def _forget(self) -> None:
        Work.running.discard(self)
        self.deleteLater()


class SharingPage(QWidget):
    """Other computers: off by default; on, the folder, this computer's name and each other
    computer with when it last wrote. `work_done` is emitted after each start, stop or read
    (the tests wait on it)."""

    work_done = Signal()

    def __init__(self, store: StoreContract, data_dir: Path | None, tz: tzinfo | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from widget.services.share import own_store

        self._store = store  # the tray's all-devices store, told about each read at once
        self._own = own_store(store)  # this computer's own: what is written, settings
        self._data_dir = data_dir
        self._tz = tz
        self.on = False  # sharing, as last loaded or done here
        self.busy = False
        self._then: Callable[[object], None] = lambda _result: None
        self.question: QMessageBox | None = None

        self.share = QCheckBox(SHARE_TEXT)
        self.share.setAccessibleName(SHARE_TEXT)
        self.share.clicked.connect(self._ticked)
        self.progress = hint("")
        self.progress.hide()
        self.said = hint("")  # what was last done, in words
        self.said.hide()
        self.error = error_label()

        # --- turning it on ---
        self.form = QWidget()
        outer = QVBoxLayout(self.form)
        outer.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        outer.addLayout(form)
        self.folder = QLineEdit()
        self.folder.setAccessibleName("Shared folder")
        self.folder.setPlaceholderText("The folder your sync tool keeps in step")
        self.choose = QPushButton("Choose...")
        self.choose.setAutoDefault(False)
        self.choose.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.choose)
        form.addRow("Folder", row)
        self.name = QLineEdit()
        self.name.setAccessibleName("This computer's name")
        form.addRow("This computer", self.name)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("Passphrase again")
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Again", self.again)
        self.no_passphrase = QCheckBox(NO_PASSPHRASE)
        self.no_passphrase.setAccessibleName(NO_PASSPHRASE)
        self.no_passphrase.toggled.connect(self._no_passphrase_changed)
        outer.addWidget(self.no_passphrase)
        outer.addWidget(hint(PASSPHRASE_HINT))
        self.share_goals = QCheckBox("Share my goals and preferences")
        self.share_goals.setAccessibleName("Share my goals and preferences")
        self.share_notes = QCheckBox("Share my check-ins and notes")
        self.share_notes.setAccessibleName("Share my check-ins and notes")
        outer.addWidget(self.share_goals)
        outer.addWidget(self.share_notes)
        self.what_goes = plain_label()  # said plainly, not as a quiet hint
        self.what_goes.setWordWrap(True)
        outer.addWidget(self.what_goes)
        outer.addWidget(hint(AT_ONCE))
        self.start = QPushButton("Start sharing")
        self.start.setAutoDefault(False)
        self.start.clicked.connect(self.start_sharing)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        outer.addLayout(buttons)
        for box in (self.share_goals, self.share_notes):
            box.toggled.connect(self._say_what_goes)
        self._say_what_goes()
        self.form.hide()

        # --- while on ---
        self.status = QWidget()
        status = QVBoxLayout(self.status)
        status.setContentsMargins(0, 0, 0, 0)
        self.where = plain_label()
        self.where.setWordWrap(True)
        self.this_computer = plain_label()
        self.others = plain_label()
        self.others.setWordWrap(True)
        self.notes = hint("")
        for label in (self.where, self.this_computer, self.others, self.notes):
            status.addWidget(label)
        # each other computer that shares its goals, with a button to use them here
        self.goal_rows = QWidget()
        self._goal_lines = QVBoxLayout(self.goal_rows)
        self._goal_lines.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.goal_rows)
        status.addWidget(hint("Untick the box to stop sharing."))
        self.status.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.share)
        layout.addWidget(hint(INTRO))
        layout.addWidget(self.form)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.said)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.setEnabled(data_dir is not None)

    # --- the page's contract -------------------------------------------------------------

    def load(self) -> None:
        from widget.sync.view import identity_name

        settings = self._own.all_settings()
        folder = S.value_of(settings, S.SYNC_FOLDER)
        self.on = S.value_of(settings, S.SYNC_ON) and folder is not None
        self.share.setChecked(self.on)
        self.share_goals.setChecked(S.value_of(settings, S.SYNC_SHARE_GOALS))
        self.share_notes.setChecked(S.value_of(settings, S.SYNC_SHARE_NOTES))
        name = None if self._data_dir is None else identity_name(self._data_dir)
        self.name.setText(name if name is not None else this_host())
        if folder is not None:
            self.folder.setText(folder)
        self.form.hide()
        self.status.setVisible(self.on)
        if self.on:
            self.where.setText(f"Shared through {printable(str(folder))}.")
            self.this_computer.setText(
                f"This computer: {printable(name) if name else 'no name yet'}")
            self.others.setText("")
            self.notes.setText("")
            self.read_folder()

    def validate(self) -> bool:
        if self.busy:
            self._show_error(BUSY)
            return False
        if self.share.isChecked() and not self.on:
            self._show_error(NOT_STARTED)
            return False
        return True

    def save(self) -> None:
        pass  # everything here is done at once

    # --- turning on ----------------------------------------------------------------------

    def _ticked(self, checked: bool) -> None:
        self.error.hide()
        if checked and not self.on:
            self.said.hide()
            self.form.show()
            self.folder.setFocus()
        elif not checked and not self.on:
            self.form.hide()
        elif not checked and self.on:
            self.ask_to_stop()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, window_title("Shared folder"),
                                                  self.folder.text() or str(Path.home()))
        if chosen:
            self.folder.setText(chosen)

    def _no_passphrase_changed(self, none: bool) -> None:
        for field in (self.passphrase, self.again):
            field.setEnabled(not none)

    def _say_what_goes(self, _checked: bool = False) -> None:
        from widget.services.share import what_goes

        self.what_goes.setText(what_goes(self.share_goals.isChecked(),
                                          self.share_notes.isChecked()))

    def start_sharing(self) -> bool:
        """Check what was entered (shown here in words, nothing written when it cannot be
        used), then share on a worker thread. Returns whether the work started."""
        from widget.services.share import PassphraseNeeded, check_share, start_sharing

        self.error.hide()
        if self._data_dir is None or self.busy:
            return False
        if not self.folder.text().strip():
            return self._show_error(NO_FOLDER)
        no_encryption = self.no_passphrase.isChecked()
        passphrase: str | None = None
        if not no_encryption:
            if self.passphrase.text() != self.again.text():
                return self._show_error(NOT_THE_SAME)
            passphrase = self.passphrase.text() or None
        try:
            request = check_share(self._data_dir, Path(self.folder.text().strip()),
                                  self.name.text(), passphrase, no_encryption)
        except PassphraseNeeded:
            return self._show_error(NEEDS_PASSPHRASE)
        except UsageError as refused:
            return self._show_error(str(refused))
        goals, notes, own, tz = (self.share_goals.isChecked(), self.share_notes.isChecked(),
                                 self._own, self._zone())
        self._run("Writing this computer's file into the folder...",
                  lambda: start_sharing(own, request, tz, share_goals=goals, share_notes=notes),
                  self._started)
        return True

    def _started(self, result: object) -> None:
        from widget.services.share import Shared, others_seen

        assert isinstance(result, Shared)
        self.on = True
        self.passphrase.clear()
        self.again.clear()
        self.form.hide()
        self.where.setText(f"Shared through {printable(str(result.request.folder))}.")
        self.this_computer.setText(f"This computer: {printable(result.request.name)}")
        self._show_view(result.view)
        others_seen(self._store, result.view)
        said = ("This computer now shares its time; its files are protected with your "
                "passphrase." if result.request.sealed else
                "This computer now shares its time.")
        if result.outcome.problem:
            said += " " + result.outcome.problem
        self._say(said)
        self.status.show()

    # --- while on: the other computers ---------------------------------------------------

    def read_folder(self) -> None:
        """Show each other computer, on a worker thread: from the read the tracker's sync
        child last left (at most 2 minutes old; it needs none of the sharing code in the tray,
        whose memory stays as it was), else from a read of the folder itself (before the
        first sync, or in a frozen build, which syncs in its own process)."""
        if self._data_dir is None:
            return
        data_dir, settings, tz = self._data_dir, self._own.all_settings(), self._zone()

        def read() -> object:
            from widget.paths import SYNC_CACHE_NAME
            from widget.sync import compact

            try:
                kept = compact.load_view(data_dir / SYNC_CACHE_NAME)
                if str(kept.folder) == str(S.value_of(settings, S.SYNC_FOLDER)):
                    return kept  # (a read of a folder shared before is not this one's)
            except compact.CacheDamaged:
                pass
            from widget.services.devices import open_shared

            shared = open_shared(data_dir, settings, tz)
            return None if shared is None else shared.read()

        self._run("Looking at the shared folder...", read, self._read)

    def _read(self, view: object) -> None:
        from widget.sync.view import FolderView

        if isinstance(view, FolderView):
            self._show_view(view)
        else:
            self.others.setText("This computer has no identity in the folder yet; untick the "
                                "box and share again to set it up.")

    def _show_view(self, view: object) -> None:
        from widget.services.devices import seen_words
        from widget.sync.view import FolderView

        assert isinstance(view, FolderView)
        lines = seen_words(view, self._zone())
        self.others.setText("Your other computers:\n" + "\n".join(f"  {line}" for line in lines)
                            if lines else
                            "No other computer's file is in the folder yet; once your sync "
                            "tool brings one, its time counts here too.")
        self.notes.setText("\n".join(view.notes))
        self.notes.setVisible(bool(view.notes))
        self._show_goals(view)

    def _show_goals(self, view: FolderView) -> None:
        """A line for each other computer that shares its goals, with "Use its goals..."."""
        from widget.core.alerts import describe_goal
        from widget.services.share import shared_goals

        layout = self._goal_lines
        while (item := layout.takeAt(0)) is not None:
            if (old := item.widget()) is not None:
                old.deleteLater()
        names = self._own.app_names()
        for device in view.devices:
            goals = shared_goals(device)
            if device.is_self or goals is None:
                continue
            newest = device.newest
            said = "; ".join(describe_goal(goal, {**(newest.apps if newest else {}), **names})
                             for goal in goals) or "none set"
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            words = plain_label()
            words.setWordWrap(True)
            words.setText(f"{printable(device.name)} shares its goals: {said}.")
            use = QPushButton(f"Use {printable(device.name)}'s goals...")
            use.setAutoDefault(False)
            use.setAccessibleName(f"Use {printable(device.name)}'s goals")
            use.clicked.connect(lambda _checked=False, d=device, g=said: self.ask_to_use_goals(
                d, g))
            line.addWidget(words, 1)
            line.addWidget(use)
            layout.addWidget(row)

    def ask_to_use_goals(self, device: DeviceView, said: str) -> None:
        """The question, window-modal: this computer's goals made `device`'s, or "Not now"
        (the default, and Esc): never done without the person asking."""
        name = printable(device.name)
        use = USE_GOALS.format(name=name)

        def answered(chosen: str | None) -> None:
            if chosen == use:
                self.use_goals(device)

        self._ask(USE_GOALS_QUESTION.format(name=name),
                  USE_GOALS_DETAILS.format(name=name, said=said),
                  [(use, QMessageBox.ButtonRole.AcceptRole),
                   (NOT_NOW, QMessageBox.ButtonRole.RejectRole)], NOT_NOW, NOT_NOW, answered)

    def use_goals(self, device: DeviceView) -> None:
        """`device`'s goals made this computer's, on a worker thread (the goals are changed
        through `Store`, as the goals dialog changes them)."""
        from widget.services.share import take_goals

        path = self._own.path

        def take() -> object:
            from widget.store.db import Store

            editor = Store.open(path)
            try:
                return take_goals(editor, device)
            finally:
                editor.close()

        self._run("Taking the goals...", take, self._goals_taken)

    def _goals_taken(self, result: object) -> None:
        from widget.core.alerts import describe_goal
        from widget.services.share import GoalsTaken

        assert isinstance(result, GoalsTaken)
        name = printable(result.device)
        said = (f"This computer's goals are now {name}'s: "
                + "; ".join(describe_goal(g, result.names) for g in result.taken) + "."
                if result.taken else f"{name} has no goals set, so this computer has none now "
                "either.")
        if result.left:
            said += (" Left out, for apps this computer does not track: "
                     + "; ".join(describe_goal(g, result.names) for g in result.left)
                     + " (add those apps, then use the goals again).")
        self._say(said)

    # --- turning off ---------------------------------------------------------------------

    def ask_to_stop(self) -> None:
        """The question, window-modal: take this computer's files out, or leave them (the
        default, and Enter); Esc keeps sharing and changes nothing."""

        def answered(chosen: str | None) -> None:
            if chosen in (REMOVE, LEAVE):
                self.stop_sharing(remove_my_files=chosen == REMOVE)
            else:
                self.share.setChecked(True)

        self._ask(STOP_QUESTION, STOP_DETAILS,
                  [(REMOVE, QMessageBox.ButtonRole.DestructiveRole),
                   (LEAVE, QMessageBox.ButtonRole.AcceptRole),
                   (KEEP, QMessageBox.ButtonRole.RejectRole)], LEAVE, KEEP, answered)

    def stop_sharing(self, remove_my_files: bool) -> None:
        from widget.services.share import stop_sharing

        own, tz = self._own, self._zone()
        self._run("Stopping...", lambda: stop_sharing(own, tz, remove_my_files=remove_my_files),
                  self._stopped)

    def _stopped(self, result: object) -> None:
        from widget.services.share import Stopped, others_seen

        assert isinstance(result, Stopped)
        self.on = False
        self.share.setChecked(False)
        self.status.hide()
        others_seen(self._store, None)
        said = "This computer no longer shares its time; everything here counts it alone again."
        if result.removed is None:
            said += (" Its files could not be taken out of the shared folder (it cannot be "
                     "reached just now); you can delete this computer's driftcheck-...dcsync "
                     "files there yourself.")
        elif result.removed:
            said += " Its files are out of the shared folder; the other computers' stay."
        else:
            said += " Its files stay in the shared folder, so your other computers keep its " \
                    "history."
        self._say(said)

    # --- small parts ---------------------------------------------------------------------

    def _ask(self, question: str, details: str,
             answers: Sequence[tuple[str, QMessageBox.ButtonRole]], default: str, escape: str,
             then: Callable[[str | None], None]) -> None:
        """A window-modal question (kept in `question` while open), then `then` with the
        text of the button chosen (None: closed without one)."""
        box = plain_box(QMessageBox(QMessageBox.Icon.Question, window_title("Other computers"),
                                    question, QMessageBox.StandardButton.NoButton, self))
        box.setInformativeText(details)
        buttons = {text: box.addButton(text, role) for text, role in answers}
        box.setDefaultButton(buttons[default])
        box.setEscapeButton(buttons[escape])
        self.question = box

        def answered(_code: int) -> None:
            chosen = box.clickedButton()
            self.question = None
            box.deleteLater()
            then(next((text for text, button in buttons.items() if button is chosen), None))

        box.finished.connect(answered)
        box.open()

    def _zone(self) -> tzinfo:
        if self._tz is None:
            from widget.desktop.localzone import local_zone

            self._tz = local_zone()
        return self._tz

    def _run(self, doing: str, call: Callable[[], object],
             then: Callable[[object], None]) -> None:
        """`call` on a worker thread, then `then(result)` here on the main thread (the
        page's own slots: queued back across threads)."""
        self.busy = True
        self._then = then
        self.progress.setText(doing)
        self.progress.show()
        for control in (self.share, self.form):
            control.setEnabled(False)
        work = Work(call)
        work.done.connect(self._work_done)
        work.failed.connect(self._work_failed)
        work.start()

    def _finish(self) -> None:
        self.busy = False
        self.progress.hide()
        for control in (self.share, self.form):
            control.setEnabled(True)

    def _work_done(self, result: object) -> None:
        self._finish()
        self._then(result)
        self.work_done.emit()

    def _work_failed(self, sentence: str) -> None:
        """Said here; the page shows sharing as the settings now say (a stop that failed
        midway may have turned the writing off already)."""
        self._finish()
        settings = self._own.all_settings()
        self.on = S.value_of(settings, S.SYNC_ON) and S.value_of(settings, S.SYNC_FOLDER) \
            is not None
        self.share.setChecked(self.on or self.form.isVisible())
        self.status.setVisible(self.on)
        self._show_error(sentence)
        self.work_done.emit()

    def _say(self, text: str) -> None:
        self.said.setText(text)
        self.said.show()

    def _show_error(self, text: str) -> bool:
        self.error.setText(text)
        self.error.show()
        return False
