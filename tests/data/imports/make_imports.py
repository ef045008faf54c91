"""The crafted import files: the small ones kept in this folder, the big ones made on demand.

    python tests/data/imports/make_imports.py           # writes the small files here again
    python tests/data/imports/make_imports.py --big DIR # also the big ones, into DIR

Each file is what a real attack or a real mistake looks like, in the shape `driftcheck
export` writes (one row a line in JSON; manifest.json and six CSV tables in a zip). The big
ones are too large to keep in git (hundreds of MB once unpacked) but take seconds to make:
`tests/unit/test_import_crafted.py` makes those it needs in tmp_path, and
`bench/bench_import_refusal.py` makes every one to measure the memory its refusal takes.
Only the standard library is used, so the files do not depend on driftcheck's own writer.
"""

from __future__ import annotations

import argparse
import json
import random
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
EXPORTED = "2026-03-09T12:00:00.000000Z"
HEADER = {"format": "driftcheck-export", "version": 1, "schema_version": 7,
          "exported_at": EXPORTED, "notes_included": False}
APP = {"id": "replika", "name": "Replika", "source": "catalog", "any_window_titles": False,
       "added_at": "2026-03-01T09:00:00.000000Z", "removed_at": None,
       "rules": [{"kind": "process", "pattern": "replika"}]}
CSV_COLUMNS = {
    "apps.csv": "id,name,source,any_window_titles,added_at,removed_at",
    "rules.csv": "app,kind,pattern",
    "intervals.csv": "app,start,end,measure",
    "goals.csv": "kind,app,limit_seconds,quiet_start,quiet_end,created_at",
    "checkins.csv": "asked_at,answered_at,answer,week_seconds",
    "settings.csv": "key,value",
}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def interval(app: str, start: datetime, minutes: float) -> dict[str, object]:
    return {"app": app, "start": iso(start), "end": iso(start + timedelta(minutes=minutes)),
            "measure": "foreground"}


def back_to_back(count: int, app: str = "replika", start: datetime = START
                 ) -> Iterator[dict[str, object]]:
    """`count` intervals of 20 minutes, each beginning as the one before ends, then a gap."""
    moment = start
    for k in range(count):
        yield interval(app, moment, 20)
        moment += timedelta(minutes=20 if k % 3 < 2 else 45)


# --- writers ----------------------------------------------------------------------------------


def write_json(path: Path, *, apps: Iterable[dict[str, object]] = (APP,),
               intervals: Iterable[dict[str, object]] = (),
               checkins: Iterable[dict[str, object]] = (), tail: str = "") -> Path:
    """An export as `driftcheck export` lays it out, written row by row (any size), with
    `tail` in place of its last line when given (a file cut short or damaged at its end)."""
    with path.open("w", encoding="utf-8") as out:
        out.write("{\n")
        for key, value in HEADER.items():
            out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        for section, rows in (("apps", apps), ("intervals", intervals), ("goals", ()),
                              ("checkins", checkins)):
            out.write(f'  "{section}": [')
            first = True
            for row in rows:
                out.write(("\n    " if first else ",\n    ") + json.dumps(row))
                first = False
            out.write("\n  ],\n" if not first else "],\n")
        out.write(tail or '  "settings": {}\n}\n')
    return path


def _csv_rows(intervals: Iterable[dict[str, object]]) -> Iterator[bytes]:
    for row in intervals:
        yield f"{row['app']},{row['start']},{row['end']},{row['measure']}\r\n".encode()


