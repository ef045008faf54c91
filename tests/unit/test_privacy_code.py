"""Privacy and layering, read from the source: nothing in driftcheck can talk to a network,
the core stays pure, and only one module knows APScheduler.

Imports are read with `ast`, so an import hidden inside a function (the lazy platform imports)
is caught as surely as one at the top of a module.

What this proves is about widget/'s own code: its imports, the programs it starts and the
addresses it could hand to a browser. The libraries it uses load networking modules of their
own (APScheduler imports asyncio, and with it socket, and ssl if the program did not refuse it:
widget/offline.py; python-xlib and jeepney use socket for the X server's and D-Bus's Unix
sockets; Qt has its own C++ sockets), so "nothing imports socket" cannot be true of the running
program. What the running program does is
proven by tests/e2e/test_privacy_session.py: a full session under an audit hook and strace,
where every socket must be AF_UNIX and no name may be resolved.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "widget"

NETWORK = ("socket", "ssl", "urllib", "urllib3", "http", "requests", "httpx", "aiohttp",
           "websocket", "websockets", "smtplib", "ftplib", "xmlrpc", "socketserver", "asyncio",
           "telnetlib", "poplib", "imaplib", "nntplib", "asyncore", "asynchat", "smtpd",
           "multiprocessing.connection", "multiprocessing.managers", "webbrowser",
           "paramiko", "pycurl", "grpc", "zmq", "dns", "zeroconf", "twisted", "tornado",
           "anyio", "trio", "selectors")
NETWORK_QT = ("PySide6.QtNetwork", "PySide6.QtWebEngine", "PySide6.QtWebSockets",
              "PySide6.QtWebChannel", "PySide6.QtWebView", "PySide6.QtHttpServer",
              "PySide6.QtNetworkAuth", "PySide6.QtRemoteObjects", "PySide6.QtGrpc",
              "PySide6.QtCoap", "PySide6.QtMqtt", "PySide6.QtOpcUa")
NOT_IN_CORE = ("PySide6", "shiboken6", "sqlalchemy", "apscheduler", "psutil", "Xlib",
               "jeepney", "widget.store", "widget.probes", "widget.ui", "widget.sampler",
               "widget.scheduling", "widget.tracking", "widget.app", "widget.commands",
               "widget.services", "widget.desktop", "widget.datafolder",
               "widget.cli", "sqlite3", "subprocess", "ctypes")


def python_files(root: Path) -> list[Path]:
    files = sorted(root.rglob("*.py"))
    assert files, f"no Python files under {root}"
    return files


def imported_modules(path: Path, top: Path = PACKAGE) -> Iterator[tuple[int, str]]:
    """(line, dotted module name) of every import in a file of the package at `top`,
    relative ones resolved."""
    package = ".".join(path.relative_to(top.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package += ".__init__"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: -node.level]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from PySide6 import QtNetwork`
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield node.lineno, arg.value
            else:
                yield node.lineno, "<dynamic import>"


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "__import__"
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def within(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") or
               (root.endswith(("QtWebEngine", "websocket")) and module.startswith(root))
               for root in roots)


def offences(files: list[Path], roots: tuple[str, ...]) -> list[str]:
    found = []
    for path in files:
        for line, module in imported_modules(path):
            if module == "<dynamic import>" or within(module, roots):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return found


def test_the_checker_sees_imports_of_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "widget" / "core" / "sample.py"
    sample.parent.mkdir(parents=True)
    text = ("import socket\nfrom urllib import request\nfrom PySide6 import QtNetwork\n"
            "def later():\n    import http.client\n    __import__('ssl')\n"
            "from . import rules\nfrom ..store import db\n")
    sample.write_text(text, encoding="utf-8")
    modules = {m for _, m in imported_modules(sample, tmp_path / "widget")}
    assert {"socket", "urllib", "PySide6.QtNetwork", "http.client", "ssl",
            "widget.core.rules", "widget.store.db"} <= modules
    assert within("PySide6.QtWebEngineWidgets", NETWORK_QT)
    assert within("websockets.sync", NETWORK)
    assert not within("httpsomething", NETWORK)


# Local IPC that needs the socket module, each checked below to use Unix sockets only.
UNIX_SOCKET_USERS = {"widget/probes/hyprland.py",  # Hyprland's event socket (.socket2.sock)
                     # the browser extension's host and the tracker's end of its channel
                     # (docs/BROWSER.md: driftcheck-browser.sock in the data folder)
                     "widget/browser/host.py", "widget/browser/channel.py",
                     # the Wayland compositor's socket ($XDG_RUNTIME_DIR/$WAYLAND_DISPLAY)
                     "widget/probes/wayland.py",
                     # Sway's IPC socket ($SWAYSOCK, sway-ipc.UID.PID.sock)
                     "widget/probes/sway.py"}


def test_nothing_in_driftcheck_imports_a_network_library() -> None:
    found = offences(python_files(PACKAGE), NETWORK + NETWORK_QT)
    allowed = [f for f in found
               if f.split(":")[0] in UNIX_SOCKET_USERS and f.endswith(" imports socket")]
    assert [f for f in found if f not in allowed] == []


@pytest.mark.parametrize("relative", sorted(UNIX_SOCKET_USERS))
def test_the_socket_module_is_used_for_unix_sockets_only(relative: str) -> None:
    tree = ast.parse((PACKAGE.parent / relative).read_text(encoding="utf-8"))
    made = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "socket":
            assert not node.attr.startswith("AF_") or node.attr == "AF_UNIX", \
                f"{relative}:{node.lineno} uses socket.{node.attr}"
            assert node.attr not in {"create_connection", "getaddrinfo", "gethostbyname",
                                     "create_server", "socketpair", "fromfd"}, \
                f"{relative}:{node.lineno} uses socket.{node.attr}"
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "socket.socket":
            made += 1
            family = node.args[0] if node.args else None
            assert family is not None and ast.unparse(family) == "socket.AF_UNIX", \
                f"{relative}:{node.lineno} opens a socket that is not AF_UNIX"
        if isinstance(node, ast.ImportFrom) and node.module == "socket":
            pytest.fail(f"{relative}:{node.lineno}: `from socket import` hides the family")
    assert made >= 1, f"{relative} no longer opens a socket; drop it from UNIX_SOCKET_USERS"


def test_the_core_is_pure_python() -> None:
    core = python_files(PACKAGE / "core")
    assert offences(core, NOT_IN_CORE) == []


@pytest.mark.parametrize("name", ["datetime.now", "time.time", "time.monotonic", "open"])
def test_the_core_never_reads_a_clock_or_a_file(name: str) -> None:
    found = []
    for path in python_files(PACKAGE / "core"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called == name or called.endswith("." + name):
                    found.append(f"{path.name}:{node.lineno} calls {called}")
    assert found == []


def test_only_scheduling_imports_apscheduler() -> None:
    importers = {str(path.relative_to(PACKAGE.parent))
                 for path in python_files(PACKAGE)
                 for _, module in imported_modules(path) if within(module, ("apscheduler",))}
    assert importers == {"widget/scheduling.py"}


# The programs driftcheck starts, by how the code names them: itself (doctor's tray check in a
# child process), the compositors' own command-line clients, which talk to them over their
# Unix sockets, and GNOME's `gsettings` (the person's settings, over the session bus) and
# `gnome-shell --version` (`desktop install`). A new one (curl, a browser, ssh...) must be
# added here on purpose.
STARTED_PROGRAMS = {"sys.executable", "self._hyprctl", "self._swaymsg", "gsettings",
                    "gnome_shell"}
SUBPROCESS_CALLS = {"subprocess.run", "subprocess.Popen", "subprocess.call",
                    "subprocess.check_call", "subprocess.check_output", "os.system",
                    "os.popen", "os.execv", "os.execvp", "os.execl", "os.execlp", "os.spawnv",
                    "os.spawnvp", "os.posix_spawn", "os.posix_spawnp"}


def started_programs(path: Path) -> list[tuple[int, str]]:
    """(line, the program as the code names it) of every process a file starts."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in SUBPROCESS_CALLS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.List | ast.Tuple) and first.elts:
                first = first.elts[0]
            found.append((node.lineno, "<none>" if first is None else ast.unparse(first)))
    return found


