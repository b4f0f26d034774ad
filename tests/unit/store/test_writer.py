"""EventWriter: lone events at once, bursts coalesced, persist before send, errors surface."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.store import (
    Checkpoint,
    EventWriter,
    JobFinished,
    JobStatus,
    JobStore,
    LeaseLost,
    PayloadTooLarge,
    RequestCounter,
    SimulatedClock,
    measure_write_cost,
    schema,
)

from .conftest import start_job

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.unit

INTERVAL = 0.05


@pytest.fixture
def mono() -> SimulatedClock:
    """The writer's monotonic clock."""
    return SimulatedClock(100.0)


def make_writer(
    store: JobStore, mono: SimulatedClock, *, background: bool = False, last_event_id: int = 0
) -> EventWriter:
    lease = start_job(store)
    return EventWriter(
        store,
        lease,
        last_event_id=last_event_id,
        flush_interval_s=INTERVAL,
        clock=mono,
        background_flush=background,
    )


def ids(store: JobStore, after: int = 0) -> list[int]:
    return [e.id for e in store.events_after("job-1", after)]


@pytest.mark.parametrize("background", [False, True])
def test_a_lone_event_is_stored_before_emit_returns(
    store: JobStore, mono: SimulatedClock, requests: RequestCounter, background: bool
) -> None:
    with make_writer(store, mono, background=background) as writer:
        requests.calls.clear()
        assert writer.emit("progress", {"pct": 1}) == 1
        assert requests.writes == 1
        assert writer.durable_event_id == 1
        assert [(e.id, e.data) for e in store.events_after("job-1", 0)] == [(1, {"pct": 1})]
        assert store.get_job("job-1").progress == {"pct": 1}
        mono.advance(INTERVAL)  # quiet for a whole interval: the next one is lone again
        assert writer.emit("progress", {"pct": 2}) == 2
        assert ids(store) == [1, 2]
        assert requests.writes == 2


def test_a_burst_is_buffered_and_never_visible_before_it_is_stored(
    store: JobStore, mono: SimulatedClock, requests: RequestCounter
) -> None:
    writer = make_writer(store, mono)
    requests.calls.clear()
    writer.emit("tick", {"n": 1})
    mono.advance(0.01)
    assert writer.emit("tick", {"n": 2}) == 2
    assert writer.emit("tick", {"n": 3}) == 3
    assert (writer.last_event_id, writer.durable_event_id) == (3, 1)
    assert ids(store) == [1]  # readers see only what is durable
    mono.advance(INTERVAL - 0.01)  # one interval after the last write: due
    writer.emit("tick", {"n": 4})
    assert requests.writes == 2
    assert ids(store) == [1, 2, 3, 4]
    assert [e.data["n"] for e in store.events_after("job-1", 0)] == [1, 2, 3, 4]
    writer.close()


def test_flush_writes_the_buffer_and_job_changes_in_one_request(
    store: JobStore, mono: SimulatedClock, requests: RequestCounter
) -> None:
    writer = make_writer(store, mono)
    writer.emit("tick", {})
    writer.emit("tick", {})
    writer.emit("progress", {"pct": 50})
    requests.calls.clear()
    writer.flush(checkpoint=Checkpoint(cursor=3), hops=2)
    assert dict(requests.calls) == {"TransactWriteItems": 1}
    job = store.get_job("job-1")
    assert (job.last_event_id, job.checkpoint.cursor, job.hops) == (3, 3, 2)
    assert job.progress == {"pct": 50}
    writer.flush()  # nothing to write: no request
    assert requests.writes == 1
    writer.emit("complete", {})
    writer.flush(status=JobStatus.SUCCEEDED, result={"ok": True})
    assert store.get_job("job-1").status is JobStatus.SUCCEEDED
    with pytest.raises(JobFinished):
        writer.emit("late", {})
    writer.close()


def test_the_timer_thread_writes_a_burst_one_interval_later(
    store: JobStore, mono: SimulatedClock, requests: RequestCounter
) -> None:
    writer = make_writer(store, mono, background=True)
    requests.calls.clear()
    writer.emit("tick", {})
    writer.emit("tick", {})
    writer.emit("tick", {})
    assert not writer.wait_durable(3, timeout=0.2)  # not due on the writer's clock
    mono.advance(INTERVAL)
    assert writer.wait_durable(3, timeout=10)
    assert requests.writes == 2
    assert ids(store) == [1, 2, 3]
    writer.close()
    assert requests.writes == 2


