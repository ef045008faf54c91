"""Turning sharing with the person's other computers on and off (issue 16), without Qt: the one
code path behind `driftcheck devices share` / `stop` and Settings' "Other computers" page.

`check_share` decides whether a folder, a name and a passphrase can be used (fast, touches
nothing); `start_sharing` makes or keeps this computer's identity, keeps the passphrase, stores
the settings and writes this computer's months for the first time; `stop_sharing` turns the
writing off and, when asked, takes this computer's files out of the folder. Every refusal is a
`UsageError` with a sentence for the person.

Threads: `check_share` is quick (a few `stat` calls) and may run on the Qt main thread.
`start_sharing` and `stop_sharing` block on files (the first write of two years of dense
history, 146,000 intervals, took 3.4 s here, 4.8 s with a passphrase, on a busy 2-core
machine); opening the shared folder decodes the kept copies of the other computers'
files): the command's thread, or a worker thread, never the Qt main thread. Both stores are
thread-safe (`widget.store.api`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from widget.core import settings as S
from widget.core.text import printable
from widget.errors import UsageError

if TYPE_CHECKING:
    from widget.core.goals import Goal
    from widget.store.api import GoalEditor, StoreContract, StoreReader
    from widget.sync.folder import FolderView, WriteOutcome
    from widget.sync.reader import MergedReader
    from widget.sync.view import DeviceView

WHAT_GOES = (
    "What goes into this computer's file there: how long each tracked app was in front, "
    "minute by minute, the apps' names and this computer's name{extra}. Never a window's "
    "title, never a web address. Your sync tool carries the folder to your other computers "
    "(and, for a cloud folder, to its provider); driftcheck itself never connects to anything.")


def what_goes(share_goals: bool, share_notes: bool) -> str:
    """`WHAT_GOES` with what the person chose to share besides their time."""
    extra = ""
    if share_goals:
        extra += ", your goals and your preferences"
    if share_notes:
        extra += ", your check-ins with their notes"
    return WHAT_GOES.format(extra=extra)


class PassphraseNeeded(UsageError):
    """The folder is not a Syncthing folder and neither a passphrase nor "no passphrase" was
    given. The sentence names the command's options; a window says it in its own words."""


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """What `check_share` found usable: the folder (absolute), the name as kept, the
    passphrase (None: none) and whether the folder is inside a Syncthing folder."""

    folder: Path
    name: str
    passphrase: str | None
    syncthing: bool

    @property
    def sealed(self) -> bool:
        return self.passphrase is not None


@dataclass(frozen=True, slots=True)
class Shared:
    """What `start_sharing` did: the first write's outcome and the folder's first read."""

    request: ShareRequest
    outcome: WriteOutcome
    view: FolderView


@dataclass(frozen=True, slots=True)
class Stopped:
    """What `stop_sharing` did. `removed`: the names of this computer's files taken out of
    the folder (empty when not asked), or None when they could not be (the folder cannot be
    reached, or another computer writes under this computer's identity)."""

    was_on: bool
    removed: tuple[str, ...] | None = ()


def check_share(data_dir: Path, folder: Path, name: str, passphrase: str | None,
                no_encryption: bool) -> ShareRequest:
    """Whether sharing through `folder` as `name` can start; UsageError (PassphraseNeeded for
    a folder that needs a passphrase) with what to do otherwise. Touches nothing."""
    from widget.services.devices import is_syncthing_folder
    from widget.sync.folder import check_device_name

    folder = Path(folder).expanduser().absolute()
    if not folder.is_dir():
        raise UsageError(f"There is no folder {printable(str(folder))}; make it (or let your "
                         "sync tool make it) first, then share again.")
    kept_name = check_device_name(name)
    if passphrase is not None and not passphrase.strip():
        raise UsageError("The passphrase is empty; choose one, the same on each of your "
                         "computers.")
    syncthing = is_syncthing_folder(folder)
    if passphrase is None and not no_encryption and not syncthing:
        raise PassphraseNeeded(
            "This folder is not a Syncthing folder, so its files may leave your computers "
            "(a cloud folder such as Dropbox or Nextcloud keeps a copy with its provider). "
            "Protect them with a passphrase: --passphrase-file FILE, with the same passphrase "
            "on each of your computers; or, if you are sure, --no-encryption.")
    data_dir = Path(data_dir).expanduser().absolute()
    if folder == data_dir or data_dir in folder.parents:
        raise UsageError("The shared folder cannot be inside driftcheck's own data folder; "
                         "choose the folder your sync tool keeps in step.")
    if folder in data_dir.parents:
        raise UsageError("driftcheck's own data folder is inside that folder, so your sync "
                         "tool would carry its whole database; choose a folder beside it.")
    return ShareRequest(folder, kept_name, passphrase, syncthing)


