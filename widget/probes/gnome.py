"""GNOME Shell probe: the focused window as driftcheck's own Shell extension tells it over the
session bus (resources/gnome/extension/, docs/GNOME.md; issue 14).

GNOME keeps the focused window from other programs (`org.gnome.Shell.Introspect` answers
AccessDenied, `Eval` is off), so driftcheck ships an extension that answers for it: the focused
window's app id, its process, and which of driftcheck's title rules its title matches (the
rules are given to the extension with `set_title_rules`; no title ever crosses the bus). Idle
time comes from `org.gnome.Mutter.IdleMonitor`, the lock from `org.gnome.ScreenSaver` (logind's
LockedHint where that does not answer). Focus changes arrive as the extension's `FocusChanged`
signal, on a thread of the probe's own that sleeps until the bus says something.

Chosen on GNOME when the extension answers; otherwise the process fallback (approximate)
takes over, and `doctor` says how to switch the extension on. When the extension stops
answering while driftcheck runs (switched off, GNOME Shell restarted without it), the probe
counts approximately itself, its intervals marked so, and goes back to the window in front
the moment the extension answers again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError, ProbeUnavailable
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.fallback import GnomeIdleMonitor, ProcessFallbackProbe, gnome_idle_source
from widget.probes.lock import LogindLock
from widget.probes.sway import process_identity

__all__ = ["BUS_NAME", "INTERFACE", "PATH", "GnomeShellProbe", "is_gnome_wayland"]

log = logging.getLogger(__name__)

BUS_NAME = "org.gnome.Shell"
PATH = "/io/github/driftcheck/Focus"
INTERFACE = "io.github.driftcheck.Focus1"
TIMEOUT_SECONDS = 1.0
# Why the extension does not answer, and what to do (doctor's advice; none repeats the
# sentence on how time counts, which doctor says once).
NOT_INSTALLED = ("driftcheck's GNOME Shell extension is not installed: `driftcheck desktop "
                 "install`, then log in again, lets driftcheck count only the app in front.")
NOT_LOADED = ("driftcheck's GNOME Shell extension is installed and switched on but not running "
              "yet: GNOME loads it at your next login (log out and in again).")
NOT_ON = ("driftcheck's GNOME Shell extension is installed but switched off: `driftcheck "
          "desktop install` switches it on again.")


FIRST_RUN_INTRO = ("On GNOME, driftcheck sees which app is in front through a small GNOME Shell "
                   "extension of its own (it is given your title rules and answers which one "
                   "matches, never a title). Until it runs, time counts while a tracked app "
                   "runs: an approximation.")
FIRST_RUN_OFFER = ("You can install it now; GNOME loads it when you next log in.")
FIRST_RUN_NEXT_LOGIN = ("It is installed and switched on; GNOME loads it when you next log in.")


def not_active_words() -> str:
    """Why the extension does not answer, in words for the person: what to do."""
    from widget.desktop import gnome_extension as gx

    if not gx.is_ours(gx.installed_folder()):
        return NOT_INSTALLED
    try:
        return NOT_LOADED if gx.enabled() else NOT_ON
    except gx.SettingsUnavailable:
        return NOT_LOADED


def is_gnome_wayland(env: Mapping[str, str]) -> bool:
    """Whether the session is GNOME on Wayland (XDG_CURRENT_DESKTOP names GNOME, as in
    "GNOME", "ubuntu:GNOME", "GNOME-Classic:GNOME"). Phosh ("Phosh:GNOME") is not: its
    compositor, phoc, is wlroots' and lists its windows (the wlr-foreign-toplevel probe)."""
    desktops = {part.strip().lower() for part in env.get("XDG_CURRENT_DESKTOP", "").split(":")}
    return bool(env.get("WAYLAND_DISPLAY")) and "gnome" in desktops and "phosh" not in desktops


def extension_answers() -> bool:
    """Whether driftcheck's extension answers in this session now (one bus call)."""
    try:
        connection = _open_session()
    except ProbeUnavailable:
        return False
    try:
        from jeepney import DBusAddress, Properties

        address = DBusAddress(PATH, bus_name=BUS_NAME, interface=INTERFACE)
        connection.send_and_get_reply(Properties(address).get("Version"),
                                      timeout=TIMEOUT_SECONDS)
        return True
    except Exception:  # UnknownObject and the like: not there
        return False
    finally:
        connection.close()


