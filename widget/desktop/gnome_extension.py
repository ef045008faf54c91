"""driftcheck's GNOME Shell extension: built from its one source for the Shell at hand, put where
GNOME looks for a person's extensions, and switched on or off (docs/GNOME.md, issue 14).

The source is resources/gnome/extension/: titles.js (the title matcher, plain functions) and
focus.js (what follows the focus and answers on the bus). GNOME 43 and 44 load an extension
through `imports.*` and call its `init()`; 45 and later import it as an ES module and take its
default export, a subclass of `Extension`. `extension_js(form)` wraps the same two files in
the form's header and entry point; nothing else differs.

Switching it on is the `org.gnome.shell enabled-extensions` setting (through `gsettings`),
which works whether or not the Shell runs: on Wayland a Shell loads a new extension only at the
next login.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from widget.catalog_data import resource_path

UUID = "driftcheck@driftcheck.invalid"
SOURCES = ("titles.js", "focus.js")  # in this order: focus.js calls titles.js's functions
# The two forms, and the Shell versions each is for (GNOME 50 the newest checked against its
# documented API; 43 the one run for real here).
FORMS: Mapping[str, tuple[str, ...]] = {
    "43": ("43", "44"),
    "45": ("45", "46", "47", "48", "49", "50"),
}
SETTINGS_SCHEMA = "org.gnome.shell"
ENABLED_KEY = "enabled-extensions"
DISABLED_KEY = "disabled-extensions"
ALL_OFF_KEY = "disable-user-extensions"

_HEADER_43 = """'use strict';
// driftcheck's GNOME Shell extension, the GNOME 43/44 form (built by driftcheck from
// resources/gnome/extension/; do not edit here).
const {Gio, GLib, Meta, Shell} = imports.gi;
"""
_FOOTER_43 = """
// GNOME 43/44 call init() once and then enable()/disable() as the session asks.
function init() {
    return new DriftcheckFocus();
}
"""
_HEADER_45 = """// driftcheck's GNOME Shell extension, the GNOME 45+ form (built by driftcheck from
// resources/gnome/extension/; do not edit here).
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Meta from 'gi://Meta';
import Shell from 'gi://Shell';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';
"""
_FOOTER_45 = """
export default class DriftcheckExtension extends Extension {
    enable() {
        this._focus = new DriftcheckFocus();
        this._focus.enable();
    }

    disable() {
        this._focus?.disable();
        this._focus = null;
    }
}
"""


def form_for(version: str) -> str | None:
    """The form for GNOME Shell `version` ("43.9", "46.0", "50.beta"); None before 43."""
    found = re.match(r"(\d+)", version.strip())
    if found is None:
        return None
    major = int(found.group(1))
    if major < 43:
        return None
    return "43" if major < 45 else "45"


def shell_version(env: Mapping[str, str] | None = None) -> str | None:
    """The installed GNOME Shell's version ("43.9"), from `gnome-shell --version`; None when
    there is none."""
    gnome_shell = shutil.which("gnome-shell", path=(env or os.environ).get("PATH"))
    if gnome_shell is None:
        return None
    try:
        done = subprocess.run([gnome_shell, "--version"], capture_output=True, text=True,
                              timeout=10, env=dict(env) if env is not None else None)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"GNOME Shell\s+(\S+)", done.stdout)
    return found.group(1) if found else None


def source(name: str) -> str:
    return resource_path("gnome", "extension", name).read_text(encoding="utf-8")


def extension_js(form: str) -> str:
    """The extension's one script in `form` ("43" or "45")."""
    body = "\n".join(source(name) for name in SOURCES)
    if form == "43":
        return _HEADER_43 + "\n" + body + _FOOTER_43
    return _HEADER_45 + "\n" + body + _FOOTER_45


def metadata(form: str) -> dict[str, object]:
    from widget import __version__

    return {
        "uuid": UUID,
        "name": "driftcheck",
        "description": "Tells driftcheck which app's window has the focus, and which of its "
                       "title rules the title matches (never the title), on this computer "
                       "only.",
        "shell-version": list(FORMS[form]),
        # Also while the screen is locked, so that driftcheck keeps knowing nothing is in front.
        "session-modes": ["user", "unlock-dialog"],
        "version-name": __version__,
    }


