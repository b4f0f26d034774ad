"""Stream slots: the per-job cap on live streams and one live stream per viewer, in the table."""

from __future__ import annotations

import threading

import pytest

from jobstream.store import JobNotFound, JobStore, StreamsAtCap
from jobstream.store.models import NewEvent
from jobstream.store.stream_slots import LEASE_GRACE_S, LiveSlots
from tests.clock import FakeClock


def job(store: JobStore, job_id: str = "job-1") -> str:
    store.create_job(job_id=job_id, type="demo", params={})
    return job_id


def test_claims_up_to_the_cap_then_refuses_with_the_soonest_free_time(
    store: JobStore, clock: FakeClock
) -> None:
    job_id = job(store)
    slots = [store.claim_stream_slot(job_id, cap=3, until=clock.now + 30 + i) for i in range(3)]
    assert sorted(s.index for s in slots) == [0, 1, 2]
    with pytest.raises(StreamsAtCap) as full:
        store.claim_stream_slot(job_id, cap=3, until=clock.now + 30)
    assert full.value.cap == 3
    assert full.value.retry_after_s == 30  # the soonest-ending holder's lease


def test_a_released_slot_is_free_again_and_an_expired_one_too(
    store: JobStore, clock: FakeClock
) -> None:
    job_id = job(store)
    first = store.claim_stream_slot(job_id, cap=2, until=clock.now + 10)
    store.claim_stream_slot(job_id, cap=2, until=clock.now + 60)
    store.release_stream_slot(first)
    again = store.claim_stream_slot(job_id, cap=2, until=clock.now + 60)
    assert again.index == first.index
    # A crashed stream never releases: its lease ends (a grace after its planned end) and the
    # slot is free.
    clock.advance(60 + LEASE_GRACE_S + 1)
    later = store.claim_stream_slot(job_id, cap=2, until=clock.now + 60)
    assert later.generation > 1


def test_a_viewers_newer_stream_takes_its_older_ones_slot(
    store: JobStore, clock: FakeClock
) -> None:
    job_id = job(store)
    older = store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="tab-a")
    store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="tab-b")
    # The job is at its cap, yet the reload of tab-a gets in: it replaces its own older stream.
    newer = store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="tab-a")
    assert newer.index == older.index
    assert newer.generation == older.generation + 1
    assert newer.superseded == older.stream_id
    # The older stream's read of the log sees it, the newer one's does not.
    live = LiveSlots(through=1)
    assert list(store.events_after(job_id, 0, live=live)) == []
    assert live.superseded(older)
    assert not live.superseded(newer)
    # The older stream's release must not free the newer one's slot.
    store.release_stream_slot(older)
    with pytest.raises(StreamsAtCap):
        store.claim_stream_slot(job_id, cap=2, until=clock.now + 45)


def test_the_tail_query_reads_the_slots_with_the_events_in_one_request(
    store: JobStore, clock: FakeClock, ddb: object
) -> None:
    job_id = job(store)
    lease, _ = store.acquire_lease(job_id, duration_s=60)
    from jobstream.store.models import NewEvent

    store.append(lease, [NewEvent("progress", {"n": i}) for i in range(3)], after_id=0)
    slot = store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="v")
    calls: list[str] = []
    client = store.client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    live = LiveSlots(through=slot.index)
    events = list(store.events_after(job_id, 1, consistent=False, live=live))
    assert [e.id for e in events] == [2, 3]
    assert calls == ["Query"]
    assert not live.superseded(slot)
    # Without ``live`` the read stops at the events, as before.
    assert [e.id for e in store.events_after(job_id, 0)] == [1, 2, 3]


def test_claims_racing_for_the_last_slots_never_exceed_the_cap(
    store: JobStore, clock: FakeClock
) -> None:
    job_id = job(store)
    won: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def claim() -> None:
        try:
            slot = store.claim_stream_slot(job_id, cap=4, until=clock.now + 45)
        except StreamsAtCap:
            with lock:
                refused.append(1)
        else:
            with lock:
                won.append(slot.index)

    threads = [threading.Thread(target=claim) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(won)) == len(won) <= 4
    assert len(won) + len(refused) == 12


def test_a_streams_open_reads_the_job_and_its_slots_in_one_request_and_claims_from_them(
    store: JobStore, clock: FakeClock
) -> None:
    job_id = job(store)
    lease, _ = store.acquire_lease(job_id, duration_s=60)
    # Events sort before the slots: the read must skip them, however many there are.
    store.append(lease, [NewEvent("progress", {"n": i}) for i in range(5)], after_id=0)
    older = store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="tab-a")
    store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="tab-b")
    calls: list[str] = []
    store.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )

    read, seen = store.read_job_and_slots(job_id)
    assert calls == ["Query"]
    assert read == store.get_job(job_id)
    assert read.last_event_id == 5
    assert sorted(seen.held) == [0, 1]
    calls.clear()
    # At the cap, tab-a's reload takes its own slot, from what the read saw: one put, no Query.
    newer = store.claim_stream_slot(job_id, cap=2, until=clock.now + 45, viewer="tab-a", seen=seen)
    assert calls == ["PutItem"]
    assert (newer.index, newer.superseded) == (older.index, older.stream_id)


def test_a_claim_from_slots_seen_before_another_claim_reads_again(
    store: JobStore, clock: FakeClock
) -> None:
    job_id = job(store)
    _, seen = store.read_job_and_slots(job_id)
    assert seen.held == {}
    # Someone takes the only slot between the read and the claim: the claim's conditional put
    # fails, it reads the slots again and finds the job at its cap.
    store.claim_stream_slot(job_id, cap=1, until=clock.now + 45)
    with pytest.raises(StreamsAtCap):
        store.claim_stream_slot(job_id, cap=1, until=clock.now + 45, seen=seen)
    with pytest.raises(ValueError, match="another job"):
        store.claim_stream_slot(job(store, "job-2"), cap=1, until=clock.now + 45, seen=seen)


def test_reading_a_missing_or_expired_job_with_its_slots_is_not_found(
    store: JobStore, clock: FakeClock
) -> None:
    with pytest.raises(JobNotFound):
        store.read_job_and_slots("no-such-job")
    job_id = job(store)
    store.claim_stream_slot(job_id, cap=2, until=clock.now + 45)
    clock.advance(store.settings.retention_days * 86_400 + 1)
    # The job item's TTL has passed (DynamoDB deletes it up to two days later): gone, even with
    # a slot item still in its partition.
    with pytest.raises(JobNotFound):
        store.read_job_and_slots(job_id)
