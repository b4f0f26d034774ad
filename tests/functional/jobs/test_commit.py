"""StepCommitter: steps and their checkpoint in one append; batching (lone steps at once, bursts
once per interval); the background timer; failures; the writes-per-event target."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from jobstream.jobs import JobContext
from jobstream.jobs.commit import CommitterClosed, StepCommitter
from jobstream.jobs.context import Position, StepRecord, StepRecorder
from jobstream.settings import Settings
from jobstream.store import (
    JobFinished,
    JobStatus,
    JobStore,
    LeaseLost,
    NewEvent,
    PayloadTooLarge,
    StoredEvent,
    schema,
)
from jobstream.store.event_codec import encode_event
from tests.conftest import RequestCounter
from tests.unit.jobs.fakes import START, FakeClock


class SignallingStore(JobStore):
    """Counts appends (and the thread of each) and signals each one, succeeded or raised."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.appended = threading.Event()
        self.batches: list[int] = []
        self.writers: list[str] = []

    def append(self, *args: Any, **kwargs: Any) -> list[StoredEvent]:
        try:
            stored = super().append(*args, **kwargs)
            self.batches.append(len(stored))
            self.writers.append(threading.current_thread().name)
            return stored
        finally:
            self.appended.set()


def record(cursor: int, events: int = 1) -> StepRecord:
    batch = tuple(
        encode_event("log", {"message": f"{cursor}.{i}", "level": "info"}, created_at=START)
        for i in range(events)
    )
    return StepRecord(
        events=batch,
        size=sum(e.size for e in batch),
        position=Position(cursor=cursor),
        completed=False,
    )


@pytest.fixture
def store(job_settings: Settings, ddb: Any, clock: FakeClock) -> SignallingStore:
    return SignallingStore(job_settings, client=ddb, clock=clock.no_sleeps())


# The committer's own clock for the timer tests: frozen, so an `add` always finds the interval
# still open and arms the timer (on the system clock a loaded machine could let 50 ms pass before
# the add, which then wrote inline and raised there instead of in the background).
FROZEN = FakeClock()


def started(store: JobStore) -> Any:
    store.create_job(job_id="job", type="demo.count", params={})
    lease, _ = store.acquire_lease("job", duration_s=60)
    return lease


def test_the_timer_writes_a_batch_without_waiting_for_the_next_step(store: SignallingStore) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=0, flush_interval_s=0.05, clock=FROZEN, background=True
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
        store, lease, last_event_id=0, flush_interval_s=0.05, clock=FROZEN, background=True
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


# --- the write policy on the real path: StepRecorder -> StepCommitter -> JobStore.append ---------

INTERVAL = 0.05


class _NoParams(BaseModel):
    pass


class Steps:
    """Runs steps through the real StepRecorder and JobContext, as the chunk runner does."""

    def __init__(self, clock: FakeClock) -> None:
        self.recorder = StepRecorder(position=Position(), phases=(), wall=clock.time)
        self.ctx: JobContext[_NoParams] = JobContext(
            job_id="job", params=_NoParams(), recorder=self.recorder, clock=clock
        )
        self.cursor = 0

    def step(self, body: Callable[[JobContext[_NoParams]], object]) -> StepRecord:
        self.recorder.begin(attempt=1)
        body(self.ctx)
        self.cursor += 1
        self.ctx.advance(self.cursor)
        return self.recorder.finish()

    def progress(self, done: int, total: int) -> StepRecord:
        return self.step(lambda ctx: ctx.progress(done, total))


def committer_for(
    store: JobStore, clock: FakeClock, *, background: bool = False, interval: float = INTERVAL
) -> StepCommitter:
    return StepCommitter(
        store,
        started(store),
        last_event_id=0,
        flush_interval_s=interval,
        clock=clock,
        background=background,
    )


def ids(store: JobStore) -> list[int]:
    return [e.id for e in store.events_after("job", 0)]


