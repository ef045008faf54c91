"""Match rules: checking a pattern before it is stored, and matching the app in front.

Matching runs every few seconds and on every focus change, so `Matcher` does its work once
in `__init__`: exact names go into dicts, globs are compiled, and `match` is lookups plus a
short scan over the compiled patterns.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from encodings import idna

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
    RuleKind.ADDRESS: "address",
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
    An address is checked by `check_address` and comes back in its canonical form.
    """
    if kind is RuleKind.ADDRESS:
        return check_address(pattern)
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


# --- address rules (docs/BROWSER.md, "Address rules") ---------------------------------------
#
# An address rule is a site with an optional port and path, matched by driftcheck's browser
# extension inside the browser: no address ever reaches this process. What is here checks a
# rule before it is stored, and is the reference matcher the extension's own is tested against
# (tests/data/address_cases.json). Pages are read as the browsers read them (the WHATWG URL
# standard): host in lower case and in its ASCII form, default ports dropped, dot segments of
# the path resolved, what browsers escape in a path escaped.

MAX_ADDRESS_LENGTH = 253  # the longest a host name can be in DNS
DEFAULT_PORTS = {"http": 80, "https": 443}  # the only pages an address rule matches

# Endings many unrelated sites share (a part of the Public Suffix List, the ones a person is
# likely to type): a rule on one of them would count every site beneath it. A one-label ending
# ("ai", "com") is refused for any name but localhost, so only longer ones are listed.
PUBLIC_SUFFIXES = frozenset({
    "co.uk", "org.uk", "me.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "net.uk", "com.au",
    "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz", "co.jp", "ne.jp",
    "or.jp", "ac.jp", "co.kr", "or.kr", "com.br", "net.br", "org.br", "com.cn", "net.cn",
    "org.cn", "com.mx", "com.ar", "com.tr", "com.tw", "com.hk", "com.sg", "com.my", "co.in",
    "net.in", "org.in", "co.za", "co.id", "com.ph", "com.vn", "com.ua", "co.il", "com.pl",
    "eu.org", "github.io", "gitlab.io", "pages.dev", "workers.dev", "vercel.app",
    "netlify.app", "herokuapp.com", "web.app", "firebaseapp.com", "appspot.com",
    "blogspot.com", "azurewebsites.net", "cloudfront.net", "s3.amazonaws.com", "hf.space",
    "ngrok.io", "ngrok.app", "ngrok-free.app", "trycloudflare.com", "gradio.live", "fly.dev",
    "onrender.com", "glitch.me", "replit.app", "repl.co", "duckdns.org", "ts.net", "loca.lt",
})  # fmt: skip

UNSAFE_IN_ADDRESS = ("Addresses cannot contain spaces, tabs, line breaks, control characters or "
                     "invisible formatting characters (such as direction marks or zero-width "
                     "spaces).")
_ADDRESS_TOO_LONG = f"An address can be at most {MAX_ADDRESS_LENGTH} characters."
_WITH_SCHEME = ("Please leave out the https:// part (or any other scheme): an address such as "
                "claude.ai is enough.")
_WILDCARD = ("Addresses cannot use wildcards: claude.ai already covers www.claude.ai and its "
             "other subdomains.")
_QUERY = ("An address cannot hold a ? or a # (a wildcard, a query or a fragment); the site, "
          "with a path such as example.com/chat if need be, is enough.")
_USERINFO = "An address cannot hold a user name or a password (the part before an @)."
_BACKSLASH = "Please write / rather than \\ in an address, as in example.com/chat."
_PORT = "A port is a number from 1 to 65535 after a colon, such as localhost:8000."
_IPV6 = "Please write an IPv6 address in brackets, with its port, such as [::1]:8080."
_IPV4 = ("That looks like an IP address but is not one: an IPv4 address is four numbers from "
         "0 to 255, such as 127.0.0.1.")
