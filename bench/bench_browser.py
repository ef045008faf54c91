"""The browser extension (issue 13) in real browsers: how soon a tab switch reaches the
tracker, how much of a scripted session lands on the right app, and what the host and the
tracker cost.

Private Xvfb + openbox; Chromium (and Firefox ESR) with driftcheck's extension and a fresh
profile, every site a local server (tests/helpers/real_browsers.py starts them; nothing reaches
the network). One window, two tabs: a tracked site (claude.ai, the catalog's `claude`) titled
"Weekend plans" and an untracked one (example.org) titled "Shopping list": no title names the
app, so only the extension can tell them apart. Per browser:

1. Latency. The real host, installed by `driftcheck browser install --config-dir`, and the
   tracker's end of the channel (widget.browser.channel.BrowserChannel) in this process.
   `--switches` times a real key (xdotool, Ctrl/Alt+1 and +2) moves between the two tabs; each
   figure is from just before `xdotool key` is spawned to the channel's `on_change` after
   which `app_for(browser pid)` answers the new tab's app (the moment the tracker would look).
   Then `--idle` seconds with nothing happening, for the host's CPU at rest, and its RSS;
   then the channel closes and the host's CPU is read over `--idle` seconds more with no
   tracker to reach (it looks for the socket every 5 s).
   The host's start-up: from its process's start (/proc/PID/stat starttime, 10 ms ticks, the
   fork by the browser; the launcher script and the host exec in the same process) to the
   channel logging `browser_connected` (its `hello` read and the rules sent back).
2. Attribution with the extension. The channel closes, a real `driftcheck track` (default
   interval) starts on the same data folder with `claude` tracked, the host finds it; a seeded
   session of `--minutes` switches between the tabs (3-12 s each) with the pointer moving. The
   seconds stored for claude over the seconds the tracked tab was in front (from the key
   sends). The host's CPU over the session, per tracked hour.
3. Title matching alone. A second browser, the host not installed (the extension finds no
   host), a new data folder and tracker; the same session (titles not naming the app), then
   half as long between a tab titled "Claude - Weekend plans" and the untracked one.
The tracker's CPU and RSS over sessions 2 and 3 (the same switching) compare the tracker with
the extension connected and without.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import random
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _common import (
    ActivePerson,
    DrainedProcess,
    Figure,
    TrackerProcess,
    XSession,
    driftcheck,
    percentile,
    result,
    wait_for,
    x_session,
)

from tests.helpers.program import stored_seconds
from tests.helpers.real_browsers import BrowserRun, config_dir, start_chromium, start_firefox
from widget.browser.channel import BrowserChannel, TabAnswer
from widget.paths import BROWSER_SOCKET_NAME

TARGET_LATENCY_S = 0.5
TARGET_ATTRIBUTION_PCT = 99.0
TARGET_HOST_RSS_MB = 15.0
APP = "claude"  # the catalog's: address claude.ai; titles "Claude - ...", "... - Claude"
TRACKED = "http://claude.ai/plans"
UNTRACKED = "http://example.org/list"
NAMED = "http://claude.ai/named"
TITLES = {"/plans": "Weekend plans", "/list": "Shopping list", "/named": "Claude - Weekend plans"}
TICK = os.sysconf("SC_CLK_TCK")
INTERVAL_S = 5.0  # `driftcheck track`'s default, which the sessions run at


# --- the sites: titles that do not name the app ------------------------------------------------

class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        # Through Firefox's proxy pref the request line holds the whole URL.
        path = urlsplit(self.path).path if "://" in self.path else self.path.split("?")[0]
        title = html.escape(TITLES.get(path, "Nothing here"))
        data = (f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}"
                "</h1></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        self.send_error(403)

    do_CONNECT = do_POST = do_PUT = do_HEAD = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Sites(ThreadingHTTPServer):
    """Every site, on 127.0.0.1 (what start_chromium and start_firefox need: `port`)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Page)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def close(self) -> None:
        self.shutdown()
        self.server_close()


# --- processes ---------------------------------------------------------------------------------

def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: [0] is field 3 (state)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_ticks(pid: int) -> int:
    fields = stat_fields(pid)
    return int(fields[11]) + int(fields[12])  # utime + stime


