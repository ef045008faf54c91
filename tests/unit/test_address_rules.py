"""Address rules (issue 13, docs/BROWSER.md "Address rules"): the cases shared with the browser
extension's matcher run through the Python reference, the Matcher hands address rules on and
never matches them, the catalog's addresses, own apps with addresses, and exports that carry
them both ways."""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import one_sentence
from widget.catalog_data import load_catalog
from widget.core.catalog import custom_app, entry_to_app, parse_catalog, recognition
from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import (
    MAX_ADDRESS_LENGTH,
    Matcher,
    address_matches,
    check_address,
    validate_pattern,
)
from widget.errors import InvalidRule

CASES_FILE = Path(__file__).resolve().parents[1] / "data" / "address_cases.json"
CASES: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
BROWSERS = frozenset({"firefox"})

# The addresses issue 13 names, by catalog id.
NAMED = {
    "claude": {"claude.ai"}, "character-ai": {"character.ai"},
    "chatgpt": {"chatgpt.com", "chat.openai.com"}, "replika": {"my.replika.com"},
    "nomi": {"beta.nomi.ai"}, "kindroid": {"kindroid.ai"}, "janitor-ai": {"janitorai.com"},
    "chub-ai": {"chub.ai"}, "gemini": {"gemini.google.com"},
    "copilot": {"copilot.microsoft.com"}, "poe": {"poe.com"}, "pi": {"pi.ai"},
    "grok": {"grok.com"}, "meta-ai": {"www.meta.ai"}, "deepseek": {"chat.deepseek.com"},
    "mistral": {"chat.mistral.ai"}, "perplexity": {"www.perplexity.ai"},
    "spicychat": {"spicychat.ai"}, "crushon-ai": {"crushon.ai"}, "candy-ai": {"candy.ai"},
    "talkie": {"www.talkie-ai.com"}, "polybuzz": {"www.polybuzz.ai"},
    "sillytavern": {"localhost:8000", "127.0.0.1:8000"},
    "open-webui": {"localhost:8080", "127.0.0.1:8080", "localhost:3000", "127.0.0.1:3000"},
    "koboldcpp": {"localhost:5001", "127.0.0.1:5001"},
}  # fmt: skip


def case_id(case: dict[str, Any]) -> str:
    return f"{case['address']} {case.get('url', '')}".strip()[:60]


# --- the shared cases ---------------------------------------------------------------------------


def test_the_cases_file_is_simple_and_says_what_it_holds() -> None:
    assert set(CASES) == {"about", "match", "refuse", "canonical"}
    assert all(isinstance(line, str) and line for line in CASES["about"])
    assert len(CASES["match"]) >= 60 and len(CASES["refuse"]) >= 30
    assert all(set(c) == {"address", "url", "matches", "why"} for c in CASES["match"])
    assert all(set(c) == {"address", "why"} for c in CASES["refuse"])
    assert all(set(c) == {"address", "canonical"} for c in CASES["canonical"])
    outcomes = [c["matches"] for c in CASES["match"]]
    assert outcomes.count(True) >= 25 and outcomes.count(False) >= 25
    pairs = [(c["address"], c["url"]) for c in CASES["match"]]
    assert len(pairs) == len(set(pairs)), "a case repeated"


@pytest.mark.parametrize("case", CASES["match"], ids=case_id)
def test_the_reference_matcher_gives_every_case_its_answer(case: dict[str, Any]) -> None:
    assert check_address(case["address"]) == case["address"], "cases use canonical addresses"
    assert address_matches(case["address"], case["url"]) is case["matches"], case["why"]


@pytest.mark.parametrize("case", CASES["refuse"], ids=case_id)
def test_every_refused_address_is_refused_in_one_sentence(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidRule) as refusal:
        check_address(case["address"])
    sentence = str(refusal.value)
    assert "\n" not in sentence and sentence.endswith("."), sentence
    assert sentence[0].isupper() and "Traceback" not in sentence
    with pytest.raises(InvalidRule) as again:
        validate_pattern(RuleKind.ADDRESS, case["address"])  # one check for every rule kind
    assert str(again.value) == sentence
    assert not address_matches(case["address"], f"https://{case['address'].strip()}/")