_NO_HOST = "An address needs a site name, such as claude.ai, before any : or /."
_EMPTY_LABEL = "A site name cannot begin with a dot or have two dots in a row."
_LONG_LABEL = "Each part of a site name between its dots can be at most 63 characters."
_LETTERS = "A site name can hold only letters, digits, dashes and dots, such as my-bot.example."
_IDN = ("That site name cannot be read as an international name; the form beginning with "
        "xn-- that the address bar shows will work.")
_BARE_ENDING = ("An address needs a whole site name such as claude.ai, not only an ending such "
                "as ai or com, which many sites share.")
_SHARED_ENDING = ("That ending is shared by many unrelated sites; please give the site's own "
                  "name, such as example.co.uk.")
_LOCAL_PORT = ("A local address needs its port, such as localhost:8000, or every page served "
               "on this computer would count.")
_DOT_SEGMENT = ("A path cannot have . or .. as a part (browsers take them out); please write it "
                "as the address bar shows it.")

_SCHEME_PREFIX = re.compile(
    r"(?:https?|file|ftp|wss?|data|blob|javascript|mailto|about|view-source|chrome"
    r"|chrome-extension|chrome-untrusted|edge|brave|opera|vivaldi|moz-extension|resource):",
    re.IGNORECASE)
_URL_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_DOTS = re.compile("[.\u3002\uff0e\uff61]")  # what IDNA takes for a dot between labels
_LABEL = re.compile(r"[a-z0-9_-]+")
_DEVIATIONS = re.compile("([ßς])")
_PORT_DIGITS = re.compile(r"[0-9]{1,5}")
_IPV4_PART = {10: re.compile(r"[0-9]+"), 8: re.compile(r"[0-7]+"),
              16: re.compile(r"[0-9a-fA-F]*")}
_ENDS_IN_NUMBER = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_ESCAPE = re.compile(rb"%([0-9a-fA-F]{2})")
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
_SINGLE_DOT = frozenset({".", "%2e"})
_LEFT_AS_IS_IN_PATHS = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('"<>`{}')


@dataclass(frozen=True, slots=True)
class _Address:
    """An address rule read into its parts, all in their canonical form."""

    host: str  # ASCII, lower case, no trailing dot; "[::1]" for an IPv6 address
    is_ip: bool
    port: int | None
    path: str  # "" or a prefix such as "/chat", without a trailing slash

    @property
    def text(self) -> str:
        return self.host + ("" if self.port is None else f":{self.port}") + self.path


@dataclass(frozen=True, slots=True)
class _Page:
    """What an address rule looks at in a page's URL, as a browser reads it."""

    host: str
    port: int  # the scheme's default port when the URL names none
    default_port: bool
    path: str  # dot segments resolved, escaped as browsers escape it, lower case


