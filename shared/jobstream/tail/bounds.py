"""When one stream ends: at its deadline (the invocation's time, less a margin), at the end of its
window, or, late in the window, at a silence the job's cadence predicts.

**Windows.** The deadline alone would let a stream whose viewer left run, billed, for the whole
function timeout (900 s). So a connection lasts one window (``stream_window_seconds``, 45 s by
default) and the client reconnects: an abandoned stream costs at most a window. From two thirds of
the window on, it ends right after a poll, at a point where the job's learned cadence predicts a
silence of at least ``stream_window_quiet_ms`` (PollSchedule.quiet_ahead), with a ``retry:`` that
brings the client back at once, so the reconnect falls between two events; a job too busy for such
a silence ends right after a poll that delivered its events, while the next is still at least half
an interval away (or at the window's full length, whichever comes first). A window ends only
between whole events that were sent, and the next connection resumes after the last one, so
windows lose, repeat and reorder nothing (the same exactness as any resume). The next connection
starts from the cadence this one learned when it lands in the same process (cadence_memory.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from jobstream.clock import Clock
from jobstream.settings import Settings
from jobstream.tail.polling import PollSchedule

logger = logging.getLogger(__name__)

# A window may end early (at a predicted silence) from this share of its length on.
_WINDOW_EARLIEST_SHARE = 2 / 3


@dataclass(frozen=True, slots=True)
class StreamBounds:
    """When one stream ends (the stream's monotonic clock): at ``ends_at`` at the latest (the
    deadline, or the window's full length when ``window`` says that comes first), and from
    ``quiet_end_from`` on at a predicted silence."""

    ends_at: float
    window: bool
    quiet_end_from: float

    @classmethod
    def starting(
        cls, settings: Settings, clock: Clock, remaining_ms: Callable[[], int]
    ) -> StreamBounds:
        """The bounds of a stream opening now; ``remaining_ms`` is the invocation's time left
        (Lambda's get_remaining_time_in_millis), read once, here."""
        deadline = _deadline(settings, clock, remaining_ms)
        window = settings.stream_window_seconds
        if not window:
            return cls(ends_at=deadline, window=False, quiet_end_from=math.inf)
        opened = clock.monotonic()
        window_end = opened + window
        return cls(
            ends_at=min(deadline, window_end),
            window=window_end < deadline,
            quiet_end_from=opened + window * _WINDOW_EARLIEST_SHARE,
        )


def _deadline(settings: Settings, clock: Clock, remaining_ms: Callable[[], int]) -> float:
    now = clock.monotonic()
    ends_at = now + remaining_ms() / 1000 - settings.stream_deadline_margin_seconds
    if settings.stream_max_seconds is not None:
        ends_at = min(ends_at, now + settings.stream_max_seconds)
    if ends_at <= now:
        logger.warning(
            "stream has no time left: the function timeout is shorter than "
            "stream_deadline_margin_seconds; clients will reconnect in a tight loop"
        )
    return ends_at


def quiet_enough(schedule: PollSchedule, now: float, found: int, quiet_s: float) -> bool:
    """Whether a window may end after the poll at ``now``: the next event is predicted at least
    ``quiet_s`` away; or this poll just delivered events of a job whose cadence is shorter than
    that, and the next one is still at least half an interval away (the best moment such a job
    offers: right after an event)."""
    quiet = schedule.quiet_ahead(now)
    if quiet >= quiet_s:
        return True
    cadence = schedule.cadence
    return found > 0 and cadence is not None and quiet >= cadence / 2