def test_close_writes_what_is_buffered(store: JobStore, mono: SimulatedClock) -> None:
    writer = make_writer(store, mono, background=True)
    for n in range(5):
        writer.emit("tick", {"n": n})
    writer.close()
    assert ids(store) == [1, 2, 3, 4, 5]
    with pytest.raises(RuntimeError, match="closed"):
        writer.emit("tick", {})


def test_a_bad_event_raises_at_emit_and_takes_no_id(store: JobStore, mono: SimulatedClock) -> None:
    writer = make_writer(store, mono)
    writer.emit("tick", {})
    with pytest.raises(PayloadTooLarge):
        writer.emit("big", {"s": "x" * schema.ITEM_MAX_BYTES})
    with pytest.raises(ValueError, match="event type"):
        writer.emit("two\nlines", {})
    assert writer.emit("tick", {}) == 2
    writer.close()
    assert ids(store) == [1, 2]


def test_a_lost_lease_stops_the_driver_at_its_next_call(
    store: JobStore, mono: SimulatedClock, clock: SimulatedClock
) -> None:
    writer = make_writer(store, mono)
    writer.emit("tick", {})
    clock.advance(61)
    store.acquire_lease("job-1", duration_s=60)  # another driver takes over
    mono.advance(INTERVAL)
    with pytest.raises(LeaseLost):
        writer.emit("tick", {})  # lone: written at once, refused at once
    with pytest.raises(LeaseLost):
        writer.emit("tick", {})  # sticky: the writer's ids no longer match the log
    writer.close()  # already reported: close does not raise it again
    assert ids(store) == [1]


def test_a_background_flush_error_is_raised_by_the_next_call(
    store: JobStore, mono: SimulatedClock, clock: SimulatedClock
) -> None:
    writer = make_writer(store, mono, background=True)
    writer.emit("tick", {})
    writer.emit("tick", {})  # buffered
    clock.advance(61)
    store.acquire_lease("job-1", duration_s=60)
    mono.advance(INTERVAL)
    assert not writer.wait_durable(2, timeout=10)  # the timer's write failed
    with pytest.raises(LeaseLost):
        writer.close()
    assert ids(store) == [1]


def test_concurrent_timer_flushes_keep_the_log_exact(
    store: JobStore, mono: SimulatedClock, ddb: DynamoDBClient
) -> None:
    """The driver emits while the timer thread writes: every id once, in order, no gaps."""
    writers: Counter[str] = Counter()

    def count(**_: Any) -> None:
        writers[threading.current_thread().name] += 1

    ddb.meta.events.register("before-call.dynamodb.TransactWriteItems", count, unique_id="c")
    writer = make_writer(store, mono, background=True)
    for n in range(3_000):
        mono.advance(0.0005)  # 2,000 events/s on the writer's clock
        assert writer.emit("tick", {"n": n}) == n + 1
        if n % 250 == 249:  # make sure the timer has written a few times meanwhile
            assert writer.wait_durable(n - 100, timeout=10)
    writer.close()
    events = list(store.events_after("job-1", 0))
    assert [e.id for e in events] == list(range(1, 3_001))
    assert [e.data["n"] for e in events] == list(range(3_000))
    assert writers["MainThread"] <= 2  # the lone first event and the final flush
    assert sum(writers.values()) - writers["MainThread"] >= 12
    assert sum(writers.values()) <= 3_000 * 0.1


def test_write_requests_per_event_at_1_to_5000_events_per_second(store: JobStore) -> None:
    """Coalescing meets the bound at >= 1,000 events/s; the figures are the report's."""
    rates = [(1, 20), (100, 300), (1_000, 1_000), (5_000, 2_500)]
    costs = {
        rate: measure_write_cost(store, rate_per_s=rate, events=n, job_id=f"bench-{rate}")
        for rate, n in rates
    }
    print(f"\nwrite requests per event (50 ms): { {r: c.per_event for r, c in costs.items()} }")
    assert costs[1].per_event == 1.0  # lone events: each written at once
    assert 0.1 < costs[100].per_event <= 0.25  # ~5 events per interval
    for rate in (1_000, 5_000):
        # One write per 50 ms interval, +1 for the lone first event (+1 for the closing flush).
        assert costs[rate].write_requests <= costs[rate].events / (rate * INTERVAL) + 2
        assert costs[rate].per_event <= 0.1
    for rate, n in rates:
        assert [e.id for e in store.events_after(f"bench-{rate}", 0)] == list(range(1, n + 1))
