"""WindowsProbe logic over a fake Win32 layer (the real one only loads on Windows)."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field

import pytest

from widget.core.model import Measure
from widget.errors import ProbeError
from widget.probes.windows import WindowsProbe, _Win32, idle_milliseconds

FRAME_HOST = r"C:\Windows\System32\ApplicationFrameHost.exe"
REPLIKA = r"C:\Program Files\WindowsApps\Replika_1.0_x64\Replika.exe"
SECRET_TITLE = "Chat with Sam - very private"


@dataclass
class Window:
    pid: int
    title: str = ""
    children: list[int] = field(default_factory=list)


class FakeWin32:
    """Windows, processes and a message loop in memory, shaped like `_Win32`."""

    def __init__(self) -> None:
        self.windows: dict[int, Window] = {}
        self.images: dict[int, str] = {}
        self.foreground_hwnd = 0
        self.last_input = 0
        self.tick64 = 0
        self.desktop_open = True
        self.hook_handle = 77
        self.hook_thread: int | None = None
        self.unhook_thread: int | None = None
        self.on_event: object = None
        self._quit = threading.Event()
        self.posted_to: int | None = None

    def get_foreground_window(self) -> int:
        return self.foreground_hwnd

    def get_window_process_id(self, hwnd: int) -> int:
        return self.windows[hwnd].pid

    def query_process_image(self, pid: int) -> str | None:
        return self.images.get(pid)

    def get_window_text(self, hwnd: int) -> str:
        return self.windows[hwnd].title

    def enum_child_windows(self, hwnd: int) -> list[int]:
        return list(self.windows[hwnd].children)

    def get_last_input_tick(self) -> int:
        return self.last_input

    def get_tick_count64(self) -> int:
        return self.tick64

    def input_desktop_open(self) -> bool:
        return self.desktop_open

    def ensure_message_queue(self) -> None:
        pass

    def current_thread_id(self) -> int:
        return threading.get_ident()

    def set_foreground_hook(self, on_event):  # type: ignore[no-untyped-def]
        self.hook_thread = threading.get_ident()
        self.on_event = on_event
        return self.hook_handle

    def unhook(self, hook: int) -> None:
        self.unhook_thread = threading.get_ident()

    def run_message_loop(self) -> None:
        self._quit.wait(5.0)

    def post_quit(self, thread_id: int) -> None:
        self.posted_to = thread_id
        self._quit.set()


def probe_with(api: FakeWin32) -> WindowsProbe:
    return WindowsProbe(api)  # type: ignore[arg-type]


def test_foreground_names_the_process_by_the_basename_of_its_image() -> None:
    api = FakeWin32()
    api.windows[10] = Window(pid=400, title=SECRET_TITLE)
    api.images[400] = r"C:\Program Files\Mozilla Firefox\firefox.exe"
    api.foreground_hwnd = 10

    fg = probe_with(api).foreground()

    assert fg is not None
    assert fg.process == "firefox.exe"
    assert fg.exe == r"C:\Program Files\Mozilla Firefox\firefox.exe"
    assert fg.pid == 400
    assert fg.title == SECRET_TITLE


def test_no_foreground_window_means_nothing_in_front() -> None:
    assert probe_with(FakeWin32()).foreground() is None


def test_uwp_frame_resolves_to_the_first_child_from_another_process() -> None:
    api = FakeWin32()
    api.windows[20] = Window(pid=100, title="Replika", children=[21, 22, 23])
    api.windows[21] = Window(pid=100)  # the frame host's own child comes first
    api.windows[22] = Window(pid=555)
    api.windows[23] = Window(pid=666)
    api.images.update({100: FRAME_HOST, 555: REPLIKA, 666: r"C:\other.exe"})
    api.foreground_hwnd = 20

    fg = probe_with(api).foreground()

    assert fg is not None
    assert (fg.process, fg.pid, fg.exe) == ("Replika.exe", 555, REPLIKA)
    assert fg.title == "Replika"  # the frame carries the title


def test_uwp_frame_without_an_app_child_stays_the_frame_host() -> None:
    api = FakeWin32()
    api.windows[20] = Window(pid=100, title="Starting", children=[21])
    api.windows[21] = Window(pid=100)
    api.images[100] = FRAME_HOST
    api.foreground_hwnd = 20

    fg = probe_with(api).foreground()

    assert fg is not None
    assert fg.process == "ApplicationFrameHost.exe"


def test_unreadable_process_raises_without_the_title() -> None:
    api = FakeWin32()
    api.windows[10] = Window(pid=4, title=SECRET_TITLE)
    api.foreground_hwnd = 10

    with pytest.raises(ProbeError) as raised:
        probe_with(api).foreground()
    assert SECRET_TITLE not in str(raised.value)
    assert "4" in str(raised.value)


@pytest.mark.parametrize(
    ("now64", "last32", "expected_ms"),
    [
        (10_000, 7_500, 2_500),
        (2**32 + 500, 2**32 - 1_500, 2_000),  # the 32-bit tick wrapped after the last input
        (5 * 2**32 + 1_000, 1_000, 0),  # input this very tick, many wraps after boot
        (3 * 2**32 + 100, 2**32 - 100, 200),
    ],
)
def test_idle_milliseconds_survives_tick_wraparound(
    now64: int, last32: int, expected_ms: int
) -> None:
    assert idle_milliseconds(now64, last32) == expected_ms


def test_idle_seconds_reads_last_input_against_the_64_bit_tick() -> None:
    api = FakeWin32()
    api.tick64 = 2**32 + 3_000
    api.last_input = 2**32 - 2_000

    assert probe_with(api).idle_seconds() == pytest.approx(5.0)


def test_locked_when_the_input_desktop_cannot_be_opened() -> None:
    api = FakeWin32()
    api.desktop_open = False
    assert probe_with(api).locked() is True


def test_locked_when_lockapp_is_in_front() -> None:
    api = FakeWin32()
    api.windows[30] = Window(pid=900)
    api.images[900] = r"C:\Windows\SystemApps\Microsoft.LockApp_cw5n1h2txyewy\LockApp.exe"
    api.foreground_hwnd = 30
    assert probe_with(api).locked() is True


def test_not_locked_with_an_ordinary_app_in_front() -> None:
    api = FakeWin32()
    api.windows[10] = Window(pid=400)
    api.images[400] = REPLIKA
    api.foreground_hwnd = 10
    assert probe_with(api).locked() is False


def test_watch_focus_announces_on_its_own_thread_and_close_ends_it() -> None:
    api = FakeWin32()
    probe = probe_with(api)
    seen: list[float] = []
    before = time.monotonic()

    assert probe.watch_focus(seen.append) is True
    assert probe.info().focus_events is True
    assert api.hook_thread is not None and api.hook_thread != threading.get_ident()
    api.on_event()  # type: ignore[operator]  # what the hook does when focus moves

    assert len(seen) == 1 and seen[0] >= before
    probe.close()
    assert api.posted_to == api.hook_thread
    assert api.unhook_thread == api.hook_thread  # UnhookWinEvent on the hooking thread
    assert probe.info().focus_events is False


def test_watch_focus_reports_false_when_the_hook_cannot_be_set() -> None:
    api = FakeWin32()
    api.hook_handle = 0
    probe = probe_with(api)

    assert probe.watch_focus(lambda _t: None) is False
    probe.close()
    assert api.unhook_thread is None


def test_info_names_the_sources() -> None:
    info = probe_with(FakeWin32()).info()
    assert (info.name, info.measure) == ("windows", Measure.FOREGROUND)
    assert info.idle_source == "GetLastInputInfo"
    assert info.lock_source is not None


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_the_real_layer_refuses_politely_off_windows() -> None:
    with pytest.raises(ProbeError):
        _Win32()
    with pytest.raises(ProbeError):
        WindowsProbe()
