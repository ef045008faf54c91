from widget.cli import program

raise SystemExit(program())