def start_boottime(pid: int) -> float:
    """When process `pid` started, in CLOCK_BOOTTIME seconds (10 ms resolution)."""
    return int(stat_fields(pid)[19]) / TICK


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def host_pid(browser_pid: int) -> int | None:
    """The driftcheck host the browser started (its child, running widget.browser.host)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(stat_fields(int(entry))[1]) != browser_pid:
                continue
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if b"browser.host" in cmdline or b"browser-host" in cmdline:
            return int(entry)
    return None


def boottime_of(mono: float) -> float:
    return mono + time.clock_gettime(time.CLOCK_BOOTTIME) - time.monotonic()


# --- the browsers ------------------------------------------------------------------------------

def start_browser(name: str, xs: XSession, folder: Path, sites: Sites, urls: list[str]
                  ) -> BrowserRun:
    folder.mkdir(parents=True, exist_ok=True)
    if name == "chromium":
        run = start_chromium(xs, folder, sites, None, urls)  # type: ignore[arg-type]
    else:
        run = start_firefox(xs, folder, sites, None, urls, {})  # type: ignore[arg-type]
    wait_title(run, TITLES[urlsplit(urls[0]).path], 60)
    run.activate()
    return run


def wait_title(run: BrowserRun, title: str, timeout: float = 20) -> None:
    wait_for(lambda: run.title().startswith(title), timeout, f"{title!r} in {run.name}'s window")


def install_host(name: str, data: Path, folder: Path, xs: XSession) -> None:
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    driftcheck(data, "browser", "install", "--browser", name, "--config-dir",
               str(config_dir(name, folder)), xs=xs)


class ConnectedAt(logging.Handler):
    """The monotonic moments the channel logged `browser_connected`."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.moments: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", None) == "browser_connected":
            self.moments.append(time.monotonic())


# --- 1. latency --------------------------------------------------------------------------------

def latency_phase(name: str, xs: XSession, tmp: Path, sites: Sites, data: Path,
                  switches: int, idle_s: float, rng: random.Random
                  ) -> tuple[BrowserRun, dict[str, Any]]:
    folder = tmp / f"{name}-with-host"
    install_host(name, data, folder, xs)
    events: list[tuple[float, TabAnswer]] = []
    pid_box: list[int] = []
    channel: BrowserChannel

    def changed() -> None:
        answer = channel.app_for(pid_box[0]) if pid_box else TabAnswer(False, None, False)
        events.append((time.monotonic(), answer))

    channel = BrowserChannel(data / BROWSER_SOCKET_NAME, on_change=changed)
    channel.set_rules({APP: ("claude.ai",)})
    connected = ConnectedAt()
    channel_log = logging.getLogger("widget.browser.channel")
    channel_log.addHandler(connected)
    channel_log.setLevel(logging.INFO)
    if not channel.start():
        raise RuntimeError("the channel did not start")
    run = start_browser(name, xs, folder, sites, [TRACKED, UNTRACKED])
    try:
        pid = run.window_pid()
        pid_box.append(pid)
        wait_for(lambda: channel.app_for(pid) == TabAnswer(True, APP, False), 30,
                 "the channel to hear the tracked tab")
        host: int = wait_for(lambda: host_pid(pid), 10, "the host process") or 0
        startup_s = boottime_of(connected.moments[0]) - start_boottime(host)
        after_browser_s = start_boottime(host) - start_boottime(pid)
        print(f"{name}: pid {pid}, host pid {host}; the host started {after_browser_s:.2f} s "
              f"after the browser and said hello {startup_s:.3f} s after its start", flush=True)

        latencies: list[float] = []
        missed = 0
        ticks_a, t_a = cpu_ticks(host), time.monotonic()
        in_front = 1
        for _ in range(switches):
            target = 2 if in_front == 1 else 1
            expected = TabAnswer(True, APP if target == 1 else None, False)
            mark = len(events)
            sent = time.monotonic()
            run.tab(target)
            in_front = target
            try:
                heard = wait_for(lambda m=mark, e=expected: next(  # type: ignore[misc]
                    (t for t, a in events[m:] if a == e), None), 10,
                    f"tab {target} at the channel", step=0.005)
                assert heard is not None
                latencies.append(heard - sent)
            except TimeoutError:
                missed += 1
            time.sleep(rng.uniform(0.3, 0.8))  # a person's glance, not a wait
        ticks_b, t_b = cpu_ticks(host), time.monotonic()
        # Nothing changes: no key, no pointer, the tracked tab in front.
        run.tab(1)
        time.sleep(2.0)
        ticks_c, t_c = cpu_ticks(host), time.monotonic()
        time.sleep(idle_s)
        ticks_d, t_d = cpu_ticks(host), time.monotonic()
        rss_kb, hwm_kb = status_kb(host, "VmRSS"), status_kb(host, "VmHWM")
    finally:
        channel.close()
        channel_log.removeHandler(connected)
    latencies.sort()
    found = {
        "latencies_s": latencies, "missed": missed,
        "p95_s": percentile(latencies, 95), "median_s": statistics.median(latencies)
        if latencies else float("nan"), "max_s": latencies[-1] if latencies else float("nan"),
        "host_pid": host, "host_startup_s": startup_s, "host_after_browser_s": after_browser_s,
        "host_rss_mb": rss_kb / 1024, "host_hwm_mb": hwm_kb / 1024,
        "host_ticks_switching": ticks_b - ticks_a, "switching_s": t_b - t_a,
        "host_ticks_idle": ticks_d - ticks_c, "idle_s": t_d - t_c,
        "channel_events": len(events),
    }
    return run, found


