"""When to poll the event log next: at the job's own cadence, gently later when it is quiet.

DynamoDB has no push a Lambda stream can wait on (Streams fan out to other functions, not into a
running invocation), so the tail polls, one Query per poll. The schedule balances three costs:

- **latency**: an event waits for the next poll. The schedule learns the job's cadence from the
  events themselves (the median interval between consecutive events' ``created_at``, and the
  smallest lag seen between an event's ``created_at`` and the poll that found it), so it knows
  when the next event should land and polls just then, then probes every ``min_interval``. Only
  differences of the writer's timestamps are used (the writer's wall clock and the stream's
  monotonic clock never meet), and the cadence is not that of our own polls (which would feed
  back on itself). A job whose steps each emit several events over a long step shows the
  cadence of its events, not of its commits: polls then come early, which costs reads, not
  latency. Past the due time the wait grows with how overdue the job is (a tenth of it
  for the first three seconds, a quarter after that), so an event after a silence of s <= 3 s waits
  about s/10;
- **idle reads**: the wait never exceeds ``max_interval`` (the idle ceiling: 3 s = 20 Queries a
  minute), and no more than ``idle_budget`` empty polls fall in any minute without events: a hard
  bound on what an abandoned stream (or one on a stalled job) costs until its deadline ends it;
- **busy reads**: after a poll that found events the next one waits at least ``busy_interval``, so a
  viewer of a busy job reads at most 1/busy_interval times a second whatever the job's rate (kept
  below the cadence of a 10 events/s job, so the polls can still close in on its commits); a poll
  that found a large batch makes the next one eventually consistent (half the units; safe for
  this log, see JobStore.events_after).

Pure: every method takes the time (``now``, seconds on the stream's monotonic clock), so the
schedule is tested on a fake clock.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from jobstream.settings import Settings

# Overdue for this long, the wait grows faster (a quarter of the silence instead of a tenth).
_PATIENT_FOR = 3.0
_SHORT_SILENCE_SHARE = 0.1
_LONG_SILENCE_SHARE = 0.25
# Cadence: the median of this many recent intervals between events (one pause does not move it);
# the lag: the smallest of this many recent (found at - created at) differences.
_GAPS_KEPT = 9
_LAGS_KEPT = 16
# A batch this large (events, or bytes: above one strongly consistent read unit) makes the next
# read eventually consistent.
_EVENTUAL_FROM_EVENTS = 10
_EVENTUAL_ABOVE_BYTES = 4096
IDLE_BUDGET_PER_MINUTE = 60
_MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class Learned:
    """What a schedule learned about a job: recent intervals between its events, recent
    (found at - created at) lags, and the newest event's ``created_at`` (the writer's clock)."""

    gaps: tuple[float, ...]
    lags: tuple[float, ...]
    newest_created: float


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
        # The writer's timestamps: the newest event seen, recent intervals between events, and
        # recent (found at - created at) differences, whose minimum maps the writer's clock onto
        # ours (its constant offset plus the shortest commit-to-visible time seen).
        self._newest_created: float | None = None
        self._gaps: deque[float] = deque(maxlen=_GAPS_KEPT)
        self._lags: deque[float] = deque(maxlen=_LAGS_KEPT)
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
        """The job's learned interval between events, once two intervals were seen."""
        if len(self._gaps) < 2:
            return None
        return statistics.median(self._gaps)

    def quiet_ahead(self, now: float) -> float:
        """Seconds from ``now`` until the job's next event is expected to be visible: ``inf``
        while no cadence is known, or when the job is overdue by more than one of its intervals
        (a pause: nothing is predicted); 0 when it is due now or only a little late.

        The stream ends a window where this is long enough for a client to reconnect unseen.
        """
        interval = self.cadence
        if interval is None or self._newest_created is None or not self._lags:
            return math.inf
        expected = self._newest_created + min(self._lags) + interval
        if now > expected + interval:
            return math.inf
        return max(0.0, expected - now)

    def learned(self) -> Learned | None:
        """What this schedule learned about the job (None before its first event): the next
        connection of the same job in this process starts from it (``resume``)."""
        if self._newest_created is None or not self._lags:
            return None
        return Learned(tuple(self._gaps), tuple(self._lags), self._newest_created)

    def resume(self, learned: Learned) -> None:
        """Start from what the previous connection of this job learned: its cadence, and where
        the job's clock falls on ours (valid in the process that learned it: the same monotonic
        clock). A window's reconnect then polls when the job's next event is due, instead of
        relearning the cadence from a silence (a tenth of it late for the first event)."""
        self._gaps.extend(learned.gaps)
        self._lags.extend(learned.lags)
        self._newest_created = learned.newest_created

    def record(
        self, now: float, *, events: int, size: int = 0, created: Sequence[float] = ()
    ) -> float:
        """Note what the poll at ``now`` found: ``events`` events of ``size`` bytes, ``created``
        their ``created_at`` (the writer's clock) in id order. Return the delay before the next
        poll."""
        if events:
            self._delay = self._after_found(now, events, size, created)
        else:
            self._delay = self._after_empty(now)
        return self._delay

    def _after_found(self, now: float, events: int, size: int, created: Sequence[float]) -> float:
        self._last_found = now
        # The budget is for idle minutes: a job that just committed is not idle.
        self._empty_polls.clear()
        self._learn(now, created)
        self._consistent = events < _EVENTUAL_FROM_EVENTS and size <= _EVENTUAL_ABOVE_BYTES
        return min(self.max_interval, max(self.busy_interval, self._due() - now))

    def _learn(self, now: float, created: Sequence[float]) -> None:
        previous = self._newest_created
        for stamp in created:
            if previous is not None and stamp >= previous:
                self._gaps.append(stamp - previous)
            previous = stamp
        if created:
            self._newest_created = created[-1]
            self._lags.append(now - created[-1])

    def _after_empty(self, now: float) -> float:
        self._consistent = True
        self._empty_polls.append(now)
        while self._empty_polls and self._empty_polls[0] <= now - _MINUTE:
            self._empty_polls.popleft()
        due = self._due()
        if now < due:
            delay = due - now
            if self.cadence is None:
                # One interval seen, not yet a cadence: keep the silence's pace, but also look
                # at the time that one interval points to.
                silence = now - self._last_found
                delay = min(delay, _silence_share(silence) * silence)
        else:
            overdue = now - due
            delay = _silence_share(overdue) * overdue
        delay = min(self.max_interval, max(self.min_interval, delay))
        if len(self._empty_polls) >= self.idle_budget:
            # The minute's budget is spent: the next poll waits until the oldest one leaves it.
            delay = max(delay, self._empty_polls[0] + _MINUTE - now)
        return delay

    def _due(self) -> float:
        """When the next event should be visible, on our clock (a little early, so the probes
        that follow find it soon after it lands); the silence's start while there is nothing to
        go on. With a single interval seen it is a hint: the silence's pace is kept until then."""
        interval = statistics.median(self._gaps) if self._gaps else None
        if interval is None or self._newest_created is None or not self._lags:
            return self._last_found
        expected = self._newest_created + min(self._lags) + min(interval, self.max_interval)
        # Never before the silence began (a burst's cadence can be far below a poll interval).
        return max(self._last_found, expected - self.min_interval / 2)


def _silence_share(silence: float) -> float:
    return _SHORT_SILENCE_SHARE if silence < _PATIENT_FOR else _LONG_SILENCE_SHARE
