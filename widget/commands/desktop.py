"""`driftcheck desktop install [--uninstall] [--shell-version V]`: driftcheck's GNOME Shell
extension, which tells driftcheck which window is in front on GNOME (docs/GNOME.md, issue 14).
The extension itself: widget.desktop.gnome_extension.

It writes outside the data folder (the person's GNOME extensions folder and one GNOME setting)
and needs no data folder; `wipe` removes it too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from collections.abc import Mapping

from widget.desktop import gnome_extension as gx
from widget.errors import DesktopInstallRefused, UsageError

NEXT_LOGIN = ("GNOME loads a new extension when you next log in (on Wayland it cannot before): "
              "log out and in again; `driftcheck doctor` then says whether it is active.")


def run(args: argparse.Namespace) -> int:
    match args.desktop_command:
        case "install":
            return uninstall() if args.uninstall else install(args.shell_version)
        case _:
            raise UsageError(f"There is no action '{args.desktop_command}' of `desktop`.")


def install(version: str | None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    version = version or gx.shell_version(env)
    if version is None:
        raise DesktopInstallRefused(
            "GNOME Shell is not installed here, so there is nothing to install into; other "
            "desktops need no extension (X11, Sway) or are not supported yet (KDE on Wayland).")
    form = gx.form_for(version)
    if form is None:
        raise DesktopInstallRefused(
            f"driftcheck's extension needs GNOME Shell 43 or newer; this one is {version}.")
    folder = gx.installed_folder(env)
    if os.path.lexists(folder) and (folder.is_symlink() or not gx.is_ours(folder)):
        raise DesktopInstallRefused(f"{folder} is there already and is not driftcheck's, so "
                                    "it was left as it is.")
    try:
        gx.enabled(env)  # the settings answer before anything is written
        gx.write(folder, form)
    except gx.SettingsUnavailable as error:
        raise DesktopInstallRefused(
            f"GNOME's settings could not be read ({error}), so nothing was installed.") from None
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise DesktopInstallRefused(
            f"The extension could not be written to {folder} "
            f"({(error.strerror or type(error).__name__).lower()}).") from None
    try:
        gx.switch(True, env)
    except gx.SettingsUnavailable as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise DesktopInstallRefused(
            f"The extension could not be switched on ({error}), so it was removed again.") \
            from None
    print(f"driftcheck's GNOME Shell extension is installed for GNOME {version} and switched "
          f"on ({folder}).")
    if gx.all_user_extensions_off(env):
        print("Note: extensions of your own are switched off in GNOME (Extensions app, "
              "\"Use Extensions\"); driftcheck's works once they are on.")
    print(NEXT_LOGIN)
    return 0


def uninstall(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    folder = gx.installed_folder(env)
    with contextlib.suppress(gx.SettingsUnavailable):  # none: nothing was switched on there
        gx.switch(False, env)
    if gx.is_ours(folder) and not folder.is_symlink():
        shutil.rmtree(folder)
        print(f"driftcheck's GNOME Shell extension is switched off and removed ({folder}). "
              "GNOME lets go of it at your next login.")
    else:
        print("driftcheck's GNOME Shell extension was not installed; nothing to remove.")
    return 0