def _label_ascii(label: str) -> str:
    """One label of a host name as browsers write it: lower case, and punycode ("xn--...") for
    an international one. Raises UnicodeError when it has no such form."""
    if label.isascii():
        return label.lower()
    lowered = label.lower()
    if _DEVIATIONS.search(lowered):
        # encodings.idna (IDNA 2003) maps ß to "ss" and a final sigma to a plain one;
        # browsers (UTS 46, non-transitional) keep both, so only the rest goes through nameprep.
        parts = _DEVIATIONS.split(lowered)
        mapped = "".join(part if _DEVIATIONS.fullmatch(part) else idna.nameprep(part)
                         for part in parts)
        return "xn--" + mapped.encode("punycode").decode("ascii")
    return idna.ToASCII(label).decode("ascii").lower()


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address as the URL standard reads it: decimal, 0x hex or 0 octal."""
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not part or not _IPV4_PART[base].fullmatch(digits):
        return None
    return int(digits, base) if digits else 0


def _ipv4(labels: Sequence[str]) -> str | None:
    """The dotted IPv4 address a host of numbers stands for ("127.1" is 127.0.0.1), or None
    when browsers refuse it."""
    numbers = [_ipv4_number(label) for label in labels]
    if len(numbers) > 4 or None in numbers:
        return None
    parts = [n for n in numbers if n is not None]
    if any(n > 255 for n in parts[:-1]) or parts[-1] >= 256 ** (5 - len(parts)):
        return None
    value = parts[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(parts[:-1]))
    return str(ipaddress.IPv4Address(value))


def _escaped_path(path: str) -> str:
    """`path` with its dot segments resolved and escaped as browsers escape a path (non-ASCII
    as UTF-8, and space " < > ` { }), in lower case so that %C3%A9 and %c3%a9 are one."""
    kept: list[str] = []
    segments = path[1:].split("/")
    for i, segment in enumerate(segments):
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if kept:
                kept.pop()
        elif lowered not in _SINGLE_DOT:
            kept.append(segment)
            continue
        if i == len(segments) - 1:
            kept.append("")  # "/a/.." is "/", as "/a/" is
    escaped = []
    for char in "/" + "/".join(kept):
        if char in _LEFT_AS_IS_IN_PATHS:
            escaped.append(char)
        else:
            if unicodedata.category(char) == "Cs":
                char = "\ufffd"
            escaped.extend(f"%{byte:02x}" for byte in char.encode("utf-8"))
    return "".join(escaped).lower()


def _rule_port(text: str) -> int:
    if not _PORT_DIGITS.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise InvalidRule(_PORT)
    return int(text)


def _rule_host(name: str) -> tuple[str, bool]:
    """(host, is an IP address) of the site part of an address rule, without its port."""
    if not name:
        raise InvalidRule(_NO_HOST)
    labels = _DOTS.split(name)
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # "claude.ai." is claude.ai
    if not all(labels):
        raise InvalidRule(_EMPTY_LABEL)
    try:
        ascii_labels = [_label_ascii(label) for label in labels]
        for label in ascii_labels:
            if label.startswith("xn--"):
                label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        raise InvalidRule(_IDN) from None
    if _ENDS_IN_NUMBER.fullmatch(ascii_labels[-1]):
        address = _ipv4(ascii_labels)
        if address is None:
            raise InvalidRule(_IPV4)
        return address, True
    for label in ascii_labels:
        if len(label) > 63:
            raise InvalidRule(_LONG_LABEL)
        if not _LABEL.fullmatch(label):
            raise InvalidRule(_LETTERS)
    host = ".".join(ascii_labels)
    if len(ascii_labels) == 1 and host != "localhost":
        raise InvalidRule(_BARE_ENDING)
    if host in PUBLIC_SUFFIXES:
        raise InvalidRule(_SHARED_ENDING)
    return host, False


def _rule_site(site: str) -> tuple[str, bool, int | None]:
    """(host, is an IP address, port) of the part of an address rule before its path."""
    if site.startswith("["):
        inner, bracket, after = site[1:].partition("]")
        if not bracket or "%" in inner or (after and not after.startswith(":")):
            raise InvalidRule(_IPV6)
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise InvalidRule(_IPV6) from None
        host, is_ip, port = f"[{ip6.compressed}]", True, _rule_port(after[1:]) if after else None
        local = ip6.is_loopback or ip6.is_unspecified
    else:
        name, colon, port_text = site.partition(":")
        if ":" in port_text:
            raise InvalidRule(_IPV6)
        port = _rule_port(port_text) if colon else None
        host, is_ip = _rule_host(name)
        if is_ip:
            ip4 = ipaddress.IPv4Address(host)
            local = ip4.is_loopback or ip4.is_unspecified
        else:
            local = host == "localhost" or host.endswith(".localhost")
    if local and port is None:
        raise InvalidRule(_LOCAL_PORT)
    return host, is_ip, port


def _rule_path(path: str) -> str:
    """The canonical path prefix of an address rule ("" for none) from what follows its `/`."""
    if any(segment.lower() in _DOUBLE_DOT | _SINGLE_DOT for segment in path.split("/")):
        raise InvalidRule(_DOT_SEGMENT)
    return _escaped_path("/" + path).rstrip("/")


def _read_address(text: str) -> _Address:
    text = text.strip()
    if not text:
        raise InvalidRule(f"That {_NOUNS[RuleKind.ADDRESS]} is empty.")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise InvalidRule(_ADDRESS_TOO_LONG)
    if has_unsafe_characters(text) or any(char.isspace() for char in text):
        raise InvalidRule(UNSAFE_IN_ADDRESS)
    if "://" in text or _SCHEME_PREFIX.match(text):
        raise InvalidRule(_WITH_SCHEME)
    for characters, message in (("*", _WILDCARD), ("?#", _QUERY), ("@", _USERINFO),
                                ("\\", _BACKSLASH)):
        if any(char in text for char in characters):
            raise InvalidRule(message)
    site, slash, path = text.partition("/")
    host, is_ip, port = _rule_site(site)
    address = _Address(host, is_ip, port, _rule_path(path) if slash else "")
    if len(address.text) > MAX_ADDRESS_LENGTH:
        raise InvalidRule(_ADDRESS_TOO_LONG)
    return address


def check_address(text: str) -> str:
    """The canonical form of an address rule ("Claude.AI." is "claude.ai", "Bücher.example"
    is "xn--bcher-kva.example"), or InvalidRule with one sentence saying what is wrong.

    A rule is a host name with an optional port and an optional path prefix, no scheme: a
    single label other than localhost, a shared ending such as co.uk, wildcards, a query, a
    user name, and a local host (localhost, 127.0.0.1, [::1]) without a port are refused. The
    messages never repeat the address.
    """
    return _read_address(text).text


def _unescaped(text: str) -> str:
    """`text` with its %XX escapes decoded as UTF-8, as browsers decode a host (no urllib:
    driftcheck imports no network library, tests/unit/test_privacy_code.py)."""
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]),
                      text.encode("utf-8", "surrogatepass"))
    return raw.decode("utf-8", "replace")


