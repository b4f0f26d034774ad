"""Time as the jobs layer sees it: one injectable object, so tests run long jobs in an instant."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall clock, epoch seconds: lease expiry and inline deadlines (shared with the store)."""
        ...

    def monotonic(self) -> float:
        """Durations: step timing, flush intervals, cancel checks."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
