"""`driftcheck settings [KEY [VALUE]]`: the tracker's numbers, shown and set."""

from __future__ import annotations

import argparse

from widget.commands.common import open_store
from widget.core import settings as S
from widget.core.options import SPECS, Options, check_option, say_option
from widget.errors import UsageError


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        stored = store.all_settings()
        options = Options.from_settings(stored)
        if args.key is None:
            for key, spec in SPECS.items():
                print(f"{key} = {say_option(key, getattr(options, key))}  ({spec.help}; "
                      f"{say_option(key, spec.low)} to {say_option(key, spec.high)})")
            return 0
        if args.value is None:
            if args.key not in SPECS:
                raise UsageError(f"There is no setting called '{args.key}'; "
                                 f"the settings are {', '.join(sorted(SPECS))}.")
            print(say_option(args.key, getattr(options, args.key)))
            return 0
        value = check_option(args.key, args.value)
        S.put(store, S.SETTINGS[args.key], value)
        print(f"{args.key} is now {say_option(args.key, value)}; a running tracker picks it up "
              "when restarted.")
        return 0
    finally:
        store.close()
