"""Sway and Hyprland probes: pure parsing, plus the real subprocess and socket plumbing driven
by stand-in `swaymsg`/`hyprctl` scripts and a local Unix socket."""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from widget.errors import ProbeError
from widget.probes.hyprland import (
    HyprlandProbe,
    event_name,
    event_socket_paths,
    foreground_from_active,
)
from widget.probes.hyprland import focus_changes as hypr_focus_changes
from widget.probes.sway import (
    SwayProbe,
    focus_changes,
    focused_node,
    foreground_from_node,
    json_stream,
)

SECRET_TITLE = "Kindroid - a private chat"


def lookup(pid: int) -> tuple[str | None, str | None]:
    return {
        4242: ("kindroid", "/opt/Kindroid/kindroid"),
        5151: ("firefox", "/usr/lib/firefox/firefox"),
    }.get(pid, (None, None))


def con(node_id: int, focused: bool = False, **extra: Any) -> dict[str, Any]:
    node = {"id": node_id, "type": "con", "focused": focused, "nodes": [], "floating_nodes": []}
    node.update(extra)
    return node


def sway_tree(*, focus: str) -> dict[str, Any]:
    """A get_tree answer shaped like Sway's: root > outputs > workspaces > containers."""
    firefox = con(
        11,
        focused=focus == "tiled",
        name="Mozilla Firefox",
        pid=5151,
        app_id="firefox",
        shell="xdg_shell",
    )
    kindroid = con(
        12,
        focused=focus == "floating",
        name=SECRET_TITLE,
        pid=4242,
        app_id=None,
        shell="xwayland",
        window_properties={"class": "Kindroid", "instance": "kindroid", "title": SECRET_TITLE},
    )
    kindroid["type"] = "floating_con"
    split = con(10, layout="splitv", name=None, nodes=[firefox])
    return {
        "id": 1,
        "type": "root",
        "focused": False,
        "name": "root",
        "nodes": [
            {"id": 2147483647, "type": "output", "name": "__i3", "focused": False, "nodes": []},
            {
                "id": 3,
                "type": "output",
                "name": "eDP-1",
                "focused": False,
                "nodes": [
                    {
                        "id": 4,
                        "type": "workspace",
                        "name": "1",
                        "focused": False,
                        "nodes": [split],
                        "floating_nodes": [kindroid],
                    },
                    {
                        "id": 5,
                        "type": "workspace",
                        "name": "2",
                        "focused": focus == "workspace",
                        "nodes": [],
                        "floating_nodes": [],
                    },
                ],
            },
        ],
        "floating_nodes": [],
    }


# --- Sway: pure functions -------------------------------------------------------------------


def test_focused_node_finds_a_tiled_window_deep_in_the_tree() -> None:
    node = focused_node(sway_tree(focus="tiled"))
    assert node is not None and node["id"] == 11


def test_focused_node_finds_a_floating_window() -> None:
    node = focused_node(sway_tree(focus="floating"))
    assert node is not None and node["id"] == 12


def test_focused_node_is_none_when_nothing_says_focused() -> None:
    assert focused_node(sway_tree(focus="none")) is None


def test_foreground_of_a_wayland_window_uses_app_id() -> None:
    fg = foreground_from_node(focused_node(sway_tree(focus="tiled")), lookup)
    assert fg is not None
    assert (fg.process, fg.pid, fg.exe, fg.window_class) == (
        "firefox",
        5151,
        "/usr/lib/firefox/firefox",
        "firefox",
    )
    assert fg.title == "Mozilla Firefox"


def test_foreground_of_an_xwayland_window_uses_its_x11_class() -> None:
    fg = foreground_from_node(focused_node(sway_tree(focus="floating")), lookup)
    assert fg is not None
    assert (fg.process, fg.window_class, fg.title) == ("kindroid", "Kindroid", SECRET_TITLE)


def test_a_focused_empty_workspace_is_nothing_in_front() -> None:
    node = focused_node(sway_tree(focus="workspace"))
    assert node is not None and node["type"] == "workspace"
    assert foreground_from_node(node, lookup) is None


def test_a_window_whose_process_is_gone_is_named_by_its_app_id() -> None:
    node = con(7, focused=True, pid=999_999, app_id="nomi", name="x")
    fg = foreground_from_node(node, lookup)
    assert fg is not None and fg.process == "nomi" and fg.exe is None


