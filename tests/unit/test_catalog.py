"""The shipped catalog, its parsing, and apps the person describes themselves."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from widget.catalog_data import current_platform, load_catalog
from widget.core.catalog import Catalog, custom_app, entry_to_app, parse_catalog
from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import Matcher
from widget.errors import InvalidRule, UnknownApp

REQUIRED_IDS = {
    "replika", "character-ai", "nomi", "kindroid", "chai", "janitor-ai", "spicychat",
    "crushon-ai", "talkie", "paradot", "candy-ai", "pi", "chatgpt", "claude", "grok",
    "sillytavern", "koboldcpp", "lm-studio", "open-webui", "backyard-ai",
}  # fmt: skip

# Windows a person has in front on an ordinary day; no catalog title pattern may claim them.
ORDINARY_TITLES = [
    "Inbox - Gmail — Mozilla Firefox",
    "Chair shopping - Google Chrome",
    "Masala chai recipe - BBC Good Food - Google Chrome",
    "Pipeline docs - Chromium",
    "Terminal",
    "Spreadsheet.ods - LibreOffice Calc",
    "Python tutorial - YouTube — Mozilla Firefox",
    "Home / X - Google Chrome",
    "Claude Monet - Wikipedia — Mozilla Firefox",
    "Edgar Allan Poe - Wikipedia - Google Chrome",
    "Poems - Poetry Foundation — Mozilla Firefox",
    "Grokking Algorithms - Manning - Google Chrome",
    "Gemini Dates and Personality Traits - Astrology.com - Google Chrome",
    "Walkie talkie for kids - Amazon.co.uk - Google Chrome",
    "Replikation \u2013 Wikipedia — Mozilla Firefox",
    "Economics news - The Economist - Google Chrome",
    "How ChatGPT changed search - The Verge - Google Chrome",
    "ChatGPT is down for thousands of users - BBC News - Google Chrome",
    "DeepSeek shakes up markets - Reuters — Mozilla Firefox",
    "GitHub Copilot · Your AI pair programmer · GitHub - Google Chrome",
    "api.ai migration guide - Dialogflow - Google Chrome",
    "Pizza near me - Google Search - Google Chrome",
    "Raspberry Pi 5 - Raspberry Pi - Google Chrome",
    "The Silly Tavern pub quiz - Facebook - Google Chrome",
    "Kobold (folklore) - Wikipedia — Mozilla Firefox",
    "Open source web UI frameworks - Google Chrome",
    "Candy Crush Saga - Play online - Google Chrome",
    "Backyard chicken coop ideas - Pinterest - Google Chrome",
    "Janitorial services near me - Google Search - Google Chrome",
    "Spicy chicken wings recipe - Google Chrome",
    "Character design tutorial - YouTube — Mozilla Firefox",
    "Paradox Interactive - Google Chrome",
    "Untitled document - Google Docs - Google Chrome",
    "Nomination form - Google Forms - Google Chrome",
    "Jan 2025 budget.xlsx - Excel",
    "Perplexity - Wikipedia — Mozilla Firefox",
    "Meta AI - Wikipedia - Google Chrome",
    "Le chat botté - Wikipédia — Mozilla Firefox",
]

# My best guesses at real tab titles (unverified), one or more per catalog entry with titles.
REALISTIC_TITLES = {
    "replika": ["Replika - Google Chrome", "Replika — Mozilla Firefox"],
    "character-ai": [
        "character.ai | Personalized AI for every moment of your day - Google Chrome",
        "Character.AI — Mozilla Firefox",
    ],
    "nomi": ["Nomi - AI Companion with a Soul - Google Chrome", "Nomi.ai — Mozilla Firefox"],
    "kindroid": ["Kindroid - Google Chrome"],
    "chai": ["Chai AI - Google Chrome", "Chai - Chat with AI Friends — Mozilla Firefox"],
    "janitor-ai": ["JanitorAI - Google Chrome"],
    "spicychat": ["SpicyChat AI - Chat with AI characters - Google Chrome"],
    "crushon-ai": ["CrushOn.AI - NSFW Character AI Chat - Google Chrome"],
    "talkie": ["Talkie AI - Chat with AI characters — Mozilla Firefox"],
    "paradot": ["Paradot - Google Chrome"],
    "candy-ai": ["Candy.ai - Google Chrome", "Candy AI — Mozilla Firefox"],
    "pi": ["Pi, your personal AI - Google Chrome", "Pi, your personal AI"],
    "chatgpt": [
        "ChatGPT - Google Chrome",
        "ChatGPT — Mozilla Firefox",
        "ChatGPT - Code Copilot - Google Chrome",
        "Trip planning | ChatGPT",
    ],
    "claude": ["Claude - Google Chrome", "Planning a trip - Claude — Mozilla Firefox"],
    "grok": ["Grok - Google Chrome", "Grok / X — Mozilla Firefox", "Trip ideas - Grok"],
    "gemini": ["Gemini - Google Chrome", "Google Gemini — Mozilla Firefox"],
    "copilot": ["Microsoft Copilot: Your AI companion - Microsoft Edge"],
    "poe": ["Poe - Fast, Helpful AI Chat - Google Chrome", "Claude-Sonnet - Poe"],
    "deepseek": ["DeepSeek - Into the Unknown - Google Chrome", "Help with code - DeepSeek"],
    "sillytavern": ["SillyTavern - Google Chrome", "SillyTavern — Mozilla Firefox"],
    "koboldcpp": ["KoboldAI Lite - Google Chrome", "KoboldCpp — Mozilla Firefox"],
    "open-webui": ["Open WebUI - Google Chrome", "New Chat | Open WebUI — Mozilla Firefox"],
    "backyard-ai": ["Backyard AI - Google Chrome"],
    "agnai": ["Agnaistic - Google Chrome"],
    "chub-ai": ["Chub AI - Google Chrome", "Characters | chub.ai — Mozilla Firefox"],
    "polybuzz": ["PolyBuzz: Chat with AI Friends - Google Chrome"],
    "meta-ai": ["Weekend plans | Meta AI - Google Chrome", "Recipe ideas - Meta AI"],
    "mistral": ["Le Chat - Mistral AI - Google Chrome", "Le Chat | Mistral AI — Mozilla Firefox"],
    "perplexity": ["What is the tallest tree? - Perplexity - Google Chrome",
                   "Perplexity.ai — Mozilla Firefox"],
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def title_matcher(catalog: Catalog) -> Matcher:
    tracked = [entry_to_app(entry, "linux") for entry in catalog.entries]
    return Matcher(tracked, catalog.browser_names("linux"))


def minimal_data() -> dict[str, Any]:
    return {
        "version": 1,
        "browsers": {"linux": ["firefox"], "windows": [], "macos": [], "bundle_ids": []},
        "apps": [
            {
                "id": "kindroid",
                "name": "Kindroid",
                "process": {"linux": [], "windows": [], "macos": []},
                "bundle_ids": [],
                "titles": ["Kindroid"],
                "addresses": ["kindroid.ai"],
                "addresses_verified": False,
                "verified": False,
                "notes": "Web only.",
            }
        ],
    }


# --- the shipped catalog --------------------------------------------------------------------


def test_shipped_catalog_has_every_required_app_once(catalog: Catalog) -> None:
    ids = [entry.id for entry in catalog.entries]
    assert len(ids) >= 20
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED_IDS


def test_shipped_patterns_are_honestly_unverified_and_explained(catalog: Catalog) -> None:
    for entry in catalog.entries:
        assert entry.verified is False, entry.id
        assert entry.notes.strip(), entry.id
        assert entry.titles or any(entry.processes.values()), entry.id


@pytest.mark.parametrize("title", ORDINARY_TITLES)
def test_no_catalog_pattern_claims_an_ordinary_window(catalog: Catalog, title: str) -> None:
    assert title_matcher(catalog).match(Foreground("firefox", title=title)) is None


def test_every_entry_with_titles_catches_a_realistic_tab(catalog: Catalog) -> None:
    matcher = title_matcher(catalog)
    with_titles = {entry.id for entry in catalog.entries if entry.titles}
    assert with_titles <= set(REALISTIC_TITLES), "write realistic titles for new entries"
    for app_id, titles in REALISTIC_TITLES.items():
        for title in titles:
            assert matcher.match(Foreground("google-chrome", title=title)) == app_id, title


def test_desktop_apps_are_recognised_by_process_on_their_platform(catalog: Catalog) -> None:
    tracked = [entry_to_app(entry, "macos") for entry in catalog.entries]
    mac = Matcher(tracked, catalog.browser_names("macos"))
    assert mac.match(Foreground("ChatGPT", window_class="com.openai.chat")) == "chatgpt"
    assert mac.match(Foreground("Claude")) == "claude"
    assert mac.is_browser(Foreground("Safari Web Content", window_class="com.apple.Safari"))
    tracked = [entry_to_app(entry, "windows") for entry in catalog.entries]
    win = Matcher(tracked, catalog.browser_names("windows"))
    assert win.match(Foreground("koboldcpp_cu12.exe")) == "koboldcpp"
    assert win.match(Foreground("LM Studio.exe")) == "lm-studio"
    assert win.is_browser(Foreground("msedge.exe"))


def test_browser_names_are_lowercased_and_include_bundle_ids(catalog: Catalog) -> None:
    names = catalog.browser_names("macos")
    assert {"google chrome", "safari", "com.apple.safari"} <= names
    assert "firefox-esr" in catalog.browser_names("linux")


def test_current_platform_is_one_the_catalog_knows() -> None:
    assert current_platform() in {"linux", "windows", "macos"}


# --- parsing --------------------------------------------------------------------------------


def test_entry_to_app_uses_only_that_platforms_rules() -> None:
    entry = load_catalog().get("chatgpt")
    linux = entry_to_app(entry, "linux")
    assert linux.key == "chatgpt" and linux.source == "catalog"
    assert {rule.kind for rule in linux.rules} == {RuleKind.TITLE, RuleKind.ADDRESS}
    assert [r.pattern for r in linux.rules if r.kind is RuleKind.ADDRESS] == [
        "chatgpt.com", "chat.openai.com"]
    mac = entry_to_app(entry, "macos")
    assert Rule(RuleKind.BUNDLE, "com.openai.chat") in mac.rules
    assert Rule(RuleKind.PROCESS, "ChatGPT") in mac.rules
    assert Rule(RuleKind.PROCESS, "ChatGPT.exe") in entry_to_app(entry, "windows").rules
    with pytest.raises(ValueError, match="unknown platform"):
        entry_to_app(entry, "beos")


def test_unknown_app_says_how_to_list_them(catalog: Catalog) -> None:
    with pytest.raises(UnknownApp, match=r"no app called 'zork'.*driftcheck apps catalog"):
        catalog.get("zork")


def test_minimal_catalog_parses() -> None:
    parsed = parse_catalog(minimal_data())
    assert parsed.get("kindroid").titles == ("Kindroid",)
    assert parsed.browser_names("linux") == frozenset({"firefox"})


def broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(minimal_data())
    entry = data["apps"][0]
    if change == "duplicate":
        data["apps"].append(copy.deepcopy(entry))
    elif change == "greedy title":
        entry["titles"] = ["*"]
    elif change == "missing notes":
        del entry["notes"]
    elif change == "bad id":
        entry["id"] = "Kin Droid"
    elif change == "process not a list":
        entry["process"]["linux"] = "kindroid"
    elif change == "verified not bool":
        entry["verified"] = "no"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "'kindroid': the id is used twice"),
        ("greedy title", "'kindroid': title pattern '\\*'"),
        ("missing notes", "'kindroid': missing key 'notes'"),
        ("bad id", "'Kin Droid': the id should be lowercase-kebab"),
        ("process not a list", "'kindroid' process.*should be a list"),
        ("verified not bool", "'kindroid': 'verified' should be a bool"),
    ],
)
def test_broken_catalog_names_the_bad_entry(change: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_catalog(broken(change))


@pytest.mark.parametrize("data", [None, [], {"version": 2, "apps": [], "browsers": {}}])
def test_catalog_of_wrong_shape_is_refused(data: object) -> None:
    with pytest.raises(ValueError, match="catalog"):
        parse_catalog(data)


# --- custom apps ----------------------------------------------------------------------------


def test_custom_app_key_rules_and_source() -> None:
    made = custom_app("  Café Chat! ", ["cafechat.exe"], ["Café Chat"], any_window=True)
    assert made == TrackedApp(
        key="custom-cafe-chat",
        name="Café Chat!",
        rules=(Rule(RuleKind.PROCESS, "cafechat.exe"), Rule(RuleKind.TITLE, "Café Chat")),
        any_window_titles=True,
        source="custom",
    )


def test_custom_app_with_no_ascii_in_name_gets_a_plain_key() -> None:
    assert custom_app("恋人", [], ["恋人チャット"], any_window=False).key == "custom-app"


@pytest.mark.parametrize(
    ("name", "processes", "titles", "message"),
    [
        ("Mine", [], [], "Please give at least one process name or title pattern."),
        ("   ", ["mine"], [], "Please give the app a name."),
        ("x" * 81, ["mine"], [], "App names can be at most 80 characters."),
        ("Mine", ["*"], [], "only of wildcards"),
        ("Mine", [], ["   "], "That title pattern is empty."),
    ],
)
def test_custom_app_refuses_with_one_sentence(
    name: str, processes: list[str], titles: list[str], message: str
) -> None:
    with pytest.raises(InvalidRule, match=message):
        custom_app(name, processes, titles, any_window=False)


def test_a_resource_in_a_sub_folder_is_found_where_resources_is_a_namespace_package(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Installed by pip, widget/resources/ has no __init__.py: `files()` gives a
    MultiplexedPath, whose joinpath took one part before Python 3.12 (`desktop install` and
    `browser extension` failed with a TypeError there)."""
    from importlib.readers import MultiplexedPath

    from widget import catalog_data

    installed = tmp_path / "resources"
    (installed / "gnome" / "extension").mkdir(parents=True)
    (installed / "gnome" / "extension" / "titles.js").write_text("// installed\n")
    monkeypatch.setattr(catalog_data.resources, "files",
                        lambda package: MultiplexedPath(str(installed)))
    assert catalog_data.resource_path("gnome", "extension", "titles.js") == \
        installed / "gnome" / "extension" / "titles.js"
