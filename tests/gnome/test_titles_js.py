"""The GNOME Shell extension's title matcher (resources/gnome/extension/titles.js), run by Node
and by GJS (GNOME Shell's own JavaScript engine): a plain script every wrapping of the build
can take; the cases it shares with the Python reference (tests/data/title_cases.json); the
same case tables as Python's; every pair of characters Python's `re` takes as the same letter;
and the same hits as the Python reference on a few thousand generated rules and titles."""

# ruff: noqa: RUF001  (look-alike letters are what these tests are about)
from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import json
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from re import _compiler as sre_compiler
from typing import Any

import pytest

from tests.helpers.skips import skip_or_fail
from widget.core.rules import clip_title, compile_glob

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "resources" / "gnome" / "extension" / "titles.js"
CASES = ROOT / "tests" / "data" / "title_cases.json"
PUBLIC = {"driftcheckTitleMatcher", "driftcheckTitleHits"}

# Reads {"matchers": [[rules, [title...]]...], "table": bool} from the file named by its second
# argument, loads titles.js (its first) as a classic script, and writes {"hits": [[[index...]
# per title] per matcher], "table": [[code point, lower, upper, full lower]...]} to stdout: the
# code points whose case the engine changes, as titles.js reads them (the first code point of
# the full mapping) and the whole lower case (the needle's side).
ORACLE = r"""
const args = typeof ARGV !== "undefined" ? ARGV : process.argv.slice(2);
function read(path) {
  if (typeof require === "function") return require("fs").readFileSync(path, "utf8");
  const [, bytes] = imports.gi.GLib.file_get_contents(path);
  return new TextDecoder().decode(bytes);
}
(0, eval)(read(args[0]));
const asked = JSON.parse(read(args[1]));
const answer = { hits: [], table: [] };
for (const [rules, titles] of asked.matchers || []) {
  const matcher = driftcheckTitleMatcher(rules);
  answer.hits.push(titles.map((title) => driftcheckTitleHits(matcher, title)));
}
if (asked.table) {
  for (let cp = 0; cp < 0x110000; cp += 1) {
    if (cp === 0xd800) cp = 0xe000;
    const char = String.fromCodePoint(cp);
    const lower = char.toLowerCase();
    const upper = char.toUpperCase();
    if (lower !== char || upper !== char) {
      answer.table.push([cp, lower.codePointAt(0), upper.codePointAt(0), lower]);
    }
  }
}
const text = JSON.stringify(answer);
if (typeof process === "object") process.stdout.write(text); else print(text);
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("titles") / "oracle.js"
    path.write_text(ORACLE, encoding="utf-8")
    return path


def _engine_path(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        package = {"node": "nodejs", "gjs": "gjs"}[name]
        skip_or_fail(f"{name} not installed (package {package}): the GNOME extension's "
                     f"title matcher is untested in it")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def node() -> str:
    return _engine_path("node")


@pytest.fixture(scope="module", params=["node", "gjs"])
def engine(request: pytest.FixtureRequest) -> str:
    """Node, where the tests are quick to run, and GJS, the engine of GNOME Shell itself."""
    return _engine_path(str(request.param))


def ask(engine: str, oracle: Path, tmp_path: Path, question: dict[str, Any]) -> dict[str, Any]:
    asked = tmp_path / "question.json"
    asked.write_text(json.dumps(question), encoding="utf-8")
    done = subprocess.run([engine, str(oracle), str(SCRIPT), str(asked)], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _ranges(name: str) -> list[tuple[int, int]]:
    """A list of code point ranges written in titles.js, such as UNSETTLED."""
    source = SCRIPT.read_text(encoding="utf-8")
    found = re.search(rf"const {name} = \[(.*?)\];", source, re.DOTALL)
    assert found is not None, name
    return [(int(low, 16), int(high, 16))
            for low, high in re.findall(r"\[0x([0-9a-f]+), 0x([0-9a-f]+)\]", found.group(1))]


UNSETTLED = _ranges("UNSETTLED")
SETTLED_CONTEXT = _ranges("SETTLED_CONTEXT")


def _within(ranges: list[tuple[int, int]], char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in ranges)


def must_equal(rule: str, title: str) -> bool:
    """Whether titles.js must answer for `rule` on `title` as Python does, rather than at most
    as Python does (it leaves out what Unicode versions may read differently; its header)."""
    clipped = clip_title(title)
    if any(_within(UNSETTLED, char) for char in clipped + rule):
        return False
    if rule.startswith("g:"):  # unless a range may span a letter of UNSETTLED
        return "-" not in rule or all(ord(char) < 0x19B for char in rule)
    return ("σ" not in rule and "ς" not in rule) or "Σ" not in clipped or all(
        _within(SETTLED_CONTEXT, char) for char in clipped)


def python_hits(rules: list[str], title: str) -> list[int]:
    """The reference: what widget.core.rules.Matcher decides for each rule on its own."""
    if not title:
        return []
    clipped = clip_title(title)
    lowered = clipped.lower()
    return [i for i, rule in enumerate(rules)
            if (rule[2:] in lowered if rule.startswith("s:")
                else compile_glob(rule[2:]).match(clipped) is not None)]


def differences(engine: str, oracle: Path, tmp_path: Path,
                matchers: list[tuple[list[str], list[str]]]) -> list[str]:
    """Where titles.js answers otherwise than the Python reference: anything but the same
    hits, or, where Unicode versions may differ (`must_equal`), a hit Python does not have."""
    answers = ask(engine, oracle, tmp_path, {"matchers": matchers})["hits"]
    found = []
    for (rules, titles), hits in zip(matchers, answers, strict=True):
        for title, js in zip(titles, hits, strict=True):
            py = python_hits(rules, title)
            for index, rule in enumerate(rules):
                if (index in js) != (index in py) and (index in js or must_equal(rule, title)):
                    found.append(f"{rule!r} {title[:80]!r}: JavaScript {index in js}")
    return found


# --- a plain script ------------------------------------------------------------------------------


def test_the_script_has_no_module_syntax_and_no_gnome_imports() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    assert re.search(r"^\s*(import|export)\b", source, re.MULTILINE) is None
    assert "imports." not in source
    assert "require(" not in source


def test_the_script_parses_as_a_classic_script_and_as_a_module(node: str,
                                                               tmp_path: Path) -> None:
    # The GNOME 43/44 wrapping loads it as a script, the 45+ one as part of an ES module
    # (strict mode, where `with`, octal literals and the like are errors).
    module = tmp_path / "titles.mjs"
    module.write_text(SCRIPT.read_text(encoding="utf-8")
                      + "\nexport { driftcheckTitleMatcher, driftcheckTitleHits };\n",
                      encoding="utf-8")
    assert subprocess.run([node, "--check", str(module)], capture_output=True,
                          timeout=60).returncode == 0
    names = subprocess.run(
        [node, "-e", "const vm = require('node:vm');"
                     "const context = vm.createContext({});"
                     "new vm.Script(require('fs').readFileSync(process.argv[1], 'utf8'))"
                     ".runInContext(context);"
                     "process.stdout.write(JSON.stringify(Object.keys(context)))",
         str(SCRIPT)], capture_output=True, text=True, timeout=60, check=True)
    # Its globals: the two functions and the engine they share, every one named driftcheck...
    defined = set(json.loads(names.stdout))
    assert defined >= PUBLIC and all(name.startswith("driftcheckTitle") for name in defined)


def test_a_classic_script_with_an_import_is_caught(node: str, tmp_path: Path) -> None:
    """The check above can fail: vm.Script refuses module syntax."""
    bad = tmp_path / "bad.js"
    bad.write_text("import x from 'y';\n", encoding="utf-8")
    done = subprocess.run([node, "-e", "new (require('node:vm').Script)("
                                       "require('fs').readFileSync(process.argv[1], 'utf8'))",
                           str(bad)], capture_output=True, timeout=60)
    assert done.returncode != 0


# --- the shared cases ---------------------------------------------------------------------------


def _shared() -> Iterator[tuple[list[Any], list[dict[str, Any]]]]:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    for case in cases["cases"]:
        yield case["encoded"], case["titles"]
    yield cases["malformed"]["rules"], cases["malformed"]["titles"]


def test_the_matcher_passes_the_shared_cases(engine: str, oracle: Path, tmp_path: Path) -> None:
    shared = list(_shared())
    assert len(shared) > 10
    answers = ask(engine, oracle, tmp_path,
                  {"matchers": [[rules, [t["title"] for t in titles]] for rules, titles in shared]})
    wrong = [f"{rules!r} {t['title'][:60]!r}: {hits} (expected {t['hits']})"
             for (rules, titles), answer in zip(shared, answers["hits"], strict=True)
             for t, hits in zip(titles, answer, strict=True) if hits != t["hits"]]
    assert wrong == [], "\n".join(wrong)


def test_a_missing_or_malformed_title_matches_nothing(engine: str, oracle: Path,
                                                      tmp_path: Path) -> None:
    # JSON has no undefined: null, a number and an empty string stand for what a window may give.
    answers = ask(engine, oracle, tmp_path, {"matchers": [[["s:a", "g:*"], [None, 3, ""]]]})
    assert answers["hits"] == [[[], [], []]]


# --- case, as Python's re and str.lower see it ------------------------------------------------


def _python_table() -> list[list[Any]]:
    table = []
    for cp in [*range(0xD800), *range(0xE000, 0x110000)]:
        char = chr(cp)
        lower, upper = char.lower(), char.upper()
        if lower != char or upper != char:
            table.append([cp, ord(lower[0]), ord(upper[0]), lower])
    return table


def test_the_engine_cases_every_code_point_as_python_does(engine: str, oracle: Path,
                                                          tmp_path: Path) -> None:
    """Where the engine's Unicode differs from Python's, the two may match differently: here
    they agree on every code point (lower and upper case, first code point and whole)."""
    theirs = {row[0]: row for row in ask(engine, oracle, tmp_path, {"table": True})["table"]}
    ours = {row[0]: row for row in _python_table()}
    differ = sorted(set(theirs) ^ set(ours)) + [cp for cp in ours
                                                if cp in theirs and theirs[cp] != ours[cp]]
    # Each letter either side cases otherwise, and what the two map it to, is UNSETTLED.
    involved = {cp for row in differ for cp in (row, *_mapped(ours.get(row)),
                                                   *_mapped(theirs.get(row)))}
    unlisted = sorted(cp for cp in involved if not _within(UNSETTLED, chr(cp)))
    assert unlisted == [], [(hex(cp), ours.get(cp), theirs.get(cp)) for cp in unlisted[:20]]
    # titles.js reads re's lower case as the first code point of the full mapping: so does re.
    assert all(_sre.unicode_tolower(cp) == lower for cp, lower, _, _ in ours.values())


def _mapped(row: list[Any] | None) -> list[int]:
    return [] if row is None else [row[1], row[2], *map(ord, row[3])]


def test_the_extra_cases_are_the_running_pythons() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    table = re.search(r"const EXTRA_CASES = new Map\(\[(.*?)\]\);", source, re.DOTALL)
    assert table is not None
    written = {int(key): tuple(int(v) for v in values.split(","))
               for key, values in re.findall(r"\[(\d+), \[([\d, ]+)\]\]", table.group(1))}
    assert written == sre_compiler._EXTRA_CASES


def _case_groups() -> list[list[str]]:
    """Characters Python's re takes for one another under IGNORECASE (same lower case, or one
    of re's extra pairs), in groups of two or more."""
    parent: dict[int, int] = {}

    def root(cp: int) -> int:
        while parent.setdefault(cp, cp) != cp:
            cp = parent[cp]
        return cp

    for cp in [*range(0xD800), *range(0xE000, 0x110000)]:
        lower = _sre.unicode_tolower(cp)
        if lower != cp:
            parent[root(cp)] = root(lower)
    for lower, others in sre_compiler._EXTRA_CASES.items():
        for other in others:
            parent[root(other)] = root(lower)
    groups: dict[int, list[str]] = {}
    for cp in list(parent):
        groups.setdefault(root(cp), []).append(chr(cp))
    return [group for group in groups.values() if len(group) > 1]


