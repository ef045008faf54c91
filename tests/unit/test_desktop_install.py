"""`driftcheck desktop install`: driftcheck's GNOME Shell extension built for the Shell at hand
(widget.desktop.gnome_extension), written to the person's extensions folder and switched on
in GNOME's own settings, through the real `gsettings` and GNOME Shell's installed schema (its
keyfile backend under a made-up home, so no desktop and no bus is needed); removed again by
--uninstall and by `wipe` of the usual data folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.skips import skip_or_fail
from widget.commands.desktop import install, uninstall
from widget.desktop import gnome_extension as gx
from widget.errors import DesktopInstallRefused
from widget.services.wipe import find_traces, run_wipe


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A made-up home whose GNOME settings live in a keyfile; the environment to use."""
    if shutil.which("gsettings") is None:
        skip_or_fail("gsettings not installed (package libglib2.0-bin)")
    folder = tmp_path / "home"
    folder.mkdir()
    env = {"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config"),
           "XDG_DATA_HOME": str(folder / ".local" / "share"), "GSETTINGS_BACKEND": "keyfile",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    schemas = subprocess.run(["gsettings", "list-schemas"], capture_output=True, text=True,
                             env=env, check=False).stdout.split()
    if gx.SETTINGS_SCHEMA not in schemas:
        skip_or_fail("GNOME Shell's settings schema not installed (package gnome-shell)")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env


def gsettings(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["gsettings", *args], capture_output=True, text=True, env=env,
                          check=True).stdout.strip()


@pytest.mark.parametrize(("version", "form"), [
    ("43.9", "43"), ("44.1", "43"), ("45.0", "45"), ("46.2", "45"), ("50.beta", "45"),
    ("42.5", None), ("3.38.1", None), ("", None), ("unknown", None)])
def test_the_form_follows_the_shell_version(version: str, form: str | None) -> None:
    assert gx.form_for(version) == form


def test_both_forms_carry_the_one_source_with_their_own_entry_point() -> None:
    old, new = gx.extension_js("43"), gx.extension_js("45")
    for name in gx.SOURCES:
        assert gx.source(name) in old and gx.source(name) in new
    assert "const {Gio, GLib, Meta, Shell} = imports.gi;" in old and "function init()" in old
    assert "import " not in old.split("imports.gi;")[1] and "export " not in old
    assert "imports.gi" not in new and "export default class DriftcheckExtension extends " \
        "Extension" in new
    assert gx.metadata("43")["shell-version"] == ["43", "44"]
    assert gx.metadata("45")["shell-version"] == ["45", "46", "47", "48", "49", "50"]


def test_both_forms_parse_as_javascript(tmp_path: Path) -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        skip_or_fail("node not installed (package nodejs)")
    script, module = tmp_path / "extension.js", tmp_path / "extension.mjs"
    script.write_text(gx.extension_js("43"))
    module.write_text(gx.extension_js("45"))
    for path in (script, module):
        done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr


def test_install_writes_the_extension_and_switches_it_on_keeping_the_others(
        home: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    gsettings(home, "set", "org.gnome.shell", "enabled-extensions",
              "['ubuntu-appindicators@ubuntu.com']")
    gsettings(home, "set", "org.gnome.shell", "disabled-extensions", f"['{gx.UUID}']")
    assert install("43.9", home) == 0
    folder = Path(home["XDG_DATA_HOME"]) / "gnome-shell" / "extensions" / gx.UUID
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["uuid"] == gx.UUID and metadata["shell-version"] == ["43", "44"]
    assert (folder / "extension.js").read_text() == gx.extension_js("43")
    assert gsettings(home, "get", "org.gnome.shell", "enabled-extensions") == \
        f"['ubuntu-appindicators@ubuntu.com', '{gx.UUID}']"
    assert gx.UUID not in gsettings(home, "get", "org.gnome.shell", "disabled-extensions")
    said = capsys.readouterr().out
    assert "next log in" in said.replace("login", "log in") and "GNOME 43.9" in said

    assert install("46.0", home) == 0  # again, for a newer Shell: replaced, listed once
    assert json.loads((folder / "metadata.json").read_text())["shell-version"][0] == "45"
    assert gsettings(home, "get", "org.gnome.shell", "enabled-extensions").count(gx.UUID) == 1

    assert uninstall(home) == 0
    assert not folder.exists()
    assert gsettings(home, "get", "org.gnome.shell", "enabled-extensions") == \
        "['ubuntu-appindicators@ubuntu.com']"


def test_a_folder_of_someone_elses_by_that_name_is_left_alone(home: dict[str, str]) -> None:
    folder = Path(home["XDG_DATA_HOME"]) / "gnome-shell" / "extensions" / gx.UUID
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(DesktopInstallRefused, match="not driftcheck's"):
        install("43.9", home)
    assert (folder / "notes.txt").read_text() == "mine"
    assert gx.UUID not in gsettings(home, "get", "org.gnome.shell", "enabled-extensions")
    uninstall(home)
    assert (folder / "notes.txt").exists()


def test_an_old_shell_or_none_is_refused_in_a_sentence(home: dict[str, str]) -> None:
    with pytest.raises(DesktopInstallRefused, match="GNOME Shell 43 or newer; this one is 42"):
        install("42.9", home)
    with pytest.raises(DesktopInstallRefused, match="GNOME Shell is not installed"):
        install(None, {**home, "PATH": str(Path(home["HOME"]) / "empty")})


def test_wipe_of_the_usual_folder_removes_the_extension_and_a_trial_folder_does_not(
        home: dict[str, str], tmp_path: Path) -> None:
    install("43.9", home)
    folder = gx.installed_folder(home)
    trial = tmp_path / "trial"
    trial.mkdir()
    assert find_traces(trial, "linux", home).gnome_extension is None
    usual = Path(home["HOME"]) / ".local" / "share" / "driftcheck"
    assert find_traces(usual, "linux", home).gnome_extension == folder
    assert run_wipe(usual, True, "linux", home) == 0
    assert not folder.exists()
    assert gx.UUID not in gsettings(home, "get", "org.gnome.shell", "enabled-extensions")
