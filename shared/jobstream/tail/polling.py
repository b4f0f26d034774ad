"""When to poll the event log next: at the job's own cadence, gently later when it is quiet.

DynamoDB has no push a Lambda stream can wait on (Streams fan out to other functions, not into a
running invocation), so the tail polls, one Query per poll. The schedule balances three costs:

- **latency**: an event waits for the next poll. The schedule learns the job's cadence (the median
  gap between polls that found events) and polls just before the next commit is due, then probes
  every ``min_interval``; past the due time, the wait grows with how overdue the job is (a tenth of
  it for the first second, a quarter after that), so an event after a silence of s <= 1 s waits
  about s/10;
- **idle reads**: the wait never exceeds ``max_interval`` (the idle ceiling: 2.5 s = 24 Queries a
  minute), and no more than ``idle_budget`` empty polls fall in any minute without events: a hard
  bound on what an abandoned stream (or one on a stalled job) costs until its deadline ends it;
- **busy reads**: after a poll that found events the next one waits at least ``busy_interval``, so a
  viewer of a busy job reads at most 1/busy_interval times a second whatever the job's rate; a poll
  that found more than one read unit of events makes the next one eventually consistent (half the
  units; safe for this log, see JobStore.events_after).

Pure: every method takes the time (``now``, seconds on the stream's monotonic clock), so the
schedule is tested on a fake clock.
"""

from __future__ import annotations

import statistics
from collections import deque

from jobstream.settings import Settings

# Overdue for this long, the wait grows faster (a quarter of the silence instead of a tenth).
_PATIENT_FOR = 1.0
_SHORT_SILENCE_SHARE = 0.1
_LONG_SILENCE_SHARE = 0.25
# Cadence: the median of this many recent gaps (a single pause does not move it).
_GAPS_KEPT = 5
# Strongly consistent reads cost one unit per 4 KB: a batch above that costs several, and the
# following read is made eventually consistent (half the units).
_EVENTUAL_ABOVE_BYTES = 4096
IDLE_BUDGET_PER_MINUTE = 60
_MINUTE = 60.0


class PollSchedule:
    """Delay before the next poll, from what each poll found (``record``)."""

    def __init__(
        self,
        *,
        min_interval: float,
        max_interval: float,
        busy_interval: float | None = None,
        started_at: float = 0.0,
        idle_budget: int = IDLE_BUDGET_PER_MINUTE,
    ) -> None:
        if min_interval <= 0:
            raise ValueError("min_interval must be positive")
        if max_interval < min_interval:
            raise ValueError("max_interval must be at least min_interval")
        busy = min_interval if busy_interval is None else busy_interval
        if not min_interval <= busy <= max_interval:
            raise ValueError("busy_interval must lie between min_interval and max_interval")
        if idle_budget < 1:
            raise ValueError("idle_budget must be at least 1")
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.busy_interval = busy
        self.idle_budget = idle_budget
        # When the silence began: the stream's open, then each poll that found events.
        self._last_found = started_at
        self._found_before: float | None = None
        self._gaps: deque[float] = deque(maxlen=_GAPS_KEPT)
        self._empty_polls: deque[float] = deque()
        self._consistent = True
        self._delay = min_interval

    @classmethod
    def from_settings(cls, settings: Settings, *, started_at: float = 0.0) -> PollSchedule:
        return cls(
            min_interval=settings.stream_poll_min_ms / 1000,
            max_interval=settings.stream_poll_max_ms / 1000,
            busy_interval=min(
                max(settings.stream_poll_busy_ms, settings.stream_poll_min_ms),
                settings.stream_poll_max_ms,
            )
            / 1000,
            started_at=started_at,
        )

    @property
    def delay(self) -> float:
        """The delay ``record`` returned last, in seconds."""
        return self._delay

    @property
    def consistent(self) -> bool:
        """Whether the next poll should read strongly consistently."""
        return self._consistent

    @property
    def cadence(self) -> float | None:
        """The job's learned interval between commits, once two gaps were seen."""
        if len(self._gaps) < 2:
            return None
        return statistics.median(self._gaps)

    def record(self, now: float, *, events: int, size: int = 0) -> float:
        """Note what the poll at ``now`` found (``events``, ``size`` bytes of them); return the
        delay before the next poll."""
        if events:
            self._delay = self._after_found(now, size)
        else:
            self._delay = self._after_empty(now)
        return self._delay

    def _after_found(self, now: float, size: int) -> float:
        if self._found_before is not None:
            self._gaps.append(now - self._found_before)
        self._found_before = now
        self._last_found = now
        # The budget is for idle minutes: a job that just committed is not idle.
        self._empty_polls.clear()
        self._consistent = size <= _EVENTUAL_ABOVE_BYTES
        return min(self.max_interval, max(self.busy_interval, self._due(now) - now))

    def _after_empty(self, now: float) -> float:
        self._consistent = True
        self._empty_polls.append(now)
        while self._empty_polls and self._empty_polls[0] <= now - _MINUTE:
            self._empty_polls.popleft()
        due = self._due(now)
        if now < due:
            delay = due - now
        else:
            overdue = now - due
            share = _SHORT_SILENCE_SHARE if overdue < _PATIENT_FOR else _LONG_SILENCE_SHARE
            delay = share * overdue
        delay = min(self.max_interval, max(self.min_interval, delay))
        if len(self._empty_polls) >= self.idle_budget:
            # The minute's budget is spent: the next poll waits until the oldest one leaves it.
            delay = max(delay, self._empty_polls[0] + _MINUTE - now)
        return delay

    def _due(self, now: float) -> float:
        """When the next commit is expected: a little before the learned cadence says (so the
        probes that follow find it soon after it lands); the silence's start without one."""
        cadence = self.cadence
        if cadence is None:
            return self._last_found
        lead = min(0.1 * cadence, 2 * self.min_interval)
        return self._last_found + min(cadence - lead, self.max_interval)
