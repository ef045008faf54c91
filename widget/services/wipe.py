"""`driftcheck wipe`: remove every trace driftcheck keeps on this device, after asking.

What goes: every file in the data folder whose name driftcheck gives (`widget.datafolder`: the
database with its -wal and -shm, upgrade backups, demo-data and import set-asides, the logs,
the single-instance lock and FIFO, export temporary files), the start-at-login entry, and then
the data folder itself when it is left empty and was driftcheck's. Files of any other name
stay, symbolic links are removed as links (never followed), and nothing below the folder is
entered. A running tray app (it holds the single-instance lock) or another program with the
database open is not stopped: wipe asks, kindly, to quit it first. The tray app's own
"Delete everything" (Settings, Your data) stops itself first and then removes the same traces
through `wipe_for_running_app`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from widget.datafolder import database_users, instance_lock, our_files, still_running_sentence
from widget.desktop.autostart import autostart_location, is_start_at_login, set_start_at_login
from widget.errors import WipeRefused
from widget.paths import (
    APP_DIR_NAME,
    DATA_DIR_ENV,
    SYNC_CACHE_NAME,
    SYNC_TEMP_PREFIX,
    default_data_dir,
    is_ours,
)

PROMPT = ("Remove everything driftcheck has stored on this device? This cannot be undone. "
          "Type 'yes' to go on: ")


@dataclass
class Traces:
    """What driftcheck keeps on this device, found by name."""

    data_dir: Path
    files: list[Path] = field(default_factory=list)
    autostart: list[Path] = field(default_factory=list)  # the entry and a half-written one
    run_value: str | None = None  # Windows: the Run value's name
    # The browsers' native-host manifests that start this data folder's launcher
    browser_manifests: list[Path] = field(default_factory=list)
    # driftcheck's GNOME Shell extension (`driftcheck desktop install`), with the usual folder
    gnome_extension: Path | None = None
    # the last good copies of the person's other computers' files (a folder: sync-cache)
    sync_cache: Path | None = None
    # this computer's own files in the folder it shares its time through (issue 16); the
    # other computers' files there are never touched
    shared_files: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files or self.autostart or self.run_value or self.browser_manifests
                    or self.gnome_extension or self.sync_cache or self.shared_files
                    or self.empty_dir_is_ours())

    def empty_dir_is_ours(self) -> bool:
        """An empty data folder named as driftcheck names it (created by it, nothing else's)."""
        folder = self.data_dir
        return folder.name == APP_DIR_NAME and folder.is_dir() and not folder.is_symlink() \
            and not any(folder.iterdir())


def starts_at_login(data_dir: Path, platform: str = sys.platform,
                    env: Mapping[str, str] = os.environ) -> bool:
    """Whether `data_dir` is the folder the start-at-login entry opens: the platform's own
    (the entry passes no --data-dir). Wiping a trial folder leaves the entry alone."""
    plain = {key: value for key, value in env.items() if key != DATA_DIR_ENV}
    return Path(data_dir).expanduser().resolve() == \
        default_data_dir(plain, platform).expanduser().resolve()


def browser_manifests(data_dir: Path, platform: str = sys.platform,
                      env: Mapping[str, str] = os.environ) -> list[Path]:
    """The host manifests `driftcheck browser install` wrote in the browsers' usual places
    that start this data folder's launcher (one serving another folder is left alone)."""
    from widget.browser.manifests import (
        BY_KEY,
        MANIFEST_NAME,
        manifest_folder,
        named_launcher,
        profile_root,
    )
    from widget.paths import BROWSER_LAUNCHER_NAME

    if platform == "win32":
        return []
    launcher = str(Path(os.path.abspath(data_dir)) / BROWSER_LAUNCHER_NAME)
    found = []
    for browser in BY_KEY.values():
        path = manifest_folder(browser, profile_root(browser, env, platform),
                               platform) / MANIFEST_NAME
        if named_launcher(path) == launcher:
            found.append(path)
    return found


def find_traces(data_dir: Path, platform: str = sys.platform,
                env: Mapping[str, str] = os.environ) -> Traces:
    from widget.services.devices import own_shared_files

    shared_files = own_shared_files(Path(data_dir))  # first: reading may leave -wal, -shm
    traces = Traces(data_dir, our_files(data_dir), browser_manifests=browser_manifests(
        data_dir, platform, env), shared_files=shared_files)
    cache = Path(data_dir) / SYNC_CACHE_NAME
    if cache.is_dir() and not cache.is_symlink():
        traces.sync_cache = cache
    if not starts_at_login(data_dir, platform, env):
        return traces
    if platform.startswith("linux"):  # it serves every driftcheck: wiped with the usual folder
        from widget.desktop import gnome_extension as gx

        folder = gx.installed_folder(env)
        if gx.is_ours(folder) and not folder.is_symlink():
            traces.gnome_extension = folder
    if platform == "win32":  # unverified: the Run value lives in the registry
        traces.run_value = autostart_location(platform, env) \
            if is_start_at_login(platform, env) else None
        return traces
    entry = Path(autostart_location(platform, env))
    for path in (entry, entry.with_name(entry.name + ".tmp")):  # FileWriter's temporary name
        if os.path.lexists(path):
            traces.autostart.append(path)
    return traces


def run_wipe(data_dir: Path, yes: bool, platform: str = sys.platform,
             env: Mapping[str, str] = os.environ) -> int:
    """The command: refuse while driftcheck runs, ask unless `yes`, remove, say what went."""
    traces = find_traces(data_dir, platform, env)
    if not traces:
        looked = f"{data_dir} and for its start-at-login entry" \
            if starts_at_login(data_dir, platform, env) else str(data_dir)
        print(f"driftcheck keeps nothing there (it looked in {looked}), so there is nothing "
              "to remove.")
        return 0
    with instance_lock(data_dir) as free:
        users = [] if not free else database_users(data_dir)
        if not free or users:
            raise WipeRefused(still_running_sentence("run `driftcheck wipe` again", users))
        if not yes and not _confirmed(traces):
            print("Nothing was removed.")
            return 1
        removed, failed = _remove(traces, platform, env)
    for name in removed:
        print(f"Removed {name}")
    if failed:
        raise WipeRefused(not_removed_sentence(failed))
    if starts_at_login(data_dir, platform, env):
        print("Everything driftcheck kept on this device is gone.")
    else:
        print(f"Everything driftcheck kept in {data_dir} is gone (a folder of your choosing: "
              "the start-at-login entry, if any, belongs to the usual folder and stays).")
    return 0


def not_removed_sentence(failed: list[str]) -> str:
    """One sentence for what could not be removed (the names `_remove` gives)."""
    return f"Some files could not be removed ({', '.join(failed)}); the rest are gone."


def others_using(data_dir: Path) -> str | None:
    """For the tray app, before it stops anything: the kind sentence when another program
    has the database open, else None."""
    users = database_users(data_dir)
    return still_running_sentence("choose Delete everything again", users) if users else None


def wipe_for_running_app(data_dir: Path, platform: str = sys.platform,
                         env: Mapping[str, str] = os.environ) -> tuple[list[str], list[str]]:
    """`driftcheck wipe` on behalf of the tray app, which holds the single-instance lock (so
    the lock is not taken here: the wipe is its own): the same traces, removed the same way,
    this process's log closed first. Call it once the app has stopped everything that writes
    into the folder (tracker, stores). Returns (names removed, names that could not be)."""
    traces = find_traces(data_dir, platform, env)
    if not traces:
        _close_logs_in(Path(data_dir))
        return [], []
    return _remove(traces, platform, env)


def farewell_text(data_dir: Path, failed: list[str], platform: str = sys.platform,
                  env: Mapping[str, str] = os.environ) -> str:
    """What the tray app says last, after `wipe_for_running_app`."""
    if failed:
        return (f"Everything else is gone, but {', '.join(failed)} could not be removed; you "
                f"can delete {'it' if len(failed) == 1 else 'them'} yourself from {data_dir}.")
    if starts_at_login(data_dir, platform, env):
        return ("Everything driftcheck kept on this device has been deleted. driftcheck "
                "closes now; thank you for giving it a try.")
    return (f"Everything driftcheck kept in {data_dir} has been deleted (a folder of your "
            "choosing: the start-at-login entry, if any, belongs to the usual folder and "
            "stays). driftcheck closes now; thank you for giving it a try.")


def _confirmed(traces: Traces) -> bool:
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        raise WipeRefused("Wipe asks before it removes anything, and there is no terminal to "
                          "ask on; add --yes to go ahead.")
    count = len(traces.files)
    where = f"{count} file{'s' if count != 1 else ''} in {traces.data_dir}"
    extra = " and the start-at-login entry" if traces.autostart or traces.run_value else ""
    if traces.browser_manifests:
        extra += " and what lets your browsers start it"
    if traces.gnome_extension is not None:
        extra += " and its GNOME Shell extension"
    if traces.shared_files:
        extra += (f" and this computer's {len(traces.shared_files)} file"
                  f"{'s' if len(traces.shared_files) != 1 else ''} in the shared folder "
                  "(your other computers' files there stay)")
    print(f"driftcheck keeps {where}{extra}.")
    try:
        answer = input(PROMPT)
    except EOFError:
        return False
    return answer.strip().lower() == "yes"


def _remove(traces: Traces, platform: str, env: Mapping[str, str]
            ) -> tuple[list[str], list[str]]:
    """Remove what `traces` lists; (names removed, names that could not be)."""
    _close_logs_in(traces.data_dir)
    removed: list[str] = []
    failed: list[str] = []
    for path in traces.files:
        if path.parent != traces.data_dir or not is_ours(path.name):  # never, but cheap
            continue
        try:
            os.unlink(path)  # a symbolic link goes itself, its target stays
            removed.append(path.name)
        except FileNotFoundError:
            continue
        except OSError:
            failed.append(path.name)
    for path in traces.autostart:
        try:
            os.unlink(path)
            removed.append(f"the start-at-login entry {path}")
        except FileNotFoundError:
            continue
        except OSError:
            failed.append(str(path))
    if traces.run_value is not None:
        set_start_at_login(False, platform, env)
        removed.append("the start-at-login entry")
    for path in traces.browser_manifests:
        try:
            os.unlink(path)
            removed.append(f"the browser host manifest {path}")
        except FileNotFoundError:
            continue
        except OSError:
            failed.append(str(path))
    if traces.gnome_extension is not None:
        from widget.desktop import gnome_extension as gx

        with contextlib.suppress(gx.SettingsUnavailable):
            gx.switch(False, env)
        try:
            shutil.rmtree(traces.gnome_extension)
            removed.append(f"the GNOME Shell extension {traces.gnome_extension}")
        except OSError:
            failed.append(str(traces.gnome_extension))
    if traces.sync_cache is not None:
        _remove_sync_cache(traces.sync_cache, removed, failed)
    for path in traces.shared_files:
        try:
            os.unlink(path)
            removed.append(f"this computer's shared file {path}")
        except FileNotFoundError:
            continue
        except OSError:
            failed.append(str(path))
    folder = traces.data_dir
    emptied = any(not os.path.lexists(path) for path in traces.files)
    if (emptied or folder.name == APP_DIR_NAME) and folder.is_dir() and not folder.is_symlink():
        try:
            folder.rmdir()  # only when empty: anything of someone else's keeps it
            removed.append(f"the folder {folder}")
        except OSError:
            pass
    return removed, failed


def _remove_sync_cache(cache: Path, removed: list[str], failed: list[str]) -> None:
    """The kept copies of the other computers' files, then their folder: only names driftcheck
    gives there (device files and its temporary files); anything else keeps the folder."""
    from widget.sync.compact import is_kept_name
    from widget.sync.format import parse_name

    try:
        entries = list(os.scandir(cache))
    except OSError:
        failed.append(str(cache))
        return
    for entry in entries:
        ours = parse_name(entry.name) is not None or is_kept_name(entry.name) or (
            entry.name.startswith(SYNC_TEMP_PREFIX) and entry.name.endswith(".tmp"))
        if ours and not entry.is_dir(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            except OSError:
                failed.append(entry.name)
    try:
        cache.rmdir()
        removed.append(cache.name)
    except OSError:
        failed.append(cache.name)


def _close_logs_in(folder: Path) -> None:
    """Stop this process writing its log into the folder being emptied."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        filename = getattr(handler, "baseFilename", None)
        if filename is not None and Path(filename).parent == folder.absolute():
            root.removeHandler(handler)
            handler.close()
