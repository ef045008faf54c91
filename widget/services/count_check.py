""""Is it counted now?": read the app in front with the probe the tracker would use, and match
it with the tracker's own rules (`widget.core.rules.count_check`).

Used by `driftcheck apps check` and the apps dialog. It opens its own probe and closes it
again, so it never shares a probe with a running tracker's worker thread. When the window in
front is a browser's, it asks the running tracker of the data folder what that browser's
extension says of its tab (the tracker's own answer, `widget.services.browsers`), and says
per browser what its tabs are matched by. The window title it reads is handed back for the
screen only: nothing here writes it anywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from widget.core.model import BrowserTab, Foreground, Measure, TrackedApp
from widget.core.rules import CountCheck, Matcher, count_check
from widget.errors import ProbeError


def check_now(tracked: Sequence[TrackedApp], data_dir: Path | None,
              env: Mapping[str, str] | None = None, platform: str | None = None) -> CountCheck:
    """What is in front right now and which of `tracked`, if any, it counts as; with the
    tracker of `data_dir` asked about browser tabs (None: titles alone, as without one)."""
    from widget.catalog_data import current_platform, load_catalog
    from widget.probes.choose import choose_probe
    from widget.services.browsers import ask, browser_statuses, browser_words

    env = os.environ if env is None else env
    platform = platform or sys.platform
    browsers = load_catalog().browser_names(current_platform())
    matcher = Matcher(tracked, browsers)
    probe = choose_probe(env, platform, lambda fg: matcher.match(fg) is not None)
    set_title_rules = getattr(probe, "set_title_rules", None)
    if set_title_rules is not None:  # GNOME's extension matches titles where they are
        set_title_rules(matcher.title_rules())
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
    sees_front = info.measure is Measure.FOREGROUND
    answer, notes, speaker = None, [], None
    if data_dir is not None and sees_front:
        answer = ask(data_dir, fg.pid if fg is not None else None)
        if answer is not None and answer.front.known and fg is not None:
            fg = replace(fg, tab=BrowserTab(answer.front.app, answer.front.audible))
            speaker = _name(answer.speaker)
        notes = browser_words(browser_statuses(data_dir, answer, env, platform))
    return count_check(fg, tracked, browsers, sees_front=sees_front, probe=info.name,
                       reason=reason, extension=speaker, browser_notes=notes)


def _name(key: str | None) -> str | None:
    from widget.browser.manifests import BY_KEY

    if key is None:
        return None
    return BY_KEY[key].name if key in BY_KEY else key.capitalize()
