"""choose_probe: which probe each platform and session gets, and the fallbacks."""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.fakes import ScriptedProbe
from tests.helpers.sway_ipc import FakeSway
from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes import fallback, macos, windows
from widget.probes.choose import NullProbe, choose_probe

REPO = Path(__file__).resolve().parents[2]


def wanted(fg: Foreground) -> bool:
    return fg.process == "replika"


@pytest.fixture(autouse=True)
def no_session_bus(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """gnome_idle_source would talk to a real bus; count its calls instead."""
    calls: list[int] = []

    def source() -> None:
        calls.append(1)
        return None

    monkeypatch.setattr(fallback, "gnome_idle_source", source)
    return calls


@pytest.fixture
def x11_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("widget.probes.x11")
    module.X11Probe = functools.partial(ScriptedProbe, "x11")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "widget.probes.x11", module)
    return module


@pytest.fixture
def swaymsg_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("swaymsg", "hyprctl"):
        path = tmp_path / name
        path.write_text("#!/bin/sh\necho '{}'\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")


def test_x11_session_gets_the_x11_probe(x11_module: types.ModuleType) -> None:
    probe = choose_probe({"DISPLAY": ":0"}, "linux", wanted)
    assert isinstance(probe, ScriptedProbe) and probe.name == "x11"


def test_x11_that_cannot_start_falls_back_to_processes(
    x11_module: types.ModuleType, no_session_bus: list[int]
) -> None:
    def refuse() -> None:
        raise ProbeError("Cannot open the X display.")

    x11_module.X11Probe = refuse  # type: ignore[attr-defined]
    probe = choose_probe({"DISPLAY": ":0"}, "linux", wanted)
    assert probe.name == "process-fallback"
    assert no_session_bus == [1]


def test_sway_session_gets_the_sway_probe(tmp_path: Path) -> None:
    sway = FakeSway(tmp_path, {"type": "root", "nodes": []})
    env = {"WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": str(sway.path),
           "XDG_RUNTIME_DIR": str(tmp_path)}
    try:
        probe = choose_probe(env, "linux", wanted)
        try:
            assert probe.name == "sway"
        finally:
            probe.close()
    finally:
        sway.end()


def test_a_sway_that_does_not_answer_falls_back(tmp_path: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": str(tmp_path / "sway-ipc.0.1.sock"),
           "XDG_RUNTIME_DIR": str(tmp_path)}
    assert choose_probe(env, "linux", wanted).name == "process-fallback"


class _Refused:
    """A platform probe that cannot start, as KWin's and the wlroots probe refuse."""

    def __init__(self, error: ProbeError) -> None:
        self.error = error
        self.made: list[dict[str, str]] = []

    def __call__(self, env: Any = None, **kwargs: Any) -> Any:
        self.made.append(dict(kwargs.get("env") or env))
        raise self.error


def test_kde_on_wayland_asks_kwin_and_says_why_when_it_cannot(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.errors import ProbeUnavailable
    from widget.probes import kwin

    refused = _Refused(ProbeUnavailable("KWin did not run driftcheck's small KWin script."))
    monkeypatch.setattr(kwin, "KWinProbe", refused)
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}
    probe = choose_probe(env, "linux", wanted)
    assert refused.made == [env]
    assert probe.name == "process-fallback" and probe.measure is Measure.APPROXIMATE
    assert "KWin did not run driftcheck's small KWin script." in probe.info().notes


def test_kde_on_wayland_gets_the_kwin_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.probes import kwin

    monkeypatch.setattr(kwin, "KWinProbe", lambda env: ScriptedProbe("kwin"))
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}
    assert choose_probe(env, "linux", wanted).name == "kwin"


@pytest.mark.parametrize("desktop", ["wayfire", "river", "labwc", "niri", "Phosh:GNOME", ""])
def test_other_wayland_compositors_get_the_foreign_toplevel_probe(
        monkeypatch: pytest.MonkeyPatch, desktop: str) -> None:
    from widget.probes import wlr

    monkeypatch.setattr(wlr, "WlrToplevelProbe", lambda env: ScriptedProbe("wlr-foreign-toplevel"))
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": desktop}
    assert choose_probe(env, "linux", wanted).name == "wlr-foreign-toplevel"


def test_a_compositor_without_foreign_toplevel_falls_back_with_its_idle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.probes import wayland, wlr

    class Idle:
        source = "org_kde_kwin_idle"
        closed = False

        def seconds(self) -> float:
            return 42.0

        def close(self) -> None:
            Idle.closed = True

    refused = _Refused(ProbeError("no foreign toplevel"))
    monkeypatch.setattr(wlr, "WlrToplevelProbe", refused)
    monkeypatch.setattr(wayland.WaylandIdle, "connect", classmethod(lambda cls, env: Idle()))
    probe = choose_probe({"WAYLAND_DISPLAY": "wayland-0"}, "linux", wanted)
    assert probe.name == "process-fallback"
    assert probe.info().idle_source == "org_kde_kwin_idle"
    assert probe.idle_seconds() == 42.0
    probe.close()
    assert Idle.closed


