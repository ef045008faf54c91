"""widget.probes.kwin without KWin: which sessions are KDE on Wayland, what a Focus call's body
may hold (anything else is dropped: only KWin's connection is believed, but its script's calls
are still read as untrusted text), and the written script's header, which must hand the
title rules to JavaScript exactly as Python has them, whatever characters they hold."""

# ruff: noqa: RUF001  (look-alike letters are part of what is tested)
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.helpers.skips import skip_or_fail
from widget.probes.kwin import _Active, _parse, is_kde_wayland, script_source


@pytest.mark.parametrize(("env", "expected"), [
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "ubuntu:kde"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0", "KDE_FULL_SESSION": "true"}, True),
    ({"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, False),  # Plasma on X11: the X11 probe
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "sway"}, False),
])
def test_is_kde_wayland(env: dict[str, str], expected: bool) -> None:
    assert is_kde_wayland(env) is expected


def test_a_focus_call_is_read_as_five_strings() -> None:
    assert _parse(("t", "firefox", "org.mozilla.firefox", "4242", "0,3")) == (
        "t", _Active("firefox", "org.mozilla.firefox", 4242, (0, 3)))
    assert _parse(("t", "", "", "0", "")) == ("t", _Active("", "", 0, ()))


@pytest.mark.parametrize("body", [
    ("t", "firefox", "firefox", 4242, "0"),  # a number where a string belongs
    ("t", "firefox", "firefox", "4242"),  # one missing
    ("t", "firefox", "firefox", "4242", "0", "extra"),
    ("t", "firefox", "firefox", "pid", "0"),
    ("t", "firefox", "firefox", "1", "0,x"),
    ("t", ["a"], "firefox", "1", "0"),
])
def test_anything_else_is_dropped(body: tuple[object, ...]) -> None:
    assert _parse(body) is None


def test_oversized_parts_are_cut() -> None:
    parsed = _parse(("t", "x" * 5000, "y" * 5000, "-7", ",".join(["1"] * 2000)))
    assert parsed is not None
    active = parsed[1]
    assert (len(active.resource_class), len(active.desktop_file)) == (200, 200)
    assert active.pid == 0 and len(active.hits) == 500


RULES = ["s:kobold", "g:*- Claude", 's:"quoted" \\ back', "s:line\u2028separator",
         "s:</script>", "g:[!a-z]ı*", "s:emoji 😀", "s:*/ closing a comment"]


def test_the_header_hands_the_rules_over_exactly() -> None:
    """Evaluated by Node (a JavaScript engine as QJSEngine is one), the written script's
    header gives DRIFTCHECK_RULES and DRIFTCHECK_KWIN as they were given."""
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node not installed (package nodejs): the KWin script is unchecked")
        return
    source = script_source(":1.42", "abcd", RULES)
    header = source.split("\n// Title rules:", 1)[0]  # up to titles.js
    program = header + "\nprocess.stdout.write(JSON.stringify([DRIFTCHECK_KWIN, " \
                       "DRIFTCHECK_RULES]));"
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    bus, rules = json.loads(done.stdout)
    assert rules == RULES
    assert bus == {"service": ":1.42", "path": "/io/github/driftcheck/KWinFocus",
                   "iface": "io.github.driftcheck.KWinFocus1", "token": "abcd"}


def test_the_whole_script_parses() -> None:
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node not installed (package nodejs): the KWin script is unchecked")
        return
    source = script_source(":1.42", "abcd", RULES)
    done = subprocess.run([node, "--check"], input=source, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
