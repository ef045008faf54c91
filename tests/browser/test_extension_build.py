"""The extension's two builds from its one source (resources/browser/build.py): the
unpacked Chromium folder and the Firefox .xpi, their manifests, and the fixed ids the native
host's manifests name (ids.json)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import zipfile
from hashlib import sha256
from pathlib import Path

import pytest

from tests.helpers.skips import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "resources" / "browser"
BUILD = FOLDER / "build.py"
SCRIPTS = ("address.js", "background.js")
# The DER header of an RSA SubjectPublicKeyInfo (rsaEncryption): the key is a public key.
RSA_PUBLIC_KEY_INFO = bytes.fromhex("300d06092a864886f70d0101010500")


def build(dest: Path) -> tuple[Path, Path]:
    """Run the build script as a person would; gives the Chromium folder and the .xpi."""
    done = subprocess.run([sys.executable, str(BUILD), str(dest)], capture_output=True,
                          text=True, timeout=60, check=True)
    chromium, xpi = (Path(line) for line in done.stdout.split())
    return chromium, xpi


def ids() -> dict[str, str]:
    data: dict[str, str] = json.loads((FOLDER / "ids.json").read_text(encoding="utf-8"))
    return data


def manifest(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((FOLDER / f"manifest-{name}.json").read_text("utf-8"))
    return data


def test_the_chromium_id_is_the_one_the_manifests_public_key_gives() -> None:
    key = manifest("chromium")["key"]
    assert isinstance(key, str)
    der = base64.b64decode(key, validate=True)
    assert RSA_PUBLIC_KEY_INFO in der[:32] and len(der) == 294  # a 2048-bit RSA public key
    expected = "".join(chr(ord("a") + int(d, 16)) for d in sha256(der).hexdigest()[:32])
    assert ids()["chromium"] == expected == "fkmgeffbfccbmfpphdhgopoeccippmbh"


def test_no_private_key_is_kept_with_the_extension() -> None:
    for path in FOLDER.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert b"PRIVATE KEY" not in text and b"MIIE" not in text, path


def test_the_firefox_id_and_the_host_name_are_the_ones_the_manifests_say() -> None:
    gecko = manifest("firefox")["browser_specific_settings"]
    assert gecko == {"gecko": {"id": ids()["firefox"], "strict_min_version": "115.0"}}
    assert ids()["firefox"] == "driftcheck@driftcheck.invalid"
    assert ids()["native_host"] == "io.github.driftcheck"
    background = (FOLDER / "extension" / "background.js").read_text(encoding="utf-8")
    assert f'const HOST = "{ids()["native_host"]}";' in background


def test_both_builds_ask_only_for_native_messaging_and_tabs() -> None:
    chromium, firefox = manifest("chromium"), manifest("firefox")
    assert chromium["manifest_version"] == 3 and firefox["manifest_version"] == 2
    for made in (chromium, firefox):
        assert made["permissions"] == ["nativeMessaging", "tabs"]
        assert not {"host_permissions", "content_scripts", "optional_permissions",
                    "web_accessible_resources", "externally_connectable"} & set(made)
    assert chromium["background"] == {"service_worker": "background.js"}
    assert firefox["background"] == {"scripts": list(SCRIPTS), "persistent": True}


def test_the_two_builds_carry_the_one_source_and_each_its_manifest(tmp_path: Path) -> None:
    chromium, xpi = build(tmp_path)
    assert chromium == tmp_path / "chromium" and xpi == tmp_path / "firefox.xpi"
    assert sorted(p.name for p in chromium.iterdir()) == sorted(("manifest.json", *SCRIPTS))
    assert json.loads((chromium / "manifest.json").read_text()) == manifest("chromium")
    with zipfile.ZipFile(xpi) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(("manifest.json", *SCRIPTS))
        assert json.loads(archive.read("manifest.json")) == manifest("firefox")
        for script in SCRIPTS:
            source = (FOLDER / "extension" / script).read_bytes()
            assert archive.read(script) == source == (chromium / script).read_bytes()


def test_a_build_replaces_the_last_and_gives_the_same_xpi(tmp_path: Path) -> None:
    first = build(tmp_path)[1].read_bytes()
    (tmp_path / "chromium" / "left-over.js").write_text("old")
    chromium, xpi = build(tmp_path)
    assert not (chromium / "left-over.js").exists()
    assert xpi.read_bytes() == first
    assert not list(tmp_path.glob("*.partial"))


def test_the_extension_posts_in_one_place_only() -> None:
    # Everything the extension says goes through update(): one postMessage, of the state.
    background = (FOLDER / "extension" / "background.js").read_text(encoding="utf-8")
    assert background.count("postMessage(") == 1
    assert "port.postMessage(state);" in background
    address = (FOLDER / "extension" / "address.js").read_text(encoding="utf-8")
    assert "postMessage" not in address and "fetch(" not in address


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_scripts_are_plain_javascript_node_can_read(script: str) -> None:
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node not installed (package nodejs): the scripts are unchecked")
    assert node is not None
    done = subprocess.run([node, "--check", str(FOLDER / "extension" / script)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