def first_run_words(env: Mapping[str, str]) -> tuple[str, bool] | None:
    """On GNOME on Wayland without driftcheck's extension answering: a sentence for the first
    run, and whether installing (or switching on) now would help; None where there is nothing
    to say (another desktop, or the extension at work)."""
    if not is_gnome_wayland(env) or extension_answers():
        return None
    words = not_active_words()
    return (FIRST_RUN_INTRO + " " + (FIRST_RUN_NEXT_LOGIN if words == NOT_LOADED
                                     else FIRST_RUN_OFFER), words != NOT_LOADED)


def _open_session() -> Any:
    try:
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(bus="SESSION", auth_timeout=TIMEOUT_SECONDS)
    except Exception as error:  # no jeepney, no bus address (KeyError), bus not reachable
        raise ProbeUnavailable("The session bus could not be reached, so driftcheck cannot ask "
                               "GNOME Shell which window is in front.") from error


# The extension is not there (switched off, or the Shell runs without it), as opposed to a
# Shell too busy to answer in time.
_GONE = ("org.freedesktop.DBus.Error.UnknownObject", "org.freedesktop.DBus.Error.UnknownMethod",
         "org.freedesktop.DBus.Error.UnknownInterface",
         "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")


class ExtensionGone(ProbeError):
    """The extension does not answer: not there, rather than slow."""


