"""`driftcheck report --pdf` writes the PDF through the descriptor of the file it made: its
temporary name swapped for a link right after it was made (the window an attacker who can
write the output folder races for) never receives the report. It was reopened by name for
Qt's PDF writer, which followed the link into the file it points at."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from widget.cli import main


def test_a_temporary_name_swapped_for_a_link_never_receives_the_report(
        qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shared"
    out.mkdir()
    readable = tmp_path / "attackers-file"
    readable.write_bytes(b"")
    readable.chmod(0o666)
    real = tempfile.mkstemp
    made: list[str] = []

    def swapping(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)  # type: ignore[call-overload]
        if Path(name).parent == out:
            made.append(name)
            os.unlink(name)
            os.symlink(readable, name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", swapping)
    target = out / "week.pdf"
    code = main(["--data-dir", str(tmp_path / "data"), "report", "--pdf", str(target)])
    said = capsys.readouterr()
    assert made, "the PDF's temporary file was not made with mkstemp in its folder"
    assert readable.read_bytes() == b""
    assert not os.path.lexists(target)
    assert list(out.iterdir()) == []
    assert code == 1
    assert "another program replaced its temporary file" in said.err
    assert said.err.count("\n") == 1


def test_the_report_is_owner_only_and_a_pdf(qapp: QApplication, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "week.pdf"
    assert main(["--data-dir", str(tmp_path / "data"), "report", "--pdf", str(target)]) == 0
    assert target.read_bytes().startswith(b"%PDF-")
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "week.pdf"]
    assert "Wrote" in capsys.readouterr().out
