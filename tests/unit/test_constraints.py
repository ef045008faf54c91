"""packaging/constraints.txt, the versions driftcheck was tested with: every dependency
pyproject.toml names for Linux (runtime, extras and the build backend) and the one-folder
build's PyInstaller are pinned there to one exact version inside their ranges, and the app's
own installs (the one-folder build, the pipx check) install with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "packaging" / "constraints.txt"
LINUX = {**default_environment(), "sys_platform": "linux", "platform_system": "Linux",
         "extra": ""}


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not one exact pin: {line}"
        assert not requirement.marker and not requirement.extras, line
        name = canonicalize_name(requirement.name)
        assert name not in found, f"{requirement.name} is pinned twice"
        found[name] = Version(specs[0].version)
    return found


def named_by_pyproject() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lines = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for extra in project["project"]["optional-dependencies"].values():
        lines += extra
    return [Requirement(line) for line in lines]


def build_pyinstaller() -> Requirement:
    script = (ROOT / "packaging" / "build_linux.sh").read_text(encoding="utf-8")
    spec = re.search(r"PYINSTALLER_SPEC:-([^}]+)\}", script)
    assert spec is not None
    return Requirement(spec.group(1))


def test_every_dependency_is_pinned_to_one_version_inside_its_range() -> None:
    pinned = pins()
    wanted = [r for r in named_by_pyproject() if r.marker is None or r.marker.evaluate(LINUX)]
    wanted.append(build_pyinstaller())
    assert len(wanted) >= 12
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not pinned in {CONSTRAINTS.name}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{requirement.name}=={pinned[name]} is outside pyproject's {requirement}")


def test_the_macos_dependencies_are_said_to_be_unpinned() -> None:
    """Not tested anywhere, so not pinned, and the file says so."""
    darwin = [r for r in named_by_pyproject()
              if r.marker is not None and not r.marker.evaluate(LINUX)]
    assert darwin and all(canonicalize_name(r.name) not in pins() for r in darwin)
    assert "macOS dependencies (pyobjc) are not pinned" in CONSTRAINTS.read_text()


def test_the_apps_own_installs_use_it() -> None:
    build = (ROOT / "packaging" / "build_linux.sh").read_text(encoding="utf-8")
    assert 'CONSTRAINTS=${CONSTRAINTS:-$ROOT/packaging/constraints.txt}' in build
    assert '-c "$CONSTRAINTS" --build-constraint "$CONSTRAINTS"' in build
    pipx = (ROOT / "packaging" / "check_pipx.sh").read_text(encoding="utf-8")
    assert 'PIP_CONSTRAINT="$CONSTRAINTS" PIP_BUILD_CONSTRAINT="$CONSTRAINTS"' in pipx
    assert "packaging/constraints.txt" in (ROOT / "README.md").read_text(encoding="utf-8")
