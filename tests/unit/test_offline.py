"""widget.desktop.offline: the program's processes refuse Python's TLS module, and everything
they use still imports and works without it (asyncio, which APScheduler imports, copes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from widget.desktop.offline import keep_tls_out
keep_tls_out()
import asyncio, widget.tracking, widget.app, widget.services.exchange, widget.services.dashboard
from widget.scheduling import Schedule
schedule = Schedule()
schedule.every(60, lambda: None, "nothing")
schedule.start()
schedule.shutdown()
try:
    import ssl
    refused = False
except ImportError:
    refused = True
print(json.dumps({"refused": refused, "asyncio_ssl": asyncio.sslproto.ssl is None,
                  "loaded": "_ssl" in sys.modules}))
"""


def run(code: str) -> dict[str, bool]:
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_the_program_refuses_tls_and_its_stack_still_works() -> None:
    assert run(PROBE) == {"refused": True, "asyncio_ssl": True, "loaded": False}


def test_without_it_the_same_stack_would_load_openssl() -> None:
    """The refusal is what keeps OpenSSL out: the same imports otherwise load it."""
    code = PROBE.replace("keep_tls_out()\n", "").replace("    import ssl\n",
                                                          "    raise ImportError\n")
    assert run(code)["loaded"] is True


ENTRY = """
import importlib, runpy, sys, tomllib
sys.argv = ["driftcheck", "--version"]
how = {how!r}
try:
    if how == "console script":
        target = tomllib.load(open("pyproject.toml", "rb"))["project"]["scripts"]["driftcheck"]
        module, function = target.split(":")
        getattr(importlib.import_module(module), function)()
    elif how == "python -m widget":
        runpy.run_module("widget", run_name="__main__", alter_sys=True)
    else:
        runpy.run_path("packaging/launcher.py", run_name="__main__")
except SystemExit:
    pass
print("refused" if "ssl" in sys.modules and sys.modules["ssl"] is None else "open")
"""


@pytest.mark.parametrize("how", ["console script", "python -m widget", "frozen launcher"])
def test_every_entry_point_refuses_tls(how: str) -> None:
    out = subprocess.run([sys.executable, "-c", ENTRY.format(how=how)], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split()[-1] == "refused", out.stdout + out.stderr
