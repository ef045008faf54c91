"""driftcheck talks to no network, and its processes keep Python's TLS module out.

Nothing in driftcheck imports `ssl`; asyncio does, for an optional part of it, and APScheduler
imports asyncio for one helper. With `ssl` refused, OpenSSL's libssl and libcrypto stay out of
the tray app and `driftcheck track` on an existing database: about 4 MB less resident
(measured with bench/bench_tray.py), and no TLS connection could be opened even by mistake.
(libcrypto still comes with `hashlib`, which SQLAlchemy imports: where the full store is used.)
"""

from __future__ import annotations

import sys

REFUSED = ("ssl",)


def keep_tls_out() -> None:
    """From now on `import ssl` raises ImportError in this process (the import system's own
    rule for a None entry in `sys.modules`), unless it was imported already."""
    for name in REFUSED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
