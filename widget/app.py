"""Composition root of the tray app: builds the objects and wires them; no logic of its own."""

from __future__ import annotations

import argparse
import contextlib
import linecache
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

    from widget.sync.folder import FolderView

NO_DISPLAY = ("driftcheck needs a graphical desktop for its tray icon, and none was found "
              "({why}); from a terminal, `driftcheck track` records your time and "
              "`driftcheck status` shows today.")


def import_before_qt(env: dict[str, str] | None = None, platform: str = sys.platform) -> None:
    """Import everything the tray app uses sooner or later that does not need Qt, before Qt.

    PySide6 installs an import hook that reads the source of every module imported after it
    (looking for the word "PySide6"), and Python's line cache keeps every text it read for as
    long as the process lives: about 3 MB for these modules and what they import, measured with
    tracemalloc. Modules that use Qt are read either way. tests/e2e/test_tray_lean.py checks
    that nothing else is first imported after Qt while the app starts and tracks.
    """
    # the data folder, the drift check, the log, the tracker
    import widget.services.dashboard
    import widget.services.reminders
    import widget.services.today  # noqa: F401 - the controller's and the tray's
    from widget import datafolder, logs, tracking  # noqa: F401
    from widget.core import alerts, checkin, settings, today, usage  # noqa: F401
    from widget.probes.choose import import_probe_module

    if platform == "linux":
        # Without jeepney the lock check and D-Bus notifications give way later, as before.
        with contextlib.suppress(ImportError):
            import jeepney.io.blocking  # noqa: F401 - the screen lock, from logind

            from widget.desktop import notify_dbus  # noqa: F401 - the notification service
    import_probe_module(dict(os.environ) if env is None else env, platform)


