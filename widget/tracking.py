"""The tracker: probe, matcher, interval builder, sampler and schedule, put together.

Used by `driftcheck track` (no UI) and by the tray app (the same tracker inside it).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from widget.browser.channel import BrowserChannel
from widget.catalog_data import current_platform, load_catalog
from widget.clock import Clock, SystemClock
from widget.core import settings as S
from widget.core.intervals import IntervalBuilder
from widget.core.model import BrowserTab, Foreground
from widget.core.options import Options
from widget.core.rules import Matcher
from widget.paths import BROWSER_SOCKET_NAME
from widget.probes.base import Probe
from widget.probes.choose import choose_probe
from widget.sampler import Sampler
from widget.scheduling import Schedule
from widget.store.api import OwnStoreReader, TrackerStore

if TYPE_CHECKING:
    from widget.sync.folder import FolderView

log = logging.getLogger(__name__)

APPS_RELOAD_S = 15.0  # `driftcheck apps add` in another terminal takes effect this soon
SYNC_CHECK_S = 5.0  # sharing turned on in another terminal (or its folder back) noticed


class FolderStore(TrackerStore, OwnStoreReader, Protocol):
    """The tracker's store (this computer's own), which also says where the data folder is
    (the browsers' socket lives there), and reads what this computer's shared file carries
    and all computers' totals are worked out from (issue 16)."""

    path: Path  # the database file; its folder is the data folder


class Tracker:
    def __init__(self, store: FolderStore, options: Options, *, clock: Clock | None = None,
                 probe: Probe | None = None, env: Mapping[str, str] | None = None,
                 platform: str | None = None, app_run_loop: bool = False,
                 on_change: Callable[[], None] | None = None,
                 on_shared_read: Callable[[FolderView], None] | None = None) -> None:
        """`app_run_loop`: a GUI event loop runs in this process (the tray app), which the
        macOS probe needs for its focus notifications. `on_shared_read`: each read of the
        folder shared with the person's other computers (issue 16), on the scheduler's
        thread."""
        self.store = store
        self._on_shared_read = on_shared_read
        self._sync: Callable[[], None] | None = None
        self.options = options
        self._clock = clock or SystemClock()
        self._env = os.environ if env is None else env
        self._platform = platform or sys.platform
        self._browsers = load_catalog().browser_names(current_platform())
        # Browsers with driftcheck's extension say which tracked site is in front (issue 13).
        self.browser_channel = BrowserChannel(store.path.parent / BROWSER_SOCKET_NAME,
                                              on_change=self._tab_changed)
        self._matcher = self._load_matcher()
        self.probe = probe or choose_probe(self._env, self._platform, self._wanted,
                                           app_run_loop=app_run_loop)
        self.builder = IntervalBuilder(interval=options.sample_interval,
                                       idle_after=options.idle_after)
        self.sampler = Sampler(self.probe, self._match, self.builder, store, self._clock,
                               on_change=on_change, look_in_browser=self._with_tab)
        self._schedule = Schedule()
        self._synced_at = 0.0
        self._sync_every = 0.0
        self._apps_seen: tuple[object, ...] = ()

    def _load_matcher(self) -> Matcher:
        apps = self.store.list_apps()
        self._apps_seen = tuple(apps)
        matcher = Matcher(apps, self._browsers)
        self.browser_channel.set_rules(matcher.addresses())
        return matcher

    def _match(self, fg: Foreground) -> str | None:
        return self._matcher.counted_as(fg)  # the browser's extension first, then the rules

    def _with_tab(self, fg: Foreground) -> Foreground:
        """`fg` with what a connected browser extension says of its tab in front, if any."""
        answer = self.browser_channel.app_for(fg.pid)
        return replace(fg, tab=BrowserTab(answer.app, answer.audible)) if answer.known else fg

    def _tab_changed(self) -> None:
        """A browser's extension said something new (on the channel's thread): look now,
        as on a focus change, so that a switch of tabs lands at its own moment."""
        self.sampler.focus_changed(self._clock.mono())

    def _wanted(self, fg: Foreground) -> bool:
        return self._matcher.match(fg) is not None

    def reload_apps(self) -> None:
        apps = tuple(self.store.list_apps())
        if apps != self._apps_seen:
            self._apps_seen = apps
            self._matcher = Matcher(apps, self._browsers)
            self.browser_channel.set_rules(self._matcher.addresses())
            self._give_title_rules()
            log.info("tracked apps changed: %d now", len(apps), extra={"event": "apps"})

    def _give_title_rules(self) -> None:
        """A probe that matches titles where they are (GNOME's extension) gets the rules."""
        set_title_rules = getattr(self.probe, "set_title_rules", None)
        if set_title_rules is not None:
            set_title_rules(self._matcher.title_rules())

    def start(self) -> None:
        self._give_title_rules()
        info = self.probe.info()
        S.put(self.store, S.TRACKER_MODE, info.measure.value)
        S.put(self.store, S.TRACKER_PROBE, info.name)
        focus = self.probe.watch_focus(self.sampler.focus_changed)
        self.browser_channel.start()
        self.sampler.tick()
        self._schedule.every(self.options.sample_interval, self.sampler.tick, "sample")
        self._schedule.every(APPS_RELOAD_S, self._reload_safely, "apps")
        self._schedule.every(SYNC_CHECK_S, self._share_safely, "share")
        self._schedule.start()
        log.info("tracking started: probe %s, every %g s, idle after %g s, focus events %s",
                 info.name, self.options.sample_interval, self.options.idle_after,
                 "on" if focus else "off", extra={"event": "started", "probe": info.name})

    def _reload_safely(self) -> None:
        try:
            if self.store.changed_by_others():  # no read (not even of the WAL index) otherwise
                self.reload_apps()
        except Exception as exc:
            log.warning("could not reload tracked apps (%s)", type(exc).__name__)

    def _share_safely(self) -> None:
        """Every `SYNC_CHECK_S`: while the person shares their time (`driftcheck devices
        share`), write this computer's file and read the others' every `SYNC_EVERY_S`, in
        the sync child (`ChildSyncJob`: the decoding and `cryptography` never enter this
        process). The sharing code is loaded only once sharing is on."""
        try:
            if not S.get(self.store, S.SYNC_ON):
                self._sync = None
                return
            now = self._clock.mono()
            if self._sync is not None and now - self._synced_at < self._sync_every:
                return
            if self._sync is None:
                from widget.services.devices import SYNC_EVERY_S, tracker_sync_job

                self._sync_every = SYNC_EVERY_S
                self._sync = tracker_sync_job(self.store, self.store.path.parent,
                                              self._on_shared_read)
            self._synced_at = now
            self._sync()
        except Exception as exc:
            log.warning("could not share with the other computers (%s)", type(exc).__name__)

    def pause(self) -> None:
        """The person asked for a break from tracking: nothing counts until `resume`."""
        self.sampler.pause()
        log.info("tracking paused", extra={"event": "paused"})

    def resume(self) -> None:
        self.sampler.resume()
        log.info("tracking resumed", extra={"event": "resumed"})

    def stop(self) -> None:
        sync = self._sync
        cancel = getattr(sync, "cancel", None)
        if cancel is not None:  # a sync child running now ends: quitting never waits on it
            cancel()
        self._schedule.shutdown()
        self.browser_channel.close()
        self.sampler.stop()
        self.probe.close()
        if sync is not None:  # the last minutes reach the other computers too, briefly
            getattr(sync, "final", sync)()
        log.info("tracking stopped", extra={"event": "stopped"})