@pytest.mark.parametrize("case", CASES["canonical"], ids=case_id)
def test_an_address_is_kept_in_its_canonical_form(case: dict[str, Any]) -> None:
    assert check_address(case["address"]) == case["canonical"]
    assert check_address(case["canonical"]) == case["canonical"]
    assert validate_pattern(RuleKind.ADDRESS, case["address"]) == case["canonical"]


@pytest.mark.parametrize("address", [
    "zq-private.*", "zq-private.example?x", "https://zq-private.example", "zq-private.example:0",
    "me@zq-private.example", "zq private.example", "zq-private", "zq-private.example/../x",
    "zq-private..example", "zq-privat$.example", "1.2.3.999"])
def test_a_refusal_never_repeats_the_address(address: str) -> None:
    with pytest.raises(InvalidRule) as refusal:
        check_address(address)
    assert "zq" not in str(refusal.value) and "999" not in str(refusal.value)


def test_the_refusals_say_what_is_wrong() -> None:
    words = {
        "ai": "whole site name", "co.uk": "shared by many", "localhost": "needs its port",
        "*.claude.ai": "wildcards", "https://claude.ai": "https://", "me@claude.ai": "@",
        "claude.ai/#x": "fragment", "claude.ai:99999": "1 to 65535",
        "x" * 250 + ".com": f"at most {MAX_ADDRESS_LENGTH} characters",
        "claude\u200b.ai": "invisible formatting", "   ": "empty",
    }
    for address, said in words.items():
        with pytest.raises(InvalidRule) as refusal:
            check_address(address)
        assert said in str(refusal.value), (address, str(refusal.value))


# --- the Matcher: hands address rules on, never matches them ----------------------------------


CLAUDE = TrackedApp("claude", "Claude", (Rule(RuleKind.ADDRESS, "claude.ai"),
                                         Rule(RuleKind.TITLE, "*- Claude")))
ONLY_AT = TrackedApp("custom-bot", "Bot", (Rule(RuleKind.ADDRESS, "mybot.example"),),
                     source="custom")


def test_the_matcher_never_matches_an_address_against_anything() -> None:
    matcher = Matcher([ONLY_AT, CLAUDE], BROWSERS)
    for fg in (Foreground("firefox", title="mybot.example — Mozilla Firefox"),
               Foreground("mybot.example", title="mybot.example"),
               Foreground("firefox", window_class="mybot.example", title="https://mybot.example/"),
               Foreground("firefox", title="claude.ai")):
        assert matcher.match(fg) is None, fg
    assert matcher.match(Foreground("firefox", title="Trip - Claude")) == "claude"


def test_the_matcher_gives_each_apps_addresses_for_the_extension() -> None:
    damaged = TrackedApp("custom-damaged", "Damaged", (Rule(RuleKind.ADDRESS, "*"),
                                                       Rule(RuleKind.ADDRESS, "localhost")))
    plain = TrackedApp("custom-plain", "Plain", (Rule(RuleKind.PROCESS, "plain"),))
    chat = TrackedApp("chatgpt", "ChatGPT", (Rule(RuleKind.ADDRESS, "ChatGPT.com."),
                                             Rule(RuleKind.ADDRESS, "chatgpt.com"),
                                             Rule(RuleKind.ADDRESS, "chat.openai.com")))
    matcher = Matcher([plain, ONLY_AT, damaged, chat, CLAUDE], BROWSERS)
    addresses = matcher.addresses()
    assert list(addresses.items()) == [("custom-bot", ("mybot.example",)),
                                       ("chatgpt", ("chatgpt.com", "chat.openai.com")),
                                       ("claude", ("claude.ai",))]
    addresses.clear()
    assert matcher.addresses()  # a copy: the caller cannot change the matcher
    assert Matcher([plain], BROWSERS).addresses() == {}


# --- the catalog ------------------------------------------------------------------------------


