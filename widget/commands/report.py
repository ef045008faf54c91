"""`driftcheck report`: the week's numbers as text, JSON or a PDF, read as the dashboard reads
them."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from widget.commands.common import print_json
from widget.core.format import duration, durations_with_total
from widget.core.options import Options
from widget.datafolder import prepare_data_dir
from widget.errors import UsageError
from widget.paths import DB_NAME

if TYPE_CHECKING:
    from widget.core.dashboard import DashboardData
    from widget.core.report import WeekReport


def run(args: argparse.Namespace) -> int:
    """The week's numbers, read as the dashboard reads them (`load_dashboard`), so both show
    the same; through the lean store, so no SQLAlchemy is loaded for a read."""
    from widget.commands.dashboard import refuse_future
    from widget.core.calendar import week_monday, week_window
    from widget.desktop.localzone import local_zone
    from widget.services.dashboard import ComputerDashboards
    from widget.services.devices import devices_json, reader_for, sharing_json
    from widget.store.resident import open_for_tracking

    local = open_for_tracking(prepare_data_dir(args) / DB_NAME)
    try:
        options = Options.from_settings(local.all_settings())
        now, tz = datetime.now(UTC), local_zone()
        refuse_future(args.week, now, tz, int(options.day_start_hour))
        # all the person's computers when sharing is on (or this one: --this-device)
        reading = reader_for(local, local.path.parent, tz, args.this_device)
        # each computer's own time in the week beside it (none with --this-device)
        data = ComputerDashboards.of_reading(reading).load(args.week, now, tz,
                                                           int(options.day_start_hour))
        start, end = week_window(week_monday(data.report.week), tz,
                                 int(options.day_start_hour))
        devices = devices_json(reading, start, min(end, max(start, now)))
    finally:
        local.close()
    result = data.report
    if args.json:
        print_json({**result.to_json(), "devices": devices, "sharing": sharing_json(reading)})
        return 0
    if args.pdf is not None:
        return _report_pdf(data, args.pdf)
    print(_report_text(result))
    if devices:  # each computer's own time; the total above counts shared time once
        said = ", ".join(f"{d['name']} {duration(float(d['seconds']))}"  # type: ignore[arg-type]
                         for d in devices)
        print(f"Your computers: {said} (time on two at once counted once above).")
    return 0


def _report_pdf(data: DashboardData, target: Path) -> int:
    """Draw the report into a PDF with Qt, offscreen unless a platform was chosen."""
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give the PDF a file name, like week.pdf.")
    if not target.parent.is_dir():
        raise UsageError(f"There is no folder {target.parent} to put the PDF in.")
    if target.exists() and not target.is_file():  # a FIFO, or a device such as /dev/null
        raise UsageError(f"{target} is not a regular file; give the PDF a file name, like "
                         "week.pdf.")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from widget.desktop.qt_guard import keep_singletons_alive

    keep_singletons_alive()
    from PySide6.QtWidgets import QApplication

    from widget.ui.dashboard.pdf import write_report_pdf

    app = QApplication.instance() or QApplication(["driftcheck"])
    try:
        pages = write_report_pdf(data, target)
    except OSError as exc:
        raise UsageError(f"The PDF could not be written to {target} "
                         f"({exc.strerror or exc}).") from None
    del app
    print(f"Wrote {target} ({pages} page{'s' if pages != 1 else ''}, for you alone: it is "
          "not sent anywhere).")
    return 0


def _report_text(r: WeekReport) -> str:
    from widget.core.calendar import week_monday
    from widget.core.usage import SESSION_RULE

    monday = week_monday(r.week)
    sunday = monday + timedelta(days=6)
    state = "" if r.complete else " (so far)"
    lines = [f"Week {r.week}, {monday:%a %d %b} to {sunday:%a %d %b %Y}{state}:"]
    width = max([len(r.names.get(k, k)) for k in r.per_app] + [5])
    said, total = durations_with_total(list(r.per_app.values()))  # the parts add up
    apart = sum(r.per_app.values()) > r.total_s + 1  # two computers, different apps at once
    if apart:
        total = duration(r.total_s)
    for key, amount in zip(r.per_app, said, strict=True):
        lines.append(f"  {r.names.get(key, key):<{width}}  {amount:>10}")
    lines.append(f"  {'Total':<{width}}  {total:>10}")
    if apart:
        from widget.core.days import APPS_ADD_UP_TO_MORE

        lines.append(APPS_ADD_UP_TO_MORE)
    if r.sessions.count:
        lines.append(f"Sessions: {r.sessions.count}, typically {duration(r.sessions.median_s)}, "
                     f"the longest {duration(r.sessions.longest_s)}. {SESSION_RULE}")
    if r.baseline_s is not None:
        lines.append(f"Usual week (the four before): {duration(r.baseline_s)}")
    if r.change_pct is not None:
        against = "the same days of the week before" if r.change_same_part \
            else "the week before"
        lines.append(f"Against {against}: {r.change_pct:+.0f}%")
    if r.drift is not None:  # in the dashboard's plain words; the numbers are in --json
        from widget.core.dashboard import drift_seen

        lines.append(f"Drift: {drift_seen(r.drift, r.trend_weeks)}")
    lines.append(r.words)
    return "\n".join(lines)
