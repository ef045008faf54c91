"""The extension's address matcher (resources/browser/extension/address.js), run by
Node: the cases shared with the Python reference (tests/data/address_cases.json, through
`node --test`), the same public suffixes, every catalog address read, and the same answers as
widget.core.rules.address_matches on a few thousand generated pages."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.skips import skip_or_fail
from widget.catalog_data import load_catalog
from widget.core.rules import PUBLIC_SUFFIXES, address_matches, check_address

HERE = Path(__file__).resolve().parent
CASES = HERE.parent / "data" / "address_cases.json"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        skip_or_fail("node not installed (package nodejs): the extension's matcher is untested")
    assert found is not None
    return found


def ask(node: str, question: dict[str, Any]) -> dict[str, Any]:
    """The matcher's answers to `question` (tests/browser/address_oracle.js)."""
    done = subprocess.run([node, str(HERE / "address_oracle.js")], input=json.dumps(question),
                          capture_output=True, text=True, timeout=60, check=True)
    answers: dict[str, Any] = json.loads(done.stdout)
    return answers


def test_the_matcher_passes_the_shared_cases(node: str) -> None:
    done = subprocess.run([node, "--test", str(HERE / "address.test.js")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    ran = len(cases["match"]) + len(cases["refuse"]) + len(cases["canonical"])
    assert f"# pass {ran + 6}" in done.stdout, done.stdout[-600:]


def test_the_matcher_refuses_the_same_shared_endings_as_python(node: str) -> None:
    assert set(ask(node, {})["suffixes"]) == set(PUBLIC_SUFFIXES)


def test_every_catalog_address_is_read_by_the_matcher(node: str) -> None:
    addresses = [a for entry in load_catalog().entries for a in entry.addresses]
    assert len(addresses) > 20
    accepted = ask(node, {"parse": addresses})["parse"]
    assert [a for a, ok in zip(addresses, accepted, strict=True) if not ok] == []


def _rules() -> list[str]:
    """Canonical rules: the shared cases' and the catalog's, and a few with ports and paths."""
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    written = [c["address"] for c in cases["match"]] + [c["address"] for c in cases["canonical"]]
    written += [a for entry in load_catalog().entries for a in entry.addresses]
    written += ["claude.ai:8080", "example.com/chat/room", "127.0.0.1:5001/ui", "[::1]:8080/a"]
    return sorted({check_address(text) for text in written})


def _pages(rule: str, rng: random.Random, count: int) -> list[str]:
    """Pages near `rule`: the rule's own page with one or two parts changed (subdomains,
    look-alikes, ports, paths, case, escapes, dot segments, user info, queries, schemes)."""
    site, slash, path = rule.partition("/")
    host, colon, port = site.rpartition(":") if not site.endswith("]") else (site, "", "")
    host = host if colon else site
    own = {"scheme": "https://", "before": "", "host": host, "after": "",
           "port": f":{port}" if colon else "", "path": f"/{path}" if slash else "/"}
    choices = {
        "scheme": ["http://", "HTTPS://", "ftp://", "https:", "wss://", "file:///"],
        "before": ["www.", "a.b.", "x", "not", "user:pw@", f"{host}@", f"{host}."],
        "host": [host.upper(), host.replace("a", "%61", 1), host.replace(".", "。", 1),
                 host[1:], host + "x"],
        "after": [".", "..", ".evil.com", "%2e", "x"],
        "port": ["", ":80", ":443", ":8080", ":5001", ":08080", ":0", ":99999", ":"],
        "path": ["", "/", f"/{path}/1", f"/{path.upper()}/x", f"/{path}room", f"/{path}.html",
                 f"/x/../{path}", f"/{path}/../y", f"/{path}/%2e%2e/y", "/chat", "/Chat/1",
                 "/caf%C3%A9/m", "/café", "\\chat\\1", "?q=1", "#top", f"/?next={host}"],
    }
    pages = []
    for _ in range(count):
        parts = dict(own)
        for part in rng.sample(sorted(choices), rng.choice((0, 1, 1, 2))):
            parts[part] = rng.choice(choices[part])
        pages.append("".join(parts[p] for p in ("scheme", "before", "host", "after", "port",
                                                 "path")))
    return pages


def test_the_matcher_answers_as_the_python_reference_on_generated_pages(node: str) -> None:
    rng = random.Random(13)  # fixed: the same pages every run
    rules = _rules()
    pairs = [(rule, page) for rule in rules for page in _pages(rule, rng, 60)]
    # Each page against another rule too, so that most pairs do not match.
    pairs += [(rng.choice(rules), page) for _, page in list(pairs)]
    answers = ask(node, {"match": pairs})["match"]
    differ = [(rule, page, py) for (rule, page), js in zip(pairs, answers, strict=True)
              if (py := address_matches(rule, page)) != js]
    matched = sum(answers)
    assert len(pairs) > 5000 and 1000 < matched < len(pairs) - 1000, (len(pairs), matched)
    assert differ == [], "\n".join(f"{rule!r} {page!r}: Python {py}" for rule, page, py
                                   in differ[:30])
