"""EventWriter: hands out event ids at once and coalesces bursts into few DynamoDB writes.

Policy (per writer, i.e. per job and lease):

- a *lone* event -- nothing was written in the last ``flush_interval_s`` -- is written before
  ``emit`` returns, so a slow job's events reach viewers with no added delay;
- an event arriving sooner joins a buffer written once the interval since the previous write has
  passed: by the timer thread (``background_flush``), else by the next ``emit``/``flush``/``close``.
  At most one write per interval however fast the job emits, and (with the timer) no event waits
  longer than one interval;
- a very large buffer is written early (bounded memory and transaction size).

Readers only read DynamoDB, so a buffered event is never visible anywhere before it is durable
("persist before send"). Ids are assigned here in emit order and written in that order by one
append at a time, so ids stay gap-free, strictly increasing and never repeat.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from jobstream.store.errors import JobFinished
from jobstream.store.models import (
    JSON,
    UNSET,
    Checkpoint,
    JobStatus,
    JSONObject,
    Lease,
    NewEvent,
)

if TYPE_CHECKING:
    from jobstream.store.job_store import JobStore

# Written early past these, whatever the interval: an append stays well inside one transaction.
MAX_BUFFERED_EVENTS: Final = 1_000
MAX_BUFFERED_BYTES: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class _JobChanges:
    checkpoint: Checkpoint | None = None
    status: JobStatus | None = None
    result: JSON = UNSET
    error: str | None = None
    hops: int | None = None

    @property
    def empty(self) -> bool:
        return (
            self.checkpoint is None
            and self.status is None
            and self.result is UNSET
            and self.error is None
            and self.hops is None
        )


_NO_CHANGES: Final = _JobChanges()


class EventWriter:
    def __init__(
        self,
        store: JobStore,
        lease: Lease,
        *,
        last_event_id: int,
        flush_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        background_flush: bool = True,
    ) -> None:
        if flush_interval_s < 0:
            raise ValueError("flush_interval_s must be >= 0")
        self._store = store
        self._lease = lease
        self._interval = flush_interval_s
        self._clock = clock
        self._background = background_flush
        # _lock guards the state below; _write_lock makes appends one at a time, in id order.
        # Order: _write_lock before _lock, never the reverse.
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._buffer: list[NewEvent] = []
        self._buffer_bytes = 0
        self._last_event_id = last_event_id
        self._durable_event_id = last_event_id
        self._last_write_at: float | None = None
        self._error: Exception | None = None
        self._error_reported = False
        self._finished = False
        self._closing = False
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def last_event_id(self) -> int:
        """The last id handed out by emit."""
        with self._lock:
            return self._last_event_id

    @property
    def durable_event_id(self) -> int:
        """The last id durably stored (readers can see events up to here)."""
        with self._lock:
            return self._durable_event_id

    @property
    def lease(self) -> Lease:
        return self._lease

    def emit(self, type: str, data: JSONObject) -> int:
        """Give the event the next id; store it now if it is lone, else within one interval.

        A bad event (type, data not JSON, too large) raises here and takes no id.
        """
        with self._lock:
            self._check_usable()
            created_at = self._store.now()
            event = NewEvent(type=type, data=data, created_at=created_at)
            encoded = self._store.encode_event(self._lease.job_id, event, now=created_at)
            now = self._clock()
            was_empty = not self._buffer
            lone = was_empty and self._quiet_since_last_write(now)
            self._last_event_id += 1
            event_id = self._last_event_id
            self._buffer.append(event)
            self._buffer_bytes += encoded.size
            full = (
                len(self._buffer) >= MAX_BUFFERED_EVENTS or self._buffer_bytes >= MAX_BUFFERED_BYTES
            )
            if self._background:
                # Due writes are the timer's, so a burst never blocks the job on DynamoDB.
                write_now = lone or full
                if not write_now and was_empty:
                    self._ensure_timer()
                    self._changed.notify_all()
            else:
                write_now = lone or full or self._due(now)
        if write_now:
            self._write(_NO_CHANGES, through=event_id)
        return event_id

    def flush(
        self,
        *,
        checkpoint: Checkpoint | None = None,
        status: JobStatus | None = None,
        result: JSON = UNSET,
        error: str | None = None,
        hops: int | None = None,
    ) -> None:
        """Write the buffer and these job-item changes atomically (one append)."""
        with self._lock:
            self._check_usable()
        self._write(
            _JobChanges(checkpoint=checkpoint, status=status, result=result, error=error, hops=hops)
        )

    def close(self) -> None:
        """Flush and stop the timer. Raises an error of a background flush not yet reported."""
        with self._lock:
            if self._closed or self._closing:
                return
            self._closing = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        try:
            with self._lock:
                if self._error is not None:
                    if self._error_reported:
                        return
                    self._error_reported = True
                    raise self._error
                pending = bool(self._buffer)
            if pending:
                self._write(_NO_CHANGES)
        finally:
            with self._lock:
                self._closed = True

    def wait_durable(self, event_id: int, timeout: float | None = None) -> bool:
        """Block until events up to ``event_id`` are stored (True) or a write failed / timeout."""
        with self._lock:
            self._changed.wait_for(
                lambda: self._durable_event_id >= event_id or self._error is not None, timeout
            )
            return self._durable_event_id >= event_id

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals (call with _lock held unless said otherwise) -----------------------------------
    def _check_usable(self) -> None:
        if self._error is not None:
            # Sticky: after a failed write the ids handed out no longer match the log.
            self._error_reported = True
            raise self._error
        if self._closed or self._closing:
            raise RuntimeError("EventWriter is closed")
        if self._finished:
            raise JobFinished(self._lease.job_id)

    def _quiet_since_last_write(self, now: float) -> bool:
        # The epsilon keeps float rounding (100.05 - 100.0 < 0.05) from delaying a due write.
        return self._last_write_at is None or now - self._last_write_at >= self._interval - 1e-9

    def _due(self, now: float) -> bool:
        return bool(self._buffer) and self._quiet_since_last_write(now)

    def _ensure_timer(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run_timer, name=f"event-writer-{self._lease.job_id}", daemon=True
            )
            self._thread.start()

    def _run_timer(self) -> None:
        """Timer thread: write the buffer once it is due; stops on close or after an error."""
        while True:
            with self._lock:
                while True:
                    if self._closing or self._error is not None:
                        return
                    if self._buffer and self._last_write_at is not None:
                        remaining = self._last_write_at + self._interval - 1e-9 - self._clock()
                        if remaining <= 0:
                            break
                        # Bounded so that an injected clock that jumps is noticed soon.
                        self._changed.wait(min(remaining, max(self._interval, 0.001)))
                    elif self._buffer:
                        break
                    else:
                        self._changed.wait()
            self._write(_NO_CHANGES, from_timer=True)

    def _write(
        self, changes: _JobChanges, *, through: int | None = None, from_timer: bool = False
    ) -> None:
        """Append the buffer (and changes) as one append; called WITHOUT _lock held."""
        with self._write_lock:
            with self._lock:
                if self._error is not None:
                    if from_timer:
                        return
                    self._error_reported = True
                    raise self._error
                if changes.empty and (
                    not self._buffer or (through is not None and self._durable_event_id >= through)
                ):
                    return  # another writer call already stored it
                batch, self._buffer, self._buffer_bytes = self._buffer, [], 0
                after_id = self._durable_event_id
                self._last_write_at = self._clock()
            try:
                self._store.append(
                    self._lease,
                    batch,
                    after_id=after_id,
                    checkpoint=changes.checkpoint,
                    status=changes.status,
                    result=changes.result,
                    error=changes.error,
                    hops=changes.hops,
                )
            # Any failure (LeaseLost, JobFinished, throttling beyond retries, ...) must reach the
            # driver thread, which may not be the one writing: keep it, wake waiters, re-raise.
            except Exception as exc:
                with self._lock:
                    self._error = exc
                    self._error_reported = not from_timer
                    self._changed.notify_all()
                if from_timer:
                    return
                raise
            with self._lock:
                self._durable_event_id = after_id + len(batch)
                if changes.status is not None and JobStatus(changes.status).is_terminal:
                    self._finished = True
                self._changed.notify_all()