# --- 2 and 3. a scripted session under a real tracker --------------------------------------------

def start_tracker(xs: XSession, data: Path, tray: bool) -> DrainedProcess:
    """`driftcheck track` (default interval), or with `tray` the tray app (the same tracker
    inside it; trayer is its tray, no dialog opens: bench_tray.py's), once it logs that it
    tracks."""
    if not tray:
        return TrackerProcess(xs, data)
    from bench_tray import TrayApp, seed_settings

    seed_settings(data)
    log = data / "driftcheck.log"
    starts = log.read_text().count("tracking started") if log.exists() else 0
    app = TrayApp(xs, data)
    wait_for(lambda: (log.exists() and log.read_text().count("tracking started") > starts)
             or app.proc.poll() is not None, 30, "the tray app to start tracking")
    if app.proc.poll() is not None:
        raise RuntimeError(f"the tray app exited: {''.join(app.stderr)[-2000:]}")
    return app


def session(run: BrowserRun, tracked_tab: int, minutes: float, seed: int) -> float:
    """Switch between `tracked_tab` and tab 2 (untracked) for `minutes`, 3-12 s each, starting
    and ending on tab 2; the seconds the tracked tab was in front (between key sends)."""
    rng = random.Random(seed)
    tracked_s = 0.0
    on_tracked = False
    began = last = time.monotonic()
    while time.monotonic() - began < minutes * 60 or on_tracked:
        target = 2 if on_tracked else tracked_tab
        now = time.monotonic()
        run.tab(target)
        if on_tracked:
            tracked_s += now - last
        on_tracked, last = not on_tracked, now
        time.sleep(rng.uniform(3.0, 12.0))
    return tracked_s


def tracked_session(run: BrowserRun, xs: XSession, data: Path, tracker: DrainedProcess,
                    parts: list[tuple[int, float]], seed: int,
                    host: int | None = None) -> dict[str, Any]:
    """Sessions `parts` ((tracked tab, minutes), ...) under `tracker`, one after another; for
    each the scripted and the stored seconds of APP; the tracker's CPU and RSS over all."""
    import psutil

    proc = psutil.Process(tracker.pid)
    run.activate()  # a window of the tray app's may have taken the focus
    run.tab(2)
    wait_title(run, TITLES["/list"])
    time.sleep(2.0)
    out: dict[str, Any] = {"parts": []}
    with ActivePerson(xs, every=2.0):
        cpu_a, t_a = sum(proc.cpu_times()[:2]), time.monotonic()
        host_a = cpu_ticks(host) if host else None
        for tab, minutes in parts:
            stored_before = stored_seconds(data, APP)
            scripted = session(run, tab, minutes, seed)
            time.sleep(2 * INTERVAL_S + 1.0)  # a sample or two on the untracked tab
            out["parts"].append({"tab": tab, "minutes": minutes, "scripted_s": scripted,
                                 "stored_s": stored_seconds(data, APP) - stored_before})
        cpu_b, t_b = sum(proc.cpu_times()[:2]), time.monotonic()
        host_b = cpu_ticks(host) if host else None
        mem = proc.memory_full_info()
    out.update(cpu_s=cpu_b - cpu_a, window_s=t_b - t_a, cpu_pct=(cpu_b - cpu_a) / (t_b - t_a)
               * 100, rss_mb=mem.rss / 2**20, uss_mb=mem.uss / 2**20)
    if host_a is not None and host_b is not None:
        out["host_ticks"] = host_b - host_a
    code = tracker.stop()
    log = (data / "driftcheck.log").read_text()
    out["tracker_exit"] = code
    out["browser_connected"] = log.count("browser_connected")
    out["warnings"] = [line for line in log.splitlines()
                       if '"level": "warning"' in line or '"level": "error"' in line][:5]
    # What the stop wrote (an interval still open) belongs to the last part.
    out["parts"][-1]["stored_s"] += stored_seconds(data, APP) - sum(
        p["stored_s"] for p in out["parts"])
    return out


def pct(part: dict[str, Any]) -> float:
    return 100.0 * float(min(part["stored_s"], part["scripted_s"]) / part["scripted_s"])


