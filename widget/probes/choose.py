"""Pick the probe for this platform and session, importing only the module it needs."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable, Mapping

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError, ProbeUnavailable
from widget.probes.base import FocusCallback, Probe, ProbeInfo

__all__ = ["NullProbe", "choose_probe", "import_probe_module"]

log = logging.getLogger(__name__)


class NullProbe:
    """Sees nothing, and says why; used when no other probe can start."""

    name = "null"
    measure = Measure.APPROXIMATE

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def foreground(self) -> Foreground | None:
        return None

    def idle_seconds(self) -> float | None:
        return None

    def locked(self) -> bool | None:
        return None

    def info(self) -> ProbeInfo:
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source=None,
            lock_source=None,
            focus_events=False,
            notes=(self.reason,),
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        return False

    def close(self) -> None:
        pass


def choose_probe(
    env: Mapping[str, str],
    platform: str,
    wanted: Callable[[Foreground], bool],
    *,
    app_run_loop: bool = False,
) -> Probe:
    """The best probe for `platform` (a `sys.platform` value) and session `env`.

    A platform probe that cannot start (ProbeError, or its module missing) gives way to the
    process fallback; if even that cannot start, to a NullProbe that says why. `app_run_loop`
    tells the macOS probe that an AppKit run loop (the tray's Qt loop) will deliver focus events.
    """
    try:
        return _platform_probe(env, platform, wanted, app_run_loop)
    except (ProbeError, ImportError) as error:
        log.info("platform probe unavailable, using the process fallback: %s", error)
        # GNOME's and KDE's probes say what the person can do (switch the extension on...).
        notes = (str(error),) if isinstance(error, ProbeUnavailable) else ()
    return _fallback(wanted, env, with_desktop_idle=platform not in ("win32", "darwin"),
                     notes=notes)


def import_probe_module(env: Mapping[str, str], platform: str) -> None:
    """Import, without starting anything, the module `choose_probe` will take its probe from
    (the tray app imports what does not need Qt before Qt: `widget.app.import_before_qt`)."""
    with contextlib.suppress(ImportError):  # choose_probe says why when it gets there
        if _probe_factory(env, platform, False, lambda fg: False) is None:
            import widget.probes.fallback  # noqa: F401 - no display


def _platform_probe(
    env: Mapping[str, str],
    platform: str,
    wanted: Callable[[Foreground], bool],
    app_run_loop: bool,
) -> Probe:
    factory = _probe_factory(env, platform, app_run_loop, wanted)
    if factory is None:
        return _fallback(wanted, env, with_desktop_idle=True)
    return factory()


def _probe_factory(
    env: Mapping[str, str], platform: str, app_run_loop: bool,
    wanted: Callable[[Foreground], bool],
) -> Callable[[], Probe] | None:
    """What makes the platform's probe, its module imported; None where only the process
    fallback can see anything."""
    if platform == "win32":
        from widget.probes.windows import WindowsProbe

        return WindowsProbe
    if platform == "darwin":
        from widget.probes.macos import MacProbe

        return lambda: MacProbe(app_run_loop=app_run_loop)
    # Linux and other Unix desktops.
    if env.get("WAYLAND_DISPLAY") and env.get("SWAYSOCK"):
        from widget.probes.sway import SwayProbe

        return lambda: SwayProbe(env)
    if env.get("HYPRLAND_INSTANCE_SIGNATURE"):
        from widget.probes.hyprland import HyprlandProbe

        return lambda: HyprlandProbe(env=env)
    if env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        x11 = importlib.import_module("widget.probes.x11")
        return x11.X11Probe  # type: ignore[no-any-return]
    from widget.probes.gnome import is_gnome_wayland

    if is_gnome_wayland(env):
        from widget.probes.gnome import GnomeShellProbe

        return lambda: GnomeShellProbe(wanted=wanted)
    from widget.probes.kwin import is_kde_wayland

    if is_kde_wayland(env):
        from widget.probes.kwin import KWinProbe

        return lambda: KWinProbe(env=env)
    if env.get("WAYLAND_DISPLAY"):
        # river, labwc, Wayfire, niri...: the window in front through wlr-foreign-toplevel,
        # where the compositor offers it (the probe refuses to start where it does not).
        from widget.probes.wlr import WlrToplevelProbe

        return lambda: WlrToplevelProbe(env)
    # No display: only which processes run can be seen.
    return None


def _fallback(wanted: Callable[[Foreground], bool], env: Mapping[str, str], *,
              with_desktop_idle: bool, notes: tuple[str, ...] = ()) -> Probe:
    try:
        from widget.probes.fallback import ProcessFallbackProbe, desktop_idle_source

        return ProcessFallbackProbe(wanted, desktop_idle_source(env) if with_desktop_idle
                                    else None, notes=notes)
    except (ProbeError, ImportError) as error:
        return NullProbe(f"driftcheck cannot see which apps are running here: {error}")