@pytest.mark.parametrize("background", [False, True])
def test_a_lone_step_is_written_before_add_returns(
    store: SignallingStore, clock: FakeClock, requests: RequestCounter, background: bool
) -> None:
    committer = committer_for(store, clock, background=background)
    steps = Steps(clock)
    requests.calls.clear()
    clock.advance(INTERVAL)  # nothing written for a whole interval (the chunk start counts)
    committer.add(steps.progress(1, 4))
    assert requests.writes == 1
    assert committer.durable_event_id == 1
    assert [(e.id, e.data["done"]) for e in store.events_after("job", 0)] == [(1, 1)]
    job = store.get_job("job")
    assert job.progress is not None
    assert (job.progress["done"], job.checkpoint.state["run"]["steps"]) == (1, 1)
    clock.advance(INTERVAL)  # quiet again: the next step is lone too
    committer.add(steps.progress(2, 4))
    assert ids(store) == [1, 2]
    assert requests.writes == 2
    committer.close()


def test_a_burst_is_held_and_never_visible_before_it_is_written(
    store: SignallingStore, clock: FakeClock, requests: RequestCounter
) -> None:
    committer = committer_for(store, clock)
    steps = Steps(clock)
    clock.advance(INTERVAL)
    committer.add(steps.progress(1, 4))
    requests.calls.clear()
    clock.advance(0.01)
    committer.add(steps.progress(2, 4))
    committer.add(steps.progress(3, 4))
    assert (committer.pending_events, committer.durable_event_id) == (2, 1)
    assert ids(store) == [1]  # readers see only what is durable
    assert store.get_job("job").checkpoint.cursor == 1
    clock.advance(INTERVAL - 0.01)  # one interval after the last write: due
    committer.add(steps.progress(4, 4))
    assert requests.writes == 1
    assert [e.data["done"] for e in store.events_after("job", 0)] == [1, 2, 3, 4]
    assert store.get_job("job").checkpoint.cursor == 4
    committer.close()


def test_the_timer_holds_a_burst_until_the_interval_has_passed(
    store: SignallingStore, clock: FakeClock
) -> None:
    """The timer is armed for what is left of the interval on the committer's clock."""
    committer = committer_for(store, clock, background=True, interval=3_600)
    steps = Steps(clock)
    for done in range(1, 4):
        committer.add(steps.progress(done, 3))
    assert committer.pending_events == 3
    assert store.batches == []
    committer.close()  # cancels the timer, drops what was not finished
    assert store.batches == []
    with pytest.raises(CommitterClosed):
        committer.add(steps.progress(4, 3))


def test_finish_writes_pending_steps_and_job_changes_in_one_request(
    store: SignallingStore, clock: FakeClock, requests: RequestCounter
) -> None:
    committer = committer_for(store, clock)
    steps = Steps(clock)
    committer.add(steps.step(lambda ctx: ctx.log("one")))
    committer.add(steps.progress(50, 100))
    requests.calls.clear()
    committer.finish(hops=2)
    assert dict(requests.calls) == {"TransactWriteItems": 1}
    job = store.get_job("job")
    assert (job.last_event_id, job.checkpoint.cursor, job.hops) == (2, 2, 2)
    assert job.progress is not None
    assert job.progress["done"] == 50
    committer.finish()  # nothing to write: no request
    assert requests.writes == 1
    committer.finish(
        [NewEvent("complete", {"result": {"ok": True}})],
        status=JobStatus.SUCCEEDED,
        result={"ok": True},
    )
    assert store.get_job("job").status is JobStatus.SUCCEEDED
    with pytest.raises(JobFinished):  # the store refuses any append to a finished job
        committer.finish([NewEvent("log", {"message": "late", "level": "info"})])
    with pytest.raises(CommitterClosed):
        committer.finish()
    assert ids(store) == [1, 2, 3]


def test_a_bad_event_fails_at_the_call_that_made_it_and_takes_no_id(
    store: SignallingStore, clock: FakeClock
) -> None:
    committer = committer_for(store, clock, interval=0)
    steps = Steps(clock)

    def step(ctx: JobContext[_NoParams]) -> None:
        ctx.emit("tick", {"n": 1})
        with pytest.raises(PayloadTooLarge):
            ctx.emit("big", {"s": "x" * schema.ITEM_MAX_BYTES})
        with pytest.raises(ValueError, match="event type"):
            ctx.emit("two\nlines", {})
        ctx.emit("tick", {"n": 2})

    committer.add(steps.step(step))
    assert [(e.id, e.data) for e in store.events_after("job", 0)] == [(1, {"n": 1}), (2, {"n": 2})]


