"""Windows probe: the foreground window through user32/kernel32, with ctypes only.

Every Win32 call sits behind `_Win32`, one method per API, so that the probe's own logic
(UWP frame resolution, idle tick wraparound, lock detection) runs and is tested anywhere with a
fake. Nothing is loaded at import time: the DLLs are opened when `_Win32()` is built.
"""

from __future__ import annotations

import logging
import ntpath
import threading
import time
from collections.abc import Callable
from typing import Any

from widget.core.model import Foreground, Measure
from widget.errors import ProbeError
from widget.probes.base import FocusCallback, ProbeInfo

__all__ = ["WindowsProbe", "idle_milliseconds"]

log = logging.getLogger(__name__)

UWP_FRAME_HOST = "applicationframehost.exe"
LOCK_APP = "lockapp.exe"

PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
EVENT_SYSTEM_FOREGROUND = 0x0003
WINEVENT_OUTOFCONTEXT = 0x0000
WINEVENT_SKIPOWNPROCESS = 0x0002
WM_QUIT = 0x0012
PM_NOREMOVE = 0x0000
DESKTOP_SWITCHDESKTOP = 0x0100
MAX_PATH_CHARS = 32768  # QueryFullProcessImageNameW takes long (\\?\) paths too


def idle_milliseconds(now_tick64: int, last_input_tick32: int) -> int:
    """Milliseconds since the last input, from GetTickCount64 and LASTINPUTINFO.dwTime.

    dwTime is the low 32 bits of the tick count, which wraps every 49.7 days; comparing it
    with the low 32 bits of the 64-bit count modulo 2**32 stays right across the wrap (an idle
    spell longer than 49.7 days would read short, which no one will notice).
    """
    return ((now_tick64 & 0xFFFFFFFF) - (last_input_tick32 & 0xFFFFFFFF)) & 0xFFFFFFFF


