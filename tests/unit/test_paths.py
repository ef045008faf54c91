"""Where the data lives, and that it stays private whatever the umask says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.fs import mode
from widget.paths import (
    default_data_dir,
    ensure_private_dir,
    make_private,
    private_file,
    private_umask,
    set_private_umask,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX-only")


def test_env_override_wins_on_every_platform() -> None:
    env = {"DRIFTCHECK_DATA_DIR": "/data/dc", "HOME": "/home/u", "APPDATA": r"C:\x"}
    for platform in ("linux", "darwin", "win32"):
        assert default_data_dir(env, platform) == Path("/data/dc")


def test_linux_uses_xdg_data_home_then_local_share() -> None:
    assert default_data_dir({"HOME": "/home/u", "XDG_DATA_HOME": "/xdg"}, "linux") == Path(
        "/xdg/driftcheck"
    )
    assert default_data_dir({"HOME": "/home/u"}, "linux") == Path("/home/u/.local/share/driftcheck")


def test_linux_ignores_relative_xdg_data_home() -> None:
    env = {"HOME": "/home/u", "XDG_DATA_HOME": "relative/dir"}
    assert default_data_dir(env, "linux") == Path("/home/u/.local/share/driftcheck")


def test_macos_uses_application_support() -> None:
    assert default_data_dir({"HOME": "/Users/u"}, "darwin") == Path(
        "/Users/u/Library/Application Support/driftcheck"
    )


def test_windows_uses_appdata() -> None:
    env = {"HOME": "/home/u", "APPDATA": "/appdata/Roaming"}
    assert default_data_dir(env, "win32") == Path("/appdata/Roaming/driftcheck")


@posix_only
def test_ensure_private_dir_creates_nested_dir_0700(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "a" / "b" / "driftcheck"
    assert ensure_private_dir(target) == target
    assert target.is_dir()
    assert mode(target) == 0o700


@posix_only
def test_ensure_private_dir_tightens_an_open_dir(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "driftcheck"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    ensure_private_dir(target)
    assert mode(target) == 0o700


@posix_only
def test_ensure_private_dir_never_closes_a_shared_folder(tmp_path: Path) -> None:
    shared = tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)  # sticky and open to all, like /tmp
    with pytest.raises(PermissionError, match="shared with others"):
        ensure_private_dir(shared)
    assert mode(shared) == 0o1777


@posix_only
def test_the_cli_refuses_a_shared_folder_in_one_sentence(tmp_path: Path) -> None:
    from widget.cli import main

    shared = tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)
    assert main(["--data-dir", str(shared), "status"]) == 1
    assert mode(shared) == 0o1777 and not any(shared.iterdir())


@posix_only
def test_private_file_creates_0600(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "f.db"
    private_file(target)
    assert target.exists()
    assert mode(target) == 0o600


@posix_only
def test_private_file_tightens_without_touching_content(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "f.db"
    target.write_bytes(b"keep me")
    target.chmod(0o644)
    private_file(target)
    assert mode(target) == 0o600
    assert target.read_bytes() == b"keep me"


@posix_only
def test_make_private_ignores_missing_file(tmp_path: Path) -> None:
    make_private(tmp_path / "nope")  # no exception
    assert not (tmp_path / "nope").exists()


@posix_only
def test_private_umask_makes_new_files_private_and_restores(
    tmp_path: Path, loose_umask: None
) -> None:
    with private_umask():
        (tmp_path / "log.txt").write_text("x")
        (tmp_path / "sub").mkdir()
    assert mode(tmp_path / "log.txt") == 0o600
    assert mode(tmp_path / "sub") == 0o700
    (tmp_path / "after.txt").write_text("x")
    assert mode(tmp_path / "after.txt") == 0o644


@posix_only
def test_set_private_umask_returns_previous(loose_umask: None) -> None:
    previous = set_private_umask()
    try:
        assert previous == 0o022
        assert os.umask(0o077) == 0o077
    finally:
        os.umask(previous)
