"""`driftcheck demo-data`: believable weeks of history to look around with."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from widget.commands.common import open_store
from widget.core import settings as S
from widget.core.catalog import entry_to_app
from widget.core.options import Options
from widget.errors import UsageError

if TYPE_CHECKING:
    from widget.store.db import Store


def run(args: argparse.Namespace) -> int:
    from widget.catalog_data import current_platform, load_catalog
    from widget.core.calendar import local_day
    from widget.desktop.localzone import local_zone
    from widget.services.demo import DEMO_APPS, DEMO_GOALS, demo_intervals
    from widget.store.db import Store

    store = open_store(args)
    set_aside: Path | None = None
    try:
        held = store.interval_count()
        if held and not args.force:
            raise UsageError(f"The data folder already holds {held} intervals of history, so "
                             "demo data would mix with it; add --force to set the database "
                             "aside and start afresh.")
    finally:
        store.close()
    if held:
        set_aside = _set_aside_unless_tracking(store)
        store = Store.open(store.path)
    try:
        options = Options.from_settings(store.all_settings())
        tz = local_zone()
        start_hour = int(options.day_start_hour)
        today = local_day(datetime.now(UTC), tz, start_hour)
        intervals = demo_intervals(args.seed, args.weeks, tz, start_hour, today)
        catalog, platform = load_catalog(), current_platform()
        for key in DEMO_APPS:
            store.add_app(entry_to_app(catalog.get(key), platform))
        for interval in intervals:
            store.insert_interval(interval)
        store.replace_goals(list(DEMO_GOALS))
        S.put(store, S.FIRST_RUN_DONE, True)
    finally:
        store.close()
    if set_aside is not None:
        print(f"The earlier database is now {set_aside}.")
    print(f"Made {args.weeks} weeks of demo history ({len(intervals)} intervals, seed "
          f"{args.seed}); `driftcheck report` shows it.")
    return 0


def _set_aside_unless_tracking(store: Store) -> Path:
    """`_set_aside`, refused in one sentence while the tray app or `driftcheck track` runs on
    the folder: it would go on writing into the file set aside (as `import` and `wipe` refuse)."""
    from widget.datafolder import database_users, instance_lock, still_running_sentence

    folder = store.path.parent
    with instance_lock(folder) as free:
        users = [] if not free else database_users(folder)
        if not free or users:
            raise UsageError(still_running_sentence("run `driftcheck demo-data --force` again",
                                                    users))
        return _set_aside(store)


def _set_aside(store: Store) -> Path:
    """Rename the closed database and its companions to a name with a timestamp."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = store.path.with_name(f"{store.path.name}.before-demo-{stamp}")
    number = 1
    while target.exists():  # a second --force within the same second
        number += 1
        target = store.path.with_name(f"{store.path.name}.before-demo-{stamp}-{number}")
    for file in store.files():
        file.rename(target.with_name(target.name + file.name[len(store.path.name):]))
    return target
