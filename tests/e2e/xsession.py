"""The X session's old address, kept for the scripts outside tests/ that import it
(bench/_common.py, docs/make_screenshots.py). Everything lives in tests/e2e/desktop.py; a test
imports from there (tests/unit/test_test_layout.py sees to it), and this file goes once those
scripts do too."""

from tests.e2e.desktop import (
    ActivePerson,
    Window,
    XSession,
    end_pid,
    end_process,
    missing_tools,
    program_pid,
    start_session,
    stop_processes,
    wait_for,
)

__all__ = ["ActivePerson", "Window", "XSession", "end_pid", "end_process", "missing_tools",
           "program_pid", "start_session", "stop_processes", "wait_for"]
