"""Which desktop this is, in words: for `doctor` and the tracker's log.

Read from the session's environment only (what the desktop sets for its programs); nothing is
asked of the compositor here. Which window probe runs is `widget.probes.choose`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["desktop_name", "session_kind", "session_words", "tray_hint"]

# XDG_CURRENT_DESKTOP's names (lower-cased) as a person knows them.
_NAMES = {
    "gnome": "GNOME", "ubuntu": "GNOME", "unity": "Unity", "kde": "KDE Plasma",
    "plasma": "KDE Plasma", "sway": "Sway", "hyprland": "Hyprland", "wayfire": "Wayfire",
    "river": "river", "labwc": "labwc", "niri": "niri", "cosmic": "COSMIC",
    "xfce": "Xfce", "x-cinnamon": "Cinnamon", "mate": "MATE", "lxqt": "LXQt",
    "budgie": "Budgie", "budgie-desktop": "Budgie", "phosh": "Phosh",
    "wlroots": "a wlroots desktop",
}


def session_kind(env: Mapping[str, str]) -> str | None:
    """"wayland", "x11", or None where there is no graphical session."""
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    if env.get("DISPLAY"):
        return "x11"
    return None


def desktop_name(env: Mapping[str, str]) -> str | None:
    """The desktop's name ("KDE Plasma", "Sway", "Wayfire"...), None when it says none."""
    if env.get("SWAYSOCK"):
        return "Sway"
    if env.get("HYPRLAND_INSTANCE_SIGNATURE"):
        return "Hyprland"
    for part in env.get("XDG_CURRENT_DESKTOP", "").split(":"):
        if part.strip():
            return _NAMES.get(part.strip().lower(), part.strip())
    return None


def session_words(env: Mapping[str, str]) -> str:
    """"KDE Plasma on Wayland", "an X11 desktop", "no graphical desktop"..."""
    kind = session_kind(env)
    name = desktop_name(env)
    if kind is None:
        return "no graphical desktop"
    shown = "Wayland" if kind == "wayland" else "X11"
    return f"{name} on {shown}" if name else f"a desktop on {shown}"


# Where a tray comes from on each desktop, for `doctor` when none answers.
_TRAY_HINTS = {
    "GNOME": "on GNOME, the AppIndicator extension adds one",
    "Unity": "on Unity, the indicator area shows it",
    "KDE Plasma": "on KDE Plasma, the System Tray widget on a panel shows it",
    "Sway": "on Sway, swaybar shows one with `tray` in its bar settings, or waybar's tray "
            "module",
    "Xfce": "on Xfce, the Status Tray plugin on a panel shows it",
    "Cinnamon": "on Cinnamon, the Xapp Status applet shows it",
    "MATE": "on MATE, the Notification Area applet shows it",
    "LXQt": "on LXQt, the Status Notifier plugin on a panel shows it",
    "Budgie": "on Budgie, the System Tray applet shows it",
    "Phosh": "Phosh has no tray",
}


def tray_hint(env: Mapping[str, str]) -> str:
    """Where this desktop's tray would come from, said to a person who has none."""
    name = desktop_name(env)
    if name in _TRAY_HINTS:
        return _TRAY_HINTS[name]
    if session_kind(env) == "wayland":
        return "a bar with a StatusNotifier tray, such as waybar's tray module, shows one"
    return "a panel with a system tray or a StatusNotifier host shows one"