def quit_on_signals(app: QCoreApplication) -> Callable[[], None]:
    """SIGTERM (logout, `kill`, a service manager) and SIGINT (Ctrl+C) end the app as its Quit
    does, so the open interval is closed and the store folded back. Qt's event loop runs in
    C++, where Python's handlers never get a turn: the signal's byte on a wakeup pipe wakes a
    socket notifier, whose slot lets Python run the handler (no polling timer). Returns the
    undo."""
    from PySide6.QtCore import QSocketNotifier, QTimer

    def stop(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, app.quit)  # also when it comes before the loop has started

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    if sys.platform == "win32":  # unverified: no wakeup pipe there; Ctrl+C only
        return lambda: None
    read_fd, write_fd = os.pipe()
    for fd in (read_fd, write_fd):
        os.set_blocking(fd, False)
    old_fd = signal.set_wakeup_fd(write_fd)
    notifier = QSocketNotifier(read_fd, QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(read_fd, 64)

    notifier.activated.connect(drain)

    def undo() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(old_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(read_fd)
        os.close(write_fd)

    return undo


def run_tray(args: argparse.Namespace) -> int:
    from widget.desktop.display import display_problem

    problem = display_problem()
    if problem is not None:
        print(NO_DISPLAY.format(why=problem), file=sys.stderr)
        return 1
    import_before_qt()
    from widget.desktop.qt_guard import keep_singletons_alive

    keep_singletons_alive()  # before any PySide6 call (see the module)
    from widget.core.options import Options
    from widget.datafolder import prepare_data_dir
    from widget.desktop.localzone import local_zone
    from widget.paths import DB_NAME
    from widget.services.share import SharedReads
    from widget.store.recovery import take_notices
    from widget.store.resident import open_for_tracking
    from widget.sync.reader import MergedStore
    from widget.tracking import Tracker
    from widget.desktop.single_instance import ALREADY_RUNNING, SingleInstance  # isort: skip (Qt)

    # The log file has everything; stderr gets only the sentences that end the app (a warning
    # racing the display's loss would make two lines of one event).
    directory = prepare_data_dir(args, log_to_stderr=False)
    instance = SingleInstance(directory)
    if not instance.acquire():
        shown = instance.ask_running_to_show()
        print(ALREADY_RUNNING if shown else "driftcheck is already running.", file=sys.stderr)
        return 0

    from PySide6.QtWidgets import QApplication

    from widget.desktop.notify import choose_notifier, window_alert
    from widget.services.today import TodayService
    from widget.ui.controller import TrayController
    from widget.ui.display_loss import DISPLAY_LOST, DisplayWatch
    from widget.ui.icon import RingLook, ring_icon
    from widget.ui.tray import TrayPresence
    # Even so, PySide6's hook reads every module named by an import statement after Qt, also
    # those long imported (typing, datetime...): let go of those lines now, before the app
    # allocates the rest of what it keeps, which then reuses the space (-0.9 MB, measured).
    linecache.clearcache()

    display = DisplayWatch()
    display.install()
    app = QApplication(sys.argv[:1])
    undo_signals = quit_on_signals(app)
    app.setApplicationName("driftcheck")
    app.setDesktopFileName("driftcheck")
    # Dialogs and the dashboard carry the ring (drawn, like the tray's; no SVG plugin loaded).
    app.setWindowIcon(ring_icon(RingLook(fill=0.75)))
    app.setQuitOnLastWindowClosed(False)
    instance.listen()
    store = open_for_tracking(directory / DB_NAME)
    options = Options.from_settings(store.all_settings())
    tz = local_zone()
    # Everything the tray shows and the goals it tells reads all the person's computers while
    # they share their time (issue 16): the other computers' last read, refreshed by the
    # tracker's sync job on its own thread; with sharing off it reads this computer alone.
    merged = MergedStore(store)
    reads = SharedReads(merged)  # and the tray names the computers counted

    def shared_read(view: FolderView) -> None:
        reads.take(view)
        presence.changed.emit()  # queued to the Qt main thread: today and the ring
        controller.others_read.emit()  # and the goals, at once

    tracker = Tracker(store, options, app_run_loop=True, on_shared_read=shared_read)
    controller = TrayController(merged, tracker, options, tz=tz)
    controller.windows.folder_view = reads.current  # the dashboard names the computers
    presence = TrayPresence(TodayService(merged, options, tz=tz), controller, merged,
                            tz=tz, day_start_hour=options.day_start_hour, dashboard=True,
                            shared=reads.current)
    tracker.sampler.set_on_change(presence.changed.emit)
    presence.changed.connect(controller.tracker_changed)
    instance.show_requested.connect(controller.bring_forward)
    # `driftcheck dashboard [--week W]` from a terminal: this app's own dashboard, at W
    instance.dashboard_requested.connect(controller.dashboard_asked)
    tracker.start()
    presence.show()
    notifier = choose_notifier(presence.tray, lambda title, body: presence.show_message(
        window_alert(notifier), title, body))
    presence.message_action.connect(lambda _id, key: notifier.respond(key))
    ended = False

    def end_writing() -> None:
        """Stop everything that writes into the data folder, once: at the end, or before
        Settings' "Delete everything" removes the folder's files (the lock stays held)."""
        nonlocal ended
        if ended:
            return
        ended = True
        presence.save_place()
        controller.close()
        presence.stop()
        notifier.close()
        tracker.stop()
        store.close()

    controller.attach(presence, notifier, end_writing)
    for sentence in take_notices(directory):  # a damaged database set aside at this start
        notifier.notify("store-set-aside", "driftcheck started afresh",
                        sentence[0].upper() + sentence[1:])
    controller.restore_pause()
    controller.first_run()
    controller.evaluate()
    code = 1
    try:
        code = app.exec()
    finally:
        end_writing()
        instance.release()
        undo_signals()
    if display.lost:
        print(DISPLAY_LOST, file=sys.stderr)
    # Everything is written and closed. Interpreter finalization with PySide6 6.12 was seen to
    # abort ("bool_dealloc: deallocating True", exit -6) while collecting Qt objects after a
    # SIGTERM, so the process ends here, as many PySide6 applications do.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
