"""What the tray app keeps resident, by behaviour (the figure itself is bench/bench_tray.py's):
no TLS library is ever loaded, nothing that does not use Qt is first imported after Qt (PySide6
reads, and Python keeps, the source of modules imported after it: widget.app.import_before_qt), and
python-xlib sets up only the X extension the probe uses.

The real tray app runs under Xvfb + openbox with trayer; a `sitecustomize` put on its
PYTHONPATH (test-only, nothing in the program) writes down every module looked for once
PySide6 is in the process.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.desktop import ActivePerson, XSession, wait_for
from tests.helpers.program import (
    REPO,
    ProgramLog,
    TrayApp,
    driftcheck,
    program_env,
    seed_today,
    stored_seconds,
)

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

RECORDER = '''
import os, sys

_OUT = os.environ["DRIFTCHECK_LATE_IMPORTS"]


class _LateImports:
    """Writes down each module looked for while PySide6 is loaded; finds nothing itself."""

    def find_spec(self, name, path=None, target=None):
        if "PySide6" in sys.modules:
            with open(_OUT, "a", encoding="utf-8") as out:
                out.write(name + "\\n")
        return None


sys.meta_path.insert(0, _LateImports())
'''

# Looked for after Qt by Qt's own machinery, or text codecs picked by what is decoded.
QT_OWN = ("PySide6", "shiboken6", "shibokensupport", "__feature__", "encodings.")


def uses_qt(name: str) -> bool:
    """True when `name` is Qt's own, cannot be found (a failed lookup keeps nothing), or its
    source names PySide6 (the hook reads such a module either way)."""
    if name.startswith(QT_OWN) or name == "widget.ui":  # the package of the Qt side
        return True
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return True
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return spec is None
    return "PySide6" in Path(spec.origin).read_text(encoding="utf-8", errors="replace")


def test_the_tray_app_loads_no_tls_and_imports_only_qt_users_after_qt(
        xsession: XSession, trayer: tuple[int, int, int, int], tmp_path: Path) -> None:
    xs = xsession
    data = tmp_path / "data"
    seed_today(data)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(RECORDER)
    late = tmp_path / "late-imports.txt"
    done = driftcheck(data, "settings", "sample_interval", "1", env=program_env(xs.env))
    assert done.returncode == 0, done.stderr
    seeded = stored_seconds(data)
    replika = xs.spawn("Replika", "Replika")  # the seeded app's process, to be sampled
    xs.activate(xs.spawn("notes", "Notes"))
    app = TrayApp(xs, data, extra_env={"PYTHONPATH": f"{REPO}:{site}",
                                       "DRIFTCHECK_LATE_IMPORTS": str(late)})
    try:
        # Tracking starts once the tray is built; the goals and the self-check are looked at
        # right after, and then samples of the tracked app in front are written.
        ProgramLog(data).wait("started", proc=app.proc)
        with ActivePerson(xs):
            xs.activate(replika)
            wait_for(lambda: stored_seconds(data) >= seeded + 2 or app.proc.poll() is not None,
                     30, "a few samples of Replika written", step=0.2)
        assert app.proc.poll() is None, app.proc.stderr.read() if app.proc.stderr else ""
        maps = Path(f"/proc/{app.proc.pid}/maps").read_text()
    finally:
        app.stop()

    assert "libQt6Widgets" in maps, "the maps of the tray app itself"
    assert not re.search(r"lib(ssl|crypto)\.so", maps), "OpenSSL loaded in the tray app"
    looked_for = list(dict.fromkeys(late.read_text().split()))
    assert "widget.ui.tray" in looked_for, "the recorder was live"
    not_qt = [name for name in looked_for if not uses_qt(name)]
    assert not_qt == [], ("imported after Qt without using it (import it in "
                          f"widget.app.import_before_qt): {not_qt}")


def test_the_x11_probe_sets_up_only_the_screen_saver_extension(xsession: XSession) -> None:
    code = (
        "import json, sys\n"
        "from widget.probes.x11 import X11Probe\n"
        "probe = X11Probe()\n"
        "idle, source = probe.idle_seconds(), probe.info().idle_source\n"
        "probe.close()\n"
        "print(json.dumps({'ext': sorted(m for m in sys.modules if m.startswith('Xlib.ext.')),"
        " 'idle': idle, 'source': source}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env={**xsession.env,
                                                            "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(out.stdout)
    assert set(seen["ext"]) <= {"Xlib.ext.ge", "Xlib.ext.screensaver"}
    assert "Xlib.ext.screensaver" in seen["ext"]
    assert seen["source"] == "MIT-SCREEN-SAVER" and seen["idle"] is not None
    # Xvfb offers many more, so the restriction is what made the difference.
    xdpyinfo = subprocess.run(["xdpyinfo"], env=xsession.env, capture_output=True, text=True,
                              timeout=30)
    if xdpyinfo.returncode == 0:
        assert "XInputExtension" in xdpyinfo.stdout
