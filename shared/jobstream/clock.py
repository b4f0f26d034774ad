"""Time, as everything in jobstream takes it: one injectable object with one shape.

Whatever reads the wall clock (the store's lease and TTL expiry, token expiry, the invocation's
deadline), measures durations (steps, flush intervals, a stream's polls and deadline) or waits
(between polls, conflict retries, step retries) takes a ``Clock`` and defaults to the system's.
A test passes one fake (tests/clock.py) and runs hours of a job in an instant.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall clock, epoch seconds: leases, TTLs, tokens, inline deadlines."""
        ...

    def monotonic(self) -> float:
        """Durations: step timing, flush intervals, cancel checks, a stream's schedule."""
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
