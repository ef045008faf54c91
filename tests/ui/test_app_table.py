"""The dashboard's per-app table says each week with the one formatter, the rows adding up
to the week's total."""

from __future__ import annotations

from widget.core.dashboard import WeekAppRow
from widget.core.format import duration
from widget.ui.dashboard.table import AppTableModel, say_change


def rows(*seconds: float) -> list[WeekAppRow]:
    return [WeekAppRow(f"app{i}", f"App {i}", s, 0.5, None, s / 7) for i, s in enumerate(seconds)]


def column(model: AppTableModel, col: int) -> list[str]:
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_the_rows_add_up_to_the_weeks_total(qtbot) -> None:  # type: ignore[no-untyped-def]
    """1 h 30 min 36 s and 1 h 11 min 36 s were said as 1 h 30 and 1 h 11 beside a total of
    2 h 42."""
    model = AppTableModel()
    a, b = 90.6 * 60, 71.6 * 60
    model.set_rows(rows(a, b), {})
    assert column(model, 1) == ["1 h 31 min", "1 h 11 min"]
    assert duration(a + b) == "2 h 42 min"


def test_small_and_empty_amounts_read_as_everywhere_else(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = AppTableModel()
    model.set_rows(rows(30, 0), {})
    # "under a minute" and "none" were the table's own words; 30 s reads "30 s" everywhere.
    assert column(model, 1) == ["30 s", "0 min"]
    assert column(model, 4) == ["4 s", "0 min"]
    assert say_change(7200) == "+2 h" and say_change(-1500) == "\u221225 min"
    assert say_change(30) == "about the same" and say_change(None).startswith("no week")
