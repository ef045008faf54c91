"""The companion-app catalog: parsing its data and turning entries into tracked apps.

The data lives in `resources/catalog.json`; `widget.catalog_data` loads it. This module does
no I/O: it takes the already-loaded JSON value.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from widget.core.model import Rule, RuleKind, TrackedApp
from widget.core.rules import (
    UNSAFE_IN_NAME,
    describe_rules,
    has_unsafe_characters,
    title_words,
    validate_pattern,
)
from widget.errors import InvalidRule, UnknownApp

PLATFORMS = ("linux", "windows", "macos")
PLATFORM_NAMES = {"linux": "Linux", "windows": "Windows", "macos": "macOS"}
CATALOG_VERSION = 1
MAX_NAME_LENGTH = 80

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One known companion app and the patterns that recognise it."""

    id: str
    name: str
    processes: Mapping[str, tuple[str, ...]] = field(hash=False)  # keys: PLATFORMS
    bundle_ids: tuple[str, ...]
    titles: tuple[str, ...]
    verified: bool  # whether the patterns were checked against the real app or site
    notes: str
    addresses: tuple[str, ...]  # canonical address rules, for the browser extension
    addresses_verified: bool  # whether the addresses were opened and checked


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    browsers: Mapping[str, tuple[str, ...]] = field(hash=False)  # keys: PLATFORMS
    browser_bundle_ids: tuple[str, ...]

    def get(self, app_id: str) -> CatalogEntry:
        for entry in self.entries:
            if entry.id == app_id:
                return entry
        raise UnknownApp(
            f"There is no app called '{app_id}' in the catalog; "
            "`driftcheck apps catalog` lists them."
        )

    def find(self, text: str) -> CatalogEntry:
        """The entry a person means by `text`: its id or its name, in any case and spacing
        ("Replika", "REPLIKA", "character.ai", "Character AI"); UnknownApp naming the nearest
        entry (difflib) when none is meant."""
        wanted = _folded(text)
        for entry in self.entries:
            if wanted in (_folded(entry.id), _folded(entry.name)):
                return entry
        names = {}
        for entry in self.entries:
            names[entry.id] = entry
            names[entry.name.lower()] = entry
        near = difflib.get_close_matches(text.strip().lower(), list(names), n=1, cutoff=0.6)
        hint = (f"did you mean {names[near[0]].id} ({names[near[0]].name})?" if near
                else "`driftcheck apps catalog` lists them.")
        shown = text.strip()[:MAX_NAME_LENGTH]
        raise UnknownApp(f"There is no app called '{shown}' in the catalog; {hint}")

    def browser_names(self, platform: str) -> frozenset[str]:
        """Lowercased browser process names of a platform plus browser bundle ids, for Matcher.

        Bundle ids are included on every platform: they never collide with process names.
        """
        names = (*self.browsers.get(platform, ()), *self.browser_bundle_ids)
        return frozenset(name.lower() for name in names)


def _require(data: Mapping[str, object], key: str, kind: type, where: str) -> object:
    if key not in data:
        raise ValueError(f"{where}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: '{key}' should be a {kind.__name__}")
    return value


