"""widget.offline: the program's processes refuse Python's TLS module, and everything they use
still imports and works without it (asyncio, which APScheduler imports, copes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from widget.offline import keep_tls_out
keep_tls_out()
import asyncio, widget.tracking, widget.app, widget.exchange, widget.dashboard_data
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


def test_the_entry_points_go_through_the_refusal() -> None:
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["driftcheck"] == "widget.cli:program"
    assert "program()" in (REPO / "widget" / "__main__.py").read_text()
    assert "program()" in (REPO / "packaging" / "launcher.py").read_text()