def test_json_stream_reads_one_per_line_and_pretty_printed_values() -> None:
    one_line = json.dumps({"change": "focus", "n": 1}) + "\n"
    pretty = json.dumps({"change": "title", "n": 2}, indent=2).splitlines(keepends=True)
    values = list(json_stream([one_line, *pretty, '{"change": "focus", ', '"n": 3}\n']))
    assert [v["n"] for v in values] == [1, 2, 3]


def test_focus_changes_counts_only_focus_events() -> None:
    lines = [
        json.dumps({"change": "focus", "container": {"name": SECRET_TITLE}}) + "\n",
        json.dumps({"change": "title", "container": {"name": SECRET_TITLE}}) + "\n",
        json.dumps({"change": "new", "container": {}}) + "\n",
        json.dumps({"change": "focus", "current": {"type": "workspace"}}) + "\n",
    ]
    assert len(list(focus_changes(lines))) == 2


# --- Sway: through a stand-in swaymsg ---------------------------------------------------------


def script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_sway_probe_reads_the_tree_from_swaymsg(tmp_path: Path) -> None:
    answer = tmp_path / "tree.json"
    answer.write_text(json.dumps(sway_tree(focus="floating")))
    swaymsg = script(tmp_path, "swaymsg", f'[ "$*" = "-r -t get_tree" ] && cat "{answer}"\n')

    fg = SwayProbe(str(swaymsg), lookup).foreground()

    assert fg is not None and fg.process == "kindroid"


def test_sway_probe_failure_is_a_probe_error_without_the_title(tmp_path: Path) -> None:
    swaymsg = script(tmp_path, "swaymsg", f'echo "{SECRET_TITLE}" >&2; exit 1\n')
    with pytest.raises(ProbeError) as raised:
        SwayProbe(str(swaymsg), lookup).foreground()
    assert SECRET_TITLE not in str(raised.value)


def test_sway_probe_times_out_after_a_second(tmp_path: Path) -> None:
    swaymsg = script(tmp_path, "swaymsg", "exec sleep 5\n")
    with pytest.raises(ProbeError, match="in time"):
        SwayProbe(str(swaymsg), lookup).foreground()


def test_sway_probe_needs_swaymsg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ProbeError):
        SwayProbe()


def test_sway_idle_and_lock_are_unknown_and_said_so(tmp_path: Path) -> None:
    probe = SwayProbe(str(script(tmp_path, "swaymsg", "exit 0\n")), lookup)
    assert probe.idle_seconds() is None and probe.locked() is None
    info = probe.info()
    assert info.idle_source is None
    assert info.notes[0].startswith("idle is not known on Sway without swayidle")


def test_sway_watch_focus_calls_back_per_focus_event_and_close_stops_it(tmp_path: Path) -> None:
    events = "\n".join(
        json.dumps({"change": change, "container": {"name": SECRET_TITLE}})
        for change in ("focus", "title", "focus")
    )
    feed = tmp_path / "events.json"
    feed.write_text(events + "\n")
    swaymsg = script(tmp_path, "swaymsg", f'cat "{feed}"\nexec sleep 30\n')
    probe = SwayProbe(str(swaymsg), lookup)
    two_seen = threading.Event()
    seen: list[float] = []

    def on_focus(at: float) -> None:
        seen.append(at)
        if len(seen) == 2:
            two_seen.set()

    assert probe.watch_focus(on_focus) is True
    assert two_seen.wait(5.0)
    probe.close()
    assert len(seen) == 2
    assert probe.info().focus_events is False


# --- Hyprland -------------------------------------------------------------------------------

ACTIVE = {
    "address": "0x55d0c1a2b3c0",
    "class": "Kindroid",
    "initialClass": "Kindroid",
    "title": SECRET_TITLE,
    "pid": 4242,
    "workspace": {"id": 1, "name": "1"},
}


def test_hyprland_active_window_becomes_a_foreground() -> None:
    fg = foreground_from_active(ACTIVE, lookup)
    assert fg is not None
    assert (fg.process, fg.pid, fg.window_class, fg.title) == (
        "kindroid",
        4242,
        "Kindroid",
        SECRET_TITLE,
    )


