"""How the local stack ends its work at Ctrl-C: the way a Lambda deadline ends it, only sooner.

On Lambda nothing is ever interrupted: a stream ends when its deadline comes, and a worker chunk
stops starting steps when its remaining time runs low. Shutting down locally reuses exactly those
exits instead of killing threads: once ``begin()`` is called, every stream's clock reads "past the
deadline" and its wait between polls wakes up (so it ends cleanly, and its client would resume
with Last-Event-ID), and every worker chunk sees no time left (so it checkpoints and stops at the
next step boundary).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from jobstream.clock import SYSTEM_CLOCK, Clock


class Shutdown:
    """Also the streams' Clock (jobstream.clock): their time runs out and their waits end when
    the shutdown begins."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._begun = threading.Event()

    def begin(self) -> None:
        self._begun.set()

    @property
    def begun(self) -> bool:
        return self._begun.is_set()

    def time(self) -> float:
        return self._clock.time()

    def monotonic(self) -> float:
        """A stream's monotonic clock; infinitely late once shutdown began (every deadline
        reached, every inline driver out of time)."""
        return math.inf if self._begun.is_set() else self._clock.monotonic()

    def sleep(self, seconds: float) -> None:
        """A stream's wait between polls; returns at once when shutdown begins."""
        self._begun.wait(seconds)

    def remaining(self, remaining_s: Callable[[], float]) -> Callable[[], float]:
        """A worker's remaining time, cut to zero once shutdown began."""
        return lambda: 0.0 if self._begun.is_set() else remaining_s()
