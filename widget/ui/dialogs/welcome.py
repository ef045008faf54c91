"""The first run: what driftcheck keeps and what it never does, then choosing apps, then
(if the person likes) goals. Every page has "Not now".

With `first_run=False` the same dialog starts at the apps page: it is "Apps and goals..." from
the tray menu (and "Choose apps..." while none are tracked), and it reads as a later visit: its
goals page asks nothing, and its way out is "Cancel".

"Not now" on a first run that chose no apps brings the welcome back once, at the next start;
after that it stays away, and the tray menu and the widget offer "Choose apps..." instead.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from widget.core import settings as S
from widget.core.catalog import Catalog
from widget.errors import DriftcheckError
from widget.ui.dialogs.app_picker import AppPicker, AppStore, RunningApp, running_process_names
from widget.ui.dialogs.form import window_title
from widget.ui.dialogs.goals import GoalsForm, GoalStore
from widget.ui.plain import RICH_TEXT_LABEL, plain_label


def desktop_words() -> tuple[str, bool] | None:
    """What the first run says about this desktop (GNOME on Wayland without driftcheck's
    extension at work), and whether it offers to install the extension; None: nothing."""
    from widget.probes.gnome import first_run_words

    return first_run_words(os.environ)


def install_desktop_extension(version: str | None) -> int:
    from widget.commands.desktop import install

    return install(version)

WELCOME_TEXT = """
<h2>Welcome to driftcheck</h2>
<p>driftcheck helps you notice how much time you spend with AI companions, so you can decide
for yourself whether it feels right. It does not judge, and it does not block anything.</p>
<h3>What it counts</h3>
<p>Time in the apps you choose, while they are in front and you are at the computer.
That is all.</p>
<h3>What it never keeps</h3>
<p>Window titles, and anything you write or read. Titles are only glanced at to recognise a
browser tab you chose, and are forgotten at once.</p>
<h3>Where it stays</h3>
<p>Everything stays on this device. driftcheck never sends anything anywhere.</p>
<h3>What you decide</h3>
<p>Which apps it counts, whether you set any goals, and how often (or whether) it asks you a
short question about how things are going. You can pause it, or change your mind, any time.</p>
"""

APPS_TEXT = ("Which apps would you like driftcheck to count? Tick as many as you like; you can "
             "change this any time from the tray menu.")
GOALS_TEXT = ("Would you like to set yourself a goal? It is entirely up to you. driftcheck only "
              "mentions it, gently, when you get near one.")
GOALS_LATER_TEXT = ("Your goals, for all tracked apps together or for one app. Each is "
                    "optional; driftcheck only mentions one, gently, when you get near it.")
APPS_LATER_TEXT = ("The apps driftcheck counts. Tick or untick as many as you like; what was "
                   "counted so far stays.")


class AppsAndGoalsStore(AppStore, GoalStore, Protocol):
    """What the welcome needs of the store: apps, goals and settings."""


class WelcomeDialog(QDialog):
    """Pages: welcome (first run only), apps, goals. `apps_saved` tells whether the person
    saved a choice of apps; `goals_saved` whether goals (or "watch first") were saved.
    On a first run, closing the dialog stores "first_run_done" once apps were chosen or this was
    its second showing, so the welcome is not shown again at the next start (the tray menu's
    "Choose apps..." / "Apps and goals..." opens it later); a first "Not now" with no apps
    chosen keeps it for one more start."""

    def __init__(self, store: AppsAndGoalsStore, catalog: Catalog,
                 now: Callable[[], datetime], *, first_run: bool = True,
                 platform: str | None = None,
                 running: Callable[[], Iterable[str | RunningApp]] = running_process_names,
                 tz: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._first_run = first_run
        self.apps_saved = False
        self.goals_saved = False
        self.setWindowTitle(window_title("Welcome" if first_run else "Apps and goals"))

        intro = plain_label(WELCOME_TEXT)
        intro.setObjectName(RICH_TEXT_LABEL)  # our own words, with paragraphs; nothing else
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        intro.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.intro_page = QWidget()
        intro_layout = QVBoxLayout(self.intro_page)
        intro_layout.addWidget(intro)
        self.desktop_note: QLabel | None = None
        self.desktop_button: QPushButton | None = None
        desktop = desktop_words() if first_run else None
        if desktop is not None:
            self._add_desktop_note(intro_layout, *desktop)
        intro_layout.addStretch(1)

        self.picker = AppPicker(store, catalog, platform, running)
        self.apps_page = QWidget()
        apps_layout = QVBoxLayout(self.apps_page)
        apps_label = plain_label(APPS_TEXT if first_run else APPS_LATER_TEXT)
        apps_label.setWordWrap(True)
        apps_layout.addWidget(apps_label)
        apps_layout.addWidget(self.picker, 1)

        self.goals = GoalsForm(store, now, tz)
        self.goals_page = QWidget()
        goals_layout = QVBoxLayout(self.goals_page)
        goals_label = plain_label(GOALS_TEXT if first_run else GOALS_LATER_TEXT)
        goals_label.setWordWrap(True)
        goals_layout.addWidget(goals_label)
        goals_layout.addWidget(self.goals)
        goals_layout.addStretch(1)

        self.pages = QStackedWidget()
        for page in (self.intro_page, self.apps_page, self.goals_page):
            self.pages.addWidget(page)

        self.back_button = QPushButton("Back")
        self.back_button.setAutoDefault(False)
        # "Not now" defers a first run; on a later visit leaving changes nothing: "Cancel".
        self.not_now_button = QPushButton("Not now" if first_run else "Cancel")
        self.not_now_button.setAutoDefault(False)
        self.primary_button = QPushButton()
        self.primary_button.setDefault(True)
        buttons = QDialogButtonBox()
        buttons.addButton(self.primary_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.back_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.not_now_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.primary_button.clicked.connect(self._primary)
        self.back_button.clicked.connect(self._back)
        self.not_now_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(buttons)
        self.setMinimumSize(760, 560)
        self._show_page(self.intro_page if first_run else self.apps_page)

    def _add_desktop_note(self, layout: QVBoxLayout, words: str, offer: bool) -> None:
        """GNOME on Wayland without driftcheck's extension at work: what it means, and the
        extension installed (and switched on) with one button; "Not now" is leaving it."""
        heading = plain_label("On this desktop")  # as the welcome's own headings look
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.17)
        heading.setFont(font)
        layout.addWidget(heading)
        self.desktop_note = plain_label(words)
        self.desktop_note.setWordWrap(True)
        self.desktop_note.setAccessibleName("Seeing the app in front on GNOME")
        layout.addWidget(self.desktop_note)
        if offer:
            self.desktop_button = QPushButton("Install the GNOME extension")
            self.desktop_button.setAutoDefault(False)
            self.desktop_button.clicked.connect(self._install_desktop_extension)
            row = QHBoxLayout()
            row.addWidget(self.desktop_button)
            row.addStretch(1)
            layout.addLayout(row)

    def _install_desktop_extension(self) -> None:
        assert self.desktop_note is not None and self.desktop_button is not None
        said = io.StringIO()
        try:
            with contextlib.redirect_stdout(said):
                install_desktop_extension(None)
        except DriftcheckError as error:
            self.desktop_note.setText(f"It could not be installed: {error}")
            return
        self.desktop_note.setText(said.getvalue().strip())
        self.desktop_button.setEnabled(False)

    def load(self) -> None:
        self.picker.load()
        self.goals.load()

    def done(self, result: int) -> None:
        if self._first_run:
            self._store_first_run_done()
        super().done(result)

    # --- pages ----------------------------------------------------------------------------

    def _show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)
        if page is self.intro_page:
            self.primary_button.setText("Choose apps")
        elif page is self.apps_page:
            self.primary_button.setText("Save apps")
            self.picker.search.setFocus()
        else:
            self.primary_button.setText("Save goals")
        self.back_button.setVisible(page is not self.intro_page
                                    and not (page is self.apps_page and not self._first_run))

    def _primary(self) -> None:
        page = self.pages.currentWidget()
        if page is self.intro_page:
            self._show_page(self.apps_page)
        elif page is self.apps_page:
            if not self.picker.save():
                return
            self.apps_saved = True
            if self._store.list_apps():
                self.goals.load()
                self._show_page(self.goals_page)
            else:
                self.accept()
        elif self.goals.save():
            self.goals_saved = True
            self.accept()

    def _back(self) -> None:
        page = self.pages.currentWidget()
        self._show_page(self.apps_page if page is self.goals_page else self.intro_page)

    def _store_first_run_done(self) -> None:
        # Closing must never fail; if the store refuses, the welcome shows again next time.
        with contextlib.suppress(DriftcheckError):
            if bool(self._store.list_apps()) or S.get(self._store, S.WELCOME_DEFERRED):
                S.put(self._store, S.FIRST_RUN_DONE, True)
            else:
                S.put(self._store, S.WELCOME_DEFERRED, True)
