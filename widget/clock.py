"""The real clock. Everything that needs the time takes a clock, so tests can pass a fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def wall(self) -> datetime:
        """Now, as an aware UTC datetime."""
        ...

    def mono(self) -> float:
        """Seconds on a clock that never jumps (time.monotonic())."""
        ...


class SystemClock:
    def wall(self) -> datetime:
        return datetime.now(UTC)

    def mono(self) -> float:
        return time.monotonic()
