"""`driftcheck report --pdf`: the real program, with no display and no QT_QPA_PLATFORM set,
writes a two-page owner-only PDF whose text (read back by poppler's pdftotext) holds the
week's total and its words (plain words, no statistics) and never a private note; the
per-app table's header on one line and every cell filled, an app with no use read as the
dashboard reads it; an empty week is one page that still shows its check-ins; a bad target
is one sentence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.skips import skip_or_fail
from widget.core.calendar import iso_week, local_day
from widget.core.checkin import ANSWERS, Checkin
from widget.core.format import duration
from widget.core.options import Options
from widget.desktop.localzone import local_zone
from widget.store import Store

REPO = Path(__file__).resolve().parents[2]
NOTE = "a private note about Sam"


def driftcheck(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY",
                                                             "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(REPO)
    env["TZ"] = "Europe/Berlin"
    return subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data), *args],
                          env=env, capture_output=True, text=True, timeout=120)


def pdf_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} (poppler-utils) is not installed")
    assert path is not None
    return path


def pages(pdf: Path) -> int:
    out = subprocess.run([pdf_tool("pdfinfo"), str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines()
                    if line.startswith("Pages:")))


def text_of(pdf: Path) -> str:
    return subprocess.run([pdf_tool("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("pdf") / "data"
    made = driftcheck(data, "demo-data", "--weeks", "12", "--seed", "7")
    assert made.returncode == 0, made.stderr
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        asked = datetime.now(UTC) - timedelta(days=9)
        store.add_checkin(Checkin(asked=asked, answered=asked, answer=2, note=NOTE,
                                  week_seconds=4 * 3600))
    finally:
        store.close()
    return data


def last_week() -> str:
    """The week before the one driftcheck's day is in now: its day begins at 04:00, so at
    02:00 on a Monday the week that began the Monday before is still in progress."""
    today = local_day(datetime.now(UTC), local_zone(), Options().day_start_hour)
    return iso_week(today - timedelta(days=7))


def test_the_pdf_has_two_pages_with_the_week_total_and_no_note(demo: Path,
                                                                 tmp_path: Path) -> None:
    week = last_week()
    target = tmp_path / "week.pdf"
    made = driftcheck(demo, "report", "--week", week, "--pdf", str(target))
    assert made.returncode == 0, made.stderr
    assert "2 pages" in made.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    assert pages(target) == 2
    numbers = json.loads(driftcheck(demo, "report", "--week", week, "--json").stdout)
    text = " ".join(text_of(target).split())
    # The total said once, with the days that had use (not "... so far" and then "in 4 days")
    assert f"{duration(numbers['total_s'])} that week, with use on " in text
    assert numbers["drift"] is not None, "the demo history drifts"
    assert "Your weekly time has " in text  # the drift, as a person says it
    for jargon in ("Mann-Kendall", "p =", "p <", "Theil", "band", "1 time in", "signal"):
        assert jargon not in text, jargon
    assert "Usual range" in text and "Weekly goal, 5 h" in text
    for app in numbers["apps"]:
        assert app["name"] in text
    assert NOTE not in text and "Sam" not in text
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_a_week_with_nothing_counted_is_one_page(tmp_path: Path) -> None:
    target = tmp_path / "empty.pdf"
    made = driftcheck(tmp_path / "data", "report", "--pdf", str(target))
    assert made.returncode == 0, made.stderr
    assert pages(target) == 1
    text = " ".join(text_of(target).split())
    assert "Nothing was counted in this week" in text
    assert "No self-check in this week." in text


def test_a_week_with_nothing_counted_still_shows_its_check_ins(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        answered = datetime.now(UTC) - timedelta(minutes=5)
        store.add_checkin(Checkin(asked=answered, answered=answered, answer=4, note=NOTE))
    finally:
        store.close()
    target = tmp_path / "empty.pdf"
    made = driftcheck(data, "report", "--pdf", str(target))
    assert made.returncode == 0, made.stderr
    assert pages(target) == 1
    text = " ".join(text_of(target).split())
    assert "Nothing was counted in this week" in text
    assert "Your self-check in this week" in text and ANSWERS[4] in text
    assert NOTE not in text


def table_lines(text: str) -> tuple[str, list[str]]:
    """The per-app table of a `pdftotext -layout` text: its header line and its rows."""
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["App"])
    rows = []
    for line in lines[head + 1:]:
        if not line.strip():
            break
        rows.append(line)
    return lines[head], rows


def cells(line: str) -> list[str]:
    import re

    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]


def test_the_app_table_keeps_its_header_on_one_line_and_fills_every_cell(
        tmp_path: Path) -> None:
    """Two apps used the week before, one of them not at all in the week shown: on paper it
    reads as the dashboard's table reads it ("0 min", "0%"), every cell filled."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from zoneinfo import ZoneInfo

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from widget.catalog_data import load_catalog
    from widget.core.catalog import entry_to_app
    from widget.core.model import Interval
    from widget.services.dashboard import load_dashboard
    from widget.store.resident import ResidentStore
    from widget.ui.dashboard.table import AppTableModel

    berlin = ZoneInfo("Europe/Berlin")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        catalog = load_catalog()
        for key in ("replika", "character-ai"):
            store.add_app(entry_to_app(catalog.get(key), "linux"))
        before = datetime(2026, 10, 6, 20, 0, tzinfo=berlin).astimezone(UTC)  # 2026-W41
        shown = before + timedelta(weeks=1)  # 2026-W42
        store.insert_interval(Interval("replika", before, before + timedelta(hours=1)))
        store.insert_interval(Interval("character-ai", before + timedelta(hours=2),
                                       before + timedelta(hours=2, minutes=40)))
        store.insert_interval(Interval("replika", shown, shown + timedelta(minutes=50)))
    finally:
        store.close()
    target = tmp_path / "week.pdf"
    made = driftcheck(data, "report", "--week", "2026-W42", "--pdf", str(target))
    assert made.returncode == 0, made.stderr
    head, rows = table_lines(text_of(target))

    assert QApplication.instance() or QApplication([])
    lean = ResidentStore.open(data / "driftcheck.sqlite3")
    try:
        week = load_dashboard(lean, "2026-W42", datetime.now(UTC), berlin, 4)
    finally:
        lean.close()
    model = AppTableModel()
    model.set_rows(week.apps, {}, same_part=week.report.change_same_part, current=False)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)]
    assert cells(head) == headers, "the header on one line, each title whole"
    assert headers[1] == "That week"
    by_name = {cells(row)[0]: cells(row) for row in rows}
    assert set(by_name) == {"Replika", "Character.AI", "Total"}
    for r in range(model.rowCount()):
        on_screen = [model.index(r, c).data() for c in range(5)]
        assert by_name[on_screen[0]] == on_screen, "the same words as the dashboard"
    assert by_name["Character.AI"][1:3] == ["0 min", "0%"]
    assert all(len(row) == 5 and all(row) for row in by_name.values()), "every cell filled"
    assert by_name["Total"][1] == duration(50 * 60)


def test_a_folder_or_a_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    for target in (tmp_path, tmp_path / "nowhere" / "week.pdf"):
        made = driftcheck(tmp_path / "data", "report", "--pdf", str(target))
        assert made.returncode == 1
        assert made.stderr.startswith("driftcheck: ") and "Traceback" not in made.stderr
        assert len(made.stderr.strip().splitlines()) == 1


def test_json_and_pdf_together_are_refused(tmp_path: Path) -> None:
    made = driftcheck(tmp_path / "data", "report", "--json", "--pdf", str(tmp_path / "x.pdf"))
    assert made.returncode == 2
    assert "not allowed with" in made.stderr
    assert not (tmp_path / "x.pdf").exists()
