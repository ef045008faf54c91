"""KWin probe (KDE Plasma on Wayland): the active window as a KWin script of driftcheck's tells
it over the session bus (resources/kwin/focus.js; issue 15).

KWin keeps the active window from other programs on Wayland, but it runs scripts it is handed
over its bus API (`org.kde.KWin /Scripting`). At start the probe writes one script into a
private folder (0700, in XDG_RUNTIME_DIR): a header with the probe's own unique bus name, a
token and the person's title rules, then the shared title matcher
(resources/gnome/extension/titles.js) and resources/kwin/focus.js. It loads it with
`loadScript(path, "driftcheck-<pid>-<n>")`, runs it (`org.kde.kwin.Script.run` on
`/Scripting/Script<id>` on KWin 6, `/<id>` on KWin 5.27; `/Scripting start`, which runs every
loaded script not yet running, when that did not start it: KWin 5 gives a new script the id
of a running one when a script before it was unloaded, and the path is the older one's) and
unloads it at `close`. The script calls the probe's object (`Focus`, see focus.js) whenever
the active window changes, or its caption changes which rules match: its app ids, its pid,
the indexes of the matching rules, never the caption. `foreground()` answers from what was
said last, without a bus round trip. New title rules (`set_title_rules`) are a new script:
loaded and run, and the old one unloaded once the new one has spoken.

Who is believed. The object is exported on the probe's own connection, whose unique name
only the script knows from its header; but any program of the same person on the session
bus can list names and call it. The probe answers `Focus` only when the sender is the current
owner of `org.kde.KWin` (asked of the bus at start and followed through NameOwnerChanged):
the bus daemon sets the sender, so no other program can pass for KWin, and a call from
anything else gets AccessDenied and changes nothing. A program that can make KWin itself call
(by loading a script of its own) could still feed it lies; such a program can do much worse
to the person's session, and could read driftcheck's own data folder anyway. The token is
not a secret (it crosses the bus): it only tells the current script's calls from those of a
script being replaced.

KWin restarted (NameOwnerChanged of org.kde.KWin): while no KWin owns the name,
`foreground()` raises ProbeError (the sampler counts nothing then); when a new KWin takes the
name, the script is loaded into it again, on a thread of the probe's own, and the probe goes
on from its first call.

Idle time comes from the Wayland idle protocols (widget.probes.wayland.WaylandIdle: KWin 5.27
offers org_kde_kwin_idle and ext-idle-notify-v1), else from `org.freedesktop.ScreenSaver
GetSessionIdleTime` where that answers (Plasma's session; a bare KWin has no such service).
The lock from `org.freedesktop.ScreenSaver GetActive` where that answers, else logind's
LockedHint.

Threads: jeepney's router reads the connection on its own thread; the probe's handler thread
answers the script's calls and the bus's NameOwnerChanged, and calls the focus callback;
loading into a KWin that started again runs on a short-lived thread. `foreground`,
`idle_seconds`, `locked` read under a lock and never wait for KWin.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError, ProbeUnavailable
from widget.probes.base import FocusCallback, ProbeInfo
from widget.probes.lock import LogindLock
from widget.probes.sway import process_identity

__all__ = ["BUS_NAME", "INTERFACE", "PATH", "KWinProbe", "is_kde_wayland", "kwin_answers",
           "script_source"]

log = logging.getLogger(__name__)

BUS_NAME = "org.kde.KWin"
SCRIPTING = "/Scripting"
SCRIPTING_IFACE = "org.kde.kwin.Scripting"
SCRIPT_IFACE = "org.kde.kwin.Script"
PATH = "/io/github/driftcheck/KWinFocus"
INTERFACE = "io.github.driftcheck.KWinFocus1"
SCREENSAVER = ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver",
               "org.freedesktop.ScreenSaver")
TIMEOUT_SECONDS = 2.0
# How long a loaded script has to say where the focus is before the probe tries another way
# to run it, then gives up.
HELLO_SECONDS = 3.0
RUN_HELLO_SECONDS = 1.0  # the same, after `run` on the script's own object answered
# How long a KWin that started again has to run the script before the probe gives up on it.
RELOAD_SECONDS = 60.0

NO_KWIN = ("KWin does not answer on the session bus, so driftcheck cannot see which window is "
           "in front.")
NO_SCRIPTING = ("KWin did not run driftcheck's small KWin script, so driftcheck cannot see "
                "which window is in front. Checking that KWin scripting is not switched off "
                "(System Settings, KWin Scripts) may help.")
KWIN_AWAY = "KWin is not running just now; driftcheck counts again once it is back."
NOT_YET = "driftcheck's KWin script has not said which window is in front yet."
NO_IDLE = ("driftcheck cannot tell here how long ago you last used the keyboard or pointer, so "
           "time in front of a tracked app counts until the screen locks or the app leaves "
           "the front.")

_ERROR_ACCESS = "org.freedesktop.DBus.Error.AccessDenied"
_ERROR_UNKNOWN = "org.freedesktop.DBus.Error.UnknownMethod"
_STOP = object()


def is_kde_wayland(env: Mapping[str, str]) -> bool:
    """Whether the session is KDE Plasma on Wayland (XDG_CURRENT_DESKTOP names KDE, or
    KDE_FULL_SESSION is set, with WAYLAND_DISPLAY)."""
    desktops = {part.strip().lower() for part in env.get("XDG_CURRENT_DESKTOP", "").split(":")}
    return bool(env.get("WAYLAND_DISPLAY")) and (
        "kde" in desktops or env.get("KDE_FULL_SESSION", "").lower() == "true")


def _open_blocking(env: Mapping[str, str] | None) -> Any:
    from jeepney.io.blocking import open_dbus_connection

    address = (env or os.environ).get("DBUS_SESSION_BUS_ADDRESS")
    return open_dbus_connection(address or "SESSION", auth_timeout=TIMEOUT_SECONDS)


def kwin_answers(env: Mapping[str, str] | None = None) -> bool:
    """Whether KWin's scripting answers on the session bus of `env` now (one connection, one
    call)."""
    try:
        connection = _open_blocking(env)
    except Exception:  # no bus address, bus not reachable
        return False
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        address = DBusAddress(SCRIPTING, bus_name=BUS_NAME, interface=SCRIPTING_IFACE)
        unwrap_msg(connection.send_and_get_reply(
            new_method_call(address, "isScriptLoaded", "s", ("driftcheck-probe-check",)),
            timeout=TIMEOUT_SECONDS))
        return True
    except Exception:  # ServiceUnknown, UnknownObject, a timeout: not there
        return False
    finally:
        connection.close()


def _resource(*parts: str) -> str:
    from widget.catalog_data import resource_path

    return resource_path(*parts).read_text(encoding="utf-8")


def script_source(service: str, token: str, rules: Sequence[str]) -> str:
    """The KWin script for the probe whose unique bus name is `service`: a header with its
    address, `token` and `rules`, the shared title matcher and focus.js."""
    header = {"service": service, "path": PATH, "iface": INTERFACE, "token": token}
    return "\n".join((
        "// driftcheck's KWin script, written by driftcheck for one run (widget/probes/kwin.py"
        " from resources/kwin/focus.js and resources/gnome/extension/titles.js).",
        f"var DRIFTCHECK_KWIN = {json.dumps(header)};",
        f"var DRIFTCHECK_RULES = {json.dumps(list(rules))};",
        _resource("gnome", "extension", "titles.js"),
        _resource("kwin", "focus.js"),
    ))


@dataclass(frozen=True)
class _Active:
    """What the script said last: the active window's ids, or all empty when none is."""

    resource_class: str
    desktop_file: str
    pid: int
    hits: tuple[int, ...]