def extensions_folder(env: Mapping[str, str] | None = None) -> Path:
    """Where GNOME looks for a person's own extensions: $XDG_DATA_HOME/gnome-shell/extensions
    (~/.local/share by default)."""
    env = os.environ if env is None else env
    data = env.get("XDG_DATA_HOME")
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    base = Path(data) if data and Path(data).is_absolute() else home / ".local" / "share"
    return base / "gnome-shell" / "extensions"


def installed_folder(env: Mapping[str, str] | None = None) -> Path:
    return extensions_folder(env) / UUID


def is_ours(folder: Path) -> bool:
    """Whether `folder` holds driftcheck's extension (its metadata names our uuid)."""
    try:
        data = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("uuid") == UUID


def write(folder: Path, form: str) -> None:
    """Write the extension in `form` to `folder`, replacing an earlier build of ours."""
    if folder.exists() and not folder.is_symlink() and is_ours(folder):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "metadata.json").write_text(json.dumps(metadata(form), indent=2) + "\n",
                                          encoding="utf-8")
    (folder / "extension.js").write_text(extension_js(form), encoding="utf-8")


# --- the settings --------------------------------------------------------------------------


class SettingsUnavailable(Exception):
    """`gsettings` is missing, or GNOME Shell's settings schema is not installed."""


def _gsettings(*args: str, env: Mapping[str, str] | None = None) -> str:
    gsettings = shutil.which("gsettings")
    if gsettings is None:
        raise SettingsUnavailable("gsettings is not installed")
    try:
        done = subprocess.run([gsettings, *args], capture_output=True, text=True, timeout=15,
                              env=dict(env) if env is not None else None)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SettingsUnavailable(type(error).__name__) from None
    if done.returncode != 0:
        raise SettingsUnavailable(done.stderr.strip().splitlines()[-1] if done.stderr.strip()
                                  else f"gsettings exited with {done.returncode}")
    return done.stdout.strip()


def parse_string_list(text: str) -> list[str]:
    """A GVariant `as` as gsettings prints it: "@as []" or "['a@b', 'c']"."""
    text = text.strip()
    if text.startswith("@as"):
        text = text[3:].strip()
    value = ast.literal_eval(text) if text else []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SettingsUnavailable("the list of extensions could not be read")
    return value


def format_string_list(items: list[str]) -> str:
    """`items` as a GVariant `as` text gsettings takes."""
    quoted = ("'" + item.replace("\\", "\\\\").replace("'", "\\'") + "'" for item in items)
    return "[" + ", ".join(quoted) + "]"


def enabled(env: Mapping[str, str] | None = None) -> bool:
    return UUID in parse_string_list(_gsettings("get", SETTINGS_SCHEMA, ENABLED_KEY, env=env))


def all_user_extensions_off(env: Mapping[str, str] | None = None) -> bool:
    return _gsettings("get", SETTINGS_SCHEMA, ALL_OFF_KEY, env=env) == "true"


def switch(on: bool, env: Mapping[str, str] | None = None) -> None:
    """Add our uuid to the enabled extensions (and take it off the disabled ones), or the other
    way round; other extensions keep their place."""
    now = parse_string_list(_gsettings("get", SETTINGS_SCHEMA, ENABLED_KEY, env=env))
    wanted = [uuid for uuid in now if uuid != UUID] + ([UUID] if on else [])
    if wanted != now:
        _gsettings("set", SETTINGS_SCHEMA, ENABLED_KEY, format_string_list(wanted), env=env)
    if on:
        off = parse_string_list(_gsettings("get", SETTINGS_SCHEMA, DISABLED_KEY, env=env))
        if UUID in off:
            _gsettings("set", SETTINGS_SCHEMA, DISABLED_KEY,
                       format_string_list([uuid for uuid in off if uuid != UUID]), env=env)
