"""Two results equal to the millisecond: the fast path's figures and the slow reference's, whose
numbers may differ by less than half a millisecond (the same milliseconds summed by SQLite and by
Python in another order)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

import pytest


def assert_same_to_the_ms(fast: object, slow: object, where: str = "dashboard") -> None:
    """`fast == slow`, except that a number may differ by less than half a millisecond: the
    same milliseconds summed by SQLite and by Python in another order. (pytest rewrites no
    assert of a helper: a failure names where, and both values.)"""
    if isinstance(fast, int | float) and isinstance(slow, int | float):
        assert fast == pytest.approx(slow, abs=5e-4), f"{where}: {fast!r} != {slow!r}"
    elif is_dataclass(fast) and not isinstance(fast, type) and type(fast) is type(slow):
        for field in fields(fast):
            assert_same_to_the_ms(getattr(fast, field.name), getattr(slow, field.name),
                                  f"{where}.{field.name}")
    elif isinstance(fast, tuple | list) and isinstance(slow, tuple | list):
        assert type(fast) is type(slow) and len(fast) == len(slow), \
            f"{where}: {fast!r} != {slow!r}"
        for k, (a, b) in enumerate(zip(fast, slow, strict=True)):
            assert_same_to_the_ms(a, b, f"{where}[{k}]")
    elif isinstance(fast, dict) and isinstance(slow, dict):
        assert fast.keys() == slow.keys(), f"{where}: {sorted(map(repr, fast))} != " \
            f"{sorted(map(repr, slow))}"
        for key in fast:
            assert_same_to_the_ms(fast[key], slow[key], f"{where}[{key!r}]")
    else:
        assert fast == slow, f"{where}: {fast!r} != {slow!r}"
