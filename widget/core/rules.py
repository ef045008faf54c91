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
from dataclasses import dataclass

from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.errors import InvalidRule

MAX_PATTERN_LENGTH = 200
MAX_WILDCARDS = 8  # keeps every compiled glob small and cheap to run
MIN_LITERAL_CHARACTERS = 2
# A window may carry a title of any length (an X property is read whole). Matching costs up to
# (title length x pattern length) steps, so only this much of a title is looked at: its first
# and last halves, where browsers and sites put their names.
MAX_TITLE_CHARACTERS = 1024

_GLOB_CHARACTERS = frozenset("*?[")
# What a name or a pattern may not hold: control characters (escape sequences among them), lone
# surrogates (bytes that were not UTF-8), line and paragraph separators, and the invisible format
# characters (bidirectional overrides that reorder what is shown, zero-width spaces, soft hyphens),
# which let two names that look the same differ, or one steer how the text around it is shown.
# The one format character kept is the zero-width joiner inside an emoji sequence ("👩‍💻").
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp", "Cf"})
ZERO_WIDTH_JOINER = "\u200d"
_EMOJI_CATEGORIES = frozenset({"So", "Sk", "Mn"})  # pictographs, skin tones, VS16 (U+FE0F)
_NOUNS = {
    RuleKind.PROCESS: "process name",
    RuleKind.TITLE: "title pattern",
    RuleKind.BUNDLE: "app id",
}


def unsafe_at(text: str, i: int) -> bool:
    """Whether `text[i]` is a character a name or a pattern may not hold (see
    _FORBIDDEN_CATEGORIES); a zero-width joiner between two emoji parts is not."""
    char = text[i]
    if unicodedata.category(char) not in _FORBIDDEN_CATEGORIES:
        return False
    return not (char == ZERO_WIDTH_JOINER and 0 < i < len(text) - 1
                and unicodedata.category(text[i - 1]) in _EMOJI_CATEGORIES
                and unicodedata.category(text[i + 1]) == "So")


def unsafe_characters(text: str) -> list[str]:
    """The characters of `text` a name or a pattern may not hold, in order."""
    return [char for i, char in enumerate(text) if unsafe_at(text, i)]


def has_unsafe_characters(text: str) -> bool:
    return bool(unsafe_characters(text))


UNSAFE_IN_NAME = ("App names cannot contain tabs, line breaks, control characters or invisible "
                  "formatting characters (such as direction marks or zero-width spaces).")
UNSAFE_IN_PATTERN = ("Patterns cannot contain tabs, line breaks, control characters or invisible "
                     "formatting characters (such as direction marks or zero-width spaces).")


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
    if has_unsafe_characters(pattern):
        raise InvalidRule(UNSAFE_IN_PATTERN)
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


def glob_words(pattern: str) -> tuple[str, str]:
    """(how, words) a person reads a pattern as: ("says", "Replika") for "*Replika[!a-z]*",
    ("starts with", "Nomi -") for "Nomi [-—|]*", ("ends with", "- Claude") for "*- Claude",
    ("is", ...) for a whole-title glob without stars at either end. A plain pattern "says"."""
    if not is_glob(pattern):
        return "says", pattern
    leading, trailing = pattern.startswith("*"), pattern.endswith("*")
    core = pattern.strip("*")
    # [!a-z] (a boundary) reads as nothing; [-—|] as its first character; ? and * as "…".
    core = re.sub(r"\[!\]?[^\]]*\]", "", core)
    core = re.sub(r"\[\]?([^\]])[^\]]*\]", r"\1", core)
    core = re.sub(r"[*?]+", "…", core).strip()
    how = {(True, True): "says", (True, False): "ends with", (False, True): "starts with",
           (False, False): "is"}[(leading, trailing)]
    return how, core


def title_words(rules: Sequence[Rule]) -> list[str]:
    """The distinct words title rules look for, in order ("Replika" once for two globs)."""
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.kind is RuleKind.TITLE:
            words = glob_words(rule.pattern)[1]
            seen.setdefault(words.casefold(), words)
    return list(seen.values())


