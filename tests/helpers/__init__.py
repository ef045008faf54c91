"""What several test modules share, in one place each (a test module never imports another):

- fakes: the one FakeClock and the one ScriptedProbe.
- fs: a file's mode, and a loose umask to test private modes against.
- skips: REQUIRE_X11 and skip_or_fail, the loud skip that CI turns into a failure.
- cli: the command line in-process (Result, call), its one-sentence refusals, a seeded history.
- local_users: the real local users and the Python they run driftcheck with (tests/security).
- dashboard_fit: the probe that opens the dashboard and says where it landed.
- waiting: wait_for, polling a condition rather than sleeping a fixed time.
- program: the real program as a subprocess (its environment, its JSON log's events to wait
  on, a data folder prepared for it, the tray app, the tracker, its database read only).

The fixtures that hand these out live in the conftest.py files; the e2e desktop itself (Xvfb,
window manager, trayer, dunst, session bus) in tests/e2e/desktop.py.
"""