def test_hyprland_empty_answer_is_nothing_in_front() -> None:
    assert foreground_from_active({}, lookup) is None


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (f"activewindow>>Kindroid,{SECRET_TITLE}", "activewindow"),
        ("activewindowv2>>55d0c1a2b3c0", "activewindowv2"),
        ("activewindow>>,", "activewindow"),
        ("workspace>>2", "workspace"),
        ("garbage", None),
    ],
)
def test_event_name_keeps_only_the_name(line: str, name: str | None) -> None:
    assert event_name(line) == name


def test_hyprland_focus_changes_skip_v2_duplicates() -> None:
    lines = [
        "activewindow>>a,b",
        "activewindowv2>>1",
        "openwindow>>1,1,a,b",
        "activewindow>>,",
        "activewindowv2>>",
    ]
    assert len(list(hypr_focus_changes(lines))) == 2


def test_event_socket_paths_prefer_the_runtime_dir() -> None:
    paths = event_socket_paths(
        {"HYPRLAND_INSTANCE_SIGNATURE": "abc_1", "XDG_RUNTIME_DIR": "/run/user/1000"}
    )
    assert paths == [
        Path("/run/user/1000/hypr/abc_1/.socket2.sock"),
        Path("/tmp/hypr/abc_1/.socket2.sock"),
    ]
    assert event_socket_paths({}) == []


def test_hyprland_probe_reads_hyprctl(tmp_path: Path) -> None:
    answer = tmp_path / "active.json"
    answer.write_text(json.dumps(ACTIVE))
    hyprctl = script(tmp_path, "hyprctl", f'[ "$1 $2" = "activewindow -j" ] && cat "{answer}"\n')
    probe = HyprlandProbe(str(hyprctl), lookup, env={})

    fg = probe.foreground()

    assert fg is not None and fg.process == "kindroid"
    assert probe.idle_seconds() is None and probe.locked() is None
    assert probe.info().notes and "idle is not known" in probe.info().notes[0]


def test_hyprland_probe_empty_object_means_nothing(tmp_path: Path) -> None:
    hyprctl = script(tmp_path, "hyprctl", "echo '{}'\n")
    assert HyprlandProbe(str(hyprctl), lookup, env={}).foreground() is None


def test_hyprland_probe_garbage_is_a_probe_error(tmp_path: Path) -> None:
    hyprctl = script(tmp_path, "hyprctl", "echo 'HyprCtl: no such instance'\n")
    with pytest.raises(ProbeError):
        HyprlandProbe(str(hyprctl), lookup, env={}).foreground()


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    # A short path: AF_UNIX socket paths are limited to about 108 bytes.
    with tempfile.TemporaryDirectory(prefix="dc-") as directory:
        yield Path(directory)


def test_hyprland_watch_focus_reads_the_event_socket(tmp_path: Path, runtime_dir: Path) -> None:
    socket_dir = runtime_dir / "hypr" / "sig"
    socket_dir.mkdir(parents=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(socket_dir / ".socket2.sock"))
    server.listen(1)
    hyprctl = script(tmp_path, "hyprctl", "echo '{}'\n")
    env = {"HYPRLAND_INSTANCE_SIGNATURE": "sig", "XDG_RUNTIME_DIR": str(runtime_dir)}
    probe = HyprlandProbe(str(hyprctl), lookup, env=env)
    two_seen = threading.Event()
    seen: list[float] = []

    def on_focus(at: float) -> None:
        seen.append(at)
        if len(seen) == 2:
            two_seen.set()

    try:
        assert probe.watch_focus(on_focus) is True
        client, _ = server.accept()
        # Split mid-line, as a stream may.
        client.sendall(
            f"activewindow>>Kindroid,{SECRET_TITLE}\nactivewindowv2>>1\nactivew".encode()
        )
        client.sendall(b"indow>>firefox,x\nworkspace>>2\n")
        assert two_seen.wait(5.0)
        probe.close()
        assert len(seen) == 2
        assert probe.info().focus_events is False
        client.close()
    finally:
        probe.close()
        server.close()


def test_hyprland_watch_focus_is_false_without_a_socket(tmp_path: Path) -> None:
    hyprctl = script(tmp_path, "hyprctl", "echo '{}'\n")
    env = {
        "HYPRLAND_INSTANCE_SIGNATURE": "nope-" + os.urandom(4).hex(),
        "XDG_RUNTIME_DIR": "/nonexistent",
    }
    assert HyprlandProbe(str(hyprctl), lookup, env=env).watch_focus(lambda _t: None) is False