def one_browser(name: str, xs: XSession, tmp: Path, sites: Sites, args: argparse.Namespace
                ) -> dict[str, Any]:
    rng = random.Random(args.seed)
    data = tmp / f"{name}-data"
    run, found = latency_phase(name, xs, tmp, sites, data, args.switches, args.idle, rng)
    try:
        # No tracker now: the host looks for the socket every 5 s; what does that cost?
        host = found["host_pid"]
        ticks_a, t_a = cpu_ticks(host), time.monotonic()
        time.sleep(args.idle)
        found.update(host_ticks_alone=cpu_ticks(host) - ticks_a, alone_s=time.monotonic() - t_a)
        driftcheck(data, "apps", "add", APP, xs=xs)
        connects = (data / "driftcheck.log").read_text().count("browser_connected") \
            if (data / "driftcheck.log").exists() else 0
        tracker = start_tracker(xs, data, args.tray)
        log = data / "driftcheck.log"
        wait_for(lambda: log.read_text().count("browser_connected") > connects, 20,
                 "the host to find the real tracker")
        print(f"{name}: session with the extension, {args.minutes:g} min", flush=True)
        found["with"] = tracked_session(run, xs, data, tracker, [(1, args.minutes)], args.seed,
                                        host=found["host_pid"])
    finally:
        run.stop()

    data2 = tmp / f"{name}-data-titles"
    data2.mkdir(mode=0o700)
    driftcheck(data2, "apps", "add", APP, xs=xs)
    run = start_browser(name, xs, tmp / f"{name}-no-host", sites, [TRACKED, UNTRACKED, NAMED])
    try:
        tracker = start_tracker(xs, data2, args.tray)
        print(f"{name}: sessions by title alone, {args.minutes:g} + {args.minutes / 2:g} min",
              flush=True)
        found["without"] = tracked_session(run, xs, data2, tracker,
                                           [(1, args.minutes), (3, args.minutes / 2)],
                                           args.seed)
    finally:
        run.stop()
    return found


def figures_of(name: str, f: dict[str, Any], who: str) -> list[Figure]:
    w, wo = f["with"], f["without"]
    with_pct, plain_pct, named_pct = pct(w["parts"][0]), pct(wo["parts"][0]), pct(wo["parts"][1])
    hour_ticks = w.get("host_ticks", 0) / w["window_s"] * 3600
    idle_ticks = f["host_ticks_idle"]
    return [
        Figure(f"{name}: tab switch to the tracker's end, p95",
               f"{f['p95_s']:.3f} s (n={len(f['latencies_s'])})", f"<= {TARGET_LATENCY_S} s",
               f["p95_s"] <= TARGET_LATENCY_S and not f["missed"], f["p95_s"]),
        Figure(f"{name}: attribution with the extension", f"{with_pct:.1f}%",
               f">= {TARGET_ATTRIBUTION_PCT:g}%", with_pct >= TARGET_ATTRIBUTION_PCT, with_pct),
        Figure(f"{name}: attribution by title alone", f"{plain_pct:.1f}%", "- (~0%)", None,
               plain_pct),
        Figure(f"{name}: ... by title alone, title names it", f"{named_pct:.1f}%", "-", None,
               named_pct),
        Figure(f"{name}: host RSS", f"{f['host_rss_mb']:.1f} MB", f"<= {TARGET_HOST_RSS_MB:g} MB",
               f["host_rss_mb"] <= TARGET_HOST_RSS_MB, f["host_rss_mb"]),
        Figure(f"{name}: host CPU while nothing changes",
               f"{idle_ticks * 1000 / TICK:.0f} ms/{f['idle_s']:.0f} s", "0", idle_ticks == 0,
               idle_ticks / TICK),
        Figure(f"{name}: host CPU with no tracker to reach",
               f"{f['host_ticks_alone'] * 1000 / TICK:.0f} ms/{f['alone_s']:.0f} s", "-", None,
               f["host_ticks_alone"] / TICK),
        Figure(f"{name}: host CPU per tracked hour", f"{hour_ticks / TICK:.2f} s", "-", None,
               hour_ticks / TICK),
        Figure(f"{name}: host start-up to hello", f"{f['host_startup_s']:.2f} s", "-", None,
               f["host_startup_s"]),
        Figure(f"{name}: {who} RSS, extension / none",
               f"{w['rss_mb']:.1f} / {wo['rss_mb']:.1f} MB", "within noise", None,
               w["rss_mb"] - wo["rss_mb"]),
        Figure(f"{name}: {who} CPU, extension / none",
               f"{w['cpu_pct']:.3f} / {wo['cpu_pct']:.3f}%", "within noise", None,
               w["cpu_pct"] - wo["cpu_pct"]),
    ]