def test_every_pair_of_cases_matches_as_in_python(engine: str, oracle: Path,
                                                  tmp_path: Path) -> None:
    """Each character of each group, as a literal, in a class, in a negated class and as a
    one-character range, against every character of its group (and a digit)."""
    groups = _case_groups()
    assert len(groups) > 1000
    matchers = [([f"g:{char}", f"g:[{char}0]", f"g:[!{char}0]", f"g:[{char}-{char}]"],
                 [*group, "0"]) for group in groups for char in group]
    found = differences(engine, oracle, tmp_path, matchers)
    assert found == [], "\n".join(found[:30])


# --- generated rules and titles -----------------------------------------------------------------

# Letters where Python's re, str.lower and JavaScript's RegExp "iu" disagree somewhere, and
# letters whose case changed after Unicode 14.0 (ɤ, Ɤ, ƛ, Ꟛ).
TRAPS = "İıiIKkſsSΣσςßẞµμΜ𐐀𐐨😀ǅǆǄϑθϴᾳﬅﬆᲀвɤ\ua7cbƛ\ua7dc"
PLAIN = "abcxyAB .'-" + TRAPS
IN_CLASSES = "abcAZ09-!^[\\&|~" + TRAPS
TITLE_EXTRA = "\n\u0301'.:()中 " + TRAPS


