"""`driftcheck browser install`: the host manifests in each browser's per-user place (a
temporary HOME) or a profile root given with --config-dir, and the launcher they name, in the
data folder. That a browser really reads them and starts the host: tests/e2e (the launcher)
and the extension's own browser tests."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import Result
from widget.browser import BROWSERS, CHROMIUM_EXTENSION_ID, GECKO_ID, NATIVE_HOST_NAME
from widget.browser.manifests import BY_KEY, manifest_folder, profile_root, registry_key
from widget.datafolder import our_files
from widget.paths import BROWSER_LAUNCHER_NAME, BROWSER_SOCKET_NAME

REPO = Path(__file__).resolve().parents[2]
IDS = REPO / "resources" / "browser" / "ids.json"
MANIFEST = f"{NATIVE_HOST_NAME}.json"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return path


def read(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_firefox_gets_a_manifest_that_lets_only_driftchecks_extension_start_the_launcher(
        run, data: Path, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "profile-root"
    result: Result = run("browser", "install", "--browser", "firefox", "--config-dir", str(root))
    assert result.code == 0, result.err
    path = root / "native-messaging-hosts" / MANIFEST
    launcher = data.absolute() / BROWSER_LAUNCHER_NAME
    assert read(path) == {"name": NATIVE_HOST_NAME, "description": read(path)["description"],
                          "path": str(launcher), "type": "stdio",
                          "allowed_extensions": [GECKO_ID]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Firefox: ready" in result.out and str(path) in result.out
    assert not (home / ".mozilla").exists()  # --config-dir instead of the usual place


def test_chromium_gets_the_extensions_origin_and_the_launcher_runs_this_driftcheck(
        run, data: Path, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "user data dir"
    assert run("browser", "install", "--browser", "chromium", "--config-dir", str(root)).code == 0
    manifest = read(root / "NativeMessagingHosts" / MANIFEST)
    assert manifest["allowed_origins"] == [f"chrome-extension://{CHROMIUM_EXTENSION_ID}/"]
    assert "allowed_extensions" not in manifest
    launcher = Path(str(manifest["path"]))
    assert launcher == data.absolute() / BROWSER_LAUNCHER_NAME
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o700
    text = launcher.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert f"exec {sys.executable} -m widget --data-dir {data.absolute()} browser-host \"$@\"" \
        in text
    subprocess.run(["sh", "-n", str(launcher)], check=True)  # the shell can read it


def test_all_writes_to_each_browser_found_in_home_and_only_those(
        run, home: Path) -> None:  # type: ignore[no-untyped-def]
    (home / ".mozilla").mkdir()
    (home / ".config" / "chromium").mkdir(parents=True)
    (home / ".config" / "BraveSoftware" / "Brave-Browser").mkdir(parents=True)
    result = run("browser", "install")
    assert result.code == 0, result.err
    written = sorted(str(p.relative_to(home)) for p in home.rglob(MANIFEST))
    assert written == [".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/" + MANIFEST,
                       ".config/chromium/NativeMessagingHosts/" + MANIFEST,
                       ".mozilla/native-messaging-hosts/" + MANIFEST]
    assert not (home / ".config" / "google-chrome").exists()


def test_xdg_config_home_is_where_the_chromium_family_lives(
        home: Path, tmp_path: Path) -> None:
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert profile_root(BY_KEY["chrome"], env, "linux") == tmp_path / "xdg" / "google-chrome"
    assert profile_root(BY_KEY["firefox"], env, "linux") == home / ".mozilla"
    assert profile_root(BY_KEY["chrome"], {**env, "XDG_CONFIG_HOME": "relative"}, "linux") == \
        home / ".config" / "google-chrome"


def test_no_browser_found_writes_nothing_and_says_how_to_name_one(
        run, data: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("browser", "install")
    assert result.code == 1
    assert "--browser" in result.err
    assert list(home.rglob(MANIFEST)) == []
    assert not (data / BROWSER_LAUNCHER_NAME).exists()


def test_a_folder_that_cannot_take_the_file_is_refused_before_anything_is_written(
        run, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("in the way")
    result = run("browser", "install", "--browser", "chrome", "--config-dir", str(in_the_way))
    assert result.code == 1
    assert "nothing was written" in result.err
    assert not (data / BROWSER_LAUNCHER_NAME).exists()


def test_config_dir_needs_one_browser(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("browser", "install", "--config-dir", str(tmp_path))
    assert result.code == 1
    assert "--browser" in result.err


def test_uninstall_removes_only_what_serves_this_data_folder(
        run, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    (home / ".mozilla").mkdir()
    (home / ".config" / "chromium").mkdir(parents=True)
    other = tmp_path / "other-data"
    assert run("browser", "install", "--browser", "chromium", data_dir=other).code == 0
    assert run("browser", "install", "--browser", "firefox").code == 0
    result = run("browser", "install", "--uninstall")
    assert result.code == 0
    assert not (home / ".mozilla" / "native-messaging-hosts" / MANIFEST).exists()
    assert (home / ".config" / "chromium" / "NativeMessagingHosts" / MANIFEST).exists()
    assert "serves another data folder" in result.out
    assert "Firefox: removed" in result.out


def test_installing_over_another_folders_host_says_so(
        run, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "root"
    run("browser", "install", "--browser", "vivaldi", "--config-dir", str(root),
        data_dir=tmp_path / "first")
    result = run("browser", "install", "--browser", "vivaldi", "--config-dir", str(root))
    assert "served another driftcheck before" in result.out
    assert "first" in result.out


def test_the_launcher_and_the_socket_are_ours_for_wipe(
        run, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("browser", "install", "--browser", "firefox", "--config-dir", str(tmp_path / "ff"))
    (data / BROWSER_SOCKET_NAME).write_text("")  # stands for the socket
    names = {p.name for p in our_files(data)}
    assert {BROWSER_LAUNCHER_NAME, BROWSER_SOCKET_NAME} <= names


def test_windows_is_refused_in_a_sentence(home: Path) -> None:
    import argparse

    from widget.commands.browser import install
    from widget.errors import UsageError

    args = argparse.Namespace(browser="chrome", config_dir=None, uninstall=False, data_dir=None,
                              log_level=None)
    with pytest.raises(UsageError, match="Windows"):
        install(args, {"HOME": str(home)}, "win32")


def test_macos_places_and_windows_keys_follow_the_browsers_documents() -> None:
    """Unverified on those systems: written as the browsers document them."""
    home = Path("/Users/me")
    env = {"HOME": str(home)}
    support = home / "Library" / "Application Support"
    firefox, chrome = BY_KEY["firefox"], BY_KEY["chrome"]
    assert manifest_folder(firefox, profile_root(firefox, env, "darwin"), "darwin") == \
        support / "Mozilla" / "NativeMessagingHosts"
    assert manifest_folder(chrome, profile_root(chrome, env, "darwin"), "darwin") == \
        support / "Google" / "Chrome" / "NativeMessagingHosts"
    assert registry_key(firefox) == r"Software\Mozilla\NativeMessagingHosts\io.github.driftcheck"
    assert registry_key(BY_KEY["edge"]) == \
        r"Software\Microsoft\Edge\NativeMessagingHosts\io.github.driftcheck"


def test_the_ids_are_the_extensions_own() -> None:
    """The extension's build names its ids in ids.json; the manifests must allow those."""
    ids = read(IDS)
    assert (ids["native_host"], ids["chromium"], ids["firefox"]) == \
        (NATIVE_HOST_NAME, CHROMIUM_EXTENSION_ID, GECKO_ID)


