"""`driftcheck doctor`: what this machine gives driftcheck, and what to do about what is missing.

It only looks: it creates no data directory and opens the database read-only.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from widget import __version__
from widget.commands.common import print_json
from widget.datafolder import data_dir

TRAY_CHECK = ("from PySide6.QtWidgets import QApplication, QSystemTrayIcon; "
              "app = QApplication(['driftcheck-doctor']); "
              "print(QSystemTrayIcon.isSystemTrayAvailable())")


def diagnose(data_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    advice: list[str] = []
    report: dict[str, Any] = {"version": __version__, "platform": sys.platform}
    report["desktop"] = _desktop(env)
    report["probe"] = _probe(env, advice)
    report["tray"] = _tray(env, advice)
    report["notifications"] = _notifications(env, advice, report["tray"])
    report["data_dir"] = _data_dir(data_dir, advice)
    report["database"] = _database(data_dir / "driftcheck.sqlite3", advice)
    report["browsers"] = _browsers(data_dir, env, advice)
    report["gnome_extension"] = _gnome_extension(env, report["probe"])
    report["devices"] = _devices(data_dir, advice)
    report["advice"] = advice
    return report


def _desktop(env: Mapping[str, str]) -> dict[str, Any]:
    from widget.desktop.session import desktop_name, session_kind, session_words

    report: dict[str, Any] = {"session": session_kind(env), "name": desktop_name(env),
                              "words": session_words(env)}
    if report["session"] == "wayland":
        report["wayland"] = _wayland_offers(env)
    return report


def _wayland_offers(env: Mapping[str, str]) -> dict[str, Any] | None:
    """What the compositor offers of what driftcheck can use: a list of its windows with the
    one in front (wlr-foreign-toplevel) and idle time; None when it could not be asked."""
    from widget.probes.wayland import EXT_IDLE_NOTIFIER, KDE_IDLE, wayland_globals
    from widget.probes.wlr import FOREIGN_TOPLEVEL

    offered = wayland_globals(env)
    if offered is None:
        return None
    idle = next((name for name in (EXT_IDLE_NOTIFIER, KDE_IDLE) if name in offered), None)
    return {"window_list": FOREIGN_TOPLEVEL in offered, "idle": idle}


def _probe(env: Mapping[str, str], advice: list[str]) -> dict[str, Any]:
    from widget.probes.choose import choose_probe

    try:
        probe = choose_probe(env, sys.platform, lambda fg: False)
    except Exception as exc:
        advice.append("No way to see the app in front was found; tracking cannot work here.")
        return {"name": None, "error": type(exc).__name__}
    try:
        info = probe.info()
        idle = None
        try:
            idle = probe.idle_seconds()
        except Exception:
            idle = None
        result = {"name": info.name, "measure": info.measure.value,
                  "idle_source": info.idle_source, "idle_readable": idle is not None,
                  "lock_source": info.lock_source, "focus_events": info.focus_events,
                  "notes": list(info.notes)}
    finally:
        probe.close()
    approximate = info.measure.value == "approximate"
    idle_known = info.idle_source is not None
    if info.name == "null":  # its note says why nothing can be counted
        result["counts"] = "Nothing can be counted here: driftcheck cannot see which apps run."
    else:
        counts = how_time_counts(approximate, idle_known)
        result["counts"] = counts
        advice.append(counts)
    advice.extend(n for n in dict.fromkeys(info.notes) if not _restates_counting(n))
    return result


def how_time_counts(approximate: bool, idle_known: bool, idle_after: float | None = None
                    ) -> str:
    """The one sentence on what counts on this machine: which app is in front (or only which
    runs) and whether stepping away stops the count (after `idle_after` seconds, when given).
    `driftcheck track` says it too when it starts."""
    if not approximate and idle_known:
        return ("Time counts while a tracked app is the window in front and you are at the "
                f"computer; it stops {_after(idle_after)}.")
    if not approximate:
        return ("Time counts while a tracked app is the window in front, even when you step "
                "away: this desktop does not say how long you have been idle.")
    if idle_known:
        return ("This desktop does not say which window is in front, so time counts while a "
                "tracked app runs and you are at the computer (it stops "
                f"{_after(idle_after)}): an approximation.")
    return ("This desktop says neither which window is in front nor how long you have been "
            "idle, so time counts while a tracked app runs, even when you step away: an "
            "approximation.")


def _after(idle_after: float | None) -> str:
    from widget.core.format import duration

    if idle_after is None:
        return "when you step away"
    return f"after {duration(idle_after)} without keyboard or mouse"


# What a probe's notes say about the window in front and idle time, which `how_time_counts`
# says once for all of them (the fallback probe's two notes said opposite things).
_COUNTING_WORDS = ("which window is in front", "idle", "step away", "while you are away")


def _restates_counting(note: str) -> bool:
    lowered = note.lower()
    return any(words in lowered for words in _COUNTING_WORDS)


def _tray(env: Mapping[str, str], advice: list[str]) -> dict[str, Any]:
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")) and sys.platform == "linux":
        advice.append("There is no graphical display, so there is no tray, window or "
                      "notification; `driftcheck track` and `driftcheck status` work from a "
                      "terminal.")
        return {"available": False, "reason": "no display"}
    try:
        out = subprocess.run([sys.executable, "-c", TRAY_CHECK], capture_output=True,
                             text=True, timeout=20, env=dict(env))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"available": False, "reason": type(exc).__name__}
    available = out.stdout.strip().endswith("True")
    if not available:
        from widget.desktop.session import tray_hint

        advice.append(f"No system tray was found ({tray_hint(env)}); driftcheck will open a "
                      "small window instead.")
    return {"available": available, "reason": None if available else "no tray on the desktop"}


def _notifications(env: Mapping[str, str], advice: list[str],
                   tray: Mapping[str, Any]) -> dict[str, Any]:
    if sys.platform != "linux":
        return {"service": "system tray messages"}
    if tray.get("reason") == "no display":  # said once, in the tray's sentence
        return {"service": None, "reason": "no display"}
    if not env.get("DBUS_SESSION_BUS_ADDRESS") and not env.get("XDG_RUNTIME_DIR"):
        advice.append("There is no session D-Bus, so notifications will show in driftcheck's "
                      "own window.")
        return {"service": None, "reason": "no session bus"}
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                          interface="org.freedesktop.DBus")
        with open_dbus_connection(bus="SESSION") as conn:
            owned = conn.send_and_get_reply(
                new_method_call(bus, "NameHasOwner", "s", ("org.freedesktop.Notifications",)),
                timeout=2).body[0]
            activatable = "org.freedesktop.Notifications" in conn.send_and_get_reply(
                new_method_call(bus, "ListActivatableNames"), timeout=2).body[0]
    except Exception as exc:
        advice.append("The session D-Bus could not be reached, so notifications will show in "
                      "driftcheck's own window.")
        return {"service": None, "reason": type(exc).__name__}
    if not (owned or activatable):
        advice.append("No notification service runs (dunst, mako or the desktop's own); "
                      "notifications will show in driftcheck's own window.")
    return {"service": "org.freedesktop.Notifications" if owned or activatable else None,
            "running": bool(owned), "activatable": activatable}


def _gnome_extension(env: Mapping[str, str], probe: Mapping[str, Any]
                     ) -> dict[str, Any] | None:
    """On GNOME on Wayland: whether driftcheck's Shell extension is installed, switched on
    and answering (the probe's own sentence, in the advice, says what to do); None elsewhere."""
    from widget.probes.gnome import is_gnome_wayland

    if not is_gnome_wayland(env):
        return None
    from widget.desktop import gnome_extension as gx

    folder = gx.installed_folder(env)
    try:
        switched_on: bool | None = gx.enabled(env)
    except gx.SettingsUnavailable:
        switched_on = None
    return {"uuid": gx.UUID, "installed": gx.is_ours(folder), "enabled": switched_on,
            "active": probe.get("name") == "gnome-shell" and probe.get("measure") == "foreground",
            "folder": str(folder)}


def _browsers(data_dir: Path, env: Mapping[str, str], advice: list[str]
              ) -> list[dict[str, Any]]:
    """Each browser here, and whether its tabs count by their address (driftcheck's extension
    connected to the running tracker) or by their titles only; advice for the latter."""
    from dataclasses import asdict

    from widget.services.browsers import ask, browser_statuses

    statuses = browser_statuses(data_dir, ask(data_dir), env)
    advice.extend(status.words() for status in statuses if not status.connected)
    return [asdict(status) for status in statuses]


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))  # for --json; the text says it in words