def _class(rng: random.Random) -> str:
    inside = "".join(rng.choice(IN_CLASSES) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        low, high = sorted(rng.sample(IN_CLASSES, 2))
        inside += f"{low}-{high}"
    return "[" + ("!" if rng.random() < 0.3 else "") + inside + "]"


def _glob(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 7)):
        roll = rng.random()
        if roll < 0.15:
            parts.append("*")
        elif roll < 0.25:
            parts.append("?")
        elif roll < 0.4:
            parts.append(_class(rng))
        elif roll < 0.42:
            parts.append("[")  # never closed: fnmatch reads it as a plain "["
        else:
            parts.append("".join(rng.choice(PLAIN) for _ in range(rng.randint(1, 4))))
    return "".join(parts)


def _near(rng: random.Random, pattern: str) -> str:
    """A title the glob may well match: stars and question marks filled, letters in another
    case, classes by one of their characters, sometimes one character changed."""
    out = []
    for char in pattern:
        if char == "*":
            out.append("".join(rng.choice(PLAIN + TITLE_EXTRA) for _ in range(rng.randint(0, 3))))
        elif char in "?[]!":
            out.append(rng.choice(PLAIN + TITLE_EXTRA))
        else:
            out.append(rng.choice([char, char.upper(), char.lower(), char.swapcase()]))
    title = "".join(out)
    if title and rng.random() < 0.2:
        at = rng.randrange(len(title))
        title = title[:at] + rng.choice(TITLE_EXTRA) + title[at + 1:]
    return title


