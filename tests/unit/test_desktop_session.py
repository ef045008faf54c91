"""The desktop in words (`doctor`'s "Desktop:" line), from the session's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from widget.commands.doctor import diagnose, render
from widget.desktop.session import desktop_name, session_kind, session_words


@pytest.mark.parametrize(("env", "words"), [
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}, "KDE Plasma on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": "/run/user/1000/sway-ipc.sock",
      "XDG_CURRENT_DESKTOP": "sway"}, "Sway on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-1", "XDG_CURRENT_DESKTOP": "wayfire"}, "Wayfire on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"},
     "GNOME on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "Hyprland",
      "HYPRLAND_INSTANCE_SIGNATURE": "abc"}, "Hyprland on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "wlroots"},
     "a wlroots desktop on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "SomethingNew"},
     "SomethingNew on Wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "a desktop on Wayland"),
    ({"DISPLAY": ":1", "XDG_CURRENT_DESKTOP": "XFCE"}, "Xfce on X11"),
    ({"DISPLAY": ":1"}, "a desktop on X11"),
    ({}, "no graphical desktop"),
])
def test_the_desktop_is_named_as_a_person_knows_it(env: dict[str, str], words: str) -> None:
    assert session_words(env) == words


def test_wayland_wins_over_xwayland_display() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}
    assert session_kind(env) == "wayland"
    assert desktop_name(env) == "KDE Plasma"


def test_doctor_says_the_desktop_first(tmp_path: Path) -> None:
    report = diagnose(tmp_path / "data", {"PATH": "/usr/bin:/bin"})
    assert report["desktop"] == {"session": None, "name": None,
                                 "words": "no graphical desktop"}
    assert render(report).splitlines()[1] == "  Desktop:        no graphical desktop"


def test_doctor_says_what_a_wayland_compositor_offers(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.probes import wayland

    offered = {"wl_seat", "zwlr_foreign_toplevel_manager_v1", "org_kde_kwin_idle"}
    monkeypatch.setattr(wayland, "wayland_globals", lambda env: offered)
    env = {"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path),
           "XDG_CURRENT_DESKTOP": "wayfire"}
    report = diagnose(tmp_path / "data", env)
    assert report["desktop"]["wayland"] == {"window_list": True, "idle": "org_kde_kwin_idle"}
    assert "  Compositor:     lists its windows; says idle time (org_kde_kwin_idle)" \
        in render(report).splitlines()
    offered.clear()
    offered.add("wl_seat")
    text = render(diagnose(tmp_path / "data", env))
    assert "  Compositor:     keeps its windows to itself; no idle time" in text.splitlines()


def test_doctor_says_when_the_compositor_does_not_answer(tmp_path: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path)}
    report = diagnose(tmp_path / "data", env)
    assert report["desktop"]["wayland"] is None
    assert "  Compositor:     did not answer" in render(report).splitlines()


@pytest.mark.parametrize(("env", "words"), [
    ({"WAYLAND_DISPLAY": "w", "XDG_CURRENT_DESKTOP": "GNOME"}, "AppIndicator extension"),
    ({"WAYLAND_DISPLAY": "w", "XDG_CURRENT_DESKTOP": "KDE"}, "System Tray widget"),
    ({"WAYLAND_DISPLAY": "w", "SWAYSOCK": "/s"}, "swaybar"),
    ({"WAYLAND_DISPLAY": "w", "XDG_CURRENT_DESKTOP": "Phosh:GNOME"}, "Phosh has no tray"),
    ({"WAYLAND_DISPLAY": "w", "XDG_CURRENT_DESKTOP": "river"}, "waybar's tray module"),
    ({"DISPLAY": ":1", "XDG_CURRENT_DESKTOP": "XFCE"}, "Status Tray plugin"),
    ({"DISPLAY": ":1"}, "a panel with a system tray"),
])
def test_the_tray_advice_names_this_desktops_own_tray(env: dict[str, str], words: str) -> None:
    from widget.desktop.session import tray_hint

    assert words in tray_hint(env)
    if "GNOME" not in env.get("XDG_CURRENT_DESKTOP", "").split(":")[:1]:
        assert "AppIndicator" not in tray_hint(env)


def test_doctor_on_sway_without_a_tray_points_at_swaybar(tmp_path: Path) -> None:
    """The real tray check (Qt, in its own process) finds no tray on a Wayland display that
    is not there; the advice names Sway's own bar, not GNOME's extension."""
    env = {"PATH": "/usr/bin:/bin", "WAYLAND_DISPLAY": "wayland-none",
           "XDG_RUNTIME_DIR": str(tmp_path), "XDG_CURRENT_DESKTOP": "sway",
           "QT_QPA_PLATFORM": "wayland"}
    report = diagnose(tmp_path / "data", env)
    assert report["tray"]["available"] is False
    said = [line for line in report["advice"] if line.startswith("No system tray")]
    assert len(said) == 1 and "swaybar" in said[0] and "AppIndicator" not in said[0], said
