"""Sway and Hyprland probes: pure parsing, plus the real socket and subprocess plumbing driven
by a stand-in Sway IPC socket (tests/helpers/sway_ipc.py), stand-in `hyprctl` scripts and a
local Unix socket. The real Sway is in tests/sway/."""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.sway_ipc import FakeSway
from widget.errors import ProbeError
from widget.probes.hyprland import (
    HyprlandProbe,
    event_name,
    event_socket_paths,
    foreground_from_active,
)
from widget.probes.hyprland import focus_changes as hypr_focus_changes
from widget.probes.sway import (
    EVENT,
    GET_TREE,
    WINDOW_EVENT,
    WORKSPACE_EVENT,
    SwayProbe,
    encode_message,
    focused_node,
    foreground_from_node,
    is_focus_event,
    socket_candidates,
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


def test_the_header_is_magic_length_and_type_in_native_byte_order() -> None:
    framed = encode_message(GET_TREE, b'{"a": 1}')
    assert framed[:6] == b"i3-ipc"
    assert struct.unpack("=II", framed[6:14]) == (8, GET_TREE)
    assert framed[14:] == b'{"a": 1}'


@pytest.mark.parametrize(
    ("kind", "event", "counts"),
    [
        (WINDOW_EVENT, {"change": "focus", "container": {"name": SECRET_TITLE}}, True),
        (WINDOW_EVENT, {"change": "close", "container": {"name": SECRET_TITLE}}, True),
        (WINDOW_EVENT, {"change": "title", "container": {"name": SECRET_TITLE}}, False),
        (WINDOW_EVENT, {"change": "new", "container": {}}, False),
        (WORKSPACE_EVENT, {"change": "focus", "current": {"type": "workspace"}}, True),
        (WORKSPACE_EVENT, {"change": "init"}, False),
        (EVENT | 6, {"change": "exit"}, False),  # shutdown
    ],
)
def test_focus_events_are_window_and_workspace_focus_and_window_close(
        kind: int, event: dict[str, Any], counts: bool) -> None:
    assert is_focus_event(kind, json.dumps(event).encode()) is counts


def test_an_event_that_is_not_json_is_no_focus_change() -> None:
    assert is_focus_event(WINDOW_EVENT, b"\xff not json") is False
    assert is_focus_event(WINDOW_EVENT, b"[1, 2]") is False


# --- Sway: through a stand-in IPC socket (the real Sway: tests/sway) --------------------------


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    # A short path: AF_UNIX socket paths are limited to about 108 bytes.
    with tempfile.TemporaryDirectory(prefix="dc-") as directory:
        yield Path(directory)


class FakeIdle:
    source = "org_kde_kwin_idle"

    def __init__(self) -> None:
        self.closed = False

    def seconds(self) -> float | None:
        return 12.5

    def close(self) -> None:
        self.closed = True


def no_idle(_env: Mapping[str, str]) -> None:
    return None


@pytest.fixture
def sway(runtime_dir: Path) -> Iterator[FakeSway]:
    server = FakeSway(runtime_dir, sway_tree(focus="floating"))
    yield server
    server.end()


def env_of(server: FakeSway) -> dict[str, str]:
    return {"SWAYSOCK": str(server.path), "XDG_RUNTIME_DIR": str(server.path.parent)}


def test_sway_probe_reads_the_tree_from_the_socket(sway: FakeSway) -> None:
    probe = SwayProbe(env_of(sway), lookup, idle=no_idle)
    try:
        fg = probe.foreground()
        assert fg is not None and (fg.process, fg.pid) == ("kindroid", 4242)
        sway.tree = sway_tree(focus="workspace")
        assert probe.foreground() is None
        assert sway.asked == [GET_TREE, GET_TREE]  # one connection, no program started
    finally:
        probe.close()


def test_sway_probe_needs_a_sway_that_answers(runtime_dir: Path) -> None:
    env = {"SWAYSOCK": str(runtime_dir / "sway-ipc.1000.1.sock"),
           "XDG_RUNTIME_DIR": str(runtime_dir)}
    with pytest.raises(ProbeError, match="does not answer"):
        SwayProbe(env, lookup, idle=no_idle)


def test_sway_probe_garbage_is_a_probe_error_without_the_title(sway: FakeSway) -> None:
    probe = SwayProbe(env_of(sway), lookup, idle=no_idle)
    sway.garbage = True
    try:
        with pytest.raises(ProbeError) as raised:
            probe.foreground()
        assert "could not be read" in str(raised.value)
        assert SECRET_TITLE not in str(raised.value)
        sway.garbage = False
        assert probe.foreground() is not None  # a new connection, in step again
    finally:
        probe.close()


def test_sway_probe_times_out_after_a_second(sway: FakeSway) -> None:
    probe = SwayProbe(env_of(sway), lookup, idle=no_idle)
    sway.silent = True
    try:
        with pytest.raises(ProbeError, match="in time"):
            probe.foreground()
    finally:
        probe.close()


def test_sway_idle_comes_from_the_wayland_idle_source(sway: FakeSway) -> None:
    idle = FakeIdle()
    seen: list[Mapping[str, str]] = []

    def connect(env: Mapping[str, str]) -> FakeIdle:
        seen.append(env)
        return idle

    probe = SwayProbe(env_of(sway), lookup, idle=connect)
    assert seen == [env_of(sway)]
    assert probe.idle_seconds() == 12.5
    info = probe.info()
    assert info.idle_source == "org_kde_kwin_idle" and info.notes == ()
    probe.close()
    assert idle.closed


def test_sway_without_a_wayland_idle_source_says_so(sway: FakeSway) -> None:
    probe = SwayProbe(env_of(sway), lookup, idle=no_idle)
    try:
        assert probe.idle_seconds() is None
        info = probe.info()
        assert info.idle_source is None
        assert info.notes[0].startswith("Sway did not offer driftcheck its idle time")
    finally:
        probe.close()


def test_sway_idle_source_that_fails_to_start_leaves_idle_unknown(sway: FakeSway) -> None:
    def refuse(_env: Mapping[str, str]) -> None:
        raise OSError("the Wayland socket refused")

    probe = SwayProbe(env_of(sway), lookup, idle=refuse)
    try:
        assert probe.foreground() is not None
        assert probe.idle_seconds() is None and probe.info().idle_source is None
    finally:
        probe.close()


def test_sway_watch_focus_calls_back_per_focus_event_and_close_stops_it(sway: FakeSway) -> None:
    probe = SwayProbe(env_of(sway), lookup, idle=no_idle)
    two_seen = threading.Event()
    seen: list[float] = []

    def on_focus(at: float) -> None:
        seen.append(at)
        if len(seen) == 2:
            two_seen.set()

    try:
        assert probe.watch_focus(on_focus) is True
        assert sway.subscribed.wait(5.0)
        for change in ("focus", "title", "focus"):
            sway.emit(WINDOW_EVENT, {"change": change, "container": {"name": SECRET_TITLE}})
        assert two_seen.wait(5.0)
        assert probe.info().focus_events is True
    finally:
        probe.close()
    assert len(seen) == 2
    assert probe.info().focus_events is False


def test_sway_socket_candidates_are_swaysock_then_the_users_newest(runtime_dir: Path) -> None:
    uid = os.getuid()
    old = FakeSway(runtime_dir, {}, pid=11)
    new = FakeSway(runtime_dir, {}, pid=22)
    other_user = FakeSway(runtime_dir, {}, pid=33, uid=uid + 1)
    os.utime(old.path, (1_000_000, 1_000_000))
    (runtime_dir / f"sway-ipc.{uid}.44.sock").write_text("not a socket")
    try:
        swaysock = runtime_dir / f"sway-ipc.{uid}.5.sock"  # gone: Sway restarted since
        env = {"SWAYSOCK": str(swaysock), "XDG_RUNTIME_DIR": str(runtime_dir)}
        assert socket_candidates(env) == [swaysock, new.path, old.path]
        # The uid in SWAYSOCK's name is the one looked for (root asking a user's Sway).
        other = {"SWAYSOCK": str(runtime_dir / f"sway-ipc.{uid + 1}.5.sock")}
        # ...but a socket must also be owned by that uid, which other_user's is not here.
        assert socket_candidates(other)[1:] == []
        assert socket_candidates({}) == []
    finally:
        for server in (old, new, other_user):
            server.end()


def test_sway_restarted_is_found_again_and_nothing_counts_while_it_is_away(
        runtime_dir: Path) -> None:
    """Sway ends with a tracked window in front and starts again with a socket of another
    name: the watcher's reading finds it gone (nothing in front: the interval ends there),
    readings fail while it is away, and the new Sway is found without restarting anything."""
    from tests.helpers.fakes import FakeClock
    from widget.core.intervals import IntervalBuilder
    from widget.core.model import Interval
    from widget.sampler import Sampler

    class Rows:
        def __init__(self) -> None:
            self.rows: dict[int, Interval] = {}

        def insert_interval(self, interval: Interval) -> int:
            self.rows[len(self.rows) + 1] = interval
            return len(self.rows)

        def update_interval_end(self, row_id: int, end: Any) -> None:
            from dataclasses import replace
            self.rows[row_id] = replace(self.rows[row_id], end=end)

        def delete_interval(self, row_id: int) -> None:
            del self.rows[row_id]

    first = FakeSway(runtime_dir, sway_tree(focus="floating"), pid=100)
    probe = SwayProbe(env_of(first), lookup, idle=no_idle)
    clock = FakeClock()
    rows = Rows()
    sampler = Sampler(probe, lambda fg: "kindroid" if fg.process == "kindroid" else None,
                      IntervalBuilder(interval=5, idle_after=180), rows, clock)
    announced = threading.Event()
    second: FakeSway | None = None
    try:
        assert probe.watch_focus(lambda _mono: announced.set())
        assert first.subscribed.wait(5)
        sampler.tick()  # t=0: kindroid in front
        clock.advance(1)
        first.end()
        assert announced.wait(5), "the watcher did not say Sway went away"
        announced.clear()
        sampler.focus_changed(clock.mono())  # what the tracker does with that call: t=1
        clock.advance(1)
        sampler.tick()  # t=2: no Sway at all
        assert sampler.stats.probe_errors == 1
        second = FakeSway(runtime_dir, sway_tree(focus="floating"), pid=200)
        assert announced.wait(5), "the watcher did not find the new Sway"
        assert second.subscribed.wait(5)  # its server thread takes the subscription
        clock.advance(2)
        sampler.tick()  # t=4: kindroid in front of the new Sway, within one gap of t=2
        clock.advance(2)
        sampler.stop()  # t=6
    finally:
        probe.close()
        first.end()
        if second is not None:
            second.end()
    spans = sorted(((iv.start - clock.start).total_seconds(), (iv.end - clock.start)
                    .total_seconds()) for iv in rows.rows.values())
    assert spans == [(0.0, 1.0), (4.0, 6.0)]


def test_a_sway_that_never_comes_back_fails_every_reading_after_the_first(
        sway: FakeSway) -> None:
    probe = SwayProbe(env_of(sway), lookup, idle=no_idle)
    try:
        assert probe.foreground() is not None
        sway.end()
        assert probe.foreground() is None  # the reading that found it gone
        for _ in range(2):
            with pytest.raises(ProbeError, match="does not answer"):
                probe.foreground()
    finally:
        probe.close()


def script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


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
    assert probe.info().notes and "did not offer driftcheck its idle time" in \
        probe.info().notes[0]


class _Idle:
    source = "ext-idle-notify-v1"

    def __init__(self) -> None:
        self.closed = False

    def seconds(self) -> float | None:
        return 42.0

    def close(self) -> None:
        self.closed = True


def test_hyprland_probe_takes_idle_from_the_compositor(tmp_path: Path) -> None:
    """Hyprland offers ext-idle-notify-v1: the probe reads idle there (as on Sway), says no
    idle note, and closes it with itself. The connection is asked with the probe's own env."""
    hyprctl = script(tmp_path, "hyprctl", "echo '{}'\n")
    asked: list[Mapping[str, str]] = []
    idle = _Idle()

    def connect(env: Mapping[str, str]) -> _Idle:
        asked.append(env)
        return idle

    env = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": str(tmp_path)}
    probe = HyprlandProbe(str(hyprctl), lookup, env=env, idle=connect)
    assert asked == [env]
    assert probe.idle_seconds() == 42.0
    info = probe.info()
    assert info.idle_source == "ext-idle-notify-v1" and info.notes == ()
    probe.close()
    assert idle.closed


def test_hyprland_probe_empty_object_means_nothing(tmp_path: Path) -> None:
    hyprctl = script(tmp_path, "hyprctl", "echo '{}'\n")
    assert HyprlandProbe(str(hyprctl), lookup, env={}).foreground() is None


def test_hyprland_probe_garbage_is_a_probe_error(tmp_path: Path) -> None:
    hyprctl = script(tmp_path, "hyprctl", "echo 'HyprCtl: no such instance'\n")
    with pytest.raises(ProbeError):
        HyprlandProbe(str(hyprctl), lookup, env={}).foreground()


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
