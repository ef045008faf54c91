"""Exports and the PDF are written through the descriptor of the file driftcheck made: a
temporary name swapped for a link between its creation and its use (the race an attacker who
can write the output folder runs) never receives their bytes, is never renamed into place,
and the write is refused. The swap happens at the exact point, through `tempfile.mkstemp`;
the real two-user attack on this window is in tests/security/test_output_swap.py."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from widget.errors import ExportRefused, TemporarySwapped
from widget.owner_only import write_owner_only
from widget.services.exchange import write_private

SECRET = b'{"apps": ["a private list"]}\n'


def swap_after_creation(monkeypatch: pytest.MonkeyPatch, to: Callable[[str], None]) -> list[str]:
    """mkstemp as usual, then `to(name)` replaces what the name points at."""
    real = tempfile.mkstemp
    made: list[str] = []

    def swapping(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(name)
        to(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", swapping)
    return made


def link_to(other: Path) -> Callable[[str], None]:
    def swap(name: str) -> None:
        os.unlink(name)
        os.symlink(other, name)
    return swap


def test_a_plain_write_is_owner_only_and_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    write_owner_only(target, SECRET, prefix=".x-")
    assert target.read_bytes() == SECRET
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_temporary_name_swapped_for_a_link_gets_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readable = tmp_path / "attackers-file"
    readable.write_bytes(b"")
    readable.chmod(0o666)
    made = swap_after_creation(monkeypatch, link_to(readable))
    target = tmp_path / "out.json"
    with pytest.raises(TemporarySwapped):
        write_owner_only(target, SECRET, prefix=".x-")
    assert readable.read_bytes() == b""
    assert not os.path.lexists(target)
    assert not os.path.lexists(made[0])


def test_a_temporary_file_moved_aside_keeps_none_of_the_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aside = tmp_path / "moved"

    def move(name: str) -> None:
        os.rename(name, aside)
        Path(name).write_bytes(b"")

    swap_after_creation(monkeypatch, move)
    with pytest.raises(TemporarySwapped):
        write_owner_only(tmp_path / "out.json", SECRET, prefix=".x-")
    assert aside.read_bytes() == b""


def test_an_export_refuses_a_swapped_temporary_file_in_one_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_bytes(b"mine\n")
    swap_after_creation(monkeypatch, link_to(precious))
    target = tmp_path / "driftcheck.json"
    with pytest.raises(ExportRefused) as refused:
        write_private(target, SECRET)
    assert "another program replaced its temporary file" in str(refused.value)
    assert precious.read_bytes() == b"mine\n"
    assert not os.path.lexists(target)  # the link was not renamed into place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
