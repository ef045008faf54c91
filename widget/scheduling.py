"""The only module that imports APScheduler.

Jobs run on the scheduler's own worker thread, never on a UI thread: a probe that hangs (an X
server stopped mid-reply) delays its own job and nothing else. `max_instances=1` with
`coalesce=True` means a hung tick is never stacked up behind itself; the builder sees the
missed ticks as a gap.
"""

from __future__ import annotations

import concurrent.futures.thread  # noqa: F401 - the pool's module, else first imported at start()
import logging
from collections.abc import Callable
from datetime import UTC

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


class Schedule:
    def __init__(self) -> None:
        # UTC: the jobs are plain intervals, and this keeps APScheduler away from tzlocal.
        # The trigger and the executor are named here rather than looked up by alias when the
        # first job is added: everything is imported at once, before the tray imports Qt
        # (widget.app.import_before_qt says why that matters).
        self._scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor()},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 5})
        logging.getLogger("apscheduler").setLevel(logging.WARNING)

    def every(self, seconds: float, job: Callable[[], None], name: str) -> None:
        self._scheduler.add_job(job, IntervalTrigger(seconds=seconds, timezone=UTC), id=name,
                                name=name, replace_existing=True)

    def reschedule(self, name: str, seconds: float) -> None:
        self._scheduler.reschedule_job(name, trigger=IntervalTrigger(seconds=seconds,
                                                                     timezone=UTC))

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop starting jobs. A job still running finishes on its own thread; the sampler's
        own lock lets the caller wait for it, with a limit, so a hung probe cannot hang exit."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
