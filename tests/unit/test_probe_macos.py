"""MacProbe logic over a fake PyObjC layer (the real one only imports on macOS)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from widget.errors import ProbeError
from widget.probes.macos import ACCESSIBILITY_NOTE, FrontApp, MacProbe, _Cocoa, lock_state

REPLIKA = FrontApp(
    name="Replika",
    bundle_id="ai.replika.app",
    pid=321,
    executable="/Applications/Replika.app/Contents/MacOS/Replika",
)
SECRET_TITLE = "Evening talk with Mia"


class FakeCocoa:
    def __init__(self) -> None:
        self.app: FrontApp | None = REPLIKA
        self.trusted = False
        self.titles: dict[int, str] = {321: SECRET_TITLE}
        self.title_asked = False
        self.idle = 12.5
        self.session: Mapping[str, Any] | None = {"kCGSSessionOnConsoleKey": True}
        self.observers: list[Callable[[], None]] = []
        self.removed: list[object] = []

    def frontmost_app(self) -> FrontApp | None:
        return self.app

    def seconds_since_input(self) -> float:
        return self.idle

    def accessibility_trusted(self) -> bool:
        return self.trusted

    def focused_window_title(self, pid: int) -> str | None:
        self.title_asked = True
        return self.titles.get(pid)

    def session_dictionary(self) -> Mapping[str, Any] | None:
        return self.session

    def observe_activation(self, on_activate: Callable[[], None]) -> object:
        self.observers.append(on_activate)
        return on_activate

    def remove_observer(self, token: object) -> None:
        self.removed.append(token)


def probe_with(cocoa: FakeCocoa, app_run_loop: bool = False) -> MacProbe:
    return MacProbe(cocoa, app_run_loop=app_run_loop)  # type: ignore[arg-type]


def test_foreground_uses_the_executable_name_and_the_bundle_id() -> None:
    fg = probe_with(FakeCocoa()).foreground()

    assert fg is not None
    assert fg.process == "Replika"
    assert fg.window_class == "ai.replika.app"
    assert fg.pid == 321
    assert fg.exe == REPLIKA.executable


def test_without_accessibility_the_title_is_not_even_asked_for() -> None:
    cocoa = FakeCocoa()
    fg = probe_with(cocoa).foreground()

    assert fg is not None and fg.title is None
    assert cocoa.title_asked is False
    notes = probe_with(cocoa).info().notes
    assert ACCESSIBILITY_NOTE in notes
    assert "System Settings > Privacy & Security > Accessibility" in ACCESSIBILITY_NOTE


def test_with_accessibility_the_focused_window_title_is_read() -> None:
    cocoa = FakeCocoa()
    cocoa.trusted = True

    fg = probe_with(cocoa).foreground()

    assert fg is not None and fg.title == SECRET_TITLE
    assert ACCESSIBILITY_NOTE not in probe_with(cocoa).info().notes


def test_app_without_executable_falls_back_to_its_localized_name() -> None:
    cocoa = FakeCocoa()
    cocoa.app = FrontApp(name="Nomi", bundle_id=None, pid=5, executable=None)

    fg = probe_with(cocoa).foreground()

    assert fg is not None and fg.process == "Nomi" and fg.exe is None


def test_nothing_frontmost_means_nothing_in_front() -> None:
    cocoa = FakeCocoa()
    cocoa.app = None
    assert probe_with(cocoa).foreground() is None


def test_a_nameless_app_raises_probe_error() -> None:
    cocoa = FakeCocoa()
    cocoa.app = FrontApp(name=None, bundle_id=None, pid=9, executable=None)
    with pytest.raises(ProbeError):
        probe_with(cocoa).foreground()


def test_idle_comes_from_quartz() -> None:
    assert probe_with(FakeCocoa()).idle_seconds() == 12.5


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        (None, None),
        ({}, False),
        ({"kCGSSessionOnConsoleKey": True}, False),
        ({"kCGSSessionOnConsoleKey": True, "CGSSessionScreenIsLocked": 1}, True),
        ({"CGSSessionScreenIsLocked": True}, True),
        ({"kCGSSessionOnConsoleKey": False}, True),  # another user's session is in front
    ],
)
def test_lock_state(session: Mapping[str, Any] | None, expected: bool | None) -> None:
    assert lock_state(session) is expected
    cocoa = FakeCocoa()
    cocoa.session = session
    assert probe_with(cocoa).locked() is expected


def test_watch_focus_is_false_without_an_appkit_run_loop() -> None:
    cocoa = FakeCocoa()
    probe = probe_with(cocoa, app_run_loop=False)

    assert probe.watch_focus(lambda _t: None) is False
    assert cocoa.observers == []
    assert any("run loop" in note for note in probe.info().notes)


def test_watch_focus_observes_activations_and_close_removes_the_observer() -> None:
    cocoa = FakeCocoa()
    probe = probe_with(cocoa, app_run_loop=True)
    seen: list[float] = []

    assert probe.watch_focus(seen.append) is True
    assert probe.info().focus_events is True
    cocoa.observers[0]()  # NSWorkspaceDidActivateApplicationNotification arrives
    assert len(seen) == 1

    probe.close()
    assert cocoa.removed == [cocoa.observers[0]]
    assert probe.info().focus_events is False


@pytest.mark.skipif(sys.platform == "darwin", reason="checks the behaviour off macOS")
def test_the_real_layer_refuses_politely_off_macos() -> None:
    with pytest.raises(ProbeError):
        _Cocoa()