def test_every_catalog_address_is_canonical_and_honestly_unverified() -> None:
    catalog = load_catalog()
    for entry in catalog.entries:
        for address in entry.addresses:
            assert check_address(address) == address, (entry.id, address)
        assert entry.addresses_verified is False, entry.id  # nothing could be opened from here
    found = {e.id: set(e.addresses) for e in catalog.entries}
    for app_id, addresses in NAMED.items():
        assert found.get(app_id) == addresses, app_id


def test_catalog_addresses_become_address_rules_on_every_platform() -> None:
    entry = load_catalog().get("chatgpt")
    for platform in ("linux", "windows", "macos"):
        rules = entry_to_app(entry, platform).rules
        assert [r.pattern for r in rules if r.kind is RuleKind.ADDRESS] == [
            "chatgpt.com", "chat.openai.com"]
    tracked = [entry_to_app(e, "linux") for e in load_catalog().entries]
    assert Matcher(tracked, BROWSERS).addresses()["sillytavern"] == ("localhost:8000",
                                                                     "127.0.0.1:8000")


def test_a_page_of_one_catalog_app_never_counts_as_another() -> None:
    every = [(e.id, a) for e in load_catalog().entries for a in e.addresses]
    for (one, address), (other, page) in permutations(every, 2):
        if one != other:
            url = f"https://{page}/" if ":" not in page else f"http://{page}/"
            assert not address_matches(address, url), (one, address, other, page)
    for app_id, address in every:
        url = f"http://{address}/" if ":" in address else f"https://www.{address}/chat"
        assert address_matches(address, url), (app_id, address)


def _catalog_with(**change: object) -> dict[str, Any]:
    app = {"id": "kindroid", "name": "Kindroid", "bundle_ids": [], "titles": ["Kindroid"],
           "process": {"linux": [], "windows": [], "macos": []}, "addresses": ["kindroid.ai"],
           "addresses_verified": False, "verified": False, "notes": "Web only."}
    app.update(change)
    for key in [k for k, v in change.items() if v is None]:
        del app[key]
    return {"version": 1, "apps": [app],
            "browsers": {"linux": ["firefox"], "windows": [], "macos": [], "bundle_ids": []}}


@pytest.mark.parametrize(("change", "message"), [
    ({"addresses": ["https://kindroid.ai"]}, "'kindroid': address pattern 'https://kindroid.ai'"),
    ({"addresses": ["ai"]}, "'kindroid': address pattern 'ai'"),
    ({"addresses": ["Kindroid.AI"]}, "should be written 'kindroid.ai'"),
    ({"addresses": "kindroid.ai"}, "'addresses' should be a list"),
    ({"addresses": None}, "missing key 'addresses'"),
    ({"addresses_verified": "no"}, "'addresses_verified' should be a bool"),
])
def test_a_bad_catalog_address_names_the_entry(change: dict[str, object], message: str) -> None:
    assert parse_catalog(_catalog_with()).get("kindroid").addresses == ("kindroid.ai",)
    with pytest.raises(ValueError, match=message):
        parse_catalog(_catalog_with(**change))


# --- how an app is recognised, in words -------------------------------------------------------


def test_the_words_say_the_address_and_that_it_needs_the_extension() -> None:
    claude = recognition(entry_to_app(load_catalog().get("claude"), "linux"), "linux")
    assert claude.counted.startswith('the desktop app: the program "claude-desktop", or a '
                                     "browser tab at claude.ai (with driftcheck's browser "
                                     "extension), or whose title ")
    bot = recognition(custom_app("My bot", [], [], False, ["mybot.example"]), "linux")
    assert bot.counted == "a browser tab at mybot.example (with driftcheck's browser extension)"
    assert bot.not_counted == ("Not counted: a tab at another address or in a browser without "
                               "driftcheck's extension, nor other devices.")
    anywhere = recognition(custom_app("Bot", [], ["Bot chat"], True, ["bot.example"]), "linux")
    assert anywhere.counted == ("a browser tab at bot.example (with driftcheck's browser "
                                'extension), or a window whose title says "Bot chat"')


# --- own apps: `apps add --address` -----------------------------------------------------------


