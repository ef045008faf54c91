"""Patterns cannot make matching slow: the proof, without a stopwatch.

A glob becomes a regular expression (`fnmatch.translate`, Python 3.11+) of one shape: a flat
run of single-character items (letters, `.` for `?`, classes for `[...]`), each `*` but the last
an *atomic* lazy `.*?` group followed by single-character items, the last `*` a greedy `.*`,
and the end of the text. In that shape no group can be re-entered once it has matched, so the
engine backtracks at one place only (the last `.*`), and matching a title of n characters
against a pattern of m costs at most about (wildcards + 1) x (n + 1) x (m + 1) steps: linear in
the title, with m <= 200 and at most 8 wildcards. `test_every_accepted_glob_has_the_linear_
shape` reads the shape from the compiled pattern itself (`re._parser`), for adversarial globs
from hypothesis; the checker is shown to catch the backtracking translation Python used before
3.9 (`.*a.*a.*b`, exponential on a long run of a's). `greedy_glob` below is that shape as an
algorithm with a step counter: hypothesis checks that it agrees with the compiled pattern and
that its steps stay within (n + 1) x (m + 1) on the worst inputs we could build.

Titles themselves can be long (an X property is read whole): the matcher reads at most
MAX_TITLE_CHARACTERS of one (`clip_title`), so no window can make a match cost more than
about 200 x 1,024 character steps. Timings live in bench/bench_rules.py.
"""

from __future__ import annotations

import fnmatch
import re
from re import _constants as sre_constants
from re import _parser as sre_parser

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import (
    MAX_PATTERN_LENGTH,
    MAX_TITLE_CHARACTERS,
    MAX_WILDCARDS,
    Matcher,
    clip_title,
    compile_glob,
    is_glob,
    validate_pattern,
)
from widget.errors import InvalidRule

T = RuleKind.TITLE
SINGLE = {sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.ANY,
          sre_constants.IN}
REPEATS = {sre_constants.MIN_REPEAT, sre_constants.MAX_REPEAT}


def _is_free_star(item: tuple[object, object]) -> bool:
    op, av = item
    if op not in REPEATS:
        return False
    low, high, body = av  # type: ignore[misc]
    return (low == 0 and high == sre_constants.MAXREPEAT and len(body) == 1
            and body[0][0] is sre_constants.ANY)


def shape_problem(regex: re.Pattern[str]) -> str | None:
    """Why `regex` could backtrack more than linearly, or None when it has the linear shape
    described at the top of this file."""
    items = list(sre_parser.parse(regex.pattern, regex.flags))
    if not items or items[-1] != (sre_constants.AT, sre_constants.AT_END_STRING):
        return "does not end at the end of the text"
    body = items[:-1]
    if len(body) == 1 and body[0][0] is sre_constants.SUBPATTERN:
        body = list(body[0][1][3])  # fnmatch's (?s:...)
    free_stars = 0
    for op, av in body:
        if op in SINGLE:
            continue
        if _is_free_star((op, av)):
            free_stars += 1
            continue
        if op is sre_constants.ATOMIC_GROUP:
            inner = list(av)  # type: ignore[call-overload]
            if not inner or not _is_free_star(inner[0]):
                return "an atomic group that does not start with a star"
            if any(kind not in SINGLE for kind, _ in inner[1:]):
                return "an atomic group with more than one star"
            continue
        return f"a {op} where only single characters and stars belong"
    if free_stars > 1:
        return f"{free_stars} stars outside atomic groups: each can backtrack into the others"
    return None


def test_the_checker_catches_a_backtracking_translation() -> None:
    old_style = re.compile(r"(?s:.*a.*a.*a.*b)\Z", re.IGNORECASE)  # Python 3.8's translate
    assert shape_problem(old_style) is not None
    assert shape_problem(re.compile(r"(?s:(a|aa)*b)\Z")) is not None
    assert shape_problem(re.compile(r"(?s:(?>.*?a.*b))\Z")) is not None
    assert shape_problem(compile_glob("*a*a*a*b")) is None


def _glob_part() -> st.SearchStrategy[str]:
    return st.sampled_from(["*", "*", "?", "a", "a", "b", "A", "[ab]", "[!a]", "[[]", "-", " ",
                            "\u00e9", "\u0130", "\u00df", "ab", "aaaa", "*a"])


ADVERSARIAL = st.one_of(
    st.lists(_glob_part(), min_size=1, max_size=30).map("".join),
    st.builds(lambda n, tail: "*a" * n + tail, st.integers(1, 8), st.sampled_from(["b", "*b",
                                                                                   "?b", "b*"])),
    st.builds(lambda k: "*" + "a" * k + "b*", st.integers(2, MAX_PATTERN_LENGTH - 3)),
    st.builds(lambda k: "*" + "a?" * k + "b", st.integers(1, 6)),
)


@settings(max_examples=600, deadline=None)
@given(ADVERSARIAL)
def test_every_accepted_glob_has_the_linear_shape(pattern: str) -> None:
    try:
        accepted = validate_pattern(T, pattern)
    except InvalidRule:
        return
    assume(is_glob(accepted))
    assert shape_problem(compile_glob(accepted)) is None, compile_glob(accepted).pattern


# --- the same algorithm, with a step counter ----------------------------------------------------


def _items(segment: str) -> list[re.Pattern[str]]:
    """The single-character matchers of a glob segment without stars."""
    found = []
    i = 0
    while i < len(segment):
        if segment[i] == "[":
            end = segment.index("]", i + 2 if segment[i + 1:i + 2] in ("!", "]") else i + 1)
            if segment[i + 1:i + 3] == "!]":
                end = segment.index("]", i + 3)
            piece = segment[i:end + 1]
            i = end + 1
        else:
            piece = segment[i]
            i += 1
        found.append(re.compile(fnmatch.translate(piece), re.IGNORECASE))
    return found


