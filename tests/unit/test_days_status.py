"""Local days, today's status and options: what "today" means to the person, and the numbers
`driftcheck status` and the tray show for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widget.core.calendar import day_window, local_day
from widget.core.days import seconds_by_app
from widget.core.model import Interval, Measure
from widget.core.options import SPECS, Options, check_option
from widget.core.today import TodayView, today_view
from widget.errors import UsageError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def hours(window: tuple[datetime, datetime]) -> float:
    return (window[1] - window[0]).total_seconds() / 3600


# --- local days -------------------------------------------------------------------------


@pytest.mark.parametrize(("tz", "day", "length"), [
    (BERLIN, date(2026, 3, 28), 23),  # clocks go forward on the 29th at 02:00, before 04:00
    (BERLIN, date(2026, 3, 29), 24),
    (BERLIN, date(2026, 10, 24), 25),  # clocks go back on the 25th at 03:00
    (BERLIN, date(2026, 10, 25), 24),
    (NEW_YORK, date(2026, 3, 7), 23),  # forward on the 8th at 02:00
    (NEW_YORK, date(2026, 10, 31), 25),  # back on 1 November at 02:00
    (NEW_YORK, date(2026, 6, 15), 24),
])
def test_days_around_daylight_saving_are_23_or_25_hours(tz: ZoneInfo, day: date,
                                                        length: int) -> None:
    assert hours(day_window(day, tz, 4)) == length


def test_a_day_window_starts_at_the_local_day_start_hour() -> None:
    start, end = day_window(date(2026, 3, 28), BERLIN, 4)
    assert start == utc(2026, 3, 28, 3, 0)  # 04:00 CET
    assert end == utc(2026, 3, 29, 2, 0)  # 04:00 CEST
    start, end = day_window(date(2026, 10, 31), NEW_YORK, 4)
    assert start == utc(2026, 10, 31, 8, 0)  # 04:00 EDT
    assert end == utc(2026, 11, 1, 9, 0)  # 04:00 EST
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_late_nights_belong_to_the_evening_before() -> None:
    # 03:30 on Sunday in Berlin (summer time) is still Saturday's evening.
    assert local_day(utc(2026, 7, 5, 1, 30), BERLIN, 4) == date(2026, 7, 4)
    assert local_day(utc(2026, 7, 5, 2, 0), BERLIN, 4) == date(2026, 7, 5)  # 04:00 sharp
    # With the day starting at midnight, 00:30 is the new day.
    assert local_day(utc(2026, 7, 4, 22, 30), BERLIN, 0) == date(2026, 7, 5)
    # The same instant is a different local day in New York.
    assert local_day(utc(2026, 7, 5, 3, 30), NEW_YORK, 4) == date(2026, 7, 4)


def test_the_repeated_hour_of_autumn_belongs_to_one_day() -> None:
    # Berlin, 25 Oct 2026: 02:00-03:00 happens twice (00:00-01:00Z CEST, 01:00-02:00Z CET).
    first = utc(2026, 10, 25, 0, 30)
    second = utc(2026, 10, 25, 1, 30)
    assert local_day(first, BERLIN, 4) == local_day(second, BERLIN, 4) == date(2026, 10, 24)


@given(
    at=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31),
                    timezones=st.just(UTC)),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                          "America/Santiago", "Asia/Kolkata", "UTC"]),
    start_hour=st.integers(min_value=0, max_value=12),
)
def test_every_instant_lies_in_the_window_of_its_own_day(at: datetime, zone: str,
                                                         start_hour: int) -> None:
    tz = ZoneInfo(zone)
    day = local_day(at, tz, start_hour)
    start, end = day_window(day, tz, start_hour)
    assert start <= at < end
    assert 22.5 <= hours((start, end)) <= 25.5
    # Consecutive days tile time: no instant is in two days, none in none.
    assert day_window(day + timedelta(days=1), tz, start_hour)[0] == end


# --- seconds per app ----------------------------------------------------------------------


def test_time_spanning_the_day_start_is_split_between_the_days() -> None:
    today = day_window(date(2026, 3, 10), BERLIN, 4)  # from 03:00Z
    late = Interval("replika", utc(2026, 3, 10, 2, 50), utc(2026, 3, 10, 3, 20))
    inside = Interval("nomi", utc(2026, 3, 10, 12, 0), utc(2026, 3, 10, 12, 10))
    after = Interval("replika", utc(2026, 3, 11, 2, 55), utc(2026, 3, 11, 3, 5))
    assert seconds_by_app([late, inside, after], *today) == {"replika": 20 * 60 + 5 * 60,
                                                             "nomi": 600}
    yesterday = day_window(date(2026, 3, 9), BERLIN, 4)
    assert seconds_by_app([late, inside, after], *yesterday) == {"replika": 600}


def test_intervals_outside_the_window_or_only_touching_it_count_nothing() -> None:
    start, end = day_window(date(2026, 3, 10), BERLIN, 4)
    touching = Interval("replika", start - timedelta(minutes=5), start)
    later = Interval("replika", end, end + timedelta(minutes=5))
    assert seconds_by_app([touching, later], start, end) == {}


# --- today's status -----------------------------------------------------------------------


DAY = date(2026, 3, 10)
WINDOW = day_window(DAY, BERLIN, 4)
NAMES = {"replika": "Replika", "nomi": "Nomi", "chai": "Chai", "kindroid": "Kindroid"}


def today_status(intervals: list[Interval], *, tracked: list[str], names: dict[str, str],
                 tracker_mode: Measure) -> TodayView:
    """Today as `driftcheck status` and the tray see it, at the last second of DAY."""
    return today_view(intervals, [], names, WINDOW[1] - timedelta(seconds=1), BERLIN, 4,
                      tracked=tracked, tracker_approximate=tracker_mode is Measure.APPROXIMATE)


def at(minutes: float) -> datetime:
    return WINDOW[0] + timedelta(minutes=minutes)


def test_status_lists_tracked_apps_at_zero_and_removed_ones_with_time_most_used_first() -> None:
    intervals = [
        Interval("nomi", at(10), at(15)),
        Interval("replika", at(20), at(50)),
        Interval("kindroid", at(60), at(70)),  # removed since, but it was used today
    ]
    status = today_status(intervals, tracked=["chai", "nomi", "replika"], names=NAMES,
                          tracker_mode=Measure.FOREGROUND)
    assert [(a.key, a.seconds) for a in status.apps] == [
        ("replika", 1800.0), ("kindroid", 600.0), ("nomi", 300.0), ("chai", 0.0)]
    assert status.total_seconds == 2700
    assert not status.approximate
    assert status.to_json() == {
        "date": "2026-03-10",
        "mode": "foreground",
        "apps": [
            {"id": "replika", "name": "Replika", "seconds": 1800.0, "approximate": False},
            {"id": "kindroid", "name": "Kindroid", "seconds": 600.0, "approximate": False},
            {"id": "nomi", "name": "Nomi", "seconds": 300.0, "approximate": False},
            {"id": "chai", "name": "Chai", "seconds": 0.0, "approximate": False},
        ],
        "total_seconds": 2700.0,
    }


def test_apps_with_equal_time_are_in_name_order_and_unknown_names_show_their_key() -> None:
    status = today_status([], tracked=["replika", "custom-x", "chai"],
                          names={"replika": "Replika", "chai": "chai"},
                          tracker_mode=Measure.FOREGROUND)
    assert [a.name for a in status.apps] == ["chai", "custom-x", "Replika"]
    assert status.total_seconds == 0


def test_any_approximate_time_today_makes_the_day_approximate() -> None:
    intervals = [Interval("replika", at(0), at(30)),
                 Interval("nomi", at(40), at(45), Measure.APPROXIMATE)]
    status = today_status(intervals, tracked=["replika", "nomi"],
                          names=NAMES, tracker_mode=Measure.FOREGROUND)
    assert status.approximate
    assert {a.key: a.approximate for a in status.apps} == {"replika": False, "nomi": True}


def test_approximate_time_yesterday_does_not_mark_today() -> None:
    intervals = [Interval("replika", at(0), at(30)),
                 Interval("nomi", at(-40), at(-35), Measure.APPROXIMATE)]
    status = today_status(intervals, tracked=["replika", "nomi"],
                          names=NAMES, tracker_mode=Measure.FOREGROUND)
    assert not status.approximate
    assert [(a.key, a.seconds) for a in status.apps] == [("replika", 1800.0), ("nomi", 0.0)]


def test_an_approximate_tracker_makes_even_an_empty_day_approximate() -> None:
    status = today_status([], tracked=["replika"], names=NAMES,
                          tracker_mode=Measure.APPROXIMATE)
    assert status.to_json()["mode"] == "approximate"


# --- options ------------------------------------------------------------------------------


def test_options_from_settings_take_good_values_and_default_the_bad_ones() -> None:
    options = Options.from_settings({
        "sample_interval": 10,
        "idle_after": "300",  # a string that is a number is fine
        "day_start_hour": 4.5,  # not a whole hour
        "unrelated": "kept elsewhere",
    })
    assert options == Options(sample_interval=10, idle_after=300, day_start_hour=4)


@pytest.mark.parametrize("bad", [0, -5, 61, "fast", None, True, [], {"a": 1}, float("nan"),
                                 float("inf")])
def test_a_bad_stored_sample_interval_falls_back_to_the_default(bad: object) -> None:
    options = Options.from_settings({"sample_interval": bad, "idle_after": 90})
    assert options.sample_interval == SPECS["sample_interval"].default == 5
    assert options.idle_after == 90


def test_defaults_are_the_documented_ones() -> None:
    assert Options() == Options.from_settings({})
    assert (Options().sample_interval, Options().idle_after, Options().day_start_hour) == \
        (5, 180, 4)


def _one_sentence(message: str) -> None:
    assert message.endswith(".")
    assert "\n" not in message
    assert message.count(". ") == 0, message


@pytest.mark.parametrize(("key", "raw", "words"), [
    ("sampel_interval", "5", "no setting called 'sampel_interval'"),
    ("sample_interval", "abc", "needs a length of time, like 3m or 180s, not 'abc'"),
    ("sample_interval", "", "needs a length of time"),
    ("sample_interval", "0", "between 1 s and 1 min"),
    ("sample_interval", "61", "between 1 s and 1 min"),
    ("sample_interval", "nan", "needs a length of time"),
    ("sample_interval", float("nan"), "between 1 s and 1 min"),
    ("idle_after", "1", "between 2 s and 2 h"),
    ("idle_after", "-3m", "needs a positive length"),
    ("near_share", "x", "needs a share of a goal, like 80%"),
    ("near_share", "99%", "between 50% and 95%"),
    ("day_start_hour", "x", "needs an hour of the day, like 4"),
    ("day_start_hour", "13", "between 0 and 12"),
    ("day_start_hour", "4.5", "whole number"),
])
def test_check_option_refuses_with_one_sentence(key: str, raw: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_option(key, raw)
    message = str(caught.value)
    assert words in message
    _one_sentence(message)


def test_check_option_parses_good_values() -> None:
    assert check_option("idle_after", "3m") == check_option("idle_after", "180s") == 180.0
    assert check_option("idle_after", "1.5m") == 90.0
    assert check_option("near_share", "80%") == check_option("near_share", "0.8") == 0.8
    assert check_option("sample_interval", "1") == 1.0
    assert check_option("sample_interval", "60") == 60.0
    assert check_option("idle_after", " 120 ") == 120.0
    hour = check_option("day_start_hour", "6.0")
    assert hour == 6 and isinstance(hour, int)
