"""How driftcheck shows a text it did not write (an app's name, a note, a file name): on one
line of a terminal, with every character that could steer the terminal or hide itself escaped;
where markup is read (a chart's legend, a notification's body), with every tag escaped."""

from __future__ import annotations

from widget.core.rules import unsafe_at


def printable(text: str) -> str:
    """`text` with every character that could break a one-line message, steer a terminal or
    hide itself written as an escape (`\\n`, `\\x1b`, `\\u202e`, `\\udcff`): control characters
    (escape sequences among them), lone surrogates (bytes that were not UTF-8), line and
    paragraph separators, and invisible format characters such as the bidirectional overrides
    that reorder what is shown; the same characters an app name may not hold
    (`widget.core.rules.unsafe_at`), so an emoji's zero-width joiner stays as it is."""
    return "".join(
        char.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unsafe_at(text, i) else char
        for i, char in enumerate(text))


def escape_markup(text: str) -> str:
    """`text` as HTML-like markup that shows as written: `&`, `<` and `>` as entities. (Not
    `html.escape`: importing `html` loads its table of 2,000 entities into the tray.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
