"""driftcheck's extension inside real browsers: Chromium and Firefox ESR (every test runs in
both), headful on Xvfb with openbox, a fresh profile each, driven with real keys, clicks and
window activation (xdotool). A local server stands for the sites and a stand-in native host
records every byte the extension sends; after each test the `browser` fixture checks that
each was a bare state ({"type", "app", "audible", "focused"}) holding no host, path, title or
port (tests/browser/conftest.py).

The extension must say which tracked app is in the active tab of the focused window (or
null: an untracked site, an empty tab), whether that tab is audible and whether the browser
has the focus, whenever one of them changes and once after each `rules` (docs/BROWSER.md).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.desktop import XSession
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

A, B = "companion-a", "companion-b"  # claude.ai and character.ai (tests/helpers/real_browsers.py)

# A browser run, as the `browser` fixture starts it (tests/helpers/real_browsers.py: BrowserRun).
Start = Callable[..., Any]


def test_the_active_tab_names_its_tracked_app_and_nothing_else(browser: Start) -> None:
    run = browser(["http://claude.ai/chat/1", "http://example.org/go/claude.ai/new",
                   "http://character.ai/chat?char=7"])
    host = run.host
    host.wait_state(0, app=A, audible=False, focused=True)

    mark = host.mark()
    run.tab(3)  # Ctrl+3 (Chromium) or Alt+3 (Firefox)
    host.wait_state(mark, app=B, audible=False, focused=True)
    mark = host.mark()
    run.key("ctrl+shift+Tab")  # an untracked site
    host.wait_state(mark, app=None, audible=False, focused=True)
    mark = host.mark()
    run.key("ctrl+Tab")
    host.wait_state(mark, app=B)
    mark = host.mark()
    run.tab(1)
    host.wait_state(mark, app=A)

    mark = host.mark()
    run.new_tab("http://notclaude.ai/chat")  # a look-alike of a tracked site: untracked
    host.wait_state(mark, app=None)
    wait_for(lambda: ("notclaude.ai", "/chat") in run.sites.seen, 20, "the look-alike's page")
    mark = host.mark()
    run.type_address("http://www.claude.ai/project/2")  # the same tab, a tracked subdomain
    host.wait_state(mark, app=A)
    mark = host.mark()
    run.key("ctrl+t")  # an empty tab
    host.wait_state(mark, app=None)
    mark = host.mark()
    run.key("ctrl+w")  # closed: the tab before it is in front again
    host.wait_state(mark, app=A)

    # A click on a link in the untracked page leads its tab to a tracked site.
    mark = host.mark()
    run.tab(2)
    host.wait_state(mark, app=None)
    mark = host.mark()
    run.click_page()
    host.wait_state(mark, app=A)
    assert ("claude.ai", "/new") in run.sites.seen


def test_focus_follows_the_window_in_front(browser: Start, xsession: XSession) -> None:
    other = xsession.spawn("other-program", "Another program")
    run = browser(["http://character.ai/chat"])
    run.activate()
    host = run.host
    host.wait_state(0, app=B, audible=False, focused=True)
    for _ in range(2):
        mark = host.mark()
        xsession.activate(other)
        host.wait_state(mark, app=B, audible=False, focused=False)
        mark = host.mark()
        run.activate()
        host.wait_state(mark, app=B, audible=False, focused=True)
    # While another program is in front, the last focused window's tab still counts, with
    # focused false: new rules then bring that state again.
    mark = host.mark()
    xsession.activate(other)
    host.wait_state(mark, app=B, focused=False)
    mark = host.mark()
    host.set_rules([{"id": B, "addresses": ["character.ai"]}])
    host.wait_state(mark, app=B, audible=False, focused=False)


def test_a_tab_playing_sound_is_audible(browser: Start) -> None:
    run = browser(["http://claude.ai/voice"])
    host = run.host
    host.wait_state(0, app=A, audible=True, focused=True, timeout=30)
    mark = host.mark()
    run.new_tab("http://character.ai/")
    host.wait_state(mark, app=B, audible=False, focused=True)
    mark = host.mark()
    run.tab(1)
    host.wait_state(mark, app=A, audible=True, focused=True)


def test_new_rules_reach_the_extension_without_a_restart(browser: Start) -> None:
    run = browser(["http://example.org/notes"])
    host = run.host
    host.wait_state(0, app=None, audible=False, focused=True)

    mark = host.mark()
    host.set_rules([{"id": A, "addresses": ["claude.ai"]},
                    {"id": "companion-c", "addresses": ["example.org/notes"]}])
    host.wait_state(mark, app="companion-c")
    # The same rules again: the state again, once, although nothing changed.
    mark = host.mark()
    host.set_rules([{"id": A, "addresses": ["claude.ai"]},
                    {"id": "companion-c", "addresses": ["example.org/notes"]}])
    host.wait_state(mark, app="companion-c")
    assert host.mark() == mark + 1
    # A path prefix: another page of the same site is not the app.
    mark = host.mark()
    run.type_address("http://example.org/other")
    host.wait_state(mark, app=None)
    mark = host.mark()
    host.set_rules([])
    host.wait_state(mark, app=None)


def test_the_extension_reconnects_when_its_host_goes(browser: Start) -> None:
    run = browser(["http://claude.ai/"])
    host = run.host
    host.wait_state(0, app=A, focused=True)
    (first,) = wait_for(host.running, 10, "the host to run")
    mark = host.mark()
    os.kill(first, signal.SIGKILL)
    (second,) = wait_for(lambda: [p for p in host.running() if p != first], 30,
                         "the browser to start the host again")
    assert second != first
    # The new host's first words: the state once after its rules, though it is unchanged.
    host.wait_state(mark, app=A, audible=False, focused=True)
    mark = host.mark()
    run.new_tab("http://character.ai/")
    host.wait_state(mark, app=B)
