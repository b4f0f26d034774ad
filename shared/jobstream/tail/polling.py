"""When to poll the event log next: fast while events flow, backing off to a ceiling when idle.

DynamoDB has no push a Lambda stream can wait on (Streams fan out to other functions, not into a
running invocation), so the tail polls. Each poll is one Query; an idle stream settles at one Query
per ``max_interval``, which bounds what an abandoned stream costs until its deadline closes it.
"""

from __future__ import annotations

from jobstream.settings import Settings


class PollSchedule:
    """Delay before the next poll: ``min_interval`` after a poll that found events, then
    multiplied by ``backoff`` after each empty poll, never above ``max_interval``."""

    def __init__(self, *, min_interval: float, max_interval: float, backoff: float = 2.0) -> None:
        if min_interval <= 0:
            raise ValueError("min_interval must be positive")
        if max_interval < min_interval:
            raise ValueError("max_interval must be at least min_interval")
        if backoff <= 1:
            raise ValueError("backoff must be greater than 1")
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.backoff = backoff
        self._delay = min_interval

    @classmethod
    def from_settings(cls, settings: Settings) -> PollSchedule:
        return cls(
            min_interval=settings.stream_poll_min_ms / 1000,
            max_interval=settings.stream_poll_max_ms / 1000,
        )

    @property
    def delay(self) -> float:
        """The current delay before the next poll, in seconds."""
        return self._delay

    def record(self, *, found_events: bool) -> float:
        """Note what a poll found; return the delay before the next one."""
        if found_events:
            self._delay = self.min_interval
        else:
            self._delay = min(self.max_interval, self._delay * self.backoff)
        return self._delay
