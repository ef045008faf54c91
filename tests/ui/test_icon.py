"""The tray's ring: what it shows at a glance, at every size, on light and dark panels."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from widget.core.today import TodayView
from widget.ui.icon import SIZES, TEAL, RingLook, ring_icon, ring_image, ring_look

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def is_teal(color: QColor) -> bool:
    return (color.alpha() > 200 and abs(color.red() - TEAL.red()) < 40
            and abs(color.green() - TEAL.green()) < 40 and abs(color.blue() - TEAL.blue()) < 40)


def teal_at(image: QImage, x: int, y: int) -> bool:
    return is_teal(QColor.fromRgba(image.pixel(x, y)))


def teal_count(image: QImage) -> int:
    return sum(teal_at(image, x, y) for x in range(image.width()) for y in range(image.height()))


def ink(image: QImage) -> int:
    return sum(QColor.fromRgba(image.pixel(x, y)).alpha() > 0
               for x in range(image.width()) for y in range(image.height()))


def view(total: float, goal: int | None, paused: bool = False,
         approximate: bool = False) -> TodayView:
    from datetime import UTC, datetime

    return TodayView(total, goal, (), total, None,
                     datetime(2026, 11, 26, 14, 30, tzinfo=UTC) if paused else None, approximate)


def test_the_ring_fills_clockwise_from_twelve(qtbot: QtBot) -> None:
    quarter = ring_image(RingLook(fill=0.25), 64)
    three_quarters = ring_image(RingLook(fill=0.75), 64)
    # 12 o'clock to 3 o'clock: the top-right of the ring is filled, the top-left not yet.
    ring_y = 7
    assert teal_at(quarter, 40, ring_y) and not teal_at(quarter, 24, ring_y)
    assert teal_at(three_quarters, 7, 40) and not teal_at(quarter, 7, 40)  # by 9 o'clock
    assert not teal_at(three_quarters, 24, ring_y)  # and not yet back at twelve
    assert teal_count(three_quarters) > 2.5 * teal_count(quarter)


def test_without_a_goal_the_ring_is_an_empty_track(qtbot: QtBot) -> None:
    empty = ring_image(ring_look(view(38 * 60, None)), 32)
    assert ink(empty) > 0  # the icon is there
    assert teal_count(empty) == 0  # and claims no share of a goal nobody set


def test_over_the_goal_the_ring_is_full_and_a_dot_marks_it(qtbot: QtBot) -> None:
    look = ring_look(view(50 * 60, 45 * 60))
    assert look.fill == 1.0 and look.over
    at_goal_minus = ring_look(view(44 * 60, 45 * 60))
    assert not at_goal_minus.over
    image = ring_image(look, 64)
    assert teal_at(image, 32, 32)  # the dot in the middle
    assert not teal_at(ring_image(RingLook(fill=1.0), 64), 32, 32)


def test_paused_is_a_hollow_ring_with_two_bars(qtbot: QtBot) -> None:
    look = ring_look(view(30 * 60, 45 * 60, paused=True))
    assert look.paused
    image = ring_image(look, 64)
    assert not teal_at(image, 32, 7)  # no fill at the top although 2/3 of the goal is used
    assert teal_at(image, 28, 32) and teal_at(image, 36, 32)  # the two bars
    assert not teal_at(image, 32, 32)  # with a gap between them


def test_approximate_time_draws_a_dashed_ring(qtbot: QtBot) -> None:
    solid = ring_image(RingLook(fill=1.0), 32)
    dashed = ring_image(RingLook(fill=1.0, approximate=True), 32)
    assert 0 < teal_count(dashed) < 0.85 * teal_count(solid)


@pytest.mark.parametrize("background", ["#ffffff", "#202020"])
def test_the_ring_stands_out_on_light_and_dark_panels(qtbot: QtBot, background: str) -> None:
    panel = QColor(background)
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    image.fill(panel)
    painter = QPainter(image)
    painter.drawImage(0, 0, ring_image(RingLook(fill=0.5), 32))
    painter.end()
    lightness = [QColor.fromRgba(image.pixel(x, y)).lightness()
                 for x in range(32) for y in range(32)]
    # Something on the ring differs clearly from the panel, either way round.
    assert max(abs(v - panel.lightness()) for v in lightness) > 90


def test_every_size_is_painted_on_its_own(qtbot: QtBot) -> None:
    icon = ring_icon(RingLook(fill=0.5))
    assert sorted(s.width() for s in icon.availableSizes()) == sorted(SIZES)
    for size in (16, 22, 128):
        assert icon.pixmap(size, size).width() == size


def test_the_look_changes_only_in_48ths() -> None:
    assert ring_look(view(1000, 3600)) == ring_look(view(1010, 3600))
    assert ring_look(view(1000, 3600)) != ring_look(view(1000 + 3600 / 48, 3600))