def _url_host(text: str) -> str | None:
    """The host of a URL as browsers write it (ASCII, lower case, no trailing dot, IPv4 in
    dots, IPv6 compressed in brackets), or None when they would refuse the URL."""
    if text.startswith("["):
        if not text.endswith("]") or "%" in text:
            return None
        try:
            return f"[{ipaddress.IPv6Address(text[1:-1]).compressed}]"
        except ValueError:
            return None
    labels = _DOTS.split(_unescaped(text))
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    try:
        labels = [_label_ascii(label) for label in labels]
    except UnicodeError:
        return None
    if _ENDS_IN_NUMBER.fullmatch(labels[-1]):
        return _ipv4(labels)
    return ".".join(labels) or None


def _read_url(url: str) -> _Page | None:
    """The host, port and path of an http: or https: URL as a browser reads it, or None for
    any other scheme or a URL browsers refuse."""
    url = re.sub("[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    scheme = _URL_SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in DEFAULT_PORTS:
        return None
    default = DEFAULT_PORTS[scheme.group(1).lower()]
    rest = re.split("[?#]", url[scheme.end():], maxsplit=1)[0].replace("\\", "/")
    authority, _, path = rest.lstrip("/").partition("/")
    authority = authority.rpartition("@")[2]  # "user:password@" is not the host
    if authority.startswith("["):
        end = authority.find("]") + 1
        host_text, port_text = authority[:end], authority[end:]
        if end == 0 or (port_text and not port_text.startswith(":")):
            return None
        port_text = port_text[1:]
    else:
        host_text, _, port_text = authority.partition(":")
    port = default
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            return None
        port = int(port_text)
    host = _url_host(host_text)
    if host is None:
        return None
    return _Page(host, port, port == default, _escaped_path("/" + path))


def address_matches(address: str, url: str) -> bool:
    """Whether the page at `url` is one the address rule `address` covers: its host is the
    rule's host or a subdomain of it (at a dot; an IP address only itself), its port the
    rule's port or, when the rule has none, the scheme's default, and its path starts with
    the rule's path at a `/` (case-insensitively). Only http: and https: pages match; an
    address that `check_address` refuses matches nothing.

    The reference for the browser extension's matcher; driftcheck itself never sees a URL.
    Where browsers differ from this, the cases in tests/data/address_cases.json decide.
    """
    try:
        rule = _read_address(address)
    except InvalidRule:
        return False
    page = _read_url(url)
    if page is None:
        return False
    if rule.is_ip:
        host = page.host == rule.host
    else:
        host = page.host == rule.host or page.host.endswith("." + rule.host)
    port = page.default_port if rule.port is None else page.port == rule.port
    path = (not rule.path or page.path == rule.path
            or page.path.startswith(rule.path + "/"))
    return host and port and path


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
    """The rules as a person would read them: 'the program "mychat", or a browser tab at
    my.replika.com (with driftcheck's browser extension), or whose title says "Replika"'.
    Globs read as words, with the raw pattern kept out of sight."""
    programs = [f'"{r.pattern}"' for r in rules
                if r.kind is RuleKind.PROCESS and not is_glob(r.pattern)]
    program_globs = []
    for rule in rules:
        if rule.kind is RuleKind.PROCESS and is_glob(rule.pattern):
            how, words = glob_words(rule.pattern)
            how = {"is": "is like", "says": "has"}.get(how, how)
            program_globs.append(f'a program whose name {how} "{words}"')
    bundles = [f'"{r.pattern}"' for r in rules if r.kind is RuleKind.BUNDLE]
    addresses = list(dict.fromkeys(r.pattern for r in rules if r.kind is RuleKind.ADDRESS))
    at = (f"a browser tab at {' or '.join(addresses)} (with driftcheck's browser extension)"
          if addresses else "")
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
    if at and (any_window_titles or not shapes):
        parts.append(at)
    if shapes:
        where = "a window" if any_window_titles else "a browser tab"
        by_how: dict[str, list[str]] = {}
        for how, words in shapes.values():
            by_how.setdefault(how, []).append(f'"{words}"')
        saying = ", or ".join(f"{how} {' or '.join(all_words)}"
                              for how, all_words in by_how.items())
        if at and not any_window_titles:  # one browser tab, two ways to know it
            parts.append(f"{at}, or whose title {saying}")
        else:
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
    so a damaged setting can never make every window count. Address rules are never matched
    here (no address reaches driftcheck): `addresses` hands them to the browser extension.
    """

    def __init__(self, tracked: Sequence[TrackedApp], browsers: frozenset[str]) -> None:
        self._keys = tuple(app.key for app in tracked)
        self._browsers = frozenset(name.lower() for name in browsers)
        self._processes = _NameRules()
        self._bundles = _NameRules()
        self._titles: list[tuple[int, bool, str | re.Pattern[str]]] = []
        self._title_rules: list[str] = []  # the same rules, as title_rules() hands them out
        addresses: dict[str, dict[str, None]] = {}  # dicts keep the order and drop repeats
        for index, app in enumerate(tracked):
            for rule in app.rules:
                try:
                    pattern = validate_pattern(rule.kind, rule.pattern)
                except InvalidRule:
                    continue
                if rule.kind is RuleKind.ADDRESS:
                    addresses.setdefault(app.key, {})[pattern] = None
                elif rule.kind is RuleKind.PROCESS:
                    self._processes.add(index, pattern)
                elif rule.kind is RuleKind.BUNDLE:
                    self._bundles.add(index, pattern)
                else:
                    needle: str | re.Pattern[str]
                    if is_glob(pattern):
                        needle, encoded = compile_glob(pattern), "g:" + pattern
                    else:
                        needle = pattern.lower()
                        encoded = "s:" + needle
                    self._titles.append((index, app.any_window_titles, needle))
                    self._title_rules.append(encoded)
        self._any_window_titles = any(any_window for _, any_window, _ in self._titles)
        self._addresses = {key: tuple(found) for key, found in addresses.items()}

    def addresses(self) -> dict[str, tuple[str, ...]]:
        """The address rules of each tracked app that has any, by app key, in the order of the
        apps, each in its canonical form: what the tracker sends the browser extension, which
        matches them inside the browser (docs/BROWSER.md)."""
        return dict(self._addresses)

    def title_rules(self) -> list[str]:
        """The title rules in the order `match` tries them, for a matcher that runs where the
        titles are (the GNOME Shell extension, resources/gnome/extension/titles.js) and answers
        with the places in this list of the rules that match (`Foreground.title_hits`): "s:"
        and the lowercased text of a plain rule, "g:" and the glob as written of a glob."""
        return list(self._title_rules)

    def is_browser(self, fg: Foreground) -> bool:
        """Whether the window belongs to a known browser (by process, exe or window class)."""
        if fg.window_class and fg.window_class.lower() in self._browsers:
            return True
        return not self._browsers.isdisjoint(_process_names(fg))

    def counted_as(self, fg: Foreground) -> str | None:
        """The key of the tracked app `fg` counts as: what a connected browser extension says
        of the tab in front when one speaks for the window (`fg.tab`, whatever the title
        says), else `match`. The tracker's rule, and "Is it counted now?"'s."""
        if fg.tab is not None:
            return fg.tab.app if fg.tab.app in self._keys else None
        return self.match(fg)

    def match(self, fg: Foreground) -> str | None:
        """The key of the tracked app in front by its rules, or None when it is none of them."""
        none = len(self._keys)
        best = self._processes.first(_process_names(fg), none)
        if fg.window_class:
            best = self._bundles.first({fg.window_class.lower()}, best)
        if best < none:
            return self._keys[best]
        if fg.title and self._titles:
            return self._match_title(fg, clip_title(fg.title))
        if fg.title is None and fg.title_hits and self._titles:
            return self._match_hits(fg, fg.title_hits)
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

    def _match_hits(self, fg: Foreground, hits: tuple[int, ...]) -> str | None:
        """`_match_title` for a title seen elsewhere: the same first rule that applies, from
        the places in title_rules() of the rules that match it (any order; others ignored)."""
        in_browser = self.is_browser(fg)
        if not in_browser and not self._any_window_titles:
            return None
        count = len(self._titles)
        for place in sorted({hit for hit in hits if 0 <= hit < count}):
            index, any_window, _ = self._titles[place]
            if in_browser or any_window:
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
    # The browser (by name) whose extension spoke for the window in front; None: none did.
    extension: str | None = None
    # What each browser here matches tabs by, a sentence each (widget.services.browsers).
    browser_notes: tuple[str, ...] = ()


def count_check(fg: Foreground | None, tracked: Sequence[TrackedApp], browsers: frozenset[str],
                *, sees_front: bool, probe: str, reason: str | None = None,
                extension: str | None = None, browser_notes: Sequence[str] = ()
                ) -> CountCheck:
    """Match `fg` as the tracker would (the same `Matcher`, with what a browser's extension
    said of its tab in `fg.tab`, by `extension`), for the person to look at."""
    matcher = Matcher(tracked, browsers)
    key = matcher.counted_as(fg) if fg is not None else None
    app = next((a for a in tracked if a.key == key), None)
    in_browser = fg is not None and (fg.tab is not None or matcher.is_browser(fg))
    return CountCheck(foreground=fg, counts_as=app, in_browser=in_browser,
                      sees_front=sees_front, probe=probe, reason=reason,
                      extension=extension if fg is not None and fg.tab is not None else None,
                      browser_notes=tuple(browser_notes))


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
    if fg.tab is not None:
        by = f"driftcheck's extension in {check.extension or 'this browser'}"
        if app is not None:
            lines.append(f"It counts as {app.name}: {by} recognises the tab by its address.")
        else:
            lines.append(f"{by} says this tab is none of the apps you track, whatever its "
                         "title, so it is not counted.")
    elif app is not None:
        lines.append(f"It counts as {app.name}.")
    else:
        lines.append("It is none of the apps you track, so it is not counted.")
    if fg.window_class and fg.window_class.casefold() != (fg.process or "").casefold():
        lines.append(f'Its app id is "{fg.window_class}" (what `apps add --app-id` '
                     "matches).")
    return [*lines, *check.browser_notes]