class _Win32:
    """The Win32 calls the probe makes, one method each. Raises ProbeError off Windows."""

    def __init__(self) -> None:
        import ctypes
        from ctypes import wintypes

        ct: Any = ctypes  # WinDLL and WINFUNCTYPE exist only on Windows; mypy runs on Linux
        try:
            self._user32: Any = ct.WinDLL("user32", use_last_error=True)
            self._kernel32: Any = ct.WinDLL("kernel32", use_last_error=True)
        except (AttributeError, OSError) as error:
            raise ProbeError("The Windows system libraries are not available here.") from error
        self._ctypes = ct
        self._wt = wintypes
        self._enum_proc_type = ct.WINFUNCTYPE(wintypes.BOOL, wintypes.HWND, wintypes.LPARAM)
        self._event_proc_type = ct.WINFUNCTYPE(
            None,
            wintypes.HANDLE,
            wintypes.DWORD,
            wintypes.HWND,
            wintypes.LONG,
            wintypes.LONG,
            wintypes.DWORD,
            wintypes.DWORD,
        )
        self._hook_procs: dict[int, Any] = {}  # keep callbacks alive while hooked

        class LASTINPUTINFO(ctypes.Structure):
            _fields_ = [("cbSize", wintypes.UINT), ("dwTime", wintypes.DWORD)]

        self._lastinputinfo = LASTINPUTINFO
        self._declare()

    def _declare(self) -> None:
        wt, u, k = self._wt, self._user32, self._kernel32
        u.GetForegroundWindow.restype = wt.HWND
        u.GetWindowThreadProcessId.argtypes = [wt.HWND, wt.LPDWORD]
        u.GetWindowThreadProcessId.restype = wt.DWORD
        u.GetWindowTextLengthW.argtypes = [wt.HWND]
        u.GetWindowTextW.argtypes = [wt.HWND, wt.LPWSTR, wt.INT]
        u.EnumChildWindows.argtypes = [wt.HWND, self._enum_proc_type, wt.LPARAM]
        u.OpenInputDesktop.argtypes = [wt.DWORD, wt.BOOL, wt.DWORD]
        u.OpenInputDesktop.restype = wt.HANDLE
        u.CloseDesktop.argtypes = [wt.HANDLE]
        u.SetWinEventHook.argtypes = [
            wt.DWORD,
            wt.DWORD,
            wt.HMODULE,
            self._event_proc_type,
            wt.DWORD,
            wt.DWORD,
            wt.DWORD,
        ]
        u.SetWinEventHook.restype = wt.HANDLE
        u.UnhookWinEvent.argtypes = [wt.HANDLE]
        u.GetMessageW.argtypes = [wt.LPVOID, wt.HWND, wt.UINT, wt.UINT]
        u.PeekMessageW.argtypes = [wt.LPVOID, wt.HWND, wt.UINT, wt.UINT, wt.UINT]
        u.TranslateMessage.argtypes = [wt.LPVOID]
        u.DispatchMessageW.argtypes = [wt.LPVOID]
        u.PostThreadMessageW.argtypes = [wt.DWORD, wt.UINT, wt.WPARAM, wt.LPARAM]
        k.OpenProcess.argtypes = [wt.DWORD, wt.BOOL, wt.DWORD]
        k.OpenProcess.restype = wt.HANDLE
        k.QueryFullProcessImageNameW.argtypes = [wt.HANDLE, wt.DWORD, wt.LPWSTR, wt.PDWORD]
        k.CloseHandle.argtypes = [wt.HANDLE]
        k.GetTickCount64.restype = self._ctypes.c_ulonglong

    def get_foreground_window(self) -> int:
        return int(self._user32.GetForegroundWindow() or 0)

    def get_window_process_id(self, hwnd: int) -> int:
        pid = self._wt.DWORD(0)
        self._user32.GetWindowThreadProcessId(hwnd, self._ctypes.byref(pid))
        return int(pid.value)

    def query_process_image(self, pid: int) -> str | None:
        """The full path of the process's executable, or None when it cannot be opened."""
        handle = self._kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return None
        try:
            size = self._wt.DWORD(MAX_PATH_CHARS)
            buffer = self._ctypes.create_unicode_buffer(MAX_PATH_CHARS)
            ok = self._kernel32.QueryFullProcessImageNameW(
                handle, 0, buffer, self._ctypes.byref(size)
            )
            return str(buffer.value) if ok else None
        finally:
            self._kernel32.CloseHandle(handle)

    def get_window_text(self, hwnd: int) -> str:
        length = int(self._user32.GetWindowTextLengthW(hwnd))
        if length <= 0:
            return ""
        buffer = self._ctypes.create_unicode_buffer(length + 1)
        self._user32.GetWindowTextW(hwnd, buffer, length + 1)
        return str(buffer.value)

    def enum_child_windows(self, hwnd: int) -> list[int]:
        children: list[int] = []

        def collect(child: int, _lparam: int) -> bool:
            children.append(int(child or 0))
            return True

        self._user32.EnumChildWindows(hwnd, self._enum_proc_type(collect), 0)
        return children

    def get_last_input_tick(self) -> int:
        info = self._lastinputinfo()
        info.cbSize = self._ctypes.sizeof(info)
        if not self._user32.GetLastInputInfo(self._ctypes.byref(info)):
            raise ProbeError("Windows did not say when the keyboard or mouse was last used.")
        return int(info.dwTime)

    def get_tick_count64(self) -> int:
        return int(self._kernel32.GetTickCount64())

    def input_desktop_open(self) -> bool:
        """OpenInputDesktop fails while the secure desktop (lock screen, UAC) has the input."""
        desktop = self._user32.OpenInputDesktop(0, False, DESKTOP_SWITCHDESKTOP)
        if not desktop:
            return False
        self._user32.CloseDesktop(desktop)
        return True

    def current_thread_id(self) -> int:
        return int(self._kernel32.GetCurrentThreadId())

    def ensure_message_queue(self) -> None:
        """Windows gives a thread a message queue on its first message call; make it now so
        that PostThreadMessageW from close() cannot arrive before the queue exists."""
        msg = self._ctypes.create_string_buffer(64)  # larger than MSG on 32 and 64 bits
        self._user32.PeekMessageW(msg, None, 0, 0, PM_NOREMOVE)

    def set_foreground_hook(self, on_event: Callable[[], None]) -> int:
        def proc(*_args: object) -> None:
            on_event()

        c_proc = self._event_proc_type(proc)
        hook = int(
            self._user32.SetWinEventHook(
                EVENT_SYSTEM_FOREGROUND,
                EVENT_SYSTEM_FOREGROUND,
                None,
                c_proc,
                0,
                0,
                WINEVENT_OUTOFCONTEXT | WINEVENT_SKIPOWNPROCESS,
            )
            or 0
        )
        if hook:
            self._hook_procs[hook] = c_proc
        return hook

    def unhook(self, hook: int) -> None:
        self._user32.UnhookWinEvent(hook)
        self._hook_procs.pop(hook, None)

    def run_message_loop(self) -> None:
        """GetMessageW until WM_QUIT; out-of-context hook callbacks run inside GetMessageW."""
        msg = self._ctypes.create_string_buffer(64)
        while self._user32.GetMessageW(msg, None, 0, 0) > 0:
            self._user32.TranslateMessage(msg)
            self._user32.DispatchMessageW(msg)

    def post_quit(self, thread_id: int) -> None:
        self._user32.PostThreadMessageW(thread_id, WM_QUIT, 0, 0)