def start_sharing(store: StoreContract, request: ShareRequest, tz: tzinfo, *,
                  share_goals: bool, share_notes: bool) -> Shared:
    """Share this computer's time through `request.folder` from now on: its identity (a new
    one when the passphrase was set or taken away since, after removing the old identity's
    files so its time is not there twice), the passphrase kept owner-only (or forgotten), the
    settings, and every month since the first use written. `store` is this computer's own
    (never the tray's all-devices one: its intervals would go out as this computer's).
    Blocks (see the module)."""
    from widget.services import devices as D
    from widget.sync.folder import (
        SharedFolder,
        create_identity,
        load_identity,
        save_identity,
    )

    data_dir = store.path.parent
    identity = load_identity(data_dir)
    if identity is not None and (identity.kdf is not None) != request.sealed:
        SharedFolder(request.folder, data_dir, identity, None, lambda: datetime.now(UTC),
                     tz).remove_my_files()
        identity = None
    if identity is None:
        identity = create_identity(data_dir, request.name, request.sealed)
    elif identity.name != request.name:
        identity = replace(identity, name=request.name)
        save_identity(data_dir, identity)
    if request.passphrase is not None:
        D.save_passphrase(data_dir, request.passphrase)
    else:
        D.forget_passphrase(data_dir)
    S.put(store, S.SYNC_FOLDER, str(request.folder))
    S.put(store, S.SYNC_SHARE_GOALS, bool(share_goals))
    S.put(store, S.SYNC_SHARE_NOTES, bool(share_notes))
    S.put(store, S.SYNC_ON, True)
    shared = D.open_shared(data_dir, store.all_settings(), tz)
    assert shared is not None  # on, with an identity, just now
    outcome = D.write_own(shared, store, D.all_months(store, datetime.now(UTC)))
    return Shared(request, outcome, shared.read())


def stop_sharing(store: StoreContract, tz: tzinfo, *, remove_my_files: bool) -> Stopped:
    """Stop writing this computer's file (the setting off first: a running tracker writes no
    file after its next look at it) and, when asked, take this computer's own files out of
    the folder, nothing of another computer's. Blocks (see the module)."""
    from widget.services import devices as D

    settings = store.all_settings()
    if not S.value_of(settings, S.SYNC_ON):
        return Stopped(False)
    shared = D.open_shared(store.path.parent, settings, tz) if remove_my_files else None
    # Under the writers' lock: a sync that began before this (the tracker's child) either
    # wrote already, and its file is removed here, or finds sharing off and writes nothing.
    with D.sync_lock(store.path.parent):
        S.put(store, S.SYNC_ON, False)
        if not remove_my_files:
            return Stopped(True)
        return Stopped(True, None if shared is None else shared.remove_my_files())


# --- another computer's goals, taken here when the person asks ---------------------------


def shared_goals(device: DeviceView) -> tuple[Goal, ...] | None:
    """The goals another computer shares (`--share-goals` there), as its newest file says
    them; None when it shares none."""
    newest = device.newest
    return None if newest is None else newest.goals


@dataclass(frozen=True, slots=True)
class GoalsTaken:
    """What `take_goals` did: the goals now this computer's, those left out (an app this
    computer does not track) and the apps' names to say them with."""

    device: str  # the other computer's name
    taken: tuple[Goal, ...]
    left: tuple[Goal, ...]
    names: dict[str, str]


def take_goals(editor: GoalEditor, device: DeviceView) -> GoalsTaken:
    """This computer's goals made those `device` shares: the person's choice, once, never
    automatic (which computer's goals are the newest is not for driftcheck to guess). A goal
    for an app this computer does not track is left out. UsageError when `device` shares
    none."""
    from widget.core.goals import check_goals

    goals = shared_goals(device)
    if goals is None:
        raise UsageError(f"{printable(device.name)} does not share its goals; `driftcheck "
                         "devices share FOLDER --name NAME --share-goals` there shares them "
                         "(or \u201cShare my goals and preferences\u201d in its Settings).")
    tracked = {app.key for app in editor.list_apps()}
    taken = tuple(g for g in goals if g.app is None or g.app in tracked)
    check_goals(list(taken))
    editor.replace_goals(taken)
    newest = device.newest
    return GoalsTaken(device.name, taken, tuple(g for g in goals if g not in taken),
                      {**(newest.apps if newest is not None else {}), **editor.app_names()})


def own_store(store: StoreContract) -> StoreContract:
    """This computer's own store under the tray's all-devices one (`MergedStore`), or
    `store` itself: what sharing writes from and keeps its settings in."""
    from widget.sync.reader import MergedStore

    return store.store if isinstance(store, MergedStore) else store


def others_seen(store: StoreReader, view: FolderView | None) -> None:
    """Hand a read of the folder to the tray's all-devices store at once (None: sharing went
    off, so it counts this computer alone again), instead of at the tracker's next sync."""
    from widget.services.devices import names_of, others_of
    from widget.sync.reader import MergedReader, shared_checkins

    if isinstance(store, MergedReader):
        if view is None:
            store.refresh({}, {})
        else:
            store.refresh(others_of(view), names_of(view), shared_checkins(view), view.covered)


class SharedReads:
    """The tray app's side of sharing: each read of the shared folder handed to its
    all-devices store (`take`, from the sync job's thread), and the read to speak of
    (`current`, on the Qt main thread) while sharing is on. Once sharing is off (Settings, or
    `driftcheck devices stop` from a terminal while the tray runs), the next `current`
    forgets the other computers, so today and the ring count this computer alone again."""

    def __init__(self, merged: MergedReader) -> None:
        import threading

        self._merged = merged
        self._view: FolderView | None = None
        self._lock = threading.Lock()

    def take(self, view: FolderView) -> None:
        with self._lock:
            others_seen(self._merged, view)
            self._view = view

    def current(self) -> FolderView | None:
        """The last read while sharing is on, else None (one settings read)."""
        settings = self._merged.all_settings()
        # services.devices' sharing_on, said here: the tray must not load that module for it
        on = S.value_of(settings, S.SYNC_ON) and S.value_of(settings, S.SYNC_FOLDER) is not None
        with self._lock:
            if not on and (self._view is not None or self._merged.others):
                self._view = None
                others_seen(self._merged, None)
            return self._view
