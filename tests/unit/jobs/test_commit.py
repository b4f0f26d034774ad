"""StepCommitter: steps and their checkpoint in one append; batching; the background timer."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from jobstream.jobs import SYSTEM_CLOCK
from jobstream.jobs.commit import CommitterClosed, StepCommitter
from jobstream.jobs.context import Position, StepRecord
from jobstream.settings import Settings
from jobstream.store import JobStore, LeaseLost, NewEvent, StoredEvent
from tests.unit.jobs.fakes import FakeClock

pytestmark = pytest.mark.unit


class SignallingStore(JobStore):
    """Counts appends and signals each one, whether it succeeded or raised."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.appended = threading.Event()
        self.batches: list[int] = []

    def append(self, *args: Any, **kwargs: Any) -> list[StoredEvent]:
        try:
            stored = super().append(*args, **kwargs)
            self.batches.append(len(stored))
            return stored
        finally:
            self.appended.set()


def record(cursor: int, events: int = 1) -> StepRecord:
    batch = tuple(
        NewEvent("log", {"message": f"{cursor}.{i}", "level": "info"}) for i in range(events)
    )
    return StepRecord(
        events=batch, size=40 * events, position=Position(cursor=cursor), completed=False
    )


@pytest.fixture
def store(job_settings: Settings, ddb: Any, clock: FakeClock) -> SignallingStore:
    return SignallingStore(job_settings, client=ddb, clock=clock.time)


def started(store: JobStore) -> Any:
    store.create_job(job_id="job", type="demo.count", params={})
    lease, _ = store.acquire_lease("job", duration_s=60)
    return lease


def test_the_timer_writes_a_batch_without_waiting_for_the_next_step(store: SignallingStore) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=0, flush_interval_s=0.05, clock=SYSTEM_CLOCK, background=True
    )
    committer.add(record(1))  # right after the chunk start: batched, the timer is armed
    assert store.appended.wait(timeout=10)
    committer.close()
    job = store.get_job("job")
    assert (job.last_event_id, job.checkpoint.cursor) == (1, 1)
    assert committer.durable_event_id == 1


def test_a_lease_lost_in_the_background_stops_the_driver(
    store: SignallingStore, clock: FakeClock
) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=0, flush_interval_s=0.05, clock=SYSTEM_CLOCK, background=True
    )
    clock.advance(61)
    store.acquire_lease("job", duration_s=60)  # another driver takes over the expired lease
    committer.add(record(1))
    assert store.appended.wait(timeout=10)
    with pytest.raises(LeaseLost):
        committer.raise_failure()
    with pytest.raises(CommitterClosed):
        committer.add(record(2))
    assert store.get_job("job").last_event_id == 0


def test_a_batch_is_written_early_before_it_outgrows_one_transaction(
    store: SignallingStore, clock: FakeClock
) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=0, flush_interval_s=3_600, clock=clock, background=False
    )
    committer.add(record(1, events=400))
    committer.add(record(2, events=400))
    assert store.batches == []
    committer.add(record(3, events=400))  # 1,200 would pass the 1,000-event bound
    assert store.batches == [800]
    assert store.get_job("job").checkpoint.cursor == 2
    committer.finish()
    assert store.batches == [800, 400]
    assert store.get_job("job").checkpoint.cursor == 3


def test_after_a_failed_write_nothing_more_is_written(store: SignallingStore) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=5, flush_interval_s=0, clock=FakeClock(), background=False
    )
    with pytest.raises(LeaseLost):  # wrong log position: the store's fence
        committer.add(record(1))
    with pytest.raises(CommitterClosed):
        committer.finish()


def test_close_drops_what_was_not_finished(store: SignallingStore, clock: FakeClock) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=0, flush_interval_s=3_600, clock=clock, background=True
    )
    committer.add(record(1))
    committer.close()
    assert store.batches == []
    assert store.get_job("job").last_event_id == 0
