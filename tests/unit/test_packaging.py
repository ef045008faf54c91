"""What installing driftcheck relies on: the icon files, the desktop entry and metainfo (through
their official validators), the package data pipx needs, and the PyInstaller build's pieces.

The builds themselves (packaging/build_linux.sh, packaging/check_pipx.sh) take minutes and
run outside CI; tests/ui/test_icon_files.py re-renders the icons with Qt.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers.skips import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"
DESKTOP = PACKAGING / "driftcheck.desktop"
METAINFO = PACKAGING / "io.github.driftcheck.metainfo.xml"
SPEC = PACKAGING / "driftcheck.spec"


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_icons = load(PACKAGING / "render_icons.py")
launcher = load(PACKAGING / "launcher.py")


def png_header(path: Path) -> tuple[int, int, int, int]:
    """Width, height, bit depth and colour type from a PNG's IHDR chunk."""
    data = path.read_bytes()[:29]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


# Icons

def test_the_icon_sizes_are_the_freedesktop_ones_from_16_to_512() -> None:
    assert render_icons.SIZES == (16, 22, 24, 32, 48, 64, 128, 256, 512)


@pytest.mark.parametrize("size", render_icons.SIZES)
def test_each_png_exists_at_its_size_with_transparency(size: int) -> None:
    path = ICONS / "hicolor" / f"{size}x{size}" / "apps" / "driftcheck.png"
    assert path.is_file(), f"missing {path.relative_to(ROOT)}: run packaging/render_icons.py"
    width, height, depth, colour = png_header(path)
    assert (width, height) == (size, size)
    assert (depth, colour) == (8, 6), "expected 8-bit RGBA"


def test_the_pngs_were_made_from_the_current_svgs() -> None:
    manifest = json.loads((ICONS / render_icons.MANIFEST).read_text(encoding="utf-8"))
    for name in (render_icons.LARGE_SVG, render_icons.SMALL_SVG):
        digest = hashlib.sha256((ICONS / name).read_bytes()).hexdigest()
        assert manifest["sources"][name] == digest, (
            f"{name} changed since the PNGs were rendered: run packaging/render_icons.py")
    assert set(manifest["pngs"]) == {f"{s}x{s}" for s in render_icons.SIZES}
    for size in render_icons.SIZES:
        png = render_icons.png_path(ICONS, size)
        assert manifest["pngs"][f"{size}x{size}"] == hashlib.sha256(png.read_bytes()).hexdigest(), (
            f"{png.relative_to(ROOT)} is not the one render_icons.py wrote")


@pytest.mark.parametrize("name", ["driftcheck.svg", "driftcheck-small.svg"])
def test_the_svgs_are_square_self_contained_svg(name: str) -> None:
    root = ET.parse(ICONS / name).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height
    text = (ICONS / name).read_text(encoding="utf-8")
    assert "xlink:href" not in text and "<image" not in text and "<text" not in text


# Desktop entry and AppStream metainfo

