from widget.cli import main

raise SystemExit(main())
