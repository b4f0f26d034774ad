"""The tests' one fake clock: time moves only when the code under test sleeps or a test says so.

Every clock the code takes has one shape, ``jobstream.clock.Clock`` (``time``, ``monotonic``,
``sleep``), and this class is one. Wall and monotonic time are the same number: nothing under test
compares one with the other. ``no_sleeps()`` shares its time but not its sleeps: for a store whose
conflict retries must not move a test's time.

The bench has a simulated clock of its own (jobstream_bench/dynamo_cost.py): dev tooling may not
import the tests, and this one carries what only tests need (recorded sleeps, actions at a time).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Final

# An epoch time in 2023: realistic for TTLs and token expiry.
START: Final = 1_700_000_000.0


class FakeClock:
    """``start``: where time begins. ``forbid_zero_sleep``: a sleep of nothing fails the test at
    once (code that polls in a loop would otherwise spin forever on a clock that never moves)."""

    def __init__(self, start: float = START, *, forbid_zero_sleep: bool = False) -> None:
        self.now = start
        self.sleeps: list[float] = []
        # Runs after every sleep(), with the new time: lets a test act "while" code waits
        # (e.g. cancel a job mid-run).
        self.on_sleep: Callable[[float], None] | None = None
        self._forbid_zero_sleep = forbid_zero_sleep
        self._actions: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if self._forbid_zero_sleep:
            assert seconds > 0, "the code under test asked to sleep for nothing: it would spin"
        self.sleeps.append(seconds)
        # Time never runs backwards, whatever a caller computed.
        self.now += max(seconds, 0.0)
        while self._actions and self._actions[0][0] <= self.now:
            _, _, action = heapq.heappop(self._actions)
            action()
        if self.on_sleep is not None:
            self.on_sleep(self.now)

    def advance(self, seconds: float) -> None:
        """Move time without a sleep: what passes between two calls of a test."""
        self.now += seconds

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action`` once a sleep carries the clock to ``when`` or past it."""
        heapq.heappush(self._actions, (when, next(self._order), action))

    def no_sleeps(self) -> WallTime:
        return WallTime(self)


class WallTime:
    """A clock's time without its sleeps (they return at once and move nothing)."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    def time(self) -> float:
        return self._clock.now

    def monotonic(self) -> float:
        return self._clock.now

    def sleep(self, seconds: float) -> None:
        return None
