"""Reconnection delays: exponential backoff with full jitter.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads the reconnects of
many clients dropped at the same moment, e.g. when a stream function's time bound ends every
viewer's connection at once; with a fixed or "equal jitter" delay they would come back in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Backoff"]

# 2.0 ** 1100 overflows a float; any ceiling is reached long before this exponent.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class Backoff:
    """``delay(n, base_s=...)`` is a uniform draw from ``[0, min(max_s, base * multiplier**n))``.

    ``base_s`` is the server's ``retry:`` value when it sent one (so the server sets the pace),
    else ``initial_s``; it is never taken below ``min_base_s`` so a ``retry: 0`` cannot turn a
    failing server into a busy loop. ``random`` returns a float in ``[0, 1)``; inject it (and the
    sleep of the stream) to test delays without waiting.
    """

    initial_s: float = 1.0
    max_s: float = 30.0
    multiplier: float = 2.0
    min_base_s: float = 0.05
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.initial_s < 0 or self.min_base_s < 0:
            raise ValueError("backoff delays must not be negative")
        if self.max_s < self.min_base_s:
            raise ValueError("max_s must be at least min_base_s")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1")

    def ceiling(self, retry_number: int, *, base_s: float | None = None) -> float:
        """The upper bound of the ``retry_number``-th consecutive retry (0 for the first)."""
        if retry_number < 0:
            raise ValueError("retry_number must not be negative")
        base = max(self.initial_s if base_s is None else base_s, self.min_base_s)
        return min(self.max_s, base * self.multiplier ** min(retry_number, _MAX_EXPONENT))

    def delay(self, retry_number: int, *, base_s: float | None = None) -> float:
        return self.random() * self.ceiling(retry_number, base_s=base_s)