def test_custom_app_keeps_addresses_canonical_and_refuses_bad_ones() -> None:
    app = custom_app("My bot", ["mybot"], [], False, [" MyBot.Example. ", "mybot.example",
                                                        "localhost:7860"])
    assert app.rules == (Rule(RuleKind.PROCESS, "mybot"),
                         Rule(RuleKind.ADDRESS, "mybot.example"),
                         Rule(RuleKind.ADDRESS, "localhost:7860"))
    with pytest.raises(InvalidRule, match="needs its port"):
        custom_app("My bot", [], [], False, ["localhost"])


def test_apps_add_with_addresses_and_apps_list_shows_them(run) -> None:  # type: ignore[no-untyped-def]
    added = run("apps", "add", "--name", "My bot", "--address", "MyBot.example",
                "--address", "localhost:7860")
    assert added.code == 0, added.err
    listed = {a["id"]: a for a in json.loads(run("apps", "list", "--json").out)}
    assert listed["custom-my-bot"]["rules"] == [
        {"kind": "address", "pattern": "mybot.example"},
        {"kind": "address", "pattern": "localhost:7860"}]
    assert listed["custom-my-bot"]["counted"] == (
        "a browser tab at mybot.example or localhost:7860 (with driftcheck's browser extension)")
    text = " ".join(run("apps", "list").out.split())
    assert "a browser tab at mybot.example or localhost:7860 (with driftcheck's browser " \
           "extension) (your own)" in text
    catalog = " ".join(run("apps", "catalog").out.split())
    assert "a browser tab at claude.ai (with driftcheck's browser extension)" in catalog


@pytest.mark.parametrize(("argv", "said"), [
    (["--address", "localhost"], "needs its port"),
    (["--address", "*.example.com"], "wildcards"),
    (["--address", "https://mybot.example"], "https://"),
    (["--address", "mybot.example", "--address", "com"], "whole site name"),
    ([], "--process, --app-id, --title or --address"),
])
def test_apps_add_refuses_a_bad_address_in_one_sentence_and_stores_nothing(  # type: ignore[no-untyped-def]
        run, argv: list[str], said: str) -> None:
    result = run("apps", "add", "--name", "My bot", *argv)
    assert result.code == 1
    assert said in one_sentence(result.err)
    assert json.loads(run("apps", "list", "--json").out) == []


# --- export and import ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_address_rules_travel_through_an_export_and_back(run, tmp_path: Path, fmt: str  # type: ignore[no-untyped-def]
                                                         ) -> None:
    folder = tmp_path / "data"
    assert run("apps", "add", "claude", data_dir=folder).code == 0
    assert run("apps", "add", "--name", "My bot", "--address", "mybot.example/chat",
               "--title", "My Bot", data_dir=folder).code == 0
    before = json.loads(run("apps", "list", "--json", data_dir=folder).out)
    assert {"kind": "address", "pattern": "claude.ai"} in before[0]["rules"]
    file = tmp_path / f"export.{'zip' if fmt == 'csv' else 'json'}"
    assert run("export", "--format", fmt, "-o", str(file), data_dir=folder).code == 0
    assert run("wipe", "--yes", data_dir=folder).code == 0
    brought = run("import", str(file), data_dir=folder)
    assert brought.code == 0, brought.err
    assert json.loads(run("apps", "list", "--json", data_dir=folder).out) == before


@pytest.mark.parametrize("address", ["*.example.com", "localhost", "co.uk", "https://x.example"])
def test_an_imported_address_is_checked_like_a_typed_one(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         address: str) -> None:
    folder = tmp_path / "data"
    assert run("apps", "add", "--name", "My bot", "--address", "mybot.example",
               data_dir=folder).code == 0
    file = tmp_path / "export.json"
    assert run("export", "--format", "json", "-o", str(file), data_dir=folder).code == 0
    document = json.loads(file.read_text(encoding="utf-8"))
    [app] = document["apps"]
    app["rules"] = [{"kind": "address", "pattern": address}]
    file.write_text(json.dumps(document), encoding="utf-8")
    result = run("import", str(file), data_dir=tmp_path / "other")
    assert result.code == 1
    assert "rule 1 of app 1 cannot be kept" in one_sentence(result.err)