def test_a_lease_lost_stops_the_driver_at_its_next_call(
    store: SignallingStore, clock: FakeClock
) -> None:
    committer = committer_for(store, clock)
    steps = Steps(clock)
    committer.add(steps.progress(1, 3))  # right after the chunk start: batched
    clock.advance(61)
    store.acquire_lease("job", duration_s=60)  # another driver takes over the expired lease
    with pytest.raises(LeaseLost):
        committer.add(steps.progress(2, 3))  # due: written at once, refused at once
    with pytest.raises(CommitterClosed):  # sticky: the log position is unknown now
        committer.add(steps.progress(3, 3))
    committer.close()  # never raises
    assert store.get_job("job").last_event_id == 0


def test_a_background_failure_is_raised_by_the_next_add(store: SignallingStore) -> None:
    lease = started(store)
    committer = StepCommitter(
        store, lease, last_event_id=0, flush_interval_s=0.05, clock=FROZEN, background=True
    )
    store.release_lease(lease)  # the job is no longer this committer's
    committer.add(record(1))
    assert store.appended.wait(timeout=10)
    with pytest.raises(LeaseLost):
        committer.add(record(2))
    with pytest.raises(CommitterClosed):
        committer.add(record(3))
    assert store.get_job("job").last_event_id == 0


def test_steps_added_while_the_timer_writes_keep_the_log_exact(
    store: SignallingStore, clock: FakeClock
) -> None:
    """The driver adds steps while the timer thread writes: every id once, in order, no gaps."""
    committer = committer_for(store, clock, background=True)
    total = 3_000
    for n in range(1, total + 1):
        clock.advance(0.0005)  # 2,000 steps/s on the committer's clock
        committer.add(record(n))
        if n % 250 == 0:  # now and then, let the armed timer write what is pending
            deadline = time.monotonic() + 10
            while committer.pending_events and time.monotonic() < deadline:
                threading.Event().wait(0.002)
            assert committer.pending_events == 0
    committer.finish()
    committer.close()
    events = list(store.events_after("job", 0))
    assert [e.id for e in events] == list(range(1, total + 1))
    assert [e.data["message"] for e in events] == [f"{n}.0" for n in range(1, total + 1)]
    assert store.get_job("job").checkpoint.cursor == total
    assert "MainThread" in store.writers
    assert set(store.writers) - {"MainThread"}, "the timer thread never wrote"
    assert len(store.writers) <= total * 0.1


def test_write_requests_per_event_at_1_to_5000_steps_per_second(
    job_settings: Settings, ddb: Any, requests: RequestCounter
) -> None:
    """The target: <= 0.1 write requests per event at high rates; a lone event written at once.

    One progress event per step; each step ends 1/rate after the previous one on the committer's
    clock (no timer: the next step or the chunk's end writes what is due, as in a fast job).
    """
    rates = [(1, 20), (100, 300), (1_000, 1_000), (5_000, 2_500)]
    writes: dict[int, int] = {}
    for rate, n in rates:
        clock = FakeClock()
        store = JobStore(job_settings, client=ddb, clock=clock.no_sleeps())
        job_id = f"rate-{rate}"
        store.create_job(job_id=job_id, type="demo.count", params={})
        lease, _ = store.acquire_lease(job_id, duration_s=3_600)
        committer = StepCommitter(
            store, lease, last_event_id=0, flush_interval_s=INTERVAL, clock=clock, background=False
        )
        steps = Steps(clock)
        requests.calls.clear()
        for number in range(1, n + 1):
            clock.now = START + number / rate
            committer.add(steps.progress(number, n))
            if rate == 1:
                assert committer.durable_event_id == number  # lone: written before add returns
        committer.finish()  # the chunk's end
        writes[rate] = requests.writes
        assert [e.id for e in store.events_after(job_id, 0)] == list(range(1, n + 1))
        assert store.get_job(job_id).checkpoint.cursor == n
    per_event = {rate: writes[rate] / n for rate, n in rates}
    assert per_event[1] == 1.0  # every event lone: each written at once
    assert 0.1 < per_event[100] <= 0.25  # ~5 steps per interval
    for rate, n in rates[2:]:
        # One write per interval (+1 for what the chunk's end writes).
        assert writes[rate] <= n / (rate * INTERVAL) + 2
        assert per_event[rate] <= 0.1
