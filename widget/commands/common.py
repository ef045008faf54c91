"""What the sub-commands share: the store opened in the prepared data folder, and JSON out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from widget.datafolder import prepare_data_dir, tell_set_aside
from widget.paths import DB_NAME

if TYPE_CHECKING:
    from widget.store.db import Store


def open_store(args: argparse.Namespace, log_to_stderr: bool = True) -> Store:
    """The store in the data folder, with owner-only files and the log set up."""
    from widget.store.db import Store

    store = Store.open(prepare_data_dir(args, log_to_stderr) / DB_NAME)
    tell_set_aside(store.path.parent)
    return store


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