def test_driftcheck_starts_no_program_that_could_reach_a_network() -> None:
    started = {f"{path.relative_to(PACKAGE.parent)}:{line} starts {program}"
               for path in python_files(PACKAGE) for line, program in started_programs(path)}
    assert started, "the checker sees no process started at all; has it gone blind?"
    unknown = sorted(s for s in started if s.rsplit(" starts ", 1)[1] not in STARTED_PROGRAMS)
    assert unknown == []  # a program named through a variable shows as that variable


def test_the_program_checker_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os, subprocess, sys\n"
                      "subprocess.run(['curl', 'https://example.org'])\n"
                      "subprocess.Popen(('wget', 'x'))\n"
                      "os.system('nc -l 80')\n"
                      "subprocess.run([sys.executable, '-c', 'pass'])\n"
                      "command = ['ssh', 'host']\nsubprocess.run(command)\n", encoding="utf-8")
    assert [p for _, p in started_programs(sample)] == ["'curl'", "'wget'", "'nc -l 80'",
                                                         "sys.executable", "command"]


def _local_file_url(node: ast.AST) -> bool:
    """Whether `node` is `QUrl.fromLocalFile(...)`: a folder on this device, which the desktop
    opens in its file manager."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "fromLocalFile")


def handed_addresses(path: Path) -> list[int]:
    """Lines of `path` that open an address through the desktop or a browser
    (QDesktopServices.openUrl, webbrowser.open_new...), except a local folder opened by
    `QDesktopServices.openUrl(QUrl.fromLocalFile(...))`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "openUrl" and len(node.args) == 1 and not node.keywords
                and _local_file_url(node.args[0])):
            allowed.add(id(node.func))
            if isinstance(node.func.value, ast.Name):
                allowed.add(id(node.func.value))
    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Attribute) and node.attr in ("openUrl", "open_new", "open_new_tab"):
            found.append(node.lineno)
        if isinstance(node, ast.Name) and node.id in ("QDesktopServices", "webbrowser"):
            found.append(node.lineno)
    return sorted(found)


def test_no_address_is_handed_to_a_browser() -> None:
    """Opening a web address (QDesktopServices.openUrl, webbrowser) sends it off the device
    through the browser; driftcheck has no reason to. Showing the data folder opens a local
    folder, written so that nothing else can pass through it."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}"
             for path in python_files(PACKAGE) for line in handed_addresses(path)]
    assert found == []


def test_the_address_checker_lets_only_a_local_folder_through(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import webbrowser\n"
                      "from PySide6.QtCore import QUrl\n"
                      "from PySide6.QtGui import QDesktopServices\n"
                      "QDesktopServices.openUrl(QUrl.fromLocalFile('/home/me/data'))\n"
                      "QDesktopServices.openUrl(QUrl('https://example.org'))\n"
                      "open_it = QDesktopServices\n"
                      "webbrowser.open_new_tab('https://example.org')\n", encoding="utf-8")
    assert handed_addresses(sample) == [5, 5, 6, 7, 7]