def _generated(rng: random.Random) -> list[tuple[list[str], list[str]]]:
    matchers = []
    for _ in range(400):
        globs = [_glob(rng) for _ in range(6)]
        needles = ["".join(rng.choice(PLAIN) for _ in range(rng.randint(1, 4))).lower()
                   for _ in range(3)]
        rules = [f"g:{glob}" for glob in globs] + [f"s:{needle}" for needle in needles]
        titles = [_near(rng, glob) for glob in globs]
        titles += [rng.choice(["", "Chat ", "ΟΔΟΣ ", "x"]) + _near(rng, needle.upper())
                   + rng.choice(["", " ", "Σ", "ς.", "\u0301"]) for needle in needles]
        titles += ["".join(rng.choice(PLAIN + TITLE_EXTRA) for _ in range(rng.randint(0, 12)))
                   for _ in range(4)]
        # Long titles: the clip, by code points, with the rule's own text near the cut.
        cut = rng.choice([500, 509, 511, 512, 513, 1012, 1020, 1024, 1030])
        titles.append(rng.choice("x😀") * cut + _near(rng, globs[0]) + "y" * rng.randint(0, 600))
        matchers.append((rules, titles))
    return matchers


def test_the_matcher_answers_as_python_on_generated_rules_and_titles(
        engine: str, oracle: Path, tmp_path: Path) -> None:
    matchers = _generated(random.Random(14))  # fixed: the same rules and titles every run
    pairs = [python_hits(rules, title) for rules, titles in matchers for title in titles]
    hits = sum(len(found) for found in pairs)
    # A few thousand titles, and many of them matched: the search comes near the rules.
    assert len(pairs) > 5000 and hits > 2000, (len(pairs), hits)
    found = differences(engine, oracle, tmp_path, matchers)
    assert found == [], "\n".join(found[:30])


def test_what_unicode_versions_may_read_differently_matches_nothing(
        engine: str, oracle: Path, tmp_path: Path) -> None:
    """The residual differences of titles.js's header, each on the side of not matching:
    a letter whose case Unicode changed after 14.0 (ɤ gained the capital Ɤ, U+A7CB), in a title
    or a rule, and a final sigma next to a character outside the settled blocks."""
    rules = ["s:claude", "g:*claude*", "s:ɤ", "g:*ɤ*", "g:[a-ʯ]x*", "s:οδος", "s:οδοσ"]
    titles = ["Claude \ua7cb", "Claude ɤ", "\ua7cbx", "ΟΔΟΣ中", "ΟΔΟΣ 中", "Claude"]
    answers = ask(engine, oracle, tmp_path, {"matchers": [[rules, titles]]})["hits"][0]
    assert answers == [[], [], [], [], [5], [0, 1]]
    # Python matches some of these: the extension matches less, never more.
    assert [python_hits(rules, title) for title in titles] == [
        [0, 1], [0, 1, 2, 3], [4] if "\ua7cb".lower() == "ɤ" else [], [5], [5], [0, 1]]
