"""Runs widget.probes.kwin.KWinProbe as the test user (as KWin's own user, like a person's
driftcheck: the script it writes lives in a 0700 folder only that user can read) and answers
the test's commands, one JSON object a line on stdin, with one JSON line on stdout each:

    {"do": "rules", "rules": [...]}   set_title_rules        -> {"ok": true}
    {"do": "foreground"}              foreground()           -> {"fg": {...} | null} or {"error"}
    {"do": "events"}                  focus callbacks so far -> {"events": n}
    {"do": "info"}                    info()                 -> {"info": {...}}
    {"do": "close"}                   close(), then exit     -> {"ok": true}

The first line says {"ready": unique bus name, "folder": the script's folder} or {"error"}.
Run by Debian's Python with the test user's PYTHONPATH (tests/helpers/gnome.py UserPython).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from typing import Any


def main() -> int:
    from widget.errors import ProbeError
    from widget.probes.kwin import KWinProbe

    def say(answer: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

    try:
        probe = KWinProbe()
    except ProbeError as error:
        say({"error": str(error), "kind": type(error).__name__})
        return 1
    events = 0
    lock = threading.Lock()

    def heard(_moment: float) -> None:
        nonlocal events
        with lock:
            events += 1

    probe.watch_focus(heard)
    say({"ready": probe._router.unique_name, "folder": str(probe._folder)})
    for line in sys.stdin:
        asked = json.loads(line)
        do = asked["do"]
        if do == "rules":
            probe.set_title_rules(asked["rules"])
            say({"ok": True})
        elif do == "foreground":
            try:
                fg = probe.foreground()
            except ProbeError as error:
                say({"error": str(error)})
                continue
            say({"fg": None if fg is None else {
                "process": fg.process, "pid": fg.pid, "window_class": fg.window_class,
                "title": fg.title, "title_hits": list(fg.title_hits or ())}})
        elif do == "events":
            with lock:
                say({"events": events})
        elif do == "info":
            say({"info": dataclasses.asdict(probe.info())})
        elif do == "close":
            probe.close()
            say({"ok": True})
            return 0
    probe.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
