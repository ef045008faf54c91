"""`driftcheck report --pdf`: the real program, with no display and no QT_QPA_PLATFORM set,
writes a two-page owner-only PDF whose text (read back by poppler's pdftotext) holds the
week's total and its words and never a private note; an empty week is one page; a bad
target is one sentence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from widget.core.alerts import say_duration
from widget.core.checkin import Checkin
from widget.core.usage import iso_week
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
    return iso_week((datetime.now(UTC) - timedelta(days=7)).date())


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
    assert say_duration(numbers["total_s"]) in text
    assert " ".join(numbers["words"].split()) in text
    assert numbers["drift"] is not None, "the demo history drifts"
    assert "Drift signal" in text
    for app in numbers["apps"]:
        assert app["name"] in text
    assert NOTE not in text and "Sam" not in text
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_a_week_with_nothing_counted_is_one_page(tmp_path: Path) -> None:
    target = tmp_path / "empty.pdf"
    made = driftcheck(tmp_path / "data", "report", "--pdf", str(target))
    assert made.returncode == 0, made.stderr
    assert pages(target) == 1
    assert "Nothing was counted in this week" in " ".join(text_of(target).split())


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
