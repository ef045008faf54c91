""""Is it counted now?": a small box for the apps dialog. After a short countdown (time to
switch to the app) it reads the window in front and says which app it counts as.

The window title is shown in the box and nowhere else: it is never stored or logged.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from widget.core.rules import CountCheck, count_check_words
from widget.errors import DriftcheckError
from widget.ui.dialogs.form import hint
from widget.ui.plain import plain_label

COUNTDOWN_S = 5


class CountCheckBox(QGroupBox):
    """The button, a countdown, and the answer in words. `check` reads the probe (on the GUI
    thread: one read of the window in front, well under a millisecond on X11)."""

    checked = Signal(object)  # the CountCheck, once shown

    def __init__(self, check: Callable[[], CountCheck], countdown_s: int = COUNTDOWN_S,
                 parent: QWidget | None = None) -> None:
        super().__init__("Is it counted now?", parent)
        self._check = check
        self._countdown_s = countdown_s
        self._left = 0
        self.button = QPushButton(f"Check in {countdown_s} s")
        self.button.setAutoDefault(False)
        self.button.setAccessibleName("Check which app the window in front counts as")
        self.not_now = QPushButton("Not now")
        self.not_now.setAutoDefault(False)
        self.not_now.setVisible(False)
        self.answer = plain_label()
        self.answer.setWordWrap(True)
        self.answer.setAccessibleName("What the check found")
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

        row = QHBoxLayout()
        row.addWidget(hint("Press the button, then switch to the app you want to check; the "
                           "ticked apps are what it is matched against."), 1)
        row.addWidget(self.button)
        row.addWidget(self.not_now)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.answer)
        self.answer.setVisible(False)
        self.button.clicked.connect(self.start)
        self.not_now.clicked.connect(self.stop)

    def start(self) -> None:
        self._left = self._countdown_s
        self.button.setEnabled(False)
        self.not_now.setVisible(True)
        if self._left <= 0:
            QTimer.singleShot(0, self._look)
            return
        self._say(f"Switch to the app now; driftcheck looks in {self._left} s.")
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._reset()
        self.answer.setVisible(False)

    def _tick(self) -> None:
        self._left -= 1
        if self._left > 0:
            self._say(f"Switch to the app now; driftcheck looks in {self._left} s.")
            return
        self._timer.stop()
        self._look()

    def _look(self) -> None:
        try:
            result = self._check()
        except DriftcheckError as error:
            self._say(f"driftcheck could not look just now: {error}")
            self._reset()
            return
        self._say("\n".join(count_check_words(result)))
        self._reset()
        self.checked.emit(result)

    def _reset(self) -> None:
        self.button.setEnabled(True)
        self.button.setText("Check again")
        self.not_now.setVisible(False)

    def _say(self, text: str) -> None:
        self.answer.setText(text)
        self.answer.setVisible(True)
