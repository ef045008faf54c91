"""Whether a window can be shown here: a display server that answers (X11), a Wayland
session, or Qt's own offscreen platform."""

from __future__ import annotations

import os
import sys


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """Why a window cannot be shown here, in a few words, or None when it can."""
    env = dict(os.environ) if env is None else env
    if sys.platform != "linux" or env.get("QT_QPA_PLATFORM") == "offscreen":
        return None
    if env.get("WAYLAND_DISPLAY"):
        return None
    name = env.get("DISPLAY")
    if not name:
        return "DISPLAY and WAYLAND_DISPLAY are not set"
    try:
        from widget.probes.x11 import open_display

        open_display(name).close()
    except Exception:
        return f"the X display {name} does not answer"
    return None
