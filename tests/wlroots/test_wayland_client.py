"""driftcheck's own Wayland wire client (widget/probes/wayland.py) against a real headless
Sway 1.7: the globals it lists, a round trip, events nobody handles skipped by their size,
and a protocol error said without the compositor's own words."""

from __future__ import annotations

import pytest

from tests.helpers.wlroots import WlrSession
from widget.probes.wayland import (
    Connection,
    WaylandError,
    encode_message,
    string,
    uint,
    wayland_globals,
)

pytestmark = [pytest.mark.wlroots]


def test_the_globals_sway_offers_are_listed(sway: WlrSession) -> None:
    offered = wayland_globals(sway.env)
    assert offered is not None
    assert {"wl_compositor", "wl_seat", "wl_output", "xdg_wm_base",
            "zwlr_foreign_toplevel_manager_v1", "org_kde_kwin_idle",
            "zwlr_virtual_pointer_manager_v1"} <= offered
    # Sway 1.7 (wlroots 0.15) has KDE's idle protocol only.
    assert "ext_idle_notifier_v1" not in offered


def test_no_display_means_no_globals(sway: WlrSession) -> None:
    assert wayland_globals({**sway.env, "WAYLAND_DISPLAY": ""}) is None
    assert wayland_globals({**sway.env, "WAYLAND_DISPLAY": "wayland-99"}) is None


def test_an_absolute_display_path_is_used_as_it_is(sway: WlrSession) -> None:
    path = str(sway.runtime_dir / str(sway.display))
    offered = wayland_globals({"WAYLAND_DISPLAY": path})
    assert offered is not None and "wl_seat" in offered


def test_events_nobody_handles_are_skipped_and_round_trips_go_on(sway: WlrSession) -> None:
    """wl_output and wl_seat bound with no handler answer at once with events of several
    sizes (geometry and name carry strings); they are skipped, and the next round trip and
    the next bind's answer still arrive whole."""
    connection = Connection.open(sway.env)
    try:
        connection.bind("wl_output", 3)
        connection.bind("wl_seat", 5)
        connection.roundtrip()
        seen: list[tuple[int, bytes]] = []
        connection.bind("wl_seat", 5, lambda opcode, payload: seen.append((opcode, payload)))
        connection.roundtrip()
        # wl_seat: capabilities (opcode 0, a uint) and name (opcode 1, a string), per
        # wayland.xml; Sway's seat is called seat0.
        assert sorted(opcode for opcode, _ in seen) == [0, 1]
        assert dict(seen)[1] == string("seat0")
    finally:
        connection.close()


def test_a_refused_request_is_an_error_without_the_compositors_words(
        sway: WlrSession) -> None:
    connection = Connection.open(sway.env)
    try:
        # wl_registry.bind of a global name that does not exist: a protocol error.
        connection.send(encode_message(connection.registry, 0, uint(0xFFFF), string("wl_seat"),
                                       uint(1), uint(connection.new_id())))
        with pytest.raises(WaylandError) as refused:
            connection.roundtrip()
        assert "refused a request" in str(refused.value)
        assert "global" not in str(refused.value)  # wlroots' text ("invalid global ...")
    finally:
        connection.close()
