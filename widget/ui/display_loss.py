"""The display going away under the tray app: one sentence for the person instead of Qt's.

When the X server goes away, Qt 6.12's xcb plugin says "The X11 connection broke (error 1).
Did the X11 server die?" through its message handler and ends the event loop with exit code 1
(seen here under Xvfb). Qt cannot move to a new display, so the tray app cannot keep running:
it closes as after Quit (the open interval ends at that moment and is saved) and says so in
one sentence; started again on a desktop (by hand, or by autostart at the next login), it
tracks on. The Wayland plugin's own message is matched too, unverified.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

DISPLAY_LOST = ("driftcheck closed because the display went away; your time up to that moment "
                "is saved, and it tracks again once you start it on a desktop (meanwhile "
                "`driftcheck track` works in a terminal).")
_BROKE = ("The X11 connection broke", "The Wayland connection broke")


class DisplayWatch:
    """Qt's message handler while the tray app runs: notes the display's loss and keeps Qt's
    line about it off stderr; every other message is printed as Qt's own handler would."""

    def __init__(self) -> None:
        self.lost = False

    def install(self) -> None:
        qInstallMessageHandler(self._handle)

    def _handle(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message.startswith(_BROKE):
            self.lost = True
            return
        category = context.category
        prefix = f"{category}: " if category and category != "default" else ""
        if sys.stderr is not None:  # a windowed build (Windows, macOS) may have none
            sys.stderr.write(f"{prefix}{message}\n")