def write_zip(path: Path, *, intervals: Iterable[dict[str, object]] = (),
              intervals_bytes: Iterable[bytes] | None = None) -> Path:
    """A CSV export with one app; its intervals.csv from rows, or from raw bytes (a bomb)."""
    manifest = {**HEADER, "encoding": "csv", "tables": list(CSV_COLUMNS)}
    tables = {
        "apps.csv": f"{CSV_COLUMNS['apps.csv']}\r\nreplika,Replika,catalog,false,"
                    f"{APP['added_at']},\r\n",
        "rules.csv": f"{CSV_COLUMNS['rules.csv']}\r\nreplika,process,replika\r\n",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        for name, header in CSV_COLUMNS.items():
            if name != "intervals.csv":
                archive.writestr(name, tables.get(name, header + "\r\n"))
                continue
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(f"{header}\r\n".encode())
                block: list[bytes] = []
                for piece in (_csv_rows(intervals) if intervals_bytes is None
                              else intervals_bytes):
                    block.append(piece)
                    if len(block) >= 4096:
                        member.write(b"".join(block))
                        block.clear()
                member.write(b"".join(block))
    return path


def zeros(total: int) -> Iterator[bytes]:
    block = b"0" * (1024 * 1024)
    for _ in range(total // len(block)):
        yield block


def copies(count: int, row: dict[str, object]) -> Iterator[dict[str, object]]:
    for _ in range(count):
        yield row


# --- the small files kept here ------------------------------------------------------------------

ISSUE_INTERVAL = interval("replika", START, 50)  # 20 copies: "16 h 40 min" for an hour's day


def small_files(folder: Path = HERE) -> dict[str, Path]:
    made = {
        # Finding 5 as reported: 20 copies of one 50-minute interval.
        "overlap-copies.json": write_json(folder / "overlap-copies.json",
                                          intervals=copies(20, ISSUE_INTERVAL)),
        "overlap-copies.zip": write_zip(folder / "overlap-copies.zip",
                                        intervals=copies(20, ISSUE_INTERVAL)),
        # Rows out of order: the third overlaps the first, with one in between that does not.
        "overlap-out-of-order.json": write_json(
            folder / "overlap-out-of-order.json",
            intervals=[interval("replika", START + timedelta(hours=1), 30),
                       interval("replika", START, 20),
                       interval("replika", START + timedelta(minutes=80), 20)]),
        # What must stay accepted: back to back (one ends as the next begins), another app at
        # the same time, and an interval of no length at a boundary.
        "touching.json": write_json(
            folder / "touching.json",
            apps=[APP, {**APP, "id": "character-ai", "name": "Character.AI",
                        "rules": [{"kind": "process", "pattern": "characterai"}]}],
            intervals=[interval("replika", START, 20),
                       interval("replika", START + timedelta(minutes=20), 20),
                       interval("replika", START + timedelta(minutes=40), 0),
                       interval("character-ai", START + timedelta(minutes=5), 50)]),
        # Finding 6, small: a member that packs a thousand times (8 MB of zeros in 8 KB) ...
        "bomb-zeros.zip": write_zip(folder / "bomb-zeros.zip", intervals_bytes=zeros(8 << 20)),
        # ... and 50,000 identical intervals (4 MB in about 14 KB), accepted before.
        "identical-rows.zip": write_zip(folder / "identical-rows.zip",
                                        intervals=copies(50_000, ISSUE_INTERVAL)),
        # 300 good intervals, then the file is damaged: with the count limit at 100, the
        # refusal must name the count, which it can only do before it reaches the damage.
        "rows-then-damage.json": write_json(folder / "rows-then-damage.json",
                                            intervals=back_to_back(300), tail='  "settings": {'),
    }
    return made


# --- the big ones, made on demand ---------------------------------------------------------------


def big_files(folder: Path) -> dict[str, Path]:
    """The issue's own crafted imports, at full size, and a large legitimate export."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        # "a 1.06 MB zip (348 MB unpacked)": repeated rows pack about 330 times.
        "bomb-348mb.zip": write_zip(folder / "bomb-348mb.zip",
                                    intervals=copies(348 * 1024 * 1024 // 79, ISSUE_INTERVAL)),
        # "a 544 KB zip of 2 million identical intervals"
        "identical-2m.zip": write_zip(folder / "identical-2m.zip",
                                      intervals=copies(2_000_000, ISSUE_INTERVAL)),
        # The same two million as JSON (about 200 MB): refused at the second row.
        "identical-2m.json": write_json(folder / "identical-2m.json",
                                        intervals=copies(2_000_000, ISSUE_INTERVAL)),
        # One row past the interval limit, every row good.
        "too-many-intervals.json": write_json(folder / "too-many-intervals.json",
                                              intervals=back_to_back(2_000_001)),
        # 41 apps of 500 rules: 20,500 rules, past the 20,000 of twenty years.
        "too-many-rules.json": write_json(folder / "too-many-rules.json", apps=many_rules()),
        # A single entry of 9 million characters (a rule pattern).
        "huge-entry.json": write_json(folder / "huge-entry.json", apps=[
            {**APP, "rules": [{"kind": "process", "pattern": "x" * (9 << 20)}]}]),
        # One line of 2 MB of random letters in a table (packs too little to be a bomb).
        "long-line.zip": write_zip(folder / "long-line.zip", intervals_bytes=[long_line()]),
        # A large legitimate history: 1.75 million intervals, twenty years of switch-heavy use.
        "legit-20y.json": write_json(folder / "legit-20y.json", apps=legit_apps(),
                                     intervals=legit_intervals(1_750_000)),
        "legit-20y.zip": write_zip(folder / "legit-20y.zip",
                                   intervals=legit_intervals(1_750_000, apps=("replika",))),
    }


def many_rules(apps: int = 41, rules: int = 500) -> Iterator[dict[str, object]]:
    for a in range(apps):
        yield {**APP, "id": f"app-{a}", "name": f"App {a}",
               "rules": [{"kind": "process", "pattern": f"p{a}-{r}"} for r in range(rules)]}


def long_line(size: int = 2 << 20) -> bytes:
    rng = random.Random(11)
    return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(size)) + b"\r\n"


def legit_apps() -> list[dict[str, object]]:
    return [APP, {**APP, "id": "character-ai", "name": "Character.AI",
                  "rules": [{"kind": "process", "pattern": "characterai"}]},
            {**APP, "id": "chatgpt", "name": "ChatGPT",
             "rules": [{"kind": "title", "pattern": "*ChatGPT*"}]}]


def legit_intervals(count: int, apps: tuple[str, ...] = ("replika", "character-ai", "chatgpt")
                    ) -> Iterator[dict[str, object]]:
    """Uses of a few seconds to ten minutes with gaps of up to five between, in
    milliseconds as the tracker writes them, from 2006 on."""
    rng = random.Random(5)
    moment = datetime(2006, 3, 1, tzinfo=UTC)
    for _ in range(count):
        moment += timedelta(milliseconds=rng.randint(30_000, 300_000))
        length = rng.randint(2_000, 600_000)
        yield {"app": rng.choice(apps), "start": iso(moment),
               "end": iso(moment + timedelta(milliseconds=length)), "measure": "foreground"}
        moment += timedelta(milliseconds=length)


def ratio(path: Path, member: str = "intervals.csv") -> float:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        return info.file_size / max(info.compress_size, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=Path, help="also write the big files into this folder")
    args = parser.parse_args()
    for name, path in small_files().items():
        print(f"{name}: {path.stat().st_size:,} bytes")
    if args.big:
        for name, path in big_files(args.big).items():
            print(f"{name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
