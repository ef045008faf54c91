"""The sub-commands of `driftcheck`, one module each (`widget.cli` parses and dispatches;
nothing here imports the entry point back). `common` holds what several share."""