def greedy_glob(pattern: str, text: str) -> tuple[bool, int]:
    """(whether the glob matches all of `text`, steps taken): the first segment at the start,
    each middle segment where it first fits (what an atomic lazy group does), the last one at
    the end. One step is one character compared."""
    steps = 0

    def fits(items: list[re.Pattern[str]], at: int) -> bool:
        nonlocal steps
        if at + len(items) > len(text):
            return False
        for k, item in enumerate(items):
            steps += 1
            if item.match(text[at + k]) is None:
                return False
        return True

    segments = [_items(s) for s in pattern.split("*")]
    if len(segments) == 1:
        return len(segments[0]) == len(text) and fits(segments[0], 0), steps
    first, *middle, last = segments
    if not fits(first, 0):
        return False, steps
    at = len(first)
    for items in middle:
        while not fits(items, at):
            at += 1
            if at + len(items) > len(text):
                return False, steps
        at += len(items)
    start = len(text) - len(last)
    return start >= at and fits(last, start), steps


def _long_title(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from(["a", "ab", "aab", "a?", "AAAAb", "\u00e9a"]))
    return unit * draw(st.integers(0, 3000)) + draw(st.sampled_from(["", "b", "c", "ab"]))


@st.composite
def _pattern_and_title(draw: st.DrawFn) -> tuple[str, str]:
    return draw(ADVERSARIAL), _long_title(draw)


@settings(max_examples=400, deadline=None)
@given(_pattern_and_title())
def test_matching_takes_at_most_title_times_pattern_steps(case: tuple[str, str]) -> None:
    pattern, title = case
    try:
        accepted = validate_pattern(T, pattern)
    except InvalidRule:
        return
    assume(is_glob(accepted))
    matched, steps = greedy_glob(accepted, title)
    assert matched == (compile_glob(accepted).match(title) is not None)
    assert steps <= (len(title) + 1) * (len(accepted) + 1)


def test_the_worst_cases_we_could_build_stay_within_the_bound() -> None:
    title = "a" * 20_000
    for pattern in ["*a*a*a*a*a*a*a*b", "*" + "a" * 190 + "b*", "*a?a?a?a?a?a?a?b",
                    "a*a*a*a*a*a*a*a*b"]:
        assert validate_pattern(T, pattern) == pattern
        matched, steps = greedy_glob(pattern, title)
        assert not matched and compile_glob(pattern).match(title) is None
        assert steps <= (len(title) + 1) * (len(pattern) + 1), (pattern, steps)
    # A pattern with many stars costs no more than one with a single star: each star's group
    # starts where the one before it stopped.
    assert greedy_glob("*a*a*a*a*a*a*a*b", title)[1] <= 2 * len(title) + 20


@pytest.mark.parametrize("pattern", ["*a*a*a*a*a*a*a*a*a*b", "a" * (MAX_PATTERN_LENGTH + 1),
                                     "*" * (MAX_WILDCARDS + 1) + "ab"])
def test_patterns_past_the_limits_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidRule):
        validate_pattern(T, pattern)


# --- long titles ---------------------------------------------------------------------------


BROWSERS = frozenset({"firefox"})


class _CountingRegex:
    """A compiled glob that remembers how long the texts it was asked about were."""

    def __init__(self, regex: re.Pattern[str], seen: list[int]) -> None:
        self._regex, self._seen = regex, seen

    def match(self, text: str) -> re.Match[str] | None:
        self._seen.append(len(text))
        return self._regex.match(text)


@settings(max_examples=200, deadline=None)
@given(length=st.integers(0, 200_000), name_at=st.sampled_from(["start", "end", "middle"]))
def test_a_title_of_any_length_is_read_at_most_1024_characters_deep(
        length: int, name_at: str) -> None:
    seen: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("widget.core.rules.compile_glob",
                      lambda p: _CountingRegex(compile_glob(p), seen))
        matcher = Matcher([TrackedApp("claude", "Claude", (Rule(T, "*- Claude"),
                                                           Rule(T, "Claude [-—]*"))),
                           TrackedApp("kin", "Kindroid", (Rule(T, "Kindroid"),))], BROWSERS)
    filler = "x" * length
    title = {"start": "Kindroid " + filler, "end": filler + " - Claude",
             "middle": filler[: length // 2] + "Kindroid" + filler[length // 2:]}[name_at]
    got = matcher.match(Foreground("firefox", title=title))
    assert seen and max(seen) <= MAX_TITLE_CHARACTERS + 1
    expected = {"start": "kin", "end": "claude", "middle": "kin"}[name_at]
    if name_at == "middle" and len(title) > MAX_TITLE_CHARACTERS:
        expected = None  # the middle of a title this long is not read
    assert got == expected


@given(st.text(max_size=3000))
def test_clipping_keeps_short_titles_whole_and_never_joins_words(title: str) -> None:
    clipped = clip_title(title)
    assert len(clipped) <= MAX_TITLE_CHARACTERS + 1
    if len(title) <= MAX_TITLE_CHARACTERS:
        assert clipped == title
    else:
        half = MAX_TITLE_CHARACTERS // 2
        assert clipped == title[:half] + "\n" + title[-half:]
        with pytest.raises(InvalidRule):  # no pattern can hold the cut
            validate_pattern(T, "ab\ncd")
