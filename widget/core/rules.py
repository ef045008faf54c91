"""Match rules: checking a pattern before it is stored, and matching the app in front.

Matching runs every few seconds and on every focus change, so `Matcher` does its work once
in `__init__`: exact names go into dicts, globs are compiled, and `match` is lookups plus a
short scan over the compiled patterns.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Sequence

from widget.core.model import Foreground, RuleKind, TrackedApp
from widget.errors import InvalidRule

MAX_PATTERN_LENGTH = 200
MAX_WILDCARDS = 8  # keeps every compiled glob small and cheap to run
MIN_LITERAL_CHARACTERS = 2
# A window may carry a title of any length (an X property is read whole). Matching costs up to
# (title length x pattern length) steps, so only this much of a title is looked at: its first
# and last halves, where browsers and sites put their names.
MAX_TITLE_CHARACTERS = 1024

_GLOB_CHARACTERS = frozenset("*?[")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})  # control characters, lone surrogates
_NOUNS = {
    RuleKind.PROCESS: "process name",
    RuleKind.TITLE: "title pattern",
    RuleKind.BUNDLE: "app id",
}


def is_glob(pattern: str) -> bool:
    """Whether a pattern is a glob (contains `*`, `?` or `[`) rather than a plain name."""
    return not _GLOB_CHARACTERS.isdisjoint(pattern)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A case-insensitive regular expression matching the whole text against a glob."""
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def _count_glob_parts(pattern: str) -> tuple[int, int]:
    """(wildcards, literal non-space characters) of a pattern, reading `[...]` as fnmatch does.

    Raises InvalidRule for a `[` that is never closed; fnmatch would quietly take it literally,
    which is rarely what the person meant.
    """
    wildcards = literals = 0
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        i += 1
        if char in "*?":
            wildcards += 1
        elif char == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                raise InvalidRule(
                    "A '[' in a pattern needs a closing ']' (to match a '[' itself, write '[[]')."
                )
            wildcards += 1
            i = j + 1
        elif not char.isspace():
            literals += 1
    return wildcards, literals


def validate_pattern(kind: RuleKind, pattern: str) -> str:
    """Return the pattern ready to store (stripped), or raise InvalidRule with one sentence.

    The messages never repeat the pattern: a title pattern may be copied from a window title.
    """
    pattern = pattern.strip()
    if not pattern:
        raise InvalidRule(f"That {_NOUNS[kind]} is empty.")
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in pattern):
        raise InvalidRule("Patterns cannot contain tabs, line breaks or other control characters.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidRule(f"Patterns can be at most {MAX_PATTERN_LENGTH} characters.")
    wildcards, literals = _count_glob_parts(pattern)
    if wildcards > MAX_WILDCARDS:
        raise InvalidRule(
            f"A pattern can use at most {MAX_WILDCARDS} wildcards (*, ? or [...]), "
            "which keeps matching quick."
        )
    if literals == 0:
        raise InvalidRule(
            "A pattern made only of wildcards would match every window; please add some letters."
        )
    if literals < MIN_LITERAL_CHARACTERS:
        raise InvalidRule(
            "A pattern needs at least two letters or digits besides wildcards, "
            "or it would match almost every window."
        )
    return pattern


def clip_title(title: str) -> str:
    """The part of a title that matching reads: all of it up to MAX_TITLE_CHARACTERS, else
    its beginning and its end joined by a line break (which no pattern can contain, so a
    substring never matches across the cut)."""
    if len(title) <= MAX_TITLE_CHARACTERS:
        return title
    half = MAX_TITLE_CHARACTERS // 2
    return title[:half] + "\n" + title[-half:]


def _basename(path: str) -> str:
    """The file name of a POSIX or Windows path, whichever OS we run on."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _process_names(fg: Foreground) -> set[str]:
    """Lowercased names the foreground process goes by, with and without a trailing `.exe`."""
    names = {fg.process.lower()}
    if fg.exe:
        names.add(_basename(fg.exe).lower())
    names.update([name[:-4] for name in names if name.endswith(".exe") and len(name) > 4])
    names.discard("")
    return names


class _NameRules:
    """Process or bundle rules: exact names in a dict, globs in app order."""

    def __init__(self) -> None:
        self.exact: dict[str, int] = {}
        self.globs: list[tuple[int, re.Pattern[str]]] = []

    def add(self, index: int, pattern: str) -> None:
        if is_glob(pattern):
            self.globs.append((index, compile_glob(pattern)))
        else:
            self.exact.setdefault(pattern.lower(), index)

    def first(self, names: set[str], best: int) -> int:
        """The lowest app index below `best` matching any of `names`, else `best`."""
        for name in names:
            best = min(best, self.exact.get(name, best))
        for index, regex in self.globs:
            if index >= best:
                break
            if any(regex.match(name) for name in names):
                return index
        return best


class Matcher:
    """Recognises which tracked app is in front, from rules compiled once.

    A process or bundle rule (the native app) beats a title rule; among rules of the same
    strength the app listed first wins. Title rules look only at browser windows, unless the
    app asks for `any_window_titles`. A rule that would not pass `validate_pattern` is ignored,
    so a damaged setting can never make every window count.
    """

    def __init__(self, tracked: Sequence[TrackedApp], browsers: frozenset[str]) -> None:
        self._keys = tuple(app.key for app in tracked)
        self._browsers = frozenset(name.lower() for name in browsers)
        self._processes = _NameRules()
        self._bundles = _NameRules()
        self._titles: list[tuple[int, bool, str | re.Pattern[str]]] = []
        for index, app in enumerate(tracked):
            for rule in app.rules:
                try:
                    pattern = validate_pattern(rule.kind, rule.pattern)
                except InvalidRule:
                    continue
                if rule.kind is RuleKind.PROCESS:
                    self._processes.add(index, pattern)
                elif rule.kind is RuleKind.BUNDLE:
                    self._bundles.add(index, pattern)
                else:
                    needle = compile_glob(pattern) if is_glob(pattern) else pattern.lower()
                    self._titles.append((index, app.any_window_titles, needle))
        self._any_window_titles = any(any_window for _, any_window, _ in self._titles)

    def is_browser(self, fg: Foreground) -> bool:
        """Whether the window belongs to a known browser (by process, exe or window class)."""
        if fg.window_class and fg.window_class.lower() in self._browsers:
            return True
        return not self._browsers.isdisjoint(_process_names(fg))

    def match(self, fg: Foreground) -> str | None:
        """The key of the tracked app in front, or None when it is none of them."""
        none = len(self._keys)
        best = self._processes.first(_process_names(fg), none)
        if fg.window_class:
            best = self._bundles.first({fg.window_class.lower()}, best)
        if best < none:
            return self._keys[best]
        if fg.title and self._titles:
            return self._match_title(fg, clip_title(fg.title))
        return None

    def _match_title(self, fg: Foreground, title: str) -> str | None:
        in_browser = self.is_browser(fg)
        if not in_browser and not self._any_window_titles:
            return None
        lowered = title.lower()
        for index, any_window, needle in self._titles:
            if not (in_browser or any_window):
                continue
            hit = needle in lowered if isinstance(needle, str) else needle.match(title)
            if hit:
                return self._keys[index]
        return None