def _parse(body: tuple[Any, ...]) -> tuple[str, _Active] | None:
    """(token, what it says) of a Focus call's body, None when it is not of that form."""
    if len(body) != 5 or not all(isinstance(part, str) for part in body):
        return None
    token, resource_class, desktop_file, pid, hits = body
    try:
        return token, _Active(resource_class[:200], desktop_file[:200], max(0, int(pid)),
                              tuple(int(hit) for hit in hits.split(",") if hit)[:500])
    except ValueError:
        return None


class KWinProbe:
    name = "kwin"

    def __init__(self, *, env: Mapping[str, str] | None = None) -> None:
        from jeepney import MatchRule, message_bus
        from jeepney.io.threading import DBusRouter, open_dbus_connection

        self._env = dict(env if env is not None else os.environ)
        address = self._env.get("DBUS_SESSION_BUS_ADDRESS") or "SESSION"
        try:
            self._router = DBusRouter(open_dbus_connection(address,
                                                           auth_timeout=TIMEOUT_SECONDS))
        except Exception as error:  # no bus address, bus not reachable
            raise ProbeUnavailable("The session bus could not be reached, so driftcheck "
                                   "cannot ask KWin which window is in front.") from error
        self._lock = threading.Lock()  # guards the state below
        self._load_lock = threading.Lock()  # one load at a time
        self._rules: tuple[str, ...] = ()
        self._owner: str | None = None
        self._active: _Active | None = None
        self._token: str | None = None  # the running script's
        self._pending: str | None = None  # a script loaded, not heard from yet
        self._heard = threading.Event()
        self._plugin: str | None = None
        self._loaded_count = 0
        self._callback: FocusCallback | None = None
        self._refused = 0
        self._closed = False
        self._stopping = threading.Event()  # set by close: a reload waiting gives up
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._folder = Path(tempfile.mkdtemp(prefix="driftcheck-kwin-",
                                             dir=self._runtime_dir()))
        self._idle: Any = None
        self._screensaver_idle = False
        self._screensaver_lock: bool | None = None
        self._logind = LogindLock()
        try:
            calls = MatchRule(type="method_call")
            owner = MatchRule(type="signal", sender="org.freedesktop.DBus",
                              interface="org.freedesktop.DBus", member="NameOwnerChanged")
            owner.add_arg_condition(0, BUS_NAME)
            self._filters = [self._router.filter(rule, queue=self._inbox)
                             for rule in (calls, owner)]
            self._call_bus(message_bus.AddMatch(owner))
            self._handler = threading.Thread(target=self._handle, name="driftcheck-kwin",
                                             daemon=True)
            self._handler.start()
            try:
                (found,) = self._call_bus(message_bus.GetNameOwner(BUS_NAME))
            except ProbeError:
                raise ProbeUnavailable(NO_KWIN) from None
            with self._lock:
                self._owner = str(found)
            self._load(str(found))
        except BaseException:
            self.close()
            raise
        self._idle = self._idle_source()

    @staticmethod
    def _runtime_dir() -> str | None:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        return runtime if runtime and os.path.isdir(runtime) else None

    # --- calls -----------------------------------------------------------------------------

    def _call_bus(self, message: Any) -> tuple[Any, ...]:
        from jeepney.wrappers import unwrap_msg

        try:
            reply = self._router.send_and_get_reply(message, timeout=TIMEOUT_SECONDS)
            return tuple(unwrap_msg(reply))
        except Exception as error:  # DBusErrorResponse, TimeoutError, OSError
            raise ProbeError("KWin did not answer driftcheck.") from error

    def _call(self, path: str, interface: str, method: str, signature: str | None = None,
              body: tuple[Any, ...] = (), bus_name: str = BUS_NAME) -> tuple[Any, ...]:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(path, bus_name=bus_name, interface=interface)
        return self._call_bus(new_method_call(address, method, signature, body))

    # --- the script ------------------------------------------------------------------------

    def _load(self, owner: str) -> None:
        """Load and run a script with the current rules into the KWin `owner`; unload the
        one it replaces once the new one has spoken. ProbeUnavailable when it does not run."""
        with self._load_lock:
            self._loaded_count += 1
            plugin = f"driftcheck-{os.getpid()}-{self._loaded_count}"
            token = secrets.token_hex(8)
            path = self._folder / f"{plugin}.js"
            path.write_text(script_source(self._router.unique_name, token, self._rules),
                            encoding="utf-8")
            path.chmod(0o600)
            with self._lock:
                self._pending = token
                self._heard.clear()
            try:
                (script_id,) = self._call(SCRIPTING, SCRIPTING_IFACE, "loadScript", "ss",
                                          (str(path), plugin))
            except ProbeError:
                raise ProbeUnavailable(NO_SCRIPTING) from None
            if int(script_id) < 0 or not self._run(int(script_id)):
                with contextlib.suppress(ProbeError):
                    self._call(SCRIPTING, SCRIPTING_IFACE, "unloadScript", "s", (plugin,))
                raise ProbeUnavailable(NO_SCRIPTING)
            old, self._plugin = self._plugin, plugin
            if old is not None and self._owner_is(owner):
                with contextlib.suppress(ProbeError):
                    self._call(SCRIPTING, SCRIPTING_IFACE, "unloadScript", "s", (old,))
            for stale in self._folder.glob("*.js"):
                if stale != path:
                    stale.unlink(missing_ok=True)
            log.info("driftcheck's KWin script runs", extra={"event": "kwin_script",
                                                             "plugin": plugin})

    def _run(self, script_id: int) -> bool:
        """Run the loaded script `script_id`; whether it spoke."""
        for path in (f"/Scripting/Script{script_id}", f"/{script_id}"):
            try:
                self._call(path, SCRIPT_IFACE, "run")
            except ProbeError:
                continue  # not this KWin's path (KWin 6: /Scripting/ScriptN, 5: /N)
            # `run` answers once the script's first lines ran, its first call sent; a script
            # already running under that id (KWin 5 reuses them) answers at once instead.
            if self._heard.wait(RUN_HELLO_SECONDS):
                return True
            break
        # KWin 5 gives a new script the id of one unloaded before it, whose object may still
        # hold the path: `start` runs every loaded script not yet running, whatever its id.
        with contextlib.suppress(ProbeError):
            self._call(SCRIPTING, SCRIPTING_IFACE, "start")
        return self._heard.wait(HELLO_SECONDS)

    def _owner_is(self, owner: str) -> bool:
        with self._lock:
            return self._owner == owner

    def set_title_rules(self, rules: Sequence[str]) -> None:
        """The title rules the script matches captions against
        (widget.core.rules.Matcher.title_rules); a new script is loaded with them. Called on
        the thread that starts the tracker (and when the person's rules change)."""
        rules = tuple(rules)
        if rules == self._rules:
            return
        self._rules = rules
        with self._lock:
            owner = self._owner
        if owner is None:
            return  # loaded with them when KWin is back
        try:
            self._load(owner)
        except ProbeError as error:
            log.warning("KWin did not take driftcheck's new title rules (%s)", error)

    # --- what arrives on the bus (the handler thread) --------------------------------------

    def _handle(self) -> None:
        from jeepney.low_level import HeaderFields, MessageType

        while True:
            message = self._inbox.get()
            if message is _STOP:
                return
            try:
                if message.header.message_type is MessageType.signal:
                    self._owner_changed(message.body)
                else:
                    self._answer(message, HeaderFields)
            except Exception as error:  # one odd message must not end the handler
                log.warning("a message from the session bus could not be handled (%s)",
                            type(error).__name__)

    def _answer(self, message: Any, fields: Any) -> None:
        from jeepney import new_error, new_method_return

        header = message.header.fields
        sender = header.get(fields.sender)
        if (header.get(fields.path), header.get(fields.interface),
                header.get(fields.member)) != (PATH, INTERFACE, "Focus"):
            self._router.send(new_error(message, _ERROR_UNKNOWN, "s", ("no such method",)))
            return
        with self._lock:
            trusted = sender is not None and sender == self._owner
        if not trusted:
            self._refused += 1
            if self._refused == 1 or self._refused % 100 == 0:
                log.warning("refused a focus report from a program other than KWin",
                            extra={"event": "kwin_refused", "count": self._refused})
            self._router.send(new_error(message, _ERROR_ACCESS, "s",
                                        ("only KWin may say which window is active",)))
            return
        self._router.send(new_method_return(message))
        parsed = _parse(tuple(message.body))
        if parsed is None:
            return
        token, active = parsed
        with self._lock:
            if token == self._pending:
                self._token, self._pending = token, None
                self._heard.set()
            if token != self._token:
                return  # a script being replaced
            self._active = active
        self._announce()

    def _owner_changed(self, body: tuple[Any, ...]) -> None:
        name, _old, new = body
        if name != BUS_NAME:
            return
        with self._lock:
            self._owner = new or None
            self._active = None
            self._token = None
        if new:
            log.info("KWin started again; loading driftcheck's script into it",
                     extra={"event": "kwin_back"})
            threading.Thread(target=self._load_again, args=(new,), name="driftcheck-kwin-load",
                             daemon=True).start()
        else:
            log.warning("KWin left the session bus; nothing counts until it is back",
                        extra={"event": "kwin_gone"})
            self._plugin = None  # it went with KWin
        self._announce()

    def _load_again(self, owner: str) -> None:
        """Load the script into the KWin that took the name; KWin takes it before its
        scripting answers, so tries again every half second for a while."""
        deadline = time.monotonic() + RELOAD_SECONDS
        while not self._closed and self._owner_is(owner):
            try:
                self._load(owner)
            except ProbeError as error:
                if time.monotonic() >= deadline:
                    log.warning("driftcheck's script did not run in the new KWin (%s)", error)
                    return
                self._stopping.wait(0.5)
                continue
            self._announce()
            return

    def _announce(self) -> None:
        callback = self._callback
        if callback is None or self._closed:
            return
        try:
            callback(time.monotonic())
        except Exception as error:  # the tracker's trouble must not end the handler
            log.warning("a focus change could not be handled (%s)", type(error).__name__)

    # --- the probe -------------------------------------------------------------------------

    @property
    def measure(self) -> Measure:
        return Measure.FOREGROUND

    def foreground(self) -> Foreground | None:
        with self._lock:
            owner, active = self._owner, self._active
        if owner is None:
            raise ProbeError(KWIN_AWAY)
        if active is None:
            raise ProbeError(NOT_YET)
        if not active.pid and not active.resource_class and not active.desktop_file:
            return None
        name, exe = process_identity(active.pid) if active.pid else (None, None)
        window_class = (active.resource_class or active.desktop_file).removesuffix(
            ".desktop") or None
        return Foreground(process=name or window_class or "", pid=active.pid or None, exe=exe,
                          window_class=window_class, title=None, title_hits=active.hits)

    def _idle_source(self) -> Any:
        """The Wayland idle protocols (W's WaylandIdle), else ScreenSaver's
        GetSessionIdleTime where it answers, else None."""
        try:
            from widget.probes.wayland import WaylandIdle

            idle = WaylandIdle.connect(self._env)
            if idle is not None:
                return idle
        except Exception as error:  # the module missing, or no Wayland display
            log.info("no Wayland idle source (%s)", type(error).__name__)
        try:
            self._call(SCREENSAVER[1], SCREENSAVER[2], "GetSessionIdleTime",
                       bus_name=SCREENSAVER[0])
            self._screensaver_idle = True
        except ProbeError:
            self._screensaver_idle = False
        return None

    def idle_seconds(self) -> float | None:
        if self._idle is not None:
            seconds: float | None = self._idle.seconds()
            return seconds
        if self._screensaver_idle:
            try:
                (micro,) = self._call(SCREENSAVER[1], SCREENSAVER[2], "GetSessionIdleTime",
                                      bus_name=SCREENSAVER[0])
            except ProbeError:
                return None
            return float(micro) / 1_000_000
        return None

    def locked(self) -> bool | None:
        if self._screensaver_lock is not False:
            try:
                (active,) = self._call(SCREENSAVER[1], SCREENSAVER[2], "GetActive",
                                       bus_name=SCREENSAVER[0])
                self._screensaver_lock = True
                return bool(active)
            except ProbeError:
                if self._screensaver_lock is None:
                    self._screensaver_lock = False
        return self._logind.locked()

    def info(self) -> ProbeInfo:
        self.locked()
        idle = (str(self._idle.source) if self._idle is not None
                else "org.freedesktop.ScreenSaver" if self._screensaver_idle else None)
        lock = ("org.freedesktop.ScreenSaver" if self._screensaver_lock
                else "logind LockedHint" if self._logind.available() else None)
        return ProbeInfo(name=self.name, measure=self.measure, idle_source=idle,
                         lock_source=lock, focus_events=True,
                         notes=() if idle is not None else (NO_IDLE,))

    def watch_focus(self, callback: FocusCallback) -> bool:
        """The script's calls arrive on the probe's handler thread, which calls `callback`
        after each (and when KWin leaves or comes back)."""
        self._callback = callback
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._callback = None
        plugin, self._plugin = self._plugin, None
        with self._lock:
            owner = self._owner
        if plugin is not None and owner is not None:
            with contextlib.suppress(ProbeError):
                self._call(SCRIPTING, SCRIPTING_IFACE, "unloadScript", "s", (plugin,))
        self._inbox.put(_STOP)
        handler = getattr(self, "_handler", None)
        if handler is not None:
            handler.join(timeout=TIMEOUT_SECONDS)
        for handle in getattr(self, "_filters", ()):
            handle.close()
        with contextlib.suppress(Exception):
            self._router.close()
        with contextlib.suppress(Exception):
            self._router.conn.close()
        shutil.rmtree(self._folder, ignore_errors=True)
        self._logind.close()
        if self._idle is not None:
            with contextlib.suppress(Exception):
                self._idle.close()
            self._idle = None
