"""Every setting is declared once, typed (widget.core.settings): reading one gives its type or
its default, never a stored value driftcheck would not use; no code outside the store names a
setting by a bare key."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from widget.core import settings as S
from widget.core.options import SPECS, Options

WIDGET = Path(__file__).resolve().parents[2] / "widget"


def test_keys_share_one_style_and_every_setting_says_what_it_is_for() -> None:
    for key, setting in S.SETTINGS.items():
        assert setting.key == key
        assert S.KEY_STYLE.match(key), key
        assert setting.help.strip(), key
        assert setting.travels, key
    assert set(SPECS) <= set(S.SETTINGS), "the tracker's numbers are declared too"


@pytest.mark.parametrize("key", sorted(S.SETTINGS))
def test_a_missing_or_unusable_value_reads_as_the_default(key: str) -> None:
    setting = S.SETTINGS[key]
    assert S.value_of({}, setting) == setting.default
    for junk in ("", "not this", [1, 2], {"a": 1}, 3.5, float("nan"), -1, True):
        if not setting.usable(junk):
            assert S.value_of({key: junk}, setting) == setting.default, junk
    if setting.default is not None:
        assert S.value_of({key: S.stored(setting, setting.default)}, setting) \
            == setting.default


def test_values_come_back_typed() -> None:
    at = datetime(2026, 11, 29, 18, 5, tzinfo=UTC)
    values = {key: S.stored(setting, value) for key, setting, value in (
        ("checkin.not_before", S.CHECKIN_NOT_BEFORE, at),
        ("watch_first_since", S.WATCH_FIRST_SINCE, date(2026, 11, 20)),
        ("alerts.snoozed", S.ALERTS_SNOOZED, {"near|all|2026-11-29": at}),
        ("checkin.weekday", S.CHECKIN_WEEKDAY, 3))}
    assert values["checkin.not_before"] == "2026-11-29T18:05:00+00:00"
    assert S.value_of(values, S.CHECKIN_NOT_BEFORE) == at
    assert S.value_of(values, S.WATCH_FIRST_SINCE) == date(2026, 11, 20)
    assert S.value_of(values, S.ALERTS_SNOOZED) == {"near|all|2026-11-29": at}
    assert S.value_of(values, S.CHECKIN_WEEKDAY) == 3
    assert S.value_of({"checkin.weekday": 7}, S.CHECKIN_WEEKDAY) == 6, "out of range: default"
    assert S.value_of({"checkin.weekday": True}, S.CHECKIN_WEEKDAY) == 6, "a bool is no day"
    assert S.value_of({"checkin.time": "25:00"}, S.CHECKIN_TIME) == "19:00"
    assert S.value_of({"idle_after": 10_000}, S.IDLE_AFTER) == SPECS["idle_after"].default
    assert S.value_of({"day_start_hour": 6}, S.DAY_START_HOUR) \
        == Options.from_settings({"day_start_hour": 6}).day_start_hour == 6


def test_a_default_is_never_shared_between_readers() -> None:
    fired = S.value_of({}, S.ALERTS_FIRED)
    fired.append("near|all|2026-11-29")
    assert S.value_of({}, S.ALERTS_FIRED) == []


def test_no_code_outside_the_store_names_a_setting_by_a_bare_key() -> None:
    bare: list[str] = []
    for path in sorted(WIDGET.rglob("*.py")):
        if path.parent.name == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in (
                    "get_setting", "set_setting") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                bare.append(f"{path.relative_to(WIDGET)}:{node.lineno} {node.args[0].value}")
    assert bare == []
