"""Loading the shipped companion-app catalog, and naming the platform we run on."""

from __future__ import annotations

import functools
import json
import sys
from importlib import resources
from pathlib import Path

import widget
from widget.core.catalog import Catalog, parse_catalog

CATALOG_FILE = "catalog.json"


def resource_path(*parts: str) -> Path:
    """A file shipped in `resources/`. Installed, that folder is the package
    `widget.resources`; in a source checkout that package does not exist, so the folder next
    to the `widget` folder is read instead."""
    try:
        found = resources.files("widget.resources")
        # One part at a time: installed, widget.resources is a namespace package (no
        # __init__.py), whose MultiplexedPath.joinpath takes one part before Python 3.12.
        for part in parts:
            found = found.joinpath(part)
        if found.is_file():
            return Path(str(found))
    except (ImportError, OSError):
        pass
    return Path(widget.__file__).parent.parent.joinpath("resources", *parts)


def _read_catalog_text() -> str:
    return resource_path(CATALOG_FILE).read_text(encoding="utf-8")


@functools.cache
def load_catalog() -> Catalog:
    """The shipped catalog, read and checked once per process."""
    return parse_catalog(json.loads(_read_catalog_text()))


def current_platform() -> str:
    """The catalog's name for this OS: "linux", "windows" or "macos" (other Unix: "linux")."""
    if sys.platform.startswith("win") or sys.platform == "cygwin":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"
