"""The export as CSV: one table per section, the header in a manifest, for a zip file.

A spreadsheet opens one table at a time, so the CSV export is a zip of `apps.csv`,
`rules.csv` (app, kind, pattern), `intervals.csv`, `goals.csv`, `checkins.csv`, `settings.csv`
(key and a JSON value) and `manifest.json` (the JSON export's header and the list of tables).
An empty cell is "none"; true and false are written as such; times as in the JSON export.

`collect_tables` reads the tables back row by row into the same `Collector` the JSON export
goes through (`widget.core.portable_read`), so both formats are checked by the same rules, and
neither is ever held whole: apps first (a few), then their rules, then the rest.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from widget.core.portable import HEADER, MAX_APPS, MAX_RULES, PREFERENCES, refused, too_many
from widget.core.portable_read import Collector, check_format

MANIFEST = "manifest.json"
ENCODING = "csv"

# Column -> how a cell becomes a JSON value; the first columns of apps and goals name them.
_TEXT, _MAYBE_TEXT, _WHOLE, _MAYBE_WHOLE, _FLAG, _JSON = range(6)
COLUMNS: dict[str, dict[str, int]] = {
    "apps.csv": {"id": _TEXT, "name": _TEXT, "source": _TEXT, "any_window_titles": _FLAG,
                 "added_at": _TEXT, "removed_at": _MAYBE_TEXT},
    "rules.csv": {"app": _TEXT, "kind": _TEXT, "pattern": _TEXT},
    "intervals.csv": {"app": _TEXT, "start": _TEXT, "end": _TEXT, "measure": _TEXT},
    "goals.csv": {"kind": _TEXT, "app": _MAYBE_TEXT, "limit_seconds": _MAYBE_WHOLE,
                  "quiet_start": _MAYBE_TEXT, "quiet_end": _MAYBE_TEXT, "created_at": _TEXT},
    "checkins.csv": {"asked_at": _TEXT, "answered_at": _MAYBE_TEXT, "answer": _MAYBE_WHOLE,
                     "week_seconds": _MAYBE_WHOLE, "note": _MAYBE_TEXT},
    "settings.csv": {"key": _TEXT, "value": _JSON},
}
_SECTION = {"apps.csv": "apps", "intervals.csv": "intervals", "goals.csv": "goals",
            "checkins.csv": "checkins"}
_WHOLE_NUMBER = re.compile(r"-?\d{1,18}\Z")


def tables_from_document(document: Mapping[str, object]) -> dict[str, str]:
    """manifest.json and one CSV text per table, from a document of `to_document`."""
    notes = bool(document["notes_included"])
    header = {key: document[key] for key in HEADER}
    files = {MANIFEST: json.dumps({**header, "encoding": ENCODING, "tables": list(COLUMNS)},
                                  indent=2) + "\n"}
    apps = _rows(document, "apps")
    rules = [{"app": app["id"], **rule} for app in apps for rule in _rows(app, "rules")]
    tables: dict[str, list[dict[str, object]]] = {
        "apps.csv": apps, "rules.csv": rules, "intervals.csv": _rows(document, "intervals"),
        "goals.csv": _rows(document, "goals"), "checkins.csv": _rows(document, "checkins"),
        "settings.csv": [{"key": k, "value": v}
                         for k, v in _settings(document).items()],
    }
    for name, rows in tables.items():
        columns = _columns(name, notes)
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(column), COLUMNS[name][column]) for column in columns])
        files[name] = out.getvalue()
    return files


def _rows(document: Mapping[str, object], section: str) -> list[dict[str, object]]:
    rows = document[section]
    assert isinstance(rows, list)
    return rows  # made by to_document: a list of dicts


def _settings(document: Mapping[str, object]) -> dict[str, object]:
    settings = document["settings"]
    assert isinstance(settings, dict)
    return settings


def _columns(name: str, notes: bool) -> list[str]:
    return [c for c in COLUMNS[name] if notes or not (name == "checkins.csv" and c == "note")]


def _cell(value: object, kind: int) -> str:
    if kind == _JSON:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- reading --------------------------------------------------------------------------------


def read_manifest(text: str | bytes) -> dict[str, object]:
    """The manifest, checked like the JSON export's header: format name and version first."""
    manifest = parse_json(text, "manifest.json")
    check_format(manifest)
    assert isinstance(manifest, dict)
    if set(manifest) != {*HEADER, "encoding", "tables"} or manifest["encoding"] != ENCODING \
            or manifest["tables"] != list(COLUMNS):
        raise refused("the zip's manifest.json does not describe the tables driftcheck writes")
    if not isinstance(manifest["notes_included"], bool):
        raise refused("the 'notes_included' of the export is not true or false")
    return manifest