def _data_dir(path: Path, advice: list[str]) -> dict[str, Any]:
    if not path.exists():
        return {"path": str(path), "exists": False}
    files = []
    private = stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    for child in sorted(path.iterdir()):
        ok = stat.S_IMODE(child.stat().st_mode) & 0o077 == 0
        private = private and ok
        files.append({"name": child.name, "mode": _mode(child), "private": ok})
    if not private:
        advice.append(f"Some of {path} can be read by other users; `chmod -R go= {path}` "
                      "makes it yours alone (driftcheck also fixes this at its next start).")
    return {"path": str(path), "exists": True, "mode": _mode(path), "private": private,
            "files": files}


def _database(path: Path, advice: list[str]) -> dict[str, Any]:
    if not path.exists():
        return {"exists": False}
    try:
        # as_uri() escapes a '?' or '#' in a folder's name, which would end the file name.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            count = conn.execute("SELECT count(*) FROM intervals").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        advice.append(f"The database at {path} could not be read ({exc}).")
        return {"exists": True, "readable": False}
    if check != "ok":
        advice.append("The database reports damage; driftcheck will keep it aside and start "
                      "a fresh one.")
    return {"exists": True, "readable": True, "schema_version": version,
            "integrity": check, "intervals": count}


def _devices(data_dir: Path, advice: list[str]) -> dict[str, Any]:
    """Sharing with the person's other computers (issue 16): the folder, each computer and
    when it was last seen; the folder's sentences go to the advice."""
    from widget.desktop.localzone import local_zone
    from widget.services.devices import doctor_devices

    found = doctor_devices(data_dir, local_zone())
    notes = found.get("notes")
    if isinstance(notes, list):
        advice.extend(str(note) for note in notes)
    return found