def test_hyprland_session_gets_the_hyprland_probe(swaymsg_on_path: None) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "HYPRLAND_INSTANCE_SIGNATURE": "abc"}
    assert choose_probe(env, "linux", wanted).name == "hyprland"


def test_gnome_wayland_gets_the_fallback_with_gnome_idle(
    x11_module: types.ModuleType, no_session_bus: list[int]
) -> None:
    # XWayland sets DISPLAY too, but X11 cannot see Wayland windows.
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "GNOME"}
    probe = choose_probe(env, "linux", wanted)
    assert probe.name == "process-fallback"
    assert probe.measure is Measure.APPROXIMATE
    assert no_session_bus == [1]


def test_no_display_gets_the_fallback() -> None:
    assert choose_probe({}, "linux", wanted).name == "process-fallback"


def test_windows_gets_the_windows_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(windows, "_Win32", lambda: object())
    assert isinstance(choose_probe({}, "win32", wanted), windows.WindowsProbe)


def test_windows_probe_that_cannot_start_falls_back_without_gnome(
    no_session_bus: list[int],
) -> None:
    if sys.platform == "win32":
        pytest.skip("the real Win32 layer starts here")
    assert choose_probe({}, "win32", wanted).name == "process-fallback"
    assert no_session_bus == []


def test_macos_gets_the_mac_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(macos, "_Cocoa", lambda: object())
    probe = choose_probe({}, "darwin", wanted, app_run_loop=True)
    assert isinstance(probe, macos.MacProbe)
    assert probe._app_run_loop is True


def test_null_probe_when_even_the_fallback_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ProbeError("psutil is not installed, so running apps cannot be seen.")

    monkeypatch.setattr(fallback, "ProcessFallbackProbe", refuse)
    probe = choose_probe({}, "linux", wanted)
    assert isinstance(probe, NullProbe)
    assert probe.foreground() is None
    assert "psutil is not installed" in probe.info().notes[0]


def test_null_probe_says_why() -> None:
    probe = NullProbe("No probe could start.")
    info = probe.info()
    assert info.notes == ("No probe could start.",)
    assert (probe.idle_seconds(), probe.locked(), probe.watch_focus(lambda _t: None)) == (
        None,
        None,
        False,
    )


def test_importing_every_probe_module_loads_no_platform_library() -> None:
    code = (
        "import sys, json\n"
        "import widget.probes.windows, widget.probes.macos, widget.probes.sway\n"
        "import widget.probes.hyprland, widget.probes.fallback, widget.probes.choose\n"
        "import widget.probes.kwin, widget.probes.wlr, widget.probes.wayland\n"
        "heavy = ['AppKit', 'Quartz', 'ApplicationServices', 'Xlib', 'jeepney', 'ctypes']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize(("env", "present", "absent"), [
    ({"DISPLAY": ":0"}, "widget.probes.x11", "widget.probes.fallback"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"},
     "widget.probes.fallback", "widget.probes.x11"),
    ({}, "widget.probes.fallback", "widget.probes.x11"),
])
def test_the_tray_imports_the_probe_module_it_will_use_before_qt(
        env: dict[str, str], present: str, absent: str) -> None:
    """widget.app.import_before_qt, in a fresh interpreter: the module choose_probe will take
    its probe from is loaded, nothing is started, and Qt is not imported yet."""
    code = ("import json, sys\n"
            "from widget.app import import_before_qt\n"
            f"import_before_qt({env!r}, 'linux')\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('widget.probes.',"
            " 'PySide6')))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    loaded = json.loads(out.stdout)
    assert present in loaded and absent not in loaded
    assert not [m for m in loaded if m.startswith("PySide6")]


@pytest.mark.parametrize(("env", "gnome"), [
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "Phosh:GNOME"}, False),
    ({"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "GNOME"}, False),  # GNOME on X11: the X11 probe
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
])
def test_gnome_on_wayland_is_known_by_its_session(env: dict[str, str], gnome: bool) -> None:
    from widget.probes.gnome import is_gnome_wayland

    assert is_gnome_wayland(env) is gnome


def test_gnome_without_its_extension_counts_approximately_and_says_what_to_do(
        monkeypatch: pytest.MonkeyPatch, no_session_bus: list[int]) -> None:
    from widget.errors import ProbeUnavailable

    def refuse(**_kwargs: Any) -> None:
        raise ProbeUnavailable("driftcheck's GNOME Shell extension is not installed: do this.")

    monkeypatch.setattr("widget.probes.gnome.GnomeShellProbe", refuse)
    probe = choose_probe({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"},
                         "linux", wanted)
    assert probe.name == "process-fallback"
    assert probe.info().notes[0] == ("driftcheck's GNOME Shell extension is not installed: "
                                     "do this.")
