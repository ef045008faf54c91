"""The tests' own layout: a test module takes what it shares from tests/helpers, the e2e desktop
(tests/e2e/desktop.py), the data package (tests/data) or a fixture of a conftest.py (which
pytest hands over: never imported), and never from another test module, a conftest or a
module-private name. Two modules that need the same fake then get the same one, and moving or
deleting a test module cannot break another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent

# What a test module may import from the tests package, and why each.
ALLOWED = (
    "tests.helpers",  # the shared fakes and helpers
    "tests.e2e.desktop",  # the e2e desktop: Xvfb, window manager, trayer, dunst, session bus
    "tests.data",  # data files and the script that makes them
    # The kill -9 rounds: shared by tests/e2e/test_faults.py and bench/bench_faults.py (which
    # imports it from here), a module of their own rather than a test module's helper.
    "tests.e2e.kill_rounds",
)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imports(source: str, module: str) -> list[tuple[int, str, str]]:
    """(line, module, name) of every import in `source`, the module of `module`'s file;
    relative imports resolved; `import a.b` gives name ''."""
    package = module.rsplit(".", 1)[0]
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            found += [(node.lineno, base, alias.name) for alias in node.names]
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _is_test_or_conftest(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def _target(imported: str, name: str) -> str:
    """The module an import takes from: `from tests.e2e import kill_rounds` takes the module
    tests.e2e.kill_rounds, `from tests.e2e.desktop import wait_for` takes tests.e2e.desktop."""
    if not name:
        return imported
    dotted = f"{imported}.{name}"
    path = ROOT.joinpath(*dotted.split("."))
    if _is_test_or_conftest(dotted) or path.with_suffix(".py").exists() or path.is_dir():
        return dotted
    return imported


def problems(source: str, module: str) -> list[str]:
    """What `source` (the file of test module `module`) imports that it should not."""
    found = []
    for line, imported, name in imports(source, module):
        if not _under(imported, "tests"):
            continue
        target = _target(imported, name)
        if _is_test_or_conftest(target):
            found.append(f"{module}:{line} imports from the test module or conftest {target}")
        elif not any(_under(target, prefix) for prefix in ALLOWED):
            found.append(f"{module}:{line} imports {target}, which is no shared helper")
        elif name.startswith("_"):
            found.append(f"{module}:{line} imports the private {name} from {imported}")
    return list(dict.fromkeys(found))


def helper_problems(source: str, module: str) -> list[str]:
    """What a file that is no test module (a helper, a conftest) imports of test modules or
    conftests: the shared code must not lean on a test."""
    return list(dict.fromkeys(
        f"{module}:{line} imports from the test module or conftest {_target(imported, name)}"
        for line, imported, name in imports(source, module)
        if _under(imported, "tests") and _is_test_or_conftest(_target(imported, name))))


def _test_module_files() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def test_no_test_module_imports_another_or_its_helpers() -> None:
    modules = _test_module_files()
    assert len(modules) > 50, "the search found the test modules"
    found = [p for path in modules
             for p in problems(path.read_text(encoding="utf-8"), module_name(path))]
    assert found == [], "\n".join(found)


def test_no_helper_or_conftest_imports_a_test_module_or_a_conftest() -> None:
    others = [p for p in sorted(TESTS.rglob("*.py")) if not p.name.startswith("test_")]
    assert any(p.name == "conftest.py" for p in others)
    found = [p for path in others
             for p in helper_problems(path.read_text(encoding="utf-8"), module_name(path))]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("source", [
    "from tests.unit.test_sampler import ScriptedProbe",
    "from tests.e2e.test_notify_dunst import desktop as desktop  # the fixture",
    "from tests.conftest import skip_or_fail",
    "from .conftest import QT_PROBLEM",
    "import tests.e2e.test_track_x11",
    "from tests.e2e import test_track_x11",
    "from tests.ui.dashboard_fit import PROBE",
    "from tests.e2e.xsession import XSession",
    "from tests.helpers.fakes import _private",
    "def f():\n    from tests.e2e.test_app_single_instance import prepare\n",
])
def test_the_check_sees_each_kind_of_import_it_forbids(source: str) -> None:
    assert problems(source, "tests.ui.test_example") != []


@pytest.mark.parametrize("source", [
    "from tests.helpers.fakes import FakeClock, ScriptedProbe",
    "from tests.helpers import fs",
    "from tests.e2e.desktop import XSession, wait_for",
    "from tests.data.imports import make_imports",
    "from tests.e2e import kill_rounds",
    "from widget.store import Store",
    "import pytest",
])
def test_the_check_lets_shared_helpers_and_the_program_through(source: str) -> None:
    assert problems(source, "tests.ui.test_example") == []


def test_a_helper_that_leans_on_a_test_module_is_seen() -> None:
    assert helper_problems("from tests.unit.test_export_import import call",
                           "tests.helpers.cli") != []
    assert helper_problems("from tests.e2e import test_faults", "tests.e2e.kill_rounds") != []
    assert helper_problems("from tests.helpers.fakes import FakeClock",
                           "tests.unit.conftest") == []
