"""What the streams of this process learned about each job's cadence, handed from one window to
the next.

A window ends where the job's cadence predicts a silence, and its client reconnects at once. A new
connection that starts from nothing finds the job's next event by the silence's pace (about a
tenth of the silence late, tail/polling.py); one that starts from what the previous connection
learned polls just when that event is due. The learned lag maps the job's clock onto this
process's monotonic clock, so the memory is per process: on Lambda a reconnect that lands on
another execution environment starts from nothing, as before (correct, only a little later).

Bounded (the least recently used job goes first) and entries older than ``max_age_s`` are not
used: a job paused for longer than that is better relearned.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from jobstream.clock import Clock
from jobstream.tail.polling import Learned

_MAX_JOBS = 1_000
_MAX_AGE_S = 120.0


class CadenceMemory:
    def __init__(
        self,
        clock: Clock,
        *,
        max_jobs: int = _MAX_JOBS,
        max_age_s: float = _MAX_AGE_S,
    ) -> None:
        self._clock = clock
        self._max_jobs = max_jobs
        self._max_age_s = max_age_s
        self._entries: OrderedDict[str, tuple[float, Learned]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, job_id: str, learned: Learned) -> None:
        with self._lock:
            self._entries[job_id] = (self._clock.monotonic(), learned)
            self._entries.move_to_end(job_id)
            while len(self._entries) > self._max_jobs:
                self._entries.popitem(last=False)

    def recall(self, job_id: str) -> Learned | None:
        with self._lock:
            entry = self._entries.get(job_id)
        if entry is None:
            return None
        at, learned = entry
        return learned if self._clock.monotonic() - at <= self._max_age_s else None
