"""The plain data every layer shares: what is in front, what is tracked, what was measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Measure(StrEnum):
    """How an interval was measured."""

    FOREGROUND = "foreground"  # the app's window was in front and the person was there
    APPROXIMATE = "approximate"  # the app's process was running and the person was there


@dataclass(frozen=True, slots=True)
class BrowserTab:
    """What driftcheck's browser extension says of the active tab of the browser in front
    (docs/BROWSER.md): the tracked app whose address it shows, if any, and whether it plays
    sound. Never the address itself."""

    app: str | None  # TrackedApp.key; None: no tracked app, whatever the title says
    audible: bool = False


@dataclass(frozen=True, slots=True)
class Foreground:
    """The app in front of the person, as one probe read it.

    `title` lives only in memory, for matching; nothing may write it to disk or a log.
    """

    process: str  # process name as the OS reports it ("firefox", "Replika.exe", "Replika")
    pid: int | None = None
    exe: str | None = None  # full path of the executable, when known
    title: str | None = field(default=None, repr=False)
    window_class: str | None = None  # WM_CLASS on X11, bundle id on macOS, AppUserModelID...
    # Set by the tracker when a connected browser extension speaks for this window; it then
    # decides instead of the title (widget.tracking, widget.browser.channel).
    tab: BrowserTab | None = None
    # Which of the matcher's title rules match the title, by their place in
    # `Matcher.title_rules()`, from a probe that is told that and never sees the title (the
    # GNOME Shell extension); read only while `title` is None. Indexes, not text: safe to show.
    title_hits: tuple[int, ...] | None = None


class RuleKind(StrEnum):
    PROCESS = "process"  # matches Foreground.process (or the exe's file name)
    TITLE = "title"  # matches Foreground.title, in browsers unless the app says any window
    BUNDLE = "bundle"  # matches Foreground.window_class (macOS bundle id, X11 WM_CLASS)
    # A web address ("claude.ai", "localhost:8000", "example.com/chat"), matched inside the
    # browser by driftcheck's extension, never in Python: no address reaches the tracker
    # (docs/BROWSER.md, "Address rules").
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern. A pattern with `*`, `?` or `[` is a case-insensitive glob; otherwise a
    process or bundle pattern matches exactly (case-insensitively) and a title pattern matches
    as a case-insensitive substring. An address pattern is never a glob: it is a site with an
    optional port and path (`widget.core.rules.check_address`)."""

    kind: RuleKind
    pattern: str


@dataclass(frozen=True, slots=True)
class TrackedApp:
    """An app the person chose to track, with the rules that recognise it."""

    key: str  # catalog id ("replika") or "custom-<slug>"
    name: str
    rules: tuple[Rule, ...]
    any_window_titles: bool = False  # title rules apply to every window, not only browsers
    source: str = "catalog"  # "catalog" | "custom"


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of use of one app. Times are aware UTC datetimes; `end >= start` always."""

    app: str  # TrackedApp.key
    start: datetime
    end: datetime
    measure: Measure = Measure.FOREGROUND

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()
