"""Import under hypothesis: a valid export with bytes flipped, cut short, a JSON value or a CSV
cell replaced never ends in a traceback, and never in a partial write: either it is refused in
one sentence with every table byte-identical, or the database then holds exactly what the
file says."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.cli import call, one_sentence, table_digests
from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.paths import DB_NAME
from widget.services.exchange import read_import
from widget.store.db import Store
from widget.store.portable import read_snapshot

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
_START = datetime(2026, 3, 2, 18, tzinfo=UTC)


def _call(*argv: str) -> tuple[int, str, str]:
    result = call(*argv)
    return result.code, result.out, result.err


def _fill(folder: Path, shift: int) -> None:
    """A small history of every kind of row (shift makes two folders differ)."""
    store = Store.open(folder / DB_NAME)
    try:
        store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),
                                                        Rule(RuleKind.TITLE, "*Replika"))))
        store.add_app(TrackedApp("custom-my-bot", "My bot", (Rule(RuleKind.PROCESS, "mybot*"),),
                                 any_window_titles=True, source="custom"))
        for k in range(12):
            start = _START + timedelta(hours=5 * k + shift, milliseconds=k)
            store.insert_interval(Interval("replika" if k % 3 else "custom-my-bot", start,
                                           start + timedelta(minutes=20 + k),
                                           Measure.APPROXIMATE if k == 4 else Measure.FOREGROUND))
        store.replace_goals([Goal(GoalKind.DAILY, None, 2700), Goal(GoalKind.WEEKLY, None, 18000),
                             Goal(GoalKind.QUIET_HOURS, "replika", None, 23 * 60, 6 * 60)])
        store.add_checkin(Checkin(_START, _START, 3, "a note, with \"quotes\"\nand a line", 999))
        store.add_checkin(Checkin(_START + timedelta(days=7)))
        store.set_setting("checkin.time", "20:30")
        store.set_setting("near_share", 0.7)
        store.remove_app("custom-my-bot")
    finally:
        store.close()


class _Material(dict[str, bytes]):
    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return "<the valid exports and the target database>"


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("fuzz")
    source, target = root / "source", root / "target"
    _fill(source, 0)
    _fill(target, 2)
    files = _Material()
    for fmt in ("json", "csv"):
        file = root / f"export.{fmt}"
        code, _, err = _call("--data-dir", str(source), "export", "--format", fmt, "-o",
                             str(file), "--include-notes")
        assert code == 0, err
        files[fmt] = file.read_bytes()
    files["db"] = (target / DB_NAME).read_bytes()
    return files


def _import_and_check(material: dict[str, bytes], data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir(mode=0o700)
        (folder / DB_NAME).write_bytes(material["db"])
        digests = table_digests(folder)
        file = Path(tmp) / "import"
        file.write_bytes(data)
        code, out, err = _call("--data-dir", str(folder), "import", str(file), "--replace")
        assert code in (0, 1), (code, err)
        if code == 1:
            one_sentence(err)
            assert table_digests(folder) == digests
            assert not list(folder.glob("*before-import*"))
            return
        expected = read_import(file)
        assert read_snapshot(folder / DB_NAME, expected.notes_included) == expected
        assert "Imported" in out


def _flip(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    changed = bytearray(data)
    for where, value in flips:
        changed[where % len(changed)] = value
    return bytes(changed)


FLIPS = st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), min_size=1, max_size=6)


@FUZZ
@given(fmt=st.sampled_from(["json", "csv"]), flips=FLIPS)
def test_flipped_bytes(material: dict[str, bytes], fmt: str, flips: list[tuple[int, int]]
                       ) -> None:
    _import_and_check(material, _flip(material[fmt], flips))


@FUZZ
@given(fmt=st.sampled_from(["json", "csv"]), keep=st.floats(0, 1, exclude_max=True))
def test_cut_short(material: dict[str, bytes], fmt: str, keep: float) -> None:
    data = material[fmt]
    _import_and_check(material, data[: int(len(data) * keep)])


PLAUSIBLE = st.sampled_from(["2026-03-02T18:00:00.000000Z", "2026-03-02T17:00:00+01:00",
                             "1969-12-31T23:59:59Z", "replika", "custom-my-bot", "daily",
                             "weekly", "session", "quiet_hours", "foreground", "title", "*",
                             "23:00", "24:00", "", "driftcheck-export", 0, 1, 2, 5, 6, -1,
                             86400, 86401, 2**63, True, False, None, [], {}])
VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                st.text(max_size=20), PLAUSIBLE),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.text(max_size=8), inner,
                                                              max_size=3)),
                      max_leaves=6)


def _places(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path to a value inside a JSON document."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _places(inner, (*path, index))
    return found


@FUZZ
@given(choice=st.data(), value=VALUES, remove=st.booleans())
def test_a_json_value_replaced(material: dict[str, bytes], choice: st.DataObject,
                               value: object, remove: bool) -> None:
    document = json.loads(material["json"])
    path = choice.draw(st.sampled_from(_places(document)))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    _import_and_check(material, json.dumps(document).encode())


@FUZZ
@given(choice=st.data(), cell=st.one_of(st.text(max_size=30), PLAUSIBLE.map(str)))
def test_a_csv_cell_replaced(material: dict[str, bytes], choice: st.DataObject, cell: str
                             ) -> None:
    with zipfile.ZipFile(io.BytesIO(material["csv"])) as archive:
        members = {name: archive.read(name).decode() for name in archive.namelist()}
    name = choice.draw(st.sampled_from(sorted(members)))
    lines = members[name].split("\r\n")
    row = choice.draw(st.integers(0, max(0, len(lines) - 2)))
    cells = lines[row].split(",")
    cells[choice.draw(st.integers(0, len(cells) - 1))] = cell
    lines[row] = ",".join(cells)
    members[name] = "\r\n".join(lines)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in members.items():
            archive.writestr(member, text.encode("utf-8", "surrogatepass"))
    _import_and_check(material, out.getvalue())


def test_the_unchanged_files_import(material: dict[str, bytes]) -> None:
    check: Callable[[dict[str, bytes], bytes], None] = _import_and_check
    for fmt in ("json", "csv"):
        check(material, material[fmt])