def _strings(data: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = _require(data, key, list, where)
    assert isinstance(value, list)
    if not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: every item of '{key}' should be a string")
    return tuple(value)


def _patterns(kind: RuleKind, patterns: tuple[str, ...], where: str) -> tuple[str, ...]:
    checked = []
    for pattern in patterns:
        try:
            checked.append(validate_pattern(kind, pattern))
        except InvalidRule as error:
            raise ValueError(f"{where}: {kind.value} pattern {pattern!r}: {error}") from None
    return tuple(checked)


def _addresses(data: Mapping[str, object], where: str) -> tuple[str, ...]:
    """The entry's address rules, each already in the canonical form `check_address` gives:
    the catalog is what the browser extension is sent, so it is written as it is sent."""
    checked = _patterns(RuleKind.ADDRESS, _strings(data, "addresses", where), where)
    for written, canonical in zip(_strings(data, "addresses", where), checked, strict=True):
        if written != canonical:
            raise ValueError(f"{where}: address {written!r} should be written {canonical!r}")
    return checked


def _per_platform(
    data: Mapping[str, object], key: str, kind: RuleKind, where: str
) -> Mapping[str, tuple[str, ...]]:
    value = _require(data, key, dict, where)
    assert isinstance(value, dict)
    return MappingProxyType(
        {p: _patterns(kind, _strings(value, p, f"{where} {key}"), where) for p in PLATFORMS}
    )


def _parse_entry(data: object, position: int) -> CatalogEntry:
    if not isinstance(data, dict):
        raise ValueError(f"catalog app #{position}: should be an object")
    app_id = _require(data, "id", str, f"catalog app #{position}")
    assert isinstance(app_id, str)
    where = f"catalog app '{app_id}'"
    if not _ID.match(app_id):
        raise ValueError(f"{where}: the id should be lowercase-kebab (letters, digits, dashes)")
    name = _require(data, "name", str, where)
    verified = _require(data, "verified", bool, where)
    addresses_verified = _require(data, "addresses_verified", bool, where)
    notes = _require(data, "notes", str, where)
    assert isinstance(name, str) and isinstance(verified, bool) and isinstance(notes, str)
    assert isinstance(addresses_verified, bool)
    if not name.strip():
        raise ValueError(f"{where}: the name is empty")
    return CatalogEntry(
        id=app_id,
        name=name,
        processes=_per_platform(data, "process", RuleKind.PROCESS, where),
        bundle_ids=_patterns(RuleKind.BUNDLE, _strings(data, "bundle_ids", where), where),
        titles=_patterns(RuleKind.TITLE, _strings(data, "titles", where), where),
        verified=verified,
        notes=notes,
        addresses=_addresses(data, where),
        addresses_verified=addresses_verified,
    )


def parse_catalog(data: object) -> Catalog:
    """Check and convert the loaded catalog JSON; raise ValueError naming the bad entry."""
    if not isinstance(data, dict):
        raise ValueError("catalog: the top level should be an object")
    if _require(data, "version", int, "catalog") != CATALOG_VERSION:
        raise ValueError(f"catalog: only version {CATALOG_VERSION} is understood")
    apps = _require(data, "apps", list, "catalog")
    assert isinstance(apps, list)
    entries = tuple(_parse_entry(item, position) for position, item in enumerate(apps))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"catalog app '{entry.id}': the id is used twice")
        seen.add(entry.id)
    browsers = _require(data, "browsers", dict, "catalog")
    assert isinstance(browsers, dict)
    return Catalog(
        entries=entries,
        browsers=MappingProxyType(
            {p: _strings(browsers, p, "catalog browsers") for p in PLATFORMS}
        ),
        browser_bundle_ids=_strings(browsers, "bundle_ids", "catalog browsers"),
    )