class WindowsProbe:
    """Reads the foreground window's process, title, idle time and lock state on Windows."""

    name = "windows"
    measure = Measure.FOREGROUND

    def __init__(self, api: _Win32 | None = None) -> None:
        self._api = api if api is not None else _Win32()
        self._watcher: threading.Thread | None = None
        self._watcher_thread_id: int | None = None
        self._watching = False

    def _process_of(self, hwnd: int) -> tuple[int, str | None]:
        pid = self._api.get_window_process_id(hwnd)
        return pid, (self._api.query_process_image(pid) if pid else None)

    def _uwp_app(self, frame: int, host_pid: int) -> tuple[int, str | None] | None:
        """The app inside an ApplicationFrameHost frame: its first child from another process."""
        for child in self._api.enum_child_windows(frame):
            pid = self._api.get_window_process_id(child)
            if pid and pid != host_pid:
                return pid, self._api.query_process_image(pid)
        return None

    def foreground(self) -> Foreground | None:
        hwnd = self._api.get_foreground_window()
        if not hwnd:
            return None
        pid, image = self._process_of(hwnd)
        if image and ntpath.basename(image).lower() == UWP_FRAME_HOST:
            # A UWP app still starting or suspended has no child of its own yet: the frame
            # host then stands in for it.
            inner = self._uwp_app(hwnd, pid)
            if inner is not None and inner[1]:
                pid, image = inner
        if not image:
            raise ProbeError(f"Windows would not name the program in front (process {pid}).")
        return Foreground(
            process=ntpath.basename(image),
            pid=pid,
            exe=image,
            title=self._api.get_window_text(hwnd) or None,
        )

    def idle_seconds(self) -> float | None:
        last = self._api.get_last_input_tick()
        return idle_milliseconds(self._api.get_tick_count64(), last) / 1000.0

    def locked(self) -> bool | None:
        if not self._api.input_desktop_open():
            return True
        hwnd = self._api.get_foreground_window()
        if not hwnd:
            return False
        _pid, image = self._process_of(hwnd)
        return image is not None and ntpath.basename(image).lower() == LOCK_APP

    def info(self) -> ProbeInfo:
        return ProbeInfo(
            name=self.name,
            measure=self.measure,
            idle_source="GetLastInputInfo",
            lock_source="OpenInputDesktop / LockApp.exe",
            focus_events=self._watching,
        )

    def watch_focus(self, callback: FocusCallback) -> bool:
        """Hook EVENT_SYSTEM_FOREGROUND on a thread that pumps its own message loop."""
        if self._watcher is not None:
            return self._watching
        started = threading.Event()

        def announce() -> None:
            try:
                callback(time.monotonic())
            except Exception:
                log.exception("the focus callback failed")

        def run() -> None:
            api = self._api
            hook = 0
            try:
                api.ensure_message_queue()
                self._watcher_thread_id = api.current_thread_id()
                hook = api.set_foreground_hook(announce)
                self._watching = bool(hook)
            finally:
                started.set()
            if not hook:
                return
            try:
                api.run_message_loop()
            finally:
                # UnhookWinEvent must be called from the thread that set the hook.
                api.unhook(hook)

        self._watcher = threading.Thread(target=run, name="driftcheck-win-focus", daemon=True)
        self._watcher.start()
        started.wait(1.0)
        if not self._watching:
            log.warning("could not watch foreground changes; relying on sampling")
        return self._watching

    def close(self) -> None:
        """Post WM_QUIT to the watcher thread, whose loop then unhooks and ends."""
        if self._watcher is None:
            return
        if self._watcher_thread_id is not None:
            self._api.post_quit(self._watcher_thread_id)
        self._watcher.join(timeout=1.0)
        self._watcher = None
        self._watcher_thread_id = None
        self._watching = False
