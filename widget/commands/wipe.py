"""`driftcheck wipe`: every trace removed (the work itself: widget.services.wipe)."""

from __future__ import annotations

import argparse
import os

from widget.datafolder import data_dir


def run(args: argparse.Namespace) -> int:
    """`driftcheck wipe`: every trace removed. It never creates the data folder or a log in
    it."""
    from widget.services.wipe import run_wipe

    os.umask(0o077)
    return run_wipe(data_dir(args), args.yes)
