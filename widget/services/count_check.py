""""Is it counted now?": read the app in front with the probe the tracker would use, and match
it with the tracker's own rules (`widget.core.rules.count_check`).

Used by `driftcheck apps check` and the apps dialog. It opens its own probe and closes it
again, so it never shares a probe with a running tracker's worker thread. The window title it
reads is handed back for the screen only: nothing here writes it anywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from widget.core.model import Foreground, Measure, TrackedApp
from widget.core.rules import CountCheck, Matcher, count_check
from widget.errors import ProbeError


def check_now(tracked: Sequence[TrackedApp], env: Mapping[str, str] | None = None,
              platform: str | None = None) -> CountCheck:
    """What is in front right now and which of `tracked`, if any, it counts as."""
    from widget.catalog_data import current_platform, load_catalog
    from widget.probes.choose import choose_probe

    browsers = load_catalog().browser_names(current_platform())
    matcher = Matcher(tracked, browsers)
    probe = choose_probe(os.environ if env is None else env, platform or sys.platform,
                         lambda fg: matcher.match(fg) is not None)
    fg: Foreground | None = None
    reason: str | None = None
    try:
        info = probe.info()
        try:
            fg = probe.foreground()
        except ProbeError as error:
            reason = str(error)
    finally:
        probe.close()
    if reason is None and info.name == "null" and info.notes:
        reason = info.notes[0]
    return count_check(fg, tracked, browsers, sees_front=info.measure is Measure.FOREGROUND,
                       probe=info.name, reason=reason)
