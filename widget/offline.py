"""driftcheck talks to no network, and its processes keep Python's TLS module out.

Nothing in driftcheck imports `ssl`; asyncio does, for an optional part of it, and APScheduler
imports asyncio for one helper. With `ssl` refused, OpenSSL (libssl and libcrypto) is never
loaded: about 4 MB less resident in the tray app and in `driftcheck track` (measured with
bench/bench_tray.py), and no TLS connection could be opened even by mistake.
"""

from __future__ import annotations

import sys

REFUSED = ("ssl",)


def keep_tls_out() -> None:
    """From now on `import ssl` raises ImportError in this process (the import system's own
    rule for a None entry in `sys.modules`), unless it was imported already."""
    for name in REFUSED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
