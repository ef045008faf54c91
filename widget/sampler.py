"""One tick: read the probe, feed the interval builder, write the store.

The sampler is called from the scheduler's worker thread (ticks) and from the probe's focus
watcher thread and the browsers' channel thread (focus changes, tab changes); one lock
serialises them. A failing probe or store is logged by
the kind of error only (an exception's text might quote a window title) and never stops the
tracker: the builder sees the missing samples as a gap and closes time at the last good one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from widget.clock import Clock
from widget.core.intervals import Change, Closed, Extended, IntervalBuilder, Observation, Opened
from widget.core.model import Foreground, Interval
from widget.errors import DriftcheckError, ProbeError, RowGone, UnknownApp
from widget.probes.base import Probe
from widget.store.api import IntervalWriter

log = logging.getLogger(__name__)

_WORKS_AGAIN = {"probe": "the probe answers again",
                "store": "the database takes writes again; what waited in memory is saved"}


@dataclass
class _Unsaved:
    row_id: int | None
    interval: Interval


@dataclass
class SamplerStats:
    ticks: int = 0
    focus_events: int = 0
    probe_errors: int = 0
    store_errors: int = 0
    last_error: str | None = None


class Sampler:
    def __init__(self, probe: Probe, match: Callable[[Foreground], str | None],
                 builder: IntervalBuilder, sink: IntervalWriter, clock: Clock,
                 on_change: Callable[[], None] | None = None,
                 look_in_browser: Callable[[Foreground], Foreground] | None = None) -> None:
        """`look_in_browser`: the window in front with what a browser's extension says of its
        tab added (`Foreground.tab`), before it is matched; called under the sampler's lock."""
        self._probe = probe
        self._match = match
        self._look_in_browser = look_in_browser
        self._builder = builder
        self._sink = sink
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._open_row: int | None = None
        self._open: Interval | None = None
        self._open_dirty = False
        self._closed: list[_Unsaved] = []
        self._stopped = False
        self._paused = False
        self._failing: dict[str, str] = {}  # "probe"/"store": the first error, while it lasts
        self.stats = SamplerStats()

    def set_on_change(self, on_change: Callable[[], None] | None) -> None:
        """Who to tell (from the sampler's thread) when the stored time changed."""
        self._on_change = on_change

    def set_matcher(self, match: Callable[[Foreground], str | None]) -> None:
        with self._lock:
            self._match = match

    def tick(self) -> None:
        """A full reading: the app in front, idle time, lock state."""
        with self._lock:
            if self._stopped or self._paused:
                return
            self.stats.ticks += 1
            obs = self._read(self._clock.mono())
            if obs is not None:
                self._apply(self._builder.observe(obs))
            self._flush(extend=True)

    def focus_changed(self, mono: float) -> None:
        """The platform says focus moved at monotonic time `mono`: the switch lands there.

        Only openings and closings are written now; the next tick writes the rest."""
        with self._lock:
            if self._stopped or self._paused:
                return
            self.stats.focus_events += 1
            last = self._builder.last_mono
            if last is not None and mono < last:
                mono = last  # a tick got the lock first and has already seen the switch
            obs = self._read(mono, with_lock=False)
            if obs is not None:
                self._apply(self._builder.observe(obs))
            self._flush(extend=False)

    def pause(self) -> None:
        """Stop counting now (what is open ends at this moment) until `resume`."""
        with self._lock:
            self._paused = True
            self._apply(self._builder.finish(self._clock.mono()))
            self._flush(extend=True)

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self, timeout: float = 5.0) -> bool:
        """Close what is open at this moment and write everything. If a tick is stuck in a
        hung probe, give up after `timeout`: the end written by the last tick stands."""
        self._stopped = True  # no tick or focus event starts after this
        if not self._lock.acquire(timeout=timeout):
            log.warning("a sample is stuck; stopping without the last few seconds")
            return False
        try:
            self._apply(self._builder.finish(self._clock.mono()))
            self._flush(extend=True)
        finally:
            self._lock.release()
        return True

    def _read(self, mono: float, with_lock: bool = True) -> Observation | None:
        now_mono = self._clock.mono()
        wall = self._clock.wall() - timedelta(seconds=max(0.0, now_mono - mono))
        try:
            fg = self._probe.foreground()
            idle = self._probe.idle_seconds()
            # The lock state may cost a bus round trip; a focus change does not wait for it.
            locked = bool(self._probe.locked()) if with_lock else False
        except ProbeError as exc:
            self._note_error("probe", str(exc))
            return None
        except Exception as exc:  # a probe bug must not stop tracking
            self._note_error("probe", f"unexpected {type(exc).__name__}")
            return None
        self._works_again("probe")
        if fg is not None and self._look_in_browser is not None:
            fg = self._look_in_browser(fg)
        app = self._match(fg) if fg is not None else None
        audible = fg is not None and fg.tab is not None and fg.tab.audible
        return Observation(wall, mono, app, idle, locked, self._probe.measure, audible)

    def _apply(self, changes: list[Change]) -> None:
        for change in changes:
            if isinstance(change, Opened):
                self._open, self._open_row, self._open_dirty = change.interval, None, True
            elif isinstance(change, Extended):
                self._open, self._open_dirty = change.interval, True
            elif isinstance(change, Closed):
                self._closed.append(_Unsaved(self._open_row, change.interval))
                self._open, self._open_row, self._open_dirty = None, None, False
        if changes and self._on_change is not None:
            self._on_change()

    def _flush(self, extend: bool) -> None:
        """Write what changed. A transient failure (disk full, a read-only folder, a busy
        file) keeps the changes for the next tick; a row that vanished is written anew; an
        interval of an app that no longer exists is dropped."""
        wrote = False
        try:
            while self._closed:
                item = self._closed[0]
                if item.interval.seconds <= 0:
                    if item.row_id is not None:
                        self._sink.delete_interval(item.row_id)
                else:
                    self._save(item.interval, item.row_id)
                self._closed.pop(0)
                wrote = True
            if self._open is not None and self._open_dirty and (extend or self._open_row is None):
                self._open_row = self._save(self._open, self._open_row)
                self._open_dirty = False
                wrote = True
            if wrote:
                self._works_again("store")
        except DriftcheckError as exc:
            self._note_error("store", str(exc))
        except Exception as exc:
            self._note_error("store", f"{type(exc).__name__}")

    def _save(self, interval: Interval, row_id: int | None) -> int | None:
        """Insert or extend one interval's row; its row id, or None when it was dropped."""
        if row_id is not None:
            try:
                self._sink.update_interval_end(row_id, interval.end)
                return row_id
            except RowGone:
                log.warning("an interval's row vanished under the tracker; writing it again")
        try:
            return self._sink.insert_interval(interval)
        except UnknownApp:
            log.warning("dropped an interval of an app that is no longer known")
            return None

    def _note_error(self, where: str, what: str) -> None:
        if where == "probe":
            self.stats.probe_errors += 1
        else:
            self.stats.store_errors += 1
        self.stats.last_error = f"{where}: {what}"
        # Each error once until it works again, not at every sample: a full disk or an X
        # server that is gone for an hour would otherwise fill a terminal (and the log) line
        # by line. A different error (a window closed, then the server gone) is said anew.
        if self._failing.get(where) == what:
            log.debug("%s error again: %s", where, what)
        else:
            self._failing[where] = what
            log.warning("%s error: %s", where, what)

    def _works_again(self, where: str) -> None:
        if self._failing.pop(where, None) is not None:
            log.info(_WORKS_AGAIN[where], extra={"event": f"{where}_ok"})
