"""`driftcheck report --pdf` with the person's computers (issue 16): the real program, with no
display, over three real data folders sharing one folder (tests/helpers/computers.py). Page
one names each computer with its own time in the week and says the figures count all of them;
`--this-device`, or sharing turned off, has none of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import call
from tests.helpers.computers import SECONDS, WEEK, share_three
from tests.helpers.skips import skip_or_fail
from widget.core.format import duration

REPO = Path(__file__).resolve().parents[2]
ALL_SAID = "count all your computers together"


def report_pdf(data: Path, target: Path, *args: str) -> str:
    """The text of the PDF `driftcheck report --week WEEK --pdf` writes (poppler's
    pdftotext), its spaces made single."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY",
                                                             "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(REPO)
    env["TZ"] = "UTC"
    made = subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data), "report",
                           "--week", WEEK, "--pdf", str(target), *args],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    tool = shutil.which("pdftotext")
    if tool is None:
        skip_or_fail("pdftotext (poppler-utils) is not installed")
    assert tool is not None
    out = subprocess.run([tool, "-layout", str(target), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return share_three(tmp_path_factory.mktemp("computers"))


def test_the_pdf_names_each_computer_with_its_own_time(three: dict[str, Path],
                                                       tmp_path: Path) -> None:
    text = report_pdf(three["Laptop"], tmp_path / "week.pdf")
    assert "Your computers" in text and ALL_SAID in text and "counts once" in text
    for name, label in (("Laptop", "This computer (Laptop)"), ("Desktop", "Desktop"),
                        ("Work", "Work")):
        assert f"{label} {duration(SECONDS[name])}" in text, name
    # the week's total counts Tuesday evening once: 3 h 5 min, not the 4 h 5 min of the sum
    assert f"{duration(3 * 3600 + 5 * 60)} that week" in text


def test_this_device_or_sharing_off_has_no_computers(three: dict[str, Path],
                                                     tmp_path: Path) -> None:
    alone = report_pdf(three["Laptop"], tmp_path / "alone.pdf", "--this-device")
    assert f"{duration(SECONDS['Laptop'])} that week" in alone
    for said in ("Your computers", ALL_SAID, "This computer", "Desktop", "Work"):
        assert said not in alone, said
    stopped = call("--data-dir", str(three["Work"]), "devices", "stop")
    assert stopped.code == 0, stopped.err
    off = report_pdf(three["Work"], tmp_path / "off.pdf")
    assert f"{duration(SECONDS['Work'])} that week" in off
    for said in ("Your computers", ALL_SAID, "This computer", "Laptop", "Desktop"):
        assert said not in off, said