def test_every_browser_the_command_line_offers_has_a_place() -> None:
    assert tuple(BY_KEY) == BROWSERS


def test_the_extension_is_written_where_asked_and_says_how_to_load_it(
        run, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`browser extension`: the Chromium folder (its manifest holds the fixed key, so the id
    the host manifest allows) and the Firefox .xpi, each with the way to load it; a folder
    that is not an earlier build is never replaced."""
    import zipfile

    folder = tmp_path / "out" / "chromium"
    result = run("browser", "extension", "--browser", "chromium", "--output", str(folder))
    assert result.code == 0, result.err
    assert str(folder) in result.out and "Load unpacked" in result.out
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "background.js",
                                                   "address.js"}
    assert "key" in read(folder / "manifest.json")
    again = run("browser", "extension", "--browser", "chromium", "--output", str(folder))
    assert again.code == 0, "an earlier build is replaced"

    xpi = tmp_path / "out" / "driftcheck.xpi"
    result = run("browser", "extension", "--browser", "firefox", "--output", str(xpi))
    assert result.code == 0, result.err
    with zipfile.ZipFile(xpi) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["browser_specific_settings"]["gecko"]["id"] == GECKO_ID

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run("browser", "extension", "--browser", "chromium", "--output", str(mine))
    assert refused.code == 1 and "left as it is" in refused.err
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_wipe_removes_the_manifests_that_serve_this_folder_and_leaves_others(
        run, data: Path, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    (home / ".mozilla").mkdir()
    (home / ".config" / "chromium").mkdir(parents=True)
    assert run("browser", "install").code == 0
    firefox = home / ".mozilla" / "native-messaging-hosts" / MANIFEST
    chromium = home / ".config" / "chromium" / "NativeMessagingHosts" / MANIFEST
    assert firefox.is_file() and chromium.is_file()
    other = tmp_path / "other"
    assert run("browser", "install", "--browser", "chromium", data_dir=other).code == 0
    assert str(other.absolute()) in read(chromium)["path"], "chromium now serves the other"

    wiped = run("wipe", "--yes")
    assert wiped.code == 0, wiped.err
    assert f"the browser host manifest {firefox}" in wiped.out
    assert not firefox.exists(), "this folder's manifest goes with it"
    assert chromium.is_file(), "another folder's manifest stays"
