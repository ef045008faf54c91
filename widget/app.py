"""Composition root of the tray app: the tracker and a tray icon showing today, in one process.

This is the ground floor's tray: today's total in the tooltip and the icon's ring, and Quit.
Goals, notifications and the self-check build on it.
"""

from __future__ import annotations

import argparse
import os
import sys

NO_DISPLAY = ("driftcheck needs a graphical desktop for its tray icon, and none was found "
              "({why}); from a terminal, `driftcheck track` records your time and "
              "`driftcheck status` shows today.")


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """Why a window cannot be shown here, in a few words, or None when it can."""
    env = dict(os.environ) if env is None else env
    if sys.platform != "linux" or env.get("QT_QPA_PLATFORM") == "offscreen":
        return None
    if env.get("WAYLAND_DISPLAY"):
        return None
    name = env.get("DISPLAY")
    if not name:
        return "DISPLAY and WAYLAND_DISPLAY are not set"
    try:
        from Xlib import display

        display.Display(name).close()
    except Exception:
        return f"the X display {name} does not answer"
    return None


def run_tray(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem is not None:
        print(NO_DISPLAY.format(why=problem), file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from widget.commands import open_store
    from widget.core.options import Options
    from widget.tracking import Tracker
    from widget.ui.tray import TodayService, TrayPresence

    app = QApplication(sys.argv[:1])
    app.setApplicationName("driftcheck")
    app.setQuitOnLastWindowClosed(False)
    store = open_store(args, log_to_stderr=True)
    options = Options.from_settings(store.all_settings())
    presence = TrayPresence(TodayService(store, options))
    tracker = Tracker(store, options, app_run_loop=True, on_change=presence.changed.emit)
    tracker.start()
    presence.show()
    try:
        return app.exec()
    finally:
        tracker.stop()
        store.close()
