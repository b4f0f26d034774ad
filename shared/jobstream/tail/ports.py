"""What a stream is given and what it reports: the parts of the store it reads, the inline driver
it may run, and the stats of one stream (its metrics and logs)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from jobstream.store.models import Job, StoredEvent
from jobstream.store.stream_slots import LiveSlots, SlotsSeen, StreamSlot


class EventLog(Protocol):
    """The part of JobStore a stream reads."""

    def get_job(self, job_id: str) -> Job: ...

    def events_after(
        self, job_id: str, last_id: int, *, consistent: bool = True
    ) -> Iterator[StoredEvent]: ...


class StreamSlotStore(Protocol):
    """The part of JobStore that keeps count of a job's streams (store/stream_slots.py)."""

    def now(self) -> float: ...

    def read_job_and_slots(self, job_id: str) -> tuple[Job, SlotsSeen]: ...

    def claim_stream_slot(
        self,
        job_id: str,
        *,
        cap: int,
        until: float,
        viewer: str | None = None,
        seen: SlotsSeen | None = None,
    ) -> StreamSlot: ...

    def release_stream_slot(self, slot: StreamSlot) -> None: ...

    def events_after(
        self, job_id: str, last_id: int, *, consistent: bool = True, live: LiveSlots | None = None
    ) -> Iterator[StoredEvent]: ...


class InlineDriver(Protocol):
    """Drives an inline job while its stream is open (provided by jobstream.jobs).

    Runs in its own thread. It must return soon after ``stop`` is set, and should plan its work to
    finish within ``seconds_left()`` (the time until the stream ends). It reports progress only by
    appending events to the store; the stream picks them up like any other job's.
    """

    def __call__(
        self, job: Job, *, stop: threading.Event, seconds_left: Callable[[], float]
    ) -> None: ...


@dataclass(slots=True)
class StreamStats:
    """What one stream did; logged when it ends and returned to tests through ``on_close``."""

    job_id: str
    start_id: int
    last_id: int = 0
    events: int = 0
    # Of those, the ones already stored when the stream opened (catch-up after Last-Event-ID).
    replayed: int = 0
    # Of those, the ones handed over in-process by this stream's own inline driver (no read).
    handed_over: int = 0
    polls: int = 0
    heartbeats: int = 0
    reason: str = "closed"
