"""`driftcheck browser install [--browser B|all] [--config-dir DIR] [--uninstall]`: let browsers
start driftcheck's part of its extension, the native messaging host (docs/BROWSER.md,
"Installing"), or with --uninstall no longer. The places and the files:
widget.browser.manifests.

It honours --data-dir: the host it installs serves the tracker of that data folder. A browser
has one host of a name, so installing for another folder takes the browser over from the
first (and says so); --uninstall removes only a manifest that serves this folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from widget.browser.manifests import (
    BY_KEY,
    MANIFEST_NAME,
    Browser,
    manifest_folder,
    named_launcher,
    profile_root,
    write_launcher,
    write_manifest,
)
from widget.datafolder import data_dir, prepare_data_dir
from widget.errors import BrowserInstallRefused, UsageError
from widget.paths import BROWSER_LAUNCHER_NAME


def run(args: argparse.Namespace) -> int:
    match args.browser_command:
        case "install":
            return install(args)
        case "extension":
            return extension(args)
        case _:
            raise UsageError(f"There is no action '{args.browser_command}' of `browser`.")


def install(args: argparse.Namespace, env: Mapping[str, str] = os.environ,
            platform: str = sys.platform) -> int:
    if platform == "win32":
        raise UsageError("driftcheck's browser host does not run on Windows yet, so nothing "
                         "was written.")
    if args.config_dir is not None and args.browser == "all":
        raise UsageError("--config-dir is one browser's folder; please say which browser "
                         "with --browser.")
    chosen = list(BY_KEY.values()) if args.browser == "all" else [BY_KEY[args.browser]]
    roots = {browser.key: args.config_dir if args.config_dir is not None
             else profile_root(browser, env, platform) for browser in chosen}
    if args.uninstall:
        folder = Path(os.path.abspath(data_dir(args)))
        return _uninstall(args, chosen, roots, folder / BROWSER_LAUNCHER_NAME, platform)
    if args.browser == "all":  # each one that is here, as far as its folder says
        chosen = [browser for browser in chosen if roots[browser.key].is_dir()]
        if not chosen:
            raise BrowserInstallRefused(
                "No browser's folder was found here, so nothing was written; name one with "
                "--browser to write its file anyway.")
    folder = Path(os.path.abspath(prepare_data_dir(args)))
    targets = {browser.key: manifest_folder(browser, roots[browser.key], platform)
               for browser in chosen}
    for target in targets.values():  # every folder first: a refusal leaves no file behind
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BrowserInstallRefused(
                f"The folder {target} cannot take the browser's file ({_reason(error)}); "
                "nothing was written.") from None
    try:
        launcher = write_launcher(folder)
        written = [(browser, *write_manifest(browser, targets[browser.key], launcher))
                   for browser in chosen]
    except OSError as error:
        raise BrowserInstallRefused(
            f"driftcheck could not write the browser's file ({_reason(error)}); please check "
            "that folder and try again.") from None
    for browser, path, before in written:
        print(f"{browser.name}: ready; it can start driftcheck's host ({path}).")
        if before is not None:
            print(f"  It served another driftcheck before ({before}); now it serves this "
                  "data folder.")
    print("Next, add driftcheck's extension to the browser; until it is there, tabs are "
          "recognised by their titles as before.")
    return 0


def _uninstall(args: argparse.Namespace, chosen: list[Browser], roots: Mapping[str, Path],
               launcher: Path, platform: str) -> int:
    for browser in chosen:
        path = manifest_folder(browser, roots[browser.key], platform) / MANIFEST_NAME
        named = named_launcher(path)
        if named is None:
            if args.browser != "all":
                print(f"{browser.name}: there was nothing of driftcheck's to remove.")
        elif named != str(launcher):
            print(f"{browser.name}: its driftcheck host serves another data folder "
                  f"({named}); left as it is.")
        else:
            try:
                path.unlink()
            except OSError as error:
                raise BrowserInstallRefused(
                    f"driftcheck could not remove {path} ({_reason(error)}).") from None
            print(f"{browser.name}: removed; it no longer starts driftcheck's host.")
    if args.browser == "all" and args.config_dir is None:
        launcher.unlink(missing_ok=True)
    return 0


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


DEFAULT_OUTPUT = {"chromium": "driftcheck-extension-chromium", "firefox": "driftcheck.xpi"}
LOAD_BY_HAND = {
    "chromium": ("The extension for Chromium, Chrome, Brave, Edge and Vivaldi is the folder\n"
                 "  {path}\nTo load it: open chrome://extensions, turn on Developer mode, "
                 "choose \"Load unpacked\" and pick that folder (keep it where it is). Then "
                 "`driftcheck browser install --browser chromium` (or your browser) lets it "
                 "reach driftcheck."),
    "firefox": ("The extension for Firefox is\n  {path}\nIt is not signed by Mozilla, so only "
                "Firefox ESR, Developer Edition or Nightly with xpinstall.signatures.required "
                "set to false in about:config take it: open about:addons, the gear menu, "
                "\"Install Add-on From File...\". Then `driftcheck browser install --browser "
                "firefox` lets it reach driftcheck."),
}


def extension(args: argparse.Namespace) -> int:
    """`driftcheck browser extension --browser chromium|firefox [--output PATH]`: the
    extension built from the one source shipped with driftcheck, written where the person
    asks (like an export: it is theirs to keep, not a file of the data folder), and where it
    is said. A folder is replaced only when it holds nothing but an earlier build."""
    import importlib.util

    from widget.catalog_data import resource_path

    target = Path(os.path.abspath(args.output or DEFAULT_OUTPUT[args.browser]))
    script = resource_path("browser", "build.py")
    spec = importlib.util.spec_from_file_location("driftcheck_extension_build", script)
    if spec is None or spec.loader is None or not script.is_file():
        raise UsageError("The browser extension is not among driftcheck's files here.")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    if args.browser == "chromium":
        ours = {"manifest.json", *(p.name for p in build.source_files())}
        if os.path.lexists(target) and (target.is_symlink() or not target.is_dir()
                                        or not {p.name for p in target.iterdir()} <= ours):
            raise UsageError(f"{target} is there already and is not an earlier build of the "
                             "extension, so it was left as it is; choose another --output.")
        path = build.build_chromium(target)
    else:
        if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
            raise UsageError(f"{target} is not a file, so it was left as it is; choose "
                             "another --output.")
        path = build.build_firefox(target)
    print(LOAD_BY_HAND[args.browser].format(path=path))
    return 0