def report(name: str, f: dict[str, Any], who: str) -> None:
    w, wo = f["with"], f["without"]
    lat = f["latencies_s"]
    print(f"\n{name}")
    print(f"  tab switch -> the tracker's end of the channel: {len(lat)} switches, median "
          f"{f['median_s'] * 1000:.0f} ms, p95 {f['p95_s'] * 1000:.0f} ms, max "
          f"{f['max_s'] * 1000:.0f} ms; {f['missed']} not heard within 10 s")
    print(f"  host: RSS {f['host_rss_mb']:.1f} MB (peak {f['host_hwm_mb']:.1f} MB); CPU "
          f"{f['host_ticks_switching'] * 1000 / TICK:.0f} ms over {f['switching_s']:.0f} s of "
          f"switching, {f['host_ticks_idle'] * 1000 / TICK:.0f} ms over {f['idle_s']:.0f} s with "
          f"nothing changing, {f['host_ticks_alone'] * 1000 / TICK:.0f} ms over "
          f"{f['alone_s']:.0f} s with no tracker, {w.get('host_ticks', 0) * 1000 / TICK:.0f} "
          f"ms over the "
          f"{w['window_s']:.0f} s session; started {f['host_after_browser_s']:.2f} s after the "
          f"browser, hello {f['host_startup_s'] * 1000:.0f} ms after its own start")
    for label, part in (("with the extension", w["parts"][0]),
                        ("by title alone", wo["parts"][0]),
                        ("by title alone, title names it", wo["parts"][1])):
        print(f"  attribution {label}: {part['stored_s']:.1f} s stored of "
              f"{part['scripted_s']:.1f} s scripted = {pct(part):.1f}%")
    for label, s in (("with the extension", w), ("without", wo)):
        print(f"  {who} {label}: CPU {s['cpu_s']:.2f} s over {s['window_s']:.0f} s = "
              f"{s['cpu_pct']:.3f}% core, RSS {s['rss_mb']:.1f} MB (USS {s['uss_mb']:.1f} MB); "
              f"exit {s['tracker_exit']}, browser_connected x{s['browser_connected']}"
              + (f"; warnings: {s['warnings']}" if s["warnings"] else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="Chromium only, 20 switches, 1 min sessions, 15 s idle")
    parser.add_argument("--browsers", default=None, help="chromium,firefox (the default)")
    parser.add_argument("--switches", type=int, default=None, help="tab switches timed (40)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="each scripted session (2; the named-title one is half)")
    parser.add_argument("--idle", type=float, default=None,
                        help="seconds with nothing changing, for the host's CPU (30)")
    parser.add_argument("--tray", action="store_true",
                        help="run the sessions under the tray app (with trayer) instead of "
                        "`driftcheck track`")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    quick = args.quick
    args.browsers = (args.browsers or ("chromium" if quick else "chromium,firefox")).split(",")
    args.switches = args.switches or (20 if quick else 40)
    args.minutes = args.minutes or (1.0 if quick else 2.0)
    args.idle = args.idle or (15.0 if quick else 30.0)

    import shutil

    programs = {"chromium": "chromium", "firefox": "firefox-esr"}
    missing = [programs[b] for b in args.browsers if shutil.which(programs[b]) is None]
    if missing:
        raise SystemExit(f"bench_browser: needs {', '.join(missing)}")
    load = os.getloadavg()
    found: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    with x_session("browser") as (xs, tmp):
        if args.tray:
            from bench_tray import start_trayer, trayer_windows

            start_trayer(xs)
            wait_for(lambda: trayer_windows(xs), 15, "trayer's panel")
        sites = Sites()
        try:
            for name in args.browsers:
                try:
                    found[name] = one_browser(name, xs, tmp, sites, args)
                except Exception as error:  # the other browser still runs
                    failed[name] = f"{type(error).__name__}: {error}"
                    print(f"{name}: FAILED: {failed[name]}", flush=True)
        finally:
            sites.close()
    print(f"\nload average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
          f"({os.cpu_count()} cores)")
    figures: list[Figure] = []
    for name, f in found.items():
        report(name, f, "tray" if args.tray else "track")
        figures += figures_of(name, f, "tray" if args.tray else "track")
    for name, why in failed.items():
        figures.append(Figure(f"{name}: bench_browser", f"FAILED: {why[:60]}", "", None))
    result("browser-tray" if args.tray else "browser", figures, browsers=found, failed=failed,
           load=[load, os.getloadavg()], args=vars(args))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
