"""`driftcheck devices`: one mirror across the person's computers, through a folder their own
sync tool keeps in step (issue 16). share, sync, list, stop, and the answer to a copied data
folder (resolve)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from widget.commands.common import open_store, print_json
from widget.core.alerts import describe_goal
from widget.core.text import printable
from widget.errors import UsageError
from widget.services.share import shared_goals, what_goes

if TYPE_CHECKING:
    from widget.core.goals import Goal
    from widget.store.db import Store
    from widget.sync.folder import FolderView, SharedFolder

def run(args: argparse.Namespace) -> int:
    match args.devices_command:
        case "share":
            return share(args)
        case "sync":
            return sync(args)
        case "list":
            return list_devices(args)
        case "stop":
            return stop(args)
        case "resolve":
            return resolve(args)
        case "use-goals":
            return use_goals(args)
    raise UsageError(f"There is no devices action '{args.devices_command}'.")


def _tz() -> tzinfo:
    from widget.desktop.localzone import local_zone

    return local_zone()


def share(args: argparse.Namespace) -> int:
    from widget.datafolder import data_dir as data_dir_of
    from widget.services import devices as D
    from widget.services.share import check_share, start_sharing

    passphrase = None if args.passphrase_file is None \
        else D.read_passphrase_file(args.passphrase_file)
    request = check_share(data_dir_of(args), Path(args.folder), args.name, passphrase,
                          args.no_encryption)
    store = open_store(args)
    tz = _tz()
    try:
        done = start_sharing(store, request, tz, share_goals=bool(args.share_goals),
                             share_notes=bool(args.share_notes))
    finally:
        store.close()
    print(f"This computer now shares its time as \"{printable(request.name)}\" through "
          f"{printable(str(request.folder))}.")
    print(what_goes(bool(args.share_goals), bool(args.share_notes)))
    if request.sealed:
        print("Its files are protected with your passphrase (kept on this computer only, in "
              "driftcheck's private data folder); set the same one on your other computers.")
    elif request.syncthing:
        print("Its files are not protected with a passphrase: Syncthing carries them only "
              "between your own devices. Add --passphrase-file FILE to protect them too.")
    else:
        print("Its files are not protected with a passphrase (you chose --no-encryption).")
    _say_outcome(done.outcome.problem)
    _say_view(done.view, tz)
    print("To stop: `driftcheck devices stop` (add --remove-my-file to take this computer's "
          "file out of the folder too).")
    return 0


def _say_outcome(problem: str | None) -> None:
    if problem:
        print(problem)


def _say_view(view: FolderView, tz: tzinfo) -> None:
    from widget.services.devices import seen_words

    others = seen_words(view, tz)
    if others:
        print("Your other computers:")
        for line in others:
            print(f"  {line}")
    else:
        print("No other computer's file is in the folder yet; once your sync tool brings "
              "one, its time counts here too.")
    for note in view.notes:
        print(note)


def _open(args: argparse.Namespace) -> tuple[Store, SharedFolder, tzinfo]:
    """The store and the shared folder; UsageError when sharing is off."""
    from widget.services import devices as D

    store = open_store(args)
    tz = _tz()
    shared = D.open_shared(store.path.parent, store.all_settings(), tz)
    if shared is None:
        store.close()
        raise UsageError("This computer is not sharing its time. To start: `driftcheck "
                         "devices share FOLDER --name NAME`.")
    return store, shared, tz


def sync(args: argparse.Namespace) -> int:
    from widget.services import devices as D

    store, shared, tz = _open(args)
    try:
        outcome = D.write_own(shared, store, D.months_to_write(datetime.now(UTC)))
        view = shared.read()
    finally:
        store.close()
    if outcome.written:
        print(f"Wrote this computer's file for {', '.join(outcome.written)}.")
    elif not outcome.problem:
        print("This computer's file was already up to date.")
    _say_outcome(outcome.problem)
    _say_view(view, tz)
    return 0


def list_devices(args: argparse.Namespace) -> int:
    from widget.services import devices as D

    store, shared, tz = _open(args)
    try:
        view = shared.read()
        store_names = store.app_names()
    finally:
        store.close()
    if args.json:
        print_json({
            "folder": str(view.folder),
            "unavailable_since": None if view.unavailable_since is None
            else view.unavailable_since.isoformat(),
            "clash": view.clash,
            "devices": [{"id": shared.identity.device_id, "name": view.this_name,
                         "this_device": True, "last_written": None, "stale_since": None,
                         "retired": False}] + [
                {"id": d.device_id, "name": d.name, "this_device": False,
                 "last_written": None if d.last_written is None else d.last_written.isoformat(),
                 "stale_since": None if d.stale_since is None else d.stale_since.isoformat(),
                 "retired": d.retired,
                 "goals": None if (goals := shared_goals(d)) is None
                 else [_goal_json(g) for g in goals]} for d in view.devices if not d.is_self],
            "notes": list(view.notes)})
        return 0
    print(f"Shared folder: {printable(str(view.folder))}")
    print(f"  {view.this_name} (this computer)")
    others = [d for d in view.devices if not d.is_self]
    for device, line in zip(others, D.seen_words(view, tz), strict=True):
        print(f"  {line}")
        goals = shared_goals(device)
        if goals is not None:
            said = "; ".join(describe_goal(g, store_names) for g in goals) or "none set"
            print(f"    its goals (`devices use-goals {printable(device.name)}` takes them): "
                  f"{said}")
    for note in view.notes:
        print(note)
    return 0


def stop(args: argparse.Namespace) -> int:
    from widget.services.share import stop_sharing

    store = open_store(args)
    try:
        stopped = stop_sharing(store, _tz(), remove_my_files=bool(args.remove_my_file))
    finally:
        store.close()
    if not stopped.was_on:
        print("This computer is not sharing its time; nothing to stop.")
        return 0
    removed = stopped.removed
    print("This computer no longer shares its time; everything here counts this computer "
          "alone again.")
    if removed is None:
        print("Its file could not be taken out of the shared folder (the folder cannot be "
              "reached, or another computer writes under this one's identity); you can delete "
              "the files named driftcheck-...dcsync of this computer yourself.")
    elif args.remove_my_file:
        print(f"Removed this computer's {len(removed)} file{'s' if len(removed) != 1 else ''} "
              "from the shared folder; the other computers' files stay as they are.")
    else:
        print("Its file stays in the shared folder, so your other computers keep its history; "
              "`driftcheck devices stop --remove-my-file` takes it out.")
    print("To share again: `driftcheck devices share FOLDER --name NAME`.")
    return 0


def resolve(args: argparse.Namespace) -> int:
    """The answer to "another computer writes under this one's identity"."""
    from widget.services import devices as D
    from widget.sync.folder import take_new_identity

    store, shared, _tz_ = _open(args)
    try:
        shared.read()
        if args.resolution == "new-identity":
            identity = take_new_identity(store.path.parent, shared.identity)
            renewed = D.open_shared(store.path.parent, store.all_settings(), _tz_)
            assert renewed is not None
            outcome = D.write_own(renewed, store, D.all_months(store, datetime.now(UTC)))
            print(f"This computer now writes under a new identity ({identity.device_id[:6]}).")
        else:
            months = shared.keep_writing_as_this_computer()
            outcome = D.write_own(shared, store,
                                  sorted({*months, *D.months_to_write(datetime.now(UTC))}))
            print("This computer writes its file again; the copy's writing is replaced.")
    finally:
        store.close()
    _say_outcome(outcome.problem)
    return 0




def _goal_json(goal: Goal) -> dict[str, object]:
    return {"kind": goal.kind.value, "app": goal.app, "limit_seconds": goal.limit_seconds,
            "quiet_start": goal.quiet_start, "quiet_end": goal.quiet_end}


def use_goals(args: argparse.Namespace) -> int:
    """This computer's goals made those another computer shares (`services.share.take_goals`):
    the person's choice, once, never automatic. A goal for an app this computer does not track
    is left out, and said."""
    from widget.services.share import take_goals

    store, shared, _ = _open(args)
    try:
        view = shared.read()
        wanted = args.computer.strip().casefold()
        others = [d for d in view.devices if not d.is_self]
        device = next((d for d in others if d.name.casefold() == wanted
                       or d.device_id.startswith(wanted)), None)
        if device is None:
            known = ", ".join(printable(d.name) for d in others) or "none yet"
            raise UsageError(f"No other computer called {printable(args.computer)} shares "
                             f"this folder (the others: {known}).")
        done = take_goals(store, device)
    finally:
        store.close()
    if done.taken:
        print(f"Your goals here are now {printable(done.device)}'s:")
        for goal in done.taken:
            print(f"  {describe_goal(goal, done.names)}")
    else:
        print(f"{printable(done.device)} has no goals set, so this computer has none now "
              "either.")
    for goal in done.left:
        print(f"Left out: {describe_goal(goal, done.names)} (an app this computer does not "
              "track; `driftcheck apps add` adds it, then use the goals again).")
    return 0