def desktop_keys() -> dict[str, str]:
    lines = DESKTOP.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def run_validator(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(tool) is None:
        skip_or_fail(f"{tool} not installed")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def test_the_desktop_entry_passes_desktop_file_validate() -> None:
    out = run_validator("desktop-file-validate", str(DESKTOP))
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_the_desktop_entry_starts_the_console_script_with_the_installed_icon() -> None:
    keys = desktop_keys()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert keys["Exec"] in scripts
    assert keys["Icon"] == "driftcheck"
    assert keys["Terminal"] == "false"


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    out = run_validator("appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO))
    errors = [line for line in out.stdout.splitlines() if line.startswith("E:")]
    assert out.returncode == 0 and not errors, out.stdout + out.stderr
    # Warnings are not errors to appstreamcli; they are to us.
    assert not [line for line in out.stdout.splitlines() if line.startswith("W:")], out.stdout


def test_the_metainfo_points_at_the_desktop_entry_and_the_binary() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == desktop_keys()["Exec"]
    assert root.findtext("project_license") == tomllib.loads(
        (ROOT / "pyproject.toml").read_text("utf-8"))["project"]["license"]
    rating, description_element = root.find("content_rating"), root.find("description")
    assert rating is not None and rating.get("type", "").startswith("oars-")
    assert description_element is not None
    description = " ".join(description_element.itertext())
    assert "window titles" in description.lower()
    assert "device" in description.lower()


def test_the_release_in_the_metainfo_is_this_version() -> None:
    import widget

    release = ET.parse(METAINFO).getroot().find("releases/release")
    assert release is not None and release.get("version") == widget.__version__


# What pipx installs

def pyproject_setuptools() -> dict[str, Any]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    config: dict[str, Any] = pyproject["tool"]["setuptools"]
    return config


def test_every_python_package_under_widget_is_in_the_wheel() -> None:
    # The list is explicit; a new sub-package missing from it would import in the source tree
    # and fail only after `pipx install`.
    listed = set(pyproject_setuptools()["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "widget").rglob(
        "__init__.py") if "__pycache__" not in p.parts}
    assert found <= listed, f"missing from pyproject packages: {sorted(found - listed)}"


def test_the_catalog_is_package_data_where_catalog_data_reads_it() -> None:
    config = pyproject_setuptools()
    assert config["package-dir"]["widget.resources"] == "resources"
    source = (ROOT / "widget" / "catalog_data.py").read_text(encoding="utf-8")
    assert 'resources.files("widget.resources")' in source
    patterns = config.get("package-data", {})["widget.resources"]
    assert any(fnmatch.fnmatch("catalog.json", p) for p in patterns)


# The PyInstaller build

def spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


def test_the_spec_freezes_apschedulers_plugins_for_what_scheduling_asks_for() -> None:
    # widget/scheduling.py names its trigger and executor classes, so nothing it asks for is
    # resolved through APScheduler's entry points; the spec still carries the plugins'
    # modules and metadata (APScheduler scans the entry points when it is imported).
    scheduling = (ROOT / "widget" / "scheduling.py").read_text(encoding="utf-8")
    assert "IntervalTrigger(" in scheduling and "ThreadPoolExecutor()" in scheduling
    wanted = {"apscheduler.triggers": "interval", "apscheduler.executors": "threadpool",
              "apscheduler.jobstores": "memory"}
    text = spec_text()
    for group, name in wanted.items():
        (point,) = metadata.entry_points(group=group, name=name)
        assert f'"{point.module}"' in text, f"{point.module} is not a hidden import"
    assert 'copy_metadata("APScheduler")' in text


def test_the_spec_hides_every_lazily_imported_module_and_the_catalog() -> None:
    text = spec_text()
    assert 'collect_submodules("widget")' in text
    assert '"sqlalchemy.dialects.sqlite"' in text
    assert 'collect_submodules("jeepney")' in text and 'collect_submodules("Xlib")' in text
    assert re.search(r'"catalog\.json"\), "widget/resources"\)', text)
    assert "launcher.py" in text


def test_no_qt_module_driftcheck_imports_is_left_out_of_the_build() -> None:
    text = spec_text()
    block = text[text.index("excludes = ["):]
    excluded = set(re.findall(r'"PySide6\.(\w+)"', block[: block.index("\n]\n")]))
    assert {"QtWebEngineCore", "QtQml", "QtNetwork"} <= excluded
    used: set[str] = set()
    for path in (ROOT / "widget").rglob("*.py"):
        used |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert used, "no Qt import found: the pattern is wrong"
    assert not used & excluded, f"used by widget/ but excluded from the build: {used & excluded}"


def test_the_windows_and_macos_sections_say_they_are_unverified() -> None:
    text = spec_text()
    for platform in ('sys.platform == "win32"', 'sys.platform == "darwin"'):
        section = text.split(platform, 1)[1][:400]
        assert "UNVERIFIED" in section, platform


def test_the_frozen_program_answers_doctors_tray_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.commands.doctor import TRAY_CHECK

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert launcher.is_frozen_tray_check(["driftcheck", "-c", TRAY_CHECK])
    assert not launcher.is_frozen_tray_check(["driftcheck", "-c", "print('anything else')"])
    assert not launcher.is_frozen_tray_check(["driftcheck", "-c", TRAY_CHECK, "extra"])
    assert not launcher.is_frozen_tray_check(["driftcheck", "status"])
    monkeypatch.delattr(sys, "frozen")
    assert not launcher.is_frozen_tray_check(["driftcheck", "-c", TRAY_CHECK])


def test_doctor_still_checks_the_tray_the_way_the_launcher_expects() -> None:
    doctor = (ROOT / "widget" / "commands" / "doctor.py").read_text(encoding="utf-8")
    assert '[sys.executable, "-c", TRAY_CHECK]' in doctor


@pytest.mark.parametrize("script", ["build_linux.sh", "smoke_linux.sh", "check_pipx.sh",
                                    "install_desktop_files.sh"])
def test_the_scripts_stop_at_the_first_error(script: str) -> None:
    text = (PACKAGING / script).read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    if shutil.which("bash"):
        out = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 0, out.stderr


def test_install_desktop_files_puts_everything_in_place_and_takes_it_back(
        tmp_path: Path) -> None:
    data = tmp_path / "share"
    program = tmp_path / "opt dir" / "driftcheck"
    script = str(PACKAGING / "install_desktop_files.sh")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(["bash", script, "--exec", str(program), str(data)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    entry = (data / "applications" / "driftcheck.desktop").read_text(encoding="utf-8")
    assert f'Exec="{program}"' in entry.splitlines()
    for size in render_icons.SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "driftcheck.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "driftcheck.svg").is_file()
    assert (data / "metainfo" / METAINFO.name).is_file()

    out = subprocess.run(["bash", script, "--uninstall", str(data)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    left = [p for p in data.rglob("*") if p.is_file() and p.name != "mimeinfo.cache"]
    assert left == []


def test_install_desktop_files_refuses_a_command_it_cannot_quote(tmp_path: Path) -> None:
    out = subprocess.run(["bash", str(PACKAGING / "install_desktop_files.sh"), "--exec",
                          "/opt/$HOME/driftcheck", str(tmp_path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert not (tmp_path / "applications").exists()
