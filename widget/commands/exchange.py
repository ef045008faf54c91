"""`driftcheck export` and `driftcheck import`: everything the person keeps, out to a file and
back (the work itself: widget.services.exchange)."""

from __future__ import annotations

import argparse

from widget.commands.common import open_store


def export(args: argparse.Namespace) -> int:
    """`driftcheck export`: everything the person keeps, to a file or stdout."""
    from widget.services.exchange import run_export

    store = open_store(args)
    store.close()
    return run_export(store.path, args.format, args.output, args.include_notes)


def import_(args: argparse.Namespace) -> int:
    """`driftcheck import FILE`: the file checked in full first, then one transaction."""
    from widget.services.exchange import read_import, run_import

    snapshot = read_import(args.file)
    store = open_store(args)
    store.close()
    return run_import(store.path, snapshot, args.replace)
