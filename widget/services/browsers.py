"""What each browser on this machine matches tabs by: its address, through driftcheck's
extension connected to the running tracker, or its title only; and why not the address.

Used by `driftcheck doctor`, `driftcheck apps check` and the apps dialog's "Is it counted
now?". It only looks: at the browsers' folders, at the host manifests `driftcheck browser
install` writes, at whether a browser is a Snap or a Flatpak, and it asks the running tracker
(`widget.browser.channel.ask_tracker`) which browsers' extensions are connected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from widget.browser.channel import ask_tracker
from widget.browser.manifests import (
    BY_KEY,
    MANIFEST_NAME,
    Browser,
    manifest_folder,
    named_launcher,
    profile_root,
)
from widget.browser.protocol import Answer
from widget.paths import BROWSER_LAUNCHER_NAME, BROWSER_SOCKET_NAME

# Where a browser packaged as a Snap or a Flatpak shows itself (the Flatpak ids and the snap
# names their publishers use).
SNAPS = {"firefox": "firefox", "chromium": "chromium", "brave": "brave"}
FLATPAKS = {"firefox": "org.mozilla.firefox", "chromium": "org.chromium.Chromium",
            "chrome": "com.google.Chrome", "brave": "com.brave.Browser",
            "edge": "com.microsoft.Edge", "vivaldi": "com.vivaldi.Vivaldi"}
HOST_HERE, HOST_ELSEWHERE, HOST_NONE = "here", "elsewhere", "none"


@dataclass(frozen=True, slots=True)
class BrowserStatus:
    key: str  # as `--browser` and the host's hello name it
    name: str  # as a person does
    connected: bool | None  # its extension talks to the tracker; None: no tracker answered
    host: str  # HOST_HERE: installed for this data folder; HOST_ELSEWHERE; HOST_NONE
    packaged: str | None = None  # "Snap" or "Flatpak": it cannot start a host of its own

    def words(self) -> str:
        """One sentence: what its tabs are matched by, and what would change it."""
        if self.connected:
            return f"{self.name}: the extension is connected, so its tabs count by their address."
        titles = "its tabs are matched by their titles only"
        if self.packaged is not None and self.key == "firefox":
            return (f"{self.name} is a {self.packaged}: it can start driftcheck's host only "
                    "through the desktop's WebExtensions portal, where the desktop has one (not "
                    f"tried here); until its extension connects, {titles}.")
        if self.packaged is not None:
            return (f"{self.name} is a {self.packaged}, which cannot start driftcheck's host, "
                    f"so {titles}.")
        if self.host == HOST_NONE:
            return (f"{self.name}: {titles}; `driftcheck browser install --browser {self.key}` "
                    "and the extension let it say which tracked app is in the tab.")
        if self.host == HOST_ELSEWHERE:
            return (f"{self.name}: driftcheck's host there serves another data folder, so here "
                    f"{titles} (`driftcheck browser install --browser {self.key}` takes it "
                    "over).")
        if self.connected is None:
            return (f"{self.name}: the host is installed; whether its extension is connected "
                    "shows while driftcheck runs.")
        return (f"{self.name}: the host is installed but the extension is not connected (is it "
                f"added, switched on, and the browser open?), so {titles}.")


def ask(data_dir: Path, pid: int | None = None) -> Answer | None:
    """The running tracker's answer for window process `pid`; None when none runs here."""
    return ask_tracker(data_dir / BROWSER_SOCKET_NAME, pid)


def browser_statuses(data_dir: Path, answer: Answer | None,
                     env: Mapping[str, str] | None = None, platform: str = sys.platform,
                     root: Path = Path("/")) -> list[BrowserStatus]:
    """Each browser that is here (its folder, a Snap or Flatpak of it, a host manifest) or
    connected, in the order `--browser` lists them; then any other connected one by name."""
    env = os.environ if env is None else env
    connected = set(answer.browsers) if answer is not None else set()
    launcher = str(Path(os.path.abspath(data_dir)) / BROWSER_LAUNCHER_NAME)
    found = []
    for browser in BY_KEY.values():
        folder = profile_root(browser, env, platform)
        named = named_launcher(manifest_folder(browser, folder, platform) / MANIFEST_NAME)
        host = HOST_NONE if named is None else HOST_HERE if named == launcher \
            else HOST_ELSEWHERE
        packaged = _packaged(browser, env, platform, root)
        if browser.key in connected or folder.is_dir() or packaged or host != HOST_NONE:
            found.append(BrowserStatus(browser.key, browser.name,
                                       None if answer is None else browser.key in connected,
                                       host, packaged))
    for key in sorted(connected - BY_KEY.keys()):
        found.append(BrowserStatus(key, key.capitalize(), True, HOST_HERE))
    return found


def _packaged(browser: Browser, env: Mapping[str, str], platform: str,
              root: Path) -> str | None:
    if platform != "linux":
        return None
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    snap = SNAPS.get(browser.key)
    if snap is not None and ((root / "snap" / "bin" / snap).exists()
                             or (root / "var/lib/snapd/snap/bin" / snap).exists()):
        return "Snap"
    flatpak = FLATPAKS.get(browser.key)
    if flatpak is not None and any(place.is_dir() for place in (
            home / ".var" / "app" / flatpak, home / ".local/share/flatpak/app" / flatpak,
            root / "var/lib/flatpak/app" / flatpak)):
        return "Flatpak"
    return None


def browser_words(statuses: Sequence[BrowserStatus]) -> list[str]:
    return [status.words() for status in statuses]
