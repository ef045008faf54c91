"""The README and the docs it links stay true to the program: its two commands exist, its
links and pictures are there, and the rules it states in words are the program's own."""

from __future__ import annotations

import re
from pathlib import Path

from widget.core.usage import SESSION_RULE

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_readme_stays_short() -> None:
    assert len(README.read_bytes()) < 12_000  # what it is, two commands, five minutes, install


def test_the_readmes_two_commands_are_make_targets() -> None:
    text = README.read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in text
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_link_and_picture_in_the_docs_is_there() -> None:
    missing = []
    for page in (README, *DOCS):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                missing.append(f"{page.relative_to(ROOT)} -> {target}")
    assert missing == []


def test_the_session_rule_is_said_in_the_programs_own_words() -> None:
    for page in (README, ROOT / "docs" / "GUIDE.md"):
        assert flat(SESSION_RULE) in flat(page.read_text(encoding="utf-8")), page.name


def test_design_quotes_how_it_is_worked_out_as_the_program_says_it() -> None:
    from widget.core.dashboard import how_worked_out

    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    assert "### How is this worked out?" in design  # GUIDE links it as #how-is-this-worked-out
    quoted = " ".join(line.removeprefix(">").strip() for line in design.splitlines()
                      if line.startswith(">"))
    assert flat(how_worked_out()) in flat(quoted)
