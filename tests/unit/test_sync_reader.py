"""All devices read as one store (widget.sync.reader.MergedReader): its interval reads agree
with merge.py's totals (per app: `by_app`; the total: `all_devices`), overlap counts once,
and what each consumer computes from it (today, the goals, the week's totals) agrees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.days import seconds_by_app, seconds_covered
from widget.core.goals import Goal, GoalKind
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, Measure, TrackedApp
from widget.core.today import today_view
from widget.core.usage import usage_now
from widget.store.codec import mark_mix
from widget.sync.merge import History, histories_of, to_ms, window_totals
from widget.sync.reader import MergedReader

UTC0 = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # the day start (04:00) in UTC
DAY = (T0, T0 + timedelta(days=1))


def use(app: str, start_min: float, minutes: float,
        measure: Measure = Measure.FOREGROUND) -> Interval:
    start = T0 + timedelta(minutes=start_min)
    return Interval(app, start, start + timedelta(minutes=minutes), measure)


class ListStore:
    """A local store of a few intervals, keeping the reading part of the contract."""

    path = Path("/nonexistent/driftcheck.sqlite3")

    def __init__(self, intervals: Sequence[Interval], goals: Sequence[Goal] = ()) -> None:
        self.intervals = sorted(intervals, key=lambda iv: (iv.start, iv.end))
        self.goals = list(goals)

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        return [iv for iv in self.intervals
                if start - max_span <= iv.start < end and iv.end > start]

    def spans_ms(self, start: datetime, end: datetime,
                 max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        return [(to_ms(iv.start), to_ms(iv.end))
                for iv in self.intervals_overlapping(start, end, max_span)]

    def app_spans_ms(self, start: datetime, end: datetime,
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, str, bool]]:
        return [(to_ms(iv.start), to_ms(iv.end), iv.app, iv.measure is Measure.APPROXIMATE)
                for iv in self.intervals_overlapping(start, end, max_span)]

    def window_marks(self, windows: Sequence[tuple[datetime, datetime]],
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, int]]:
        marks = []
        for (s, e), seconds in zip(windows, self.seconds_in(windows, max_span), strict=True):
            found = self.intervals_overlapping(s, e, max_span) if e > s else []
            marks.append((round(seconds * 1000), len(found), sum(
                mark_mix(max(to_ms(iv.start), to_ms(s)), min(to_ms(iv.end), to_ms(e)),
                         sum(map(ord, iv.app))) for iv in found)))
        return marks

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        return [sum(seconds_by_app(self.intervals_overlapping(s, e), s, e).values())
                if e > s else 0.0 for s, e in windows]

    def app_seconds_in(self, start: datetime, end: datetime,
                       max_span: timedelta = MAX_SPAN) -> dict[str, float]:
        return {app: seconds for app, seconds in seconds_by_app(
            self.intervals_overlapping(start, end, max_span), start, end).items() if seconds}

    def first_use(self) -> datetime | None:
        return self.intervals[0].start if self.intervals else None

    def list_apps(self, include_removed: bool = False) -> list[TrackedApp]:
        return [TrackedApp("replika", "Replika", ())]

    def app_names(self) -> dict[str, str]:
        return {"replika": "Replika"}

    def list_goals(self) -> list[Goal]:
        return self.goals

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        return []

    def checkin_history(self) -> list[KeptCheckin]:
        return []

    def get_setting(self, key: str) -> object | None:
        return None

    def all_settings(self) -> dict[str, object]:
        return {}


def test_one_app_on_two_computers_at_once_counts_once_everywhere() -> None:
    laptop = ListStore([use("replika", 60, 30)])  # 05:00-05:30 here
    desktop = {"desktop": histories_of([use("replika", 75, 30)])}  # 05:15-05:45 there
    reader = MergedReader(laptop, desktop, "laptop")
    now = T0 + timedelta(hours=3)
    view = today_view(reader.intervals_overlapping(T0 - timedelta(days=7), now), [],
                      reader.app_names(), now, UTC, 4)
    assert view.total_seconds == 45 * 60
    assert {a.key: a.seconds for a in view.apps} == {"replika": 45 * 60}
    assert reader.seconds_in([DAY]) == [45 * 60]
    assert reader.device_seconds(*DAY) == {"laptop": 30 * 60, "desktop": 30 * 60}


def test_two_apps_at_once_count_once_in_the_total_and_once_each() -> None:
    laptop = ListStore([use("replika", 60, 30)])
    desktop = {"desktop": histories_of([use("character-ai", 60, 30)])}
    reader = MergedReader(laptop, desktop, "laptop", {"character-ai": "Character.AI"})
    now = T0 + timedelta(hours=3)
    ivs = reader.intervals_overlapping(T0 - timedelta(days=7), now)
    view = today_view(ivs, [Goal(GoalKind.DAILY, None, 40 * 60)], reader.app_names(), now,
                      UTC, 4)
    assert view.total_seconds == 30 * 60  # wall time: the all-apps goal's measure
    assert {a.key: a.seconds for a in view.apps} == {"replika": 1800, "character-ai": 1800}
    assert reader.app_names()["character-ai"] == "Character.AI"
    usage = usage_now(ivs, now, UTC, 4)
    assert usage.today_for(None) == 30 * 60 and usage.today_for("replika") == 30 * 60
    assert reader.seconds_in([DAY]) == [30 * 60]


def test_the_switch_off_reads_this_computer_alone() -> None:
    laptop = ListStore([use("replika", 60, 30)])
    reader = MergedReader(laptop, {}, "laptop")
    assert reader.intervals_overlapping(*DAY) == laptop.intervals
    assert reader.seconds_in([DAY]) == [30 * 60]


def test_first_use_is_the_earliest_of_any_computer() -> None:
    laptop = ListStore([use("replika", 60, 30)])
    earlier = use("replika", -60 * 24 * 40, 5)
    reader = MergedReader(laptop, {"d": [History.of([]), *histories_of([earlier])]})
    assert reader.first_use() == earlier.start
    assert MergedReader(ListStore([]), {}).first_use() is None


def test_each_apps_union_keeps_approximate_and_apps_apart() -> None:
    # "a" here 0-10 and 15-20, on the other computer 5-15 measured approximately (touching
    # both): one stretch 0-20, approximate; "b" there alone
    reader = MergedReader(ListStore([use("a", 0, 10), use("a", 15, 5)]), {"d": histories_of(
        [use("a", 5, 10, Measure.APPROXIMATE), use("b", 0, 30)])})
    merged = reader.intervals_overlapping(*DAY)
    assert [(iv.app, iv.start, iv.end, iv.measure) for iv in merged] == [
        ("a", use("a", 0, 1).start, use("a", 0, 20).end, Measure.APPROXIMATE),
        ("b", use("b", 0, 1).start, use("b", 0, 30).end, Measure.FOREGROUND)]


# --- agreement with merge.py for any histories -------------------------------------------

APPS = ("replika", "character-ai", "kindroid")


@st.composite
def device_intervals(draw: st.DrawFn) -> list[Interval]:
    """One device's intervals as the tracker writes them: never overlapping, each at most an
    hour, spread over two days around the window."""
    starts = sorted(draw(st.lists(st.integers(-24 * 60, 48 * 60), max_size=12, unique=True)))
    result = []
    for i, start in enumerate(starts):
        room = (starts[i + 1] - start) if i + 1 < len(starts) else 60
        length = draw(st.integers(1, max(1, min(60, room))))
        if i + 1 < len(starts) and length > room:
            continue
        result.append(use(draw(st.sampled_from(APPS)), start, length))
    return result


@settings(max_examples=150, deadline=None)
@given(own=device_intervals(), others=st.lists(device_intervals(), min_size=1, max_size=3),
       cut=st.tuples(st.integers(-6 * 60, 30 * 60), st.integers(0, 30 * 60)))
def test_every_read_agrees_with_window_totals(own: list[Interval], others: list[list[Interval]],
                                              cut: tuple[int, int]) -> None:
    histories = {f"d{i}": histories_of(ivs) for i, ivs in enumerate(others)}
    reader = MergedReader(ListStore(own), histories, "own")
    start = T0 + timedelta(minutes=cut[0])
    end = start + timedelta(minutes=cut[1])
    expected = window_totals({"own": histories_of(own), **histories}, start, end)
    ivs = reader.intervals_overlapping(start, end)
    by_app = seconds_by_app(ivs, start, end)
    assert {k for k, v in by_app.items() if v} == {k for k, v in expected.by_app.items() if v}
    for app, seconds in expected.by_app.items():
        assert abs(by_app.get(app, 0.0) - seconds) < 0.001
    assert abs(seconds_covered(ivs, start, end) - expected.all_devices) < 0.001
    assert reader.seconds_in([(start, end)]) == [expected.all_devices]
    halves = [(start, start + (end - start) / 2), (start + (end - start) / 2, end)]
    assert reader.seconds_in([*halves, (end, start)]) == [
        window_totals({"own": histories_of(own), **histories}, *half).all_devices
        for half in halves] + [0.0]
    seconds = reader.device_seconds(start, end)
    assert seconds.keys() == expected.by_device.keys()
    for device, total in expected.by_device.items():
        assert abs(seconds[device] - total) < 0.001, device


def test_check_ins_another_computer_shares_join_this_ones_in_time_order(tmp_path: Path
                                                                         ) -> None:
    """The desktop shares its check-ins (`--share-notes` there): through the real folder,
    they join this computer's in `list_checkins` (what the dashboard marks on its weeks),
    `since` applies to them too; `checkin_history` (rows this computer may change) stays its
    own. A computer that does not share them adds none."""
    from zoneinfo import ZoneInfo

    from widget.sync.folder import SharedFolder, create_identity
    from widget.sync.format import split_by_month
    from widget.sync.reader import shared_checkins

    zone = ZoneInfo("Europe/Berlin")
    shared, desk, laptop = tmp_path / "shared", tmp_path / "desk", tmp_path / "laptop"
    for folder in (shared, desk, laptop):
        folder.mkdir(mode=0o700)
    theirs = [Checkin(T0 - timedelta(days=8), T0 - timedelta(days=8), 4, "a good week", 3600),
              Checkin(T0 + timedelta(hours=1), T0 + timedelta(hours=1), 2, None, 7200)]
    desk_folder = SharedFolder(shared, desk, create_identity(desk, "Desk", False), None,
                               lambda: T0 + timedelta(hours=2), zone)
    # Both months written (as `devices share` writes every month with use): each month's file
    # carries that month's check-ins.
    outcome = desk_folder.write(split_by_month([use("replika", -8 * 24 * 60, 30),
                                                use("replika", 0, 30)]),
                                {"replika": "Replika"}, checkins=theirs)
    assert outcome.problem is None
    view = SharedFolder(shared, laptop, create_identity(laptop, "Laptop", False), None,
                        lambda: T0 + timedelta(hours=2), zone).read()
    assert sorted(shared_checkins(view), key=lambda c: c.asked) == theirs

    ours = Checkin(T0 - timedelta(days=1), T0 - timedelta(days=1), 5, None, 1800)

    class WithCheckin(ListStore):
        def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
            return [ours] if since is None or ours.asked >= since else []

        def checkin_history(self) -> list[KeptCheckin]:
            return [KeptCheckin(1, ours)]

    reader = MergedReader(WithCheckin([]), {}, "laptop", None, shared_checkins(view))
    assert reader.list_checkins() == [theirs[0], ours, theirs[1]]
    assert reader.list_checkins(since=T0 - timedelta(days=2)) == [ours, theirs[1]]
    assert reader.checkin_history() == [KeptCheckin(1, ours)]
    reader.refresh({}, None)  # a read in which no computer shares them
    assert reader.list_checkins() == [ours]