def render(report: dict[str, Any]) -> str:
    """The report for a person: one line per part, then each piece of advice once."""
    probe = report["probe"]
    data = report["data_dir"]
    lines = [f"driftcheck {report['version']} on {report['platform']}",
             f"  Desktop:        {report['desktop']['words']}"]
    if "wayland" in report["desktop"]:
        lines.append(f"  Compositor:     {_offers_words(report['desktop']['wayland'])}")
    if probe.get("name"):
        sees = "which app is in front" if probe["measure"] == "foreground" \
            else "nothing" if probe["name"] == "null" \
            else "which apps run, not which is in front"
        lines.append(f"  Window probe:   {probe['name']}, sees {sees}")
        lines.append(f"  Idle time:      {_known(probe['idle_source'], probe['idle_readable'])}")
        lines.append(f"  Screen lock:    {_known(probe['lock_source'])}")
    else:
        lines.append("  Window probe:   none found")
    tray = report["tray"]
    lines.append(f"  Tray:           {'yes' if tray['available'] else 'no'}")
    notes = report["notifications"]
    lines.append(f"  Notifications:  {notes.get('service') or 'none'}")
    if data["exists"]:
        private = "only you can read it" if data["private"] \
            else "others can read some of it"
        lines.append(f"  Data folder:    {data['path']} ({private})")
    else:
        lines.append(f"  Data folder:    {data['path']} (not created yet)")
    db = report["database"]
    if db.get("readable"):
        lines.append(f"  Database:       schema {db['schema_version']}, {db['integrity']}, "
                     f"{db['intervals']} intervals")
    extension = report.get("gnome_extension")
    if extension is not None:
        state = "active" if extension["active"] else \
            "not installed" if not extension["installed"] else \
            "switched off" if extension["enabled"] is False else \
            "installed, loads at your next login"
        lines.append(f"  GNOME extension: {state}")
    devices = report["devices"]
    if devices.get("sharing") and devices.get("this_device"):
        others = "; ".join(devices["devices"]) or "no other computer's file yet"
        lines.append(f"  Devices:        {devices['this_device']} (this computer) through "
                     f"{devices['folder']}; {others}")
    elif devices.get("sharing"):
        lines.append(f"  Devices:        sharing through {devices['folder']}")
    else:
        lines.append("  Devices:        this computer only (`driftcheck devices share` to "
                     "include your others)")
    browsers = report["browsers"]
    by = [f"{b['name']} by {'address' if b['connected'] else 'title'}" for b in browsers]
    lines.append(f"  Browser tabs:   {'; '.join(by) if by else 'no browser found'}")
    advice = list(dict.fromkeys(report["advice"]))
    if advice:
        lines.append("")
        lines.extend(f"- {a}" for a in advice)
    return "\n".join(lines)


def _offers_words(offers: Mapping[str, Any] | None) -> str:
    if offers is None:
        return "did not answer"
    windows = "lists its windows" if offers["window_list"] else "keeps its windows to itself"
    idle = f"says idle time ({offers['idle']})" if offers["idle"] else "no idle time"
    return f"{windows}; {idle}"


def _known(source: str | None, readable: bool = True) -> str:
    if source is None:
        return "not known on this desktop"
    return source if readable else f"{source} (did not answer just now)"


def run(args: argparse.Namespace) -> int:
    """`driftcheck doctor [--json]`."""
    report = diagnose(data_dir(args))
    if args.json:
        print_json(report)
    else:
        print(render(report))
    return 0
