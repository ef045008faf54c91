"""Composition root of the tray app: builds the objects and wires them; no logic of its own."""

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
    from widget.commands import DB_NAME, prepare_data_dir
    from widget.single_instance import ALREADY_RUNNING, SingleInstance

    directory = prepare_data_dir(args, log_to_stderr=True)
    instance = SingleInstance(directory)
    if not instance.acquire():
        shown = instance.ask_running_to_show()
        print(ALREADY_RUNNING if shown else "driftcheck is already running.", file=sys.stderr)
        return 0

    from PySide6.QtWidgets import QApplication

    from widget.core.options import Options
    from widget.localzone import local_zone
    from widget.notify import choose_notifier
    from widget.store.db import Store
    from widget.tracking import Tracker
    from widget.ui.controller import TrayController
    from widget.ui.tray import StoreSettings, TodayService, TrayPresence

    app = QApplication(sys.argv[:1])
    app.setApplicationName("driftcheck")
    app.setDesktopFileName("driftcheck")
    app.setQuitOnLastWindowClosed(False)
    instance.listen()
    store = Store.open(directory / DB_NAME)
    options = Options.from_settings(store.all_settings())
    tz = local_zone()
    tracker = Tracker(store, options, app_run_loop=True)
    controller = TrayController(store, tracker, options, tz=tz)
    presence = TrayPresence(TodayService(store, options, tz=tz), controller, StoreSettings(store),
                            tz=tz, day_start_hour=options.day_start_hour)
    tracker.sampler.set_on_change(presence.changed.emit)
    presence.changed.connect(controller.tracker_changed)
    instance.show_requested.connect(presence.show_compact)
    tracker.start()
    presence.show()
    notifier = choose_notifier(presence.tray,
                               lambda title, body: presence.show_message("", title, body))
    presence.message_action.connect(lambda _id, key: notifier.respond(key))
    controller.attach(presence, notifier)
    controller.restore_pause()
    controller.first_run()
    controller.evaluate()
    try:
        return app.exec()
    finally:
        presence.save_place()
        notifier.close()
        tracker.stop()
        store.close()
        instance.release()
