"""`driftcheck apps ...`: the catalog, the apps a person tracks, and "is it counted now?".

Every app is shown with how it is recognised on this system, in words ("a browser tab at
my.replika.com (with driftcheck's browser extension), or whose title says "Replika""), and what
it will not catch; ids and names are taken in any case.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from time import sleep

from widget.commands.common import open_store, print_json
from widget.core.catalog import (
    PLATFORM_NAMES,
    Catalog,
    custom_app,
    distinct_custom_key,
    entry_to_app,
    recognition,
)
from widget.core.model import TrackedApp
from widget.core.rules import CountCheck, count_check_words
from widget.errors import UsageError
from widget.store.db import Store

_NOT_TRACKING = ("You are not tracking any apps yet. `driftcheck apps catalog` lists the ones "
                 "driftcheck knows; `driftcheck apps add NAME` picks one.")


def apps(args: argparse.Namespace) -> int:
    from widget.catalog_data import current_platform, load_catalog

    catalog, platform = load_catalog(), current_platform()
    action = args.apps_command
    if action == "catalog":
        return _catalog(catalog, platform, args.json)
    store = open_store(args)
    try:
        tracked = store.list_apps()
        if action == "list":
            if args.json:
                print_json([_app_json(a, platform) for a in tracked])
            elif not tracked:
                print(_NOT_TRACKING)
            else:
                print(f"The apps you track, and how each is recognised on "
                      f"{PLATFORM_NAMES[platform]}:")
                _table([(a.key, a.name, a) for a in tracked], platform, "your own")
            return 0
        if action == "add":
            return _apps_add(args, store, catalog, platform)
        if action == "remove":
            return _apps_remove(args.ids, store, tracked)
        if action == "check":
            store.close()
            return _apps_check(tracked, store.path.parent, args.json, args.wait)
    finally:
        store.close()
    raise UsageError(f"Unknown apps action '{action}'.")


def _catalog(catalog: Catalog, platform: str, as_json: bool) -> int:
    entries = sorted(catalog.entries, key=lambda e: e.name.lower())
    if as_json:
        print_json([{"id": e.id, "name": e.name, "processes": dict(e.processes),
                      "bundle_ids": list(e.bundle_ids), "titles": list(e.titles),
                      "addresses": list(e.addresses),
                      "addresses_verified": e.addresses_verified,
                      "verified": e.verified, "notes": e.notes,
                      **_recognised_json(entry_to_app(e, platform), platform)}
                     for e in catalog.entries])
        return 0
    print(f"The companion apps driftcheck knows, and how each is recognised on "
          f"{PLATFORM_NAMES[platform]}:")
    _table([(e.id, e.name, entry_to_app(e, platform)) for e in entries], platform, None)
    if not all(e.verified for e in entries):
        print("\nThese patterns are careful guesses, not yet checked against every live app; "
              "`driftcheck apps check` shows whether a window counts.")
    return 0


def _table(rows: Sequence[tuple[str, str, TrackedApp]], platform: str,
           own_word: str | None) -> None:
    """ID, NAME and how the app is counted, wrapped to the terminal; "Not counted" beneath."""
    id_width = max([len(key) for key, _, _ in rows] + [2])
    name_width = min(24, max([_width(name) for _, name, _ in rows] + [4]))
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    indent = " " * (id_width + name_width + 4)
    text_width = max(30, width - len(indent))
    print(f"\n{'ID':<{id_width}}  {'NAME':<{name_width}}  COUNTED AS")
    for key, name, app in rows:
        seen = recognition(app, platform)
        counted = seen.counted + (f" ({own_word})" if own_word and app.source != "catalog"
                                  else "")
        first, *rest = textwrap.wrap(counted, text_width) or [""]
        shown = name if _width(name) <= name_width else name[:name_width - 1] + "…"
        padding = " " * (name_width - _width(shown))
        print(f"{key:<{id_width}}  {shown}{padding}  {first}")
        for line in rest + textwrap.wrap(seen.not_counted, text_width):
            print(indent + line)


def _width(text: str) -> int:
    """Columns a terminal gives `text`: wide characters (emoji, CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _recognised_json(app: TrackedApp, platform: str) -> dict[str, str]:
    seen = recognition(app, platform)
    return {"counted": seen.counted, "not_counted": seen.not_counted}


def _app_json(a: TrackedApp, platform: str) -> dict[str, object]:
    return {"id": a.key, "name": a.name, "source": a.source,
            "any_window_titles": a.any_window_titles,
            "rules": [{"kind": r.kind.value, "pattern": r.pattern} for r in a.rules],
            **_recognised_json(a, platform)}


def _apps_add(args: argparse.Namespace, store: Store, catalog: Catalog, platform: str) -> int:
    custom = (args.name is not None or args.process or args.title or args.address
              or args.app_id)
    if custom and args.ids:
        raise UsageError("Add catalog apps by name, or one app of your own with --name, "
                         "but not both at once.")
    if not custom and not args.ids:
        raise UsageError("Name a catalog app (see `driftcheck apps catalog`) or describe your "
                         "own app with --name and --process, --app-id, --title or --address.")
    tracked = {a.key: a for a in store.list_apps()}
    if custom:
        if args.name is None:
            raise UsageError("Your own app needs a name: add --name.")
        if not (args.process or args.title or args.address or args.app_id):
            raise UsageError("Your own app needs a way to be recognised: add --process, "
                             "--app-id, "
                             "--title or --address.")
        wanted = custom_app(args.name, args.process, args.title, args.any_window,
                            args.address, args.app_id)
        app = distinct_custom_key(wanted, store.app_names(), set(tracked))
        store.add_app(app)
        print(f"Tracking {app.name} ({app.key}).")
        if app.key != wanted.key and wanted.key in tracked:
            print(f"The id {wanted.key} is {tracked[wanted.key].name}'s already, so this one "
                  f"is {app.key}; nothing of {tracked[wanted.key].name} changed.")
        return 0
    entries = list(dict.fromkeys(catalog.find(text) for text in args.ids))  # all valid first
    for entry in entries:
        if entry.id in tracked:
            print(f"You already track {entry.name} ({entry.id}); nothing changed.")
            continue
        app = entry_to_app(entry, platform)
        store.add_app(app)
        print(f"Tracking {app.name} ({app.key}): {recognition(app, platform).counted}.")
    return 0


def _apps_remove(texts: Sequence[str], store: Store, tracked: Sequence[TrackedApp]) -> int:
    """Remove tracked apps named by id or by name, in any case; all checked before any goes."""
    keys: dict[str, str] = {}
    for text in texts:
        wanted = text.strip().casefold()
        app = next((a for a in tracked if wanted in (a.key.casefold(), a.name.casefold())),
                   None)
        if app is None:
            raise UsageError(f"'{text}' is not among the apps you track; "
                             "`driftcheck apps list` shows them.")
        keys[app.key] = app.name
    for key, name in keys.items():
        store.remove_app(key)
        print(f"No longer tracking {name} ({key}); its history stays.")
    return 0


def _apps_check(tracked: Sequence[TrackedApp], data_dir: Path, as_json: bool,
                wait: float) -> int:
    """What is in front now (after `wait` seconds, time to switch to the app) and which
    tracked app it counts as, a browser tab as the tracker of `data_dir` hears it from the
    extension; then what each browser's tabs are matched by. The title goes to the screen
    only."""
    from widget.services.count_check import check_now

    if wait > 0:
        print(f"Switch to the window you want to check; driftcheck looks in {wait:g} s.",
              file=sys.stderr, flush=True)
        sleep(wait)
    check = check_now(tracked, data_dir)
    if as_json:
        print_json(_check_json(check))
    else:
        for line in count_check_words(check):
            print(line)
    return 0


def _check_json(check: CountCheck) -> dict[str, object]:
    fg = check.foreground
    return {
        "probe": check.probe,
        "sees_window_in_front": check.sees_front,
        "front": None if fg is None else {
            "process": fg.process, "title": fg.title, "window_class": fg.window_class,
            "in_browser": check.in_browser,
            # the browser whose extension spoke for the tab in front (null: its title decides)
            "tab_by_extension_of": check.extension if fg.tab is not None else None},
        "counts_as": None if check.counts_as is None else {
            "id": check.counts_as.key, "name": check.counts_as.name},
        "reason": check.reason,
        "browsers": list(check.browser_notes),
        "words": count_check_words(check),
    }
