"""StepCommitter: completed steps go to the log together with the checkpoint after them.

The unit is the *step*: its events are held until it returns, then written with the checkpoint it
produced in ONE append (one DynamoDB transaction, fenced by the lease). An event is never written
before the step that emitted it has finished, so after a crash the log and the checkpoint agree:
every stored event belongs to a checkpointed step, and nothing of an unfinished step was written, so
its re-run emits its events for the first time and ids continue without a gap or a repeat.

Batching, by whole steps: a step finishing when nothing was written within ``flush_interval_s`` is
written at once (a slow job's events reach viewers with no delay); steps finishing sooner are
batched and written when the interval has passed, by a timer thread (``background=True``) or by the
next call, so no step's events wait longer than one interval and a fast job makes at most one write
per interval. The chunk's start counts as a write (its lease was just taken): a fast first step
joins the next ones instead of costing a transaction of its own. A batch is written early before it
could outgrow one transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from jobstream.clock import Clock
from jobstream.errors import JobstreamError
from jobstream.jobs.context import StepRecord
from jobstream.store import schema
from jobstream.store.errors import JobFinished, LeaseLost
from jobstream.store.event_codec import EncodedEvent
from jobstream.store.job_store import JobStore
from jobstream.store.models import JSON, UNSET, Checkpoint, JobStatus, Lease, NewEvent

logger = logging.getLogger(__name__)


class CommitterClosed(JobstreamError, RuntimeError):
    """A write was attempted after close() or after a failed write (the log position is unknown)."""


class StepCommitter:
    def __init__(
        self,
        store: JobStore,
        lease: Lease,
        *,
        last_event_id: int,
        flush_interval_s: float,
        clock: Clock,
        background: bool = True,
    ) -> None:
        self._store = store
        self._lease = lease
        self._durable_id = last_event_id
        self._interval = flush_interval_s
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        # Steps' events come encoded (by the recorder); the terminal events of finish() are
        # encoded by the store.
        self._events: list[NewEvent | EncodedEvent] = []
        self._bytes = 0
        self._checkpoint: Checkpoint | None = None
        self._last_write = clock.monotonic()
        self._timer: threading.Timer | None = None
        # A failed write leaves the log position unknown (it may or may not have committed): after
        # it nothing more may be written by this committer. A timer's failure is raised by the next
        # call, so the driver stops on LeaseLost even when the timer saw it first.
        self._failure: BaseException | None = None
        self._failure_reported = False
        self._closed = False

    @property
    def durable_event_id(self) -> int:
        """Id of the last event this committer knows to be stored."""
        return self._durable_id

    @property
    def pending_events(self) -> int:
        return len(self._events)

    def set_lease(self, lease: Lease) -> None:
        """A renewed lease (same owner): used by later writes."""
        with self._lock:
            self._lease = lease

    def add(self, record: StepRecord) -> None:
        """Take one completed (not final) step; writes now or schedules the write."""
        with self._lock:
            self._check_usable()
            # A batch stays one transaction: the store splits bigger appends into several, which
            # are not atomic together.
            if self._events and (
                len(self._events) + len(record.events) > schema.ATOMIC_APPEND_MAX_EVENTS
                or self._bytes + record.size > schema.ATOMIC_APPEND_MAX_BYTES
            ):
                self._write()
            self._events.extend(record.events)
            self._bytes += record.size
            self._checkpoint = record.position.to_checkpoint()
            wait = self._last_write + self._interval - self._clock.monotonic()
            if wait <= 0:
                self._write()
            elif self._background and self._timer is None:
                self._timer = threading.Timer(wait, self._on_timer)
                self._timer.daemon = True
                self._timer.start()

    def finish(
        self,
        events: Sequence[NewEvent | EncodedEvent] = (),
        *,
        checkpoint: Checkpoint | None = None,
        status: JobStatus | None = None,
        result: JSON = UNSET,
        error: str | None = None,
        hops: int | None = None,
    ) -> None:
        """Write everything pending plus ``events`` and the job-item changes in one append."""
        with self._lock:
            self._check_usable()
            self._events.extend(events)
            if checkpoint is not None:
                self._checkpoint = checkpoint
            self._write(status=status, result=result, error=error, hops=hops)

    def close(self) -> None:
        """Stop the timer; pending steps are dropped (call finish() first to keep them)."""
        timer = self._timer
        if timer is not None:
            timer.cancel()
        with self._lock:
            self._closed = True
            self._timer = None

    def raise_failure(self) -> None:
        """Re-raise a background write's failure (once) so the driver sees LeaseLost in time."""
        with self._lock:
            self._raise_unreported()

    # --- internals (lock held) ---
    def _check_usable(self) -> None:
        self._raise_unreported()
        if self._closed or self._failure is not None:
            raise CommitterClosed("this committer can no longer write")

    def _raise_unreported(self) -> None:
        if self._failure is not None and not self._failure_reported:
            self._failure_reported = True
            raise self._failure

    def _write(
        self,
        *,
        status: JobStatus | None = None,
        result: JSON = UNSET,
        error: str | None = None,
        hops: int | None = None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        nothing_to_change = (
            self._checkpoint is None
            and status is None
            and result is UNSET
            and error is None
            and hops is None
        )
        if not self._events and nothing_to_change:
            return
        try:
            stored = self._store.append(
                self._lease,
                self._events,
                after_id=self._durable_id,
                checkpoint=self._checkpoint,
                status=status,
                result=result,
                error=error,
                hops=hops,
            )
        except BaseException as exc:
            self._failure = exc
            self._failure_reported = True
            raise
        self._durable_id += len(stored)
        self._events = []
        self._bytes = 0
        self._checkpoint = None
        self._last_write = self._clock.monotonic()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed or self._failure is not None or not self._events:
                return
            # Either way the failure is kept for the driver (raise_failure / its next call).
            try:
                self._write()
            except (LeaseLost, JobFinished):
                self._failure_reported = False
                logger.info("job %s: another driver owns the job now", self._lease.job_id)
            except Exception:
                self._failure_reported = False
                logger.exception("job %s: background write failed", self._lease.job_id)