def entry_to_app(entry: CatalogEntry, platform: str) -> TrackedApp:
    """The tracked app for a catalog entry on "linux", "windows" or "macos"."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
    bundles = entry.bundle_ids if platform == "macos" else ()
    rules = (
        *(Rule(RuleKind.PROCESS, name) for name in entry.processes.get(platform, ())),
        *(Rule(RuleKind.BUNDLE, bundle) for bundle in bundles),
        *(Rule(RuleKind.ADDRESS, address) for address in entry.addresses),
        *(Rule(RuleKind.TITLE, title) for title in entry.titles),
    )
    return TrackedApp(key=entry.id, name=entry.name, rules=rules, source="catalog")


def _folded(text: str) -> str:
    """Letters and digits only, lowercased: "Character.AI" and "character-ai" both fold to
    "characterai"."""
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", text).lower())


def slug(name: str) -> str:
    """Lowercase ASCII letters, digits and single dashes ("Café Chat!" -> "cafe-chat")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def custom_app(
    name: str, processes: Sequence[str], titles: Sequence[str], any_window: bool,
    addresses: Sequence[str] = (), app_ids: Sequence[str] = (),
) -> TrackedApp:
    """An app the person describes themselves; raises InvalidRule with one sentence.
    Addresses are kept in their canonical form (`check_address`). An app id is matched
    against the window's own id as the desktop gives it (`Foreground.window_class`): the
    Wayland app id (Sway, wlroots, KWin's resource class, GNOME), the X11 WM_CLASS class, the
    macOS bundle id; any case, globs allowed, as a process name."""
    name = name.strip()
    if not name:
        raise InvalidRule("Please give the app a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRule(f"App names can be at most {MAX_NAME_LENGTH} characters.")
    if has_unsafe_characters(name):
        raise InvalidRule(UNSAFE_IN_NAME)
    rules: dict[Rule, None] = {}  # keeps order, drops repeats
    for kind, patterns in ((RuleKind.PROCESS, processes), (RuleKind.BUNDLE, app_ids),
                           (RuleKind.ADDRESS, addresses), (RuleKind.TITLE, titles)):
        for pattern in patterns:
            rules[Rule(kind, validate_pattern(kind, pattern))] = None
    if not rules:
        raise InvalidRule("Please give at least one process name or title pattern.")
    return TrackedApp(
        key=f"custom-{slug(name) or 'app'}",
        name=name,
        rules=tuple(rules),
        any_window_titles=any_window,
        source="custom",
    )


def distinct_custom_key(app: TrackedApp, known: Mapping[str, str], tracked: set[str]
                        ) -> TrackedApp:
    """`app` (an own app) with a key that never takes over another app's rules or history.

    `known` is every app's name by key, removed apps included; `tracked` the keys tracked now.
    Two names can make one key ("Kira" and "💬 Kira ❤" are both custom-kira): the second gets
    custom-kira-2. The same name again brings back an app that is no longer tracked (its
    history with it); the same name as an app tracked now is refused with one sentence.
    """
    base, number = app.key, 1
    key = base
    while key in known:
        if known[key].strip().casefold() == app.name.strip().casefold():
            if key in tracked:
                raise InvalidRule(f"You already track an app called {known[key]}; please "
                                  "choose another name.")
            break  # it comes back, with its history
        number += 1
        key = f"{base}-{number}"
    return TrackedApp(key=key, name=app.name, rules=app.rules,
                      any_window_titles=app.any_window_titles, source=app.source)


@dataclass(frozen=True, slots=True)
class Recognition:
    """How an app is recognised on one system, in words a person reads."""

    counted: str  # "a browser tab whose title says \"Replika\""
    not_counted: str  # what it will not catch, one sentence


def recognition(app: TrackedApp, platform: str) -> Recognition:
    """What counts as `app` on `platform` ("linux", "windows", "macos") and what does not."""
    native = [r for r in app.rules if r.kind in (RuleKind.PROCESS, RuleKind.BUNDLE)]
    titles = [r for r in app.rules if r.kind is RuleKind.TITLE]
    addresses = any(r.kind is RuleKind.ADDRESS for r in app.rules)
    desktop = "the desktop app: " if app.source == "catalog" and native else ""
    counted = desktop + describe_rules(app.rules, app.any_window_titles)
    elsewhere = "the phone app or other devices" if app.source == "catalog" \
        else "other devices"
    # With the browser extension a tab is known by its address alone; without it, by its title.
    elsewhere_tab = "a tab at another address or in a browser without driftcheck's extension"
    if not app.rules:
        counted = "nothing yet: it has no process name, title or address to go by"
        not_counted = "Every window, until it has one."
    elif not native:
        system = PLATFORM_NAMES.get(platform, platform)
        lacking = (f" (driftcheck knows no {system} desktop app for it)"
                   if app.source == "catalog" else "")
        if titles:
            words = [f'"{word}"' for word in title_words(titles)]
            said = words[0] if len(words) == 1 else "any of " + ", ".join(words[:4])
            window = "window" if app.any_window_titles else "window or tab"
            title_miss = f"a {window} whose title does not say {said}{lacking}"
            if addresses:
                title_miss = ("a tab at another address, or, in a browser without "
                              f"driftcheck's extension, {title_miss}")
        else:
            title_miss = elsewhere_tab + lacking
        not_counted = f"Not counted: {title_miss}, nor {elsewhere}."
    elif not titles:
        tab = elsewhere_tab if addresses else "a browser tab"
        not_counted = f"Not counted: {tab}, nor {elsewhere}."
    else:
        not_counted = f"Not counted: {elsewhere}."
    return Recognition(counted=counted, not_counted=not_counted)


def entry_recognition(entry: CatalogEntry, platform: str) -> Recognition:
    return recognition(entry_to_app(entry, platform), platform)
