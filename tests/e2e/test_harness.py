"""The e2e harness itself: it finds the process it means, and its clean-up never raises over
the failure it cleans up after (tests/e2e/test_privacy_session.py once looked for the tray menu
among the windows of strace's own short-lived child, then died of ProcessLookupError)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.e2e.desktop import end_pid, end_process, program_pid, stop_processes
from tests.helpers.skips import skip_or_fail

pytestmark = [pytest.mark.e2e]

# A stand-in for strace: a short-lived child of its own first (strace's feature checks), and
# only once that one has ended, the program it was asked to run.
WRAPPER = """
import subprocess, sys
subprocess.run([sys.executable, "-c", "import time; time.sleep(1.0)"])
raise SystemExit(subprocess.call(sys.argv[1:]))
"""
PROGRAM = "import sys, time; print('running', flush=True); time.sleep(30)"


def test_the_program_is_found_behind_a_wrapper_that_forks_children_of_its_own_first(
        tmp_path: Path) -> None:
    wrapper = subprocess.Popen([sys.executable, "-c", WRAPPER, sys.executable, "-c", PROGRAM],
                               stdout=subprocess.PIPE, text=True)
    try:
        pid = program_pid(wrapper, [sys.executable, "-c", PROGRAM])
        assert wrapper.stdout is not None and wrapper.stdout.readline() == "running\n"
        assert psutil.Process(pid).cmdline()[-1] == PROGRAM, "the program, not the wrapper's"
        assert psutil.Process(pid).is_running()
    finally:
        for kid in psutil.Process(wrapper.pid).children(recursive=True):
            end_pid(kid.pid)
        end_process(wrapper)


def test_the_program_is_found_under_strace(tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        skip_or_fail("strace not installed (package strace)")
    argv = [sys.executable, "-c", PROGRAM]
    strace = subprocess.Popen(["strace", "-f", "--seccomp-bpf", "-qq", "-e",
                               "trace=socket,connect", "-o", str(tmp_path / "trace"), *argv],
                              stdout=subprocess.PIPE, text=True)
    pid = 0
    try:
        pid = program_pid(strace, argv)
        assert strace.stdout is not None and strace.stdout.readline() == "running\n"
        assert psutil.Process(pid).cmdline() == argv
        assert psutil.Process(pid).ppid() == strace.pid
    finally:
        end_pid(pid)
        end_process(strace)
    assert strace.poll() is not None, "strace ends with its program"


def test_clean_up_of_processes_that_already_ended_raises_nothing() -> None:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait(timeout=30)
    end_pid(done.pid)  # reaped: os.kill would raise ProcessLookupError
    end_process(done)
    stop_processes([done, done])
    stuck = subprocess.Popen([sys.executable, "-c",
                              "import signal, time; signal.signal(signal.SIGTERM, "
                              "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE, text=True)
    assert stuck.stdout is not None and stuck.stdout.readline() == "ready\n"
    end_process(stuck, timeout=0.5)  # SIGTERM ignored: SIGKILL follows
    assert stuck.returncode is not None
