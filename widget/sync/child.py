"""The sync child: one sync of the shared folder in a short-lived process of its own, started by
the tracker (`widget.services.devices.ChildSyncJob`) every 2 minutes and at its stop.

    python -m widget.sync.child DATA_DIR

It writes this computer's month(s) from its database, reads the other computers' files, and
leaves the read for the tracker under `sync-cache/` (`widget.sync.compact`): the decoding's
garbage, hashlib's OpenSSL and `cryptography` end with this process instead of staying in the
tray app's memory for the rest of the day.

stdin: a JSON object, `{"keys": [[kdf parameters, key hex], ...]}`, the passphrase's keys an
earlier child derived (none the first time). stdout: one JSON line, `{"written": months,
"devices": n, "stale": bool, "problem": sentence or null, "keys": [...]}`, or `{"off": true}`
when sharing is off. The exit status is 0 when the read was left, 1 otherwise (a line on
stderr says of what kind, never what a file holds). Nothing else is written anywhere but this
computer's files in the shared folder and the data folder's sync files; no socket is opened.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path


def run(data_dir: Path, given: dict[str, object],
        now: Callable[[], datetime] | None = None) -> dict[str, object]:
    """One sync (`now`: the clock, for the benchmarks; the system's by default)."""
    from widget.core.options import Options
    from widget.desktop.localzone import local_zone
    from widget.paths import DB_NAME
    from widget.services.devices import (
        months_to_write,
        open_shared,
        sharing_on,
        work_out_ahead,
        write_own,
    )
    from widget.store.resident import ResidentStore
    from widget.sync import compact

    store = ResidentStore.open(data_dir / DB_NAME)
    try:
        settings = store.all_settings()
        if not sharing_on(settings):
            return {"off": True}
        tz = local_zone()
        shared = open_shared(data_dir, settings, tz, known_keys=given.get("keys"),
                             **({} if now is None else {"now": now}))
        if shared is None:
            return {"off": True}
        outcome = write_own(shared, store, months_to_write(shared.now()))
        view = shared.read()
        covered = work_out_ahead(store, view, view.covered, shared.now(), tz,
                                 int(Options.from_settings(settings).day_start_hour))
    finally:
        store.close()
    compact.write_view(shared.data_dir / compact.CACHE_DIR, view, shared.kept_digests(),
                       shared.memo(), covered)
    keys = shared.keys
    return {"written": len(outcome.written), "devices": len(view.devices),
            "stale": view.unavailable_since is not None, "problem": outcome.problem,
            "keys": [] if keys is None else keys.known()}


def _asked_to_end(_signal: int, _frame: object) -> None:
    """SIGTERM (the tracker stopping, or a folder that took too long): end as an exception
    would, so a file being written leaves no temporary behind (`write_owner_only`)."""
    raise SystemExit(1)


def main(argv: list[str]) -> int:
    import signal

    signal.signal(signal.SIGTERM, _asked_to_end)
    if len(argv) != 1:
        print("usage: python -m widget.sync.child DATA_DIR", file=sys.stderr)
        return 2
    try:
        given = json.loads(sys.stdin.read() or "{}")
        if not isinstance(given, dict):
            given = {}
        said = run(Path(argv[0]), given)
    except Exception as error:  # said by kind only: a message could quote a file
        print(f"the sync child failed ({type(error).__name__})", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(said) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