def collect_tables(manifest: Mapping[str, object],
                   open_table: Callable[[str], Iterable[str]], collector: Collector) -> None:
    """Every table, row by row, into `collector`; `open_table(name)` gives a table's lines
    (with their line endings, as a file opened with newline="")."""
    notes = manifest["notes_included"] is True
    for key in HEADER:
        collector.field(key, manifest[key])
    apps: list[dict[str, object]] = []
    by_key: dict[object, list[object]] = {}
    for n, app in _table_rows("apps.csv", open_table, notes):
        if n > MAX_APPS:
            raise too_many("apps", MAX_APPS)
        app["rules"] = by_key.setdefault(app["id"], [])
        apps.append(app)
    for n, rule in _table_rows("rules.csv", open_table, notes):
        if n > MAX_RULES:
            raise too_many("rules", MAX_RULES)
        owner = by_key.get(rule.pop("app"))
        if owner is None:
            raise refused(f"rule {n} of rules.csv belongs to an app the export does not list")
        owner.append(rule)
    for name, section in _SECTION.items():
        collector.section(section)
        if section == "apps":
            for app in apps:
                collector.row("apps", app)
            continue
        for _n, row in _table_rows(name, open_table, notes):
            collector.row(section, row)
    settings: dict[str, object] = {}
    for n, row in _table_rows("settings.csv", open_table, notes):
        if row["key"] in settings:
            raise refused(f"row {n} of settings.csv repeats a setting before it")
        if n > len(PREFERENCES):
            raise refused("settings.csv has more rows than driftcheck has settings")
        settings[str(row["key"])] = row["value"]
    collector.field("settings", settings)


def _table_rows(name: str, open_table: Callable[[str], Iterable[str]], notes: bool
                ) -> Iterator[tuple[int, dict[str, object]]]:
    columns = _columns(name, notes)
    try:
        reader = csv.reader(open_table(name), strict=True)
        header = next(reader, None)
        if header != list(columns):
            raise refused(f"the first line of {name} does not name the columns driftcheck "
                          "writes")
        for n, cells in enumerate(reader, 1):
            if len(cells) != len(columns):
                raise refused(f"row {n} of {name} does not have {len(columns)} cells")
            yield n, {column: _value(cell, COLUMNS[name][column], f"row {n} of {name}", column)
                      for column, cell in zip(columns, cells, strict=True)}
    except csv.Error:
        raise refused(f"{name} is not a readable CSV table") from None


def table_lines(name: str, text: io.TextIOBase, longest: int = 1024 * 1024) -> Iterator[str]:
    """The lines of one table read from `text`, none longer than `longest` characters (a
    quoted cell may span lines; a note is at most 20,000 characters)."""
    try:
        while line := text.readline(longest):
            if len(line) >= longest and not line.endswith(("\n", "\r")):
                raise refused(f"{name} has a line longer than any export of driftcheck writes")
            yield line
    except UnicodeDecodeError:
        raise refused(f"{name} in the zip is not UTF-8 text") from None


def _value(cell: str, kind: int, where: str, column: str) -> object:
    if kind == _JSON:
        return parse_json(cell, f"the {column} of {where}")
    if cell == "" and kind in (_MAYBE_TEXT, _MAYBE_WHOLE):
        return None
    if kind in (_WHOLE, _MAYBE_WHOLE):
        if not _WHOLE_NUMBER.match(cell):
            raise refused(f"the {column} of {where} is not a whole number")
        return int(cell)
    if kind == _FLAG:
        if cell not in ("true", "false"):
            raise refused(f"the {column} of {where} is not true or false")
        return cell == "true"
    return cell


class _Repeated(ValueError):
    pass


def parse_json(text: str | bytes, what: str) -> object:
    """Strict JSON: no NaN or Infinity, no name twice in one object; ImportRefused with a
    sentence naming `what` for anything else."""

    def no_constants(name: str) -> object:
        raise ValueError(name)

    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        result = dict(pairs)
        if len(result) != len(pairs):
            raise _Repeated()
        return result

    try:
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=unique)
    except RecursionError:
        raise refused(f"{what} is nested too deeply to be an export") from None
    except _Repeated:
        raise refused(f"{what} names the same field twice in one object") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        where = f" (line {error.lineno}, column {error.colno})" \
            if isinstance(error, json.JSONDecodeError) else ""
        raise refused(f"{what} is not valid JSON{where}; it may be cut short or "
                      "damaged") from None