class GnomeShellProbe:
    name = "gnome-shell"

    def __init__(self, *, wanted: Callable[[Foreground], bool] = lambda fg: False,
                 idle: GnomeIdleMonitor | None = None) -> None:
        from jeepney import DBusAddress

        self._conn = _open_session()
        self._call_lock = threading.Lock()  # one call at a time on the connection
        self._focus = DBusAddress(PATH, bus_name=BUS_NAME, interface=INTERFACE)
        self._screensaver = DBusAddress("/org/gnome/ScreenSaver",
                                        bus_name="org.gnome.ScreenSaver",
                                        interface="org.gnome.ScreenSaver")
        self._rules: tuple[str, ...] = ()
        self._rules_sent = False
        self._wanted = wanted
        self._fallback: ProcessFallbackProbe | None = None  # while the extension is away
        try:
            self._call(self._focus, "GetFocus")
        except ProbeError:
            self._conn.close()
            raise ProbeUnavailable(not_active_words()) from None
        self._idle = idle if idle is not None else gnome_idle_source()
        self._logind = LogindLock()
        self._screensaver_answers: bool | None = None
        self._watcher: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None

    # --- calls ---------------------------------------------------------------------------

    def _call(self, address: Any, method: str, signature: str | None = None,
              body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        from jeepney import new_method_call
        from jeepney.wrappers import unwrap_msg

        message = new_method_call(address, method, signature, body)
        try:
            with self._call_lock:
                reply = self._conn.send_and_get_reply(message, timeout=TIMEOUT_SECONDS)
            return tuple(unwrap_msg(reply))
        except Exception as error:  # DBusErrorResponse, TimeoutError, OSError
            if getattr(error, "name", None) in _GONE:
                raise ExtensionGone("driftcheck's GNOME Shell extension does not answer.") \
                    from error
            raise ProbeError("GNOME Shell did not say which window is in front.") from error

    def set_title_rules(self, rules: Sequence[str]) -> None:
        """Give the extension the title rules to match (widget.core.rules.Matcher
        .title_rules); it answers with the indexes of those that match, never the title."""
        self._rules = tuple(rules)
        self._rules_sent = False
        with contextlib.suppress(ProbeError):  # sent again before the next reading
            self._send_rules()

    def _send_rules(self) -> None:
        self._call(self._focus, "SetTitleRules", "as", (list(self._rules),))
        self._rules_sent = True

    # --- the probe -----------------------------------------------------------------------

    @property
    def measure(self) -> Measure:
        """FOREGROUND while the extension answers; APPROXIMATE while the process fallback
        stands in for it."""
        return Measure.APPROXIMATE if self._fallback is not None else Measure.FOREGROUND

    def foreground(self) -> Foreground | None:
        try:
            if not self._rules_sent:
                self._send_rules()
            app_id, pid, hits, _x11 = self._call(self._focus, "GetFocus")
        except ExtensionGone:
            if self._fallback is None:
                self._fallback = ProcessFallbackProbe(self._wanted)
                log.warning("driftcheck's GNOME Shell extension stopped answering; counting "
                            "approximately until it is back",
                            extra={"event": "probe_mode", "measure": "approximate"})
            self._rules_sent = False  # a new start of it has no rules of ours
            return self._fallback.foreground()
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None
            log.info("driftcheck's GNOME Shell extension answers again",
                     extra={"event": "probe_mode", "measure": "foreground"})
        if not app_id and not pid:
            return None
        name, exe = process_identity(int(pid)) if pid else (None, None)
        window_class = app_id.removesuffix(".desktop") or None
        return Foreground(process=name or window_class or "", pid=int(pid) or None, exe=exe,
                          window_class=window_class, title=None,
                          title_hits=tuple(int(hit) for hit in hits))

    def idle_seconds(self) -> float | None:
        return self._idle() if self._idle is not None else None

    def locked(self) -> bool | None:
        if self._screensaver_answers is not False:
            try:
                (active,) = self._call(self._screensaver, "GetActive")
                self._screensaver_answers = True
                return bool(active)
            except ProbeError:
                if self._screensaver_answers is None:
                    self._screensaver_answers = False
        return self._logind.locked()

    def info(self) -> ProbeInfo:
        lock = "org.gnome.ScreenSaver" if self.locked() is not None and \
            self._screensaver_answers else "logind LockedHint" if self._logind.available() \
            else None
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source=self._idle.label if self._idle is not None else None,
            lock_source=lock,
            focus_events=True,
            notes=(not_active_words(),) if self._fallback is not None else (),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Listen for the extension's FocusChanged (and GNOME Shell starting again, whose
        extension then needs the rules again) on a connection and thread of the probe's own."""
        if self._watcher is not None:
            return True
        try:
            connection = _open_session()
            from jeepney.bus_messages import MatchRule, message_bus

            focus = MatchRule(type="signal", interface=INTERFACE, member="FocusChanged",
                              path=PATH)
            # The extension switched on again (off and on between two samples: no error was
            # seen) knows no rules of ours.
            started = MatchRule(type="signal", interface=INTERFACE, member="Started", path=PATH)
            owner = MatchRule(type="signal", sender="org.freedesktop.DBus",
                              interface="org.freedesktop.DBus", member="NameOwnerChanged")
            owner.add_arg_condition(0, BUS_NAME)
            for rule in (focus, started, owner):
                connection.send_and_get_reply(message_bus.AddMatch(rule),
                                              timeout=TIMEOUT_SECONDS)
        except Exception as error:
            log.warning("could not follow GNOME Shell's focus changes (%s); relying on "
                        "sampling", type(error).__name__)
            return False
        self._wake = os.pipe()
        self._watcher = threading.Thread(target=self._listen, args=(connection, callback),
                                         name="driftcheck-gnome-focus", daemon=True)
        self._watcher.start()
        return True

    def _listen(self, connection: Any, callback: FocusCallback) -> None:
        from jeepney.low_level import HeaderFields, MessageType

        assert self._wake is not None
        try:
            while True:
                ready = select.select([connection.sock, self._wake[0]], [], [])[0]
                if self._wake[0] in ready:
                    return
                if not self._heard(connection, HeaderFields, MessageType):
                    continue
                try:
                    callback(time.monotonic())
                except Exception as error:  # the tracker's trouble must not end the watcher
                    log.warning("a focus change could not be handled (%s)",
                                type(error).__name__)
        except Exception as error:  # the bus went away: sampling goes on without events
            log.warning("stopped following GNOME Shell's focus changes (%s)",
                        type(error).__name__)
        finally:
            connection.close()

    def _heard(self, connection: Any, fields: Any, kinds: Any) -> bool:
        """Read every message the bus has sent so far (one read may bring several, which
        select() would not announce again); whether a signal was among them. A burst of
        changes is one look."""
        heard = False
        timeout = TIMEOUT_SECONDS
        while True:
            try:
                message = connection.receive(timeout=timeout)
            except TimeoutError:
                return heard
            timeout = 0
            if message.header.message_type is not kinds.signal:
                continue
            heard = True
            if message.header.fields.get(fields.member) in ("NameOwnerChanged", "Started"):
                self._rules_sent = False  # a new Shell or extension: it has no rules of ours

    def close(self) -> None:
        if self._watcher is not None and self._wake is not None:
            os.write(self._wake[1], b"x")
            self._watcher.join(timeout=TIMEOUT_SECONDS * 2)
            for fd in self._wake:
                os.close(fd)
            self._watcher = None
            self._wake = None
        self._logind.close()
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None
        if self._idle is not None:
            self._idle.close()
            self._idle = None
        with contextlib.suppress(Exception):
            self._conn.close()