def describe_rules(rules: Sequence[Rule], any_window_titles: bool = False) -> str:
    """The rules as a person would read them: 'the program "mychat", or a browser tab whose
    title says "Replika"'. Globs read as words, with the raw pattern kept out of sight."""
    programs = [f'"{r.pattern}"' for r in rules
                if r.kind is RuleKind.PROCESS and not is_glob(r.pattern)]
    program_globs = []
    for rule in rules:
        if rule.kind is RuleKind.PROCESS and is_glob(rule.pattern):
            how, words = glob_words(rule.pattern)
            how = {"is": "is like", "says": "has"}.get(how, how)
            program_globs.append(f'a program whose name {how} "{words}"')
    bundles = [f'"{r.pattern}"' for r in rules if r.kind is RuleKind.BUNDLE]
    shapes: dict[str, tuple[str, str]] = {}
    for rule in rules:
        if rule.kind is RuleKind.TITLE:
            how, words = glob_words(rule.pattern)
            known = shapes.get(words.casefold())
            if known is None or (how == "says" and known[0] != "says"):
                shapes[words.casefold()] = (how, words)
    parts = []
    if programs:
        parts.append(("the program " if len(programs) == 1 else "the programs ")
                     + " or ".join(programs))
    parts.extend(program_globs)
    if bundles:
        parts.append("the app with the id " + " or ".join(bundles))
    if shapes:
        where = "a window" if any_window_titles else "a browser tab"
        by_how: dict[str, list[str]] = {}
        for how, words in shapes.values():
            by_how.setdefault(how, []).append(f'"{words}"')
        saying = ", or ".join(f"{how} {' or '.join(all_words)}"
                              for how, all_words in by_how.items())
        parts.append(f"{where} whose title {saying}")
    return ", or ".join(parts)


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


@dataclass(frozen=True, slots=True)
class CountCheck:
    """What "Is it counted now?" found: the app in front and the tracked app it counts as.

    `foreground.title` is for the person's screen only: nothing may store or log it.
    """

    foreground: Foreground | None
    counts_as: TrackedApp | None
    in_browser: bool
    sees_front: bool  # False: the probe cannot see the window in front (approximate)
    probe: str
    reason: str | None = None  # why nothing could be seen, from the probe


def count_check(fg: Foreground | None, tracked: Sequence[TrackedApp], browsers: frozenset[str],
                *, sees_front: bool, probe: str, reason: str | None = None) -> CountCheck:
    """Match `fg` as the tracker would (the same `Matcher`), for the person to look at."""
    matcher = Matcher(tracked, browsers)
    key = matcher.match(fg) if fg is not None else None
    app = next((a for a in tracked if a.key == key), None)
    return CountCheck(foreground=fg, counts_as=app,
                      in_browser=fg is not None and matcher.is_browser(fg),
                      sees_front=sees_front, probe=probe, reason=reason)


def count_check_words(check: CountCheck) -> list[str]:
    """Plain sentences for the person: what is in front, and whether it counts."""
    fg, app = check.foreground, check.counts_as
    if not check.sees_front:
        lines = ["This desktop does not tell driftcheck which window is in front, so a "
                 "tracked app counts while it runs."]
        if check.reason:
            lines.append(check.reason)
        if fg is not None and app is not None:
            lines.append(f'Running now: the program "{fg.process}", counted as {app.name}.')
        else:
            lines.append("None of the apps you track is running now, so nothing is counted.")
        return lines
    if check.reason:
        return [f"driftcheck could not read the window in front just now: {check.reason}"]
    if fg is None:
        return ["Nothing is in front just now (an empty desktop), so nothing is counted."]
    program = f'the program "{fg.process}"' if fg.process else "a program driftcheck cannot name"
    what = "a browser tab" if check.in_browser else "a window"
    title = f' titled "{clip_title(fg.title)[:200]}"' if fg.title else " with no title"
    lines = [f"In front now: {what} of {program}{title}. (The title is shown here only; "
             "driftcheck never keeps it.)"]
    if app is not None:
        lines.append(f"It counts as {app.name}.")
    else:
        lines.append("It is none of the apps you track, so it is not counted.")
    return lines
