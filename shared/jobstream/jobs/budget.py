"""Chunk planning: may another step start before this invocation must hand over?

A step may start only if, after it, there is still the safety margin left for the final write, the
lease release and the continuation invoke. How long the step will take is unknown; the best cheap
guess is the slowest of the recent steps (a p95 over a short window is that same maximum).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from jobstream.clock import Clock
from jobstream.invocation_context import RemainingTime

RECENT_STEPS = 20


def remaining_from_context(context: RemainingTime) -> Callable[[], float]:
    """Seconds left in a Lambda invocation (or anything with the same method)."""
    return lambda: context.get_remaining_time_in_millis() / 1000


def remaining_until(deadline: float, clock: Clock) -> Callable[[], float]:
    """Seconds left until ``deadline`` on ``clock``'s wall time (e.g. an inline window)."""
    return lambda: deadline - clock.time()


class ChunkBudget:
    def __init__(
        self,
        remaining_s: Callable[[], float],
        *,
        margin_s: float,
        stop: threading.Event | None = None,
        window: int = RECENT_STEPS,
    ) -> None:
        self._remaining_s = remaining_s
        self._margin_s = margin_s
        self._stop = stop
        self._recent: deque[float] = deque(maxlen=window)

    def record(self, duration_s: float) -> None:
        self._recent.append(max(duration_s, 0.0))

    @property
    def expected_step_s(self) -> float:
        return max(self._recent, default=0.0)

    def remaining_s(self) -> float:
        return self._remaining_s()

    @property
    def stopped(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def fits(self, extra_s: float = 0.0) -> bool:
        """True if a step (after waiting ``extra_s``) should still end before the margin."""
        if self.stopped:
            return False
        return self._remaining_s() - extra_s - self.expected_step_s > self._margin_s
