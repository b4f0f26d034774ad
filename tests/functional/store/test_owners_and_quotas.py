"""Owned jobs: the owner index listing with its opaque cursor, ownership on cancel, and per-owner
quotas (active jobs, create rate) enforced in the create transaction and released at every end."""

from __future__ import annotations

import base64
import threading
from typing import TYPE_CHECKING

import pytest

from jobstream.store import JobNotFound, JobStatus, JobStore, NewEvent
from jobstream.store.errors import InvalidCursor, QuotaExceeded
from jobstream.store.list_cursor import encode_cursor, start_key
from jobstream.store.models import CallerQuota, Job
from tests.clock import FakeClock
from tests.conftest import SerializedClient

from .conftest import START, table_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from jobstream.settings import Settings

ROOMY = CallerQuota(max_active=1000, max_creates=1000, window_seconds=60)


def create(store: JobStore, job_id: str, owner: str, quota: CallerQuota = ROOMY) -> Job:
    return store.create_job(job_id=job_id, type="demo", params={}, owner=owner, quota=quota)


def finish(store: JobStore, job_id: str, status: JobStatus) -> None:
    lease, job = store.acquire_lease(job_id, duration_s=60)
    event = {"succeeded": "complete", "failed": "error", "cancelled": "cancelled"}[status.value]
    store.append(
        lease, [NewEvent(event, {})], after_id=job.last_event_id, status=status, error=None
    )


# --- listing ----------------------------------------------------------------------------------
def test_an_owner_lists_its_own_jobs_newest_first_and_nobody_elses(
    store: JobStore, clock: FakeClock
) -> None:
    for i in range(3):
        create(store, f"a{i}", "alice")
        clock.advance(1)
    create(store, "b0", "bob")
    store.create_job(job_id="nobody", type="demo", params={})  # unowned: in no listing

    page = store.list_jobs("alice", limit=10)
    assert [j.job_id for j in page.jobs] == ["a2", "a1", "a0"]
    assert [j.created_at for j in page.jobs] == [START + 2, START + 1, START]
    assert {j.status for j in page.jobs} == {JobStatus.QUEUED}
    assert page.cursor is None
    assert [j.job_id for j in store.list_jobs("bob", limit=10).jobs] == ["b0"]
    assert store.list_jobs("carol", limit=10).jobs == []


def test_pages_follow_the_cursor_to_the_end_without_repeats(
    store: JobStore, clock: FakeClock
) -> None:
    for i in range(7):
        create(store, f"a{i}", "alice")
        clock.advance(0.5)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = store.list_jobs("alice", limit=3, cursor=cursor)
        seen += [j.job_id for j in page.jobs]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == [f"a{i}" for i in reversed(range(7))]
    assert pages in (3, 4)  # DynamoDB may return a last, empty page


def test_expired_jobs_are_not_listed(store: JobStore, clock: FakeClock, settings: Settings) -> None:
    create(store, "old", "alice")
    clock.advance(settings.retention_days * 86_400 + 1)
    create(store, "new", "alice")
    assert [j.job_id for j in store.list_jobs("alice", limit=10).jobs] == ["new"]


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "bm90IGpzb24", "e30", "WyIxIiwyXQ", "WyJhYmMiLCJqb2IiXQ", "x" * 2000, "é"],
    ids=["empty", "not-base64", "not-json", "object", "wrong-types", "not-a-number", "long", "u"],
)
def test_a_cursor_we_did_not_issue_is_refused(store: JobStore, cursor: str) -> None:
    create(store, "a0", "alice")
    with pytest.raises(InvalidCursor):
        store.list_jobs("alice", limit=10, cursor=cursor)


def test_a_cursor_cannot_reach_another_owners_jobs(store: JobStore, clock: FakeClock) -> None:
    """The owner comes from the caller, never from the cursor: bob's cursor used by alice pages
    alice's jobs."""
    create(store, "a0", "alice")
    clock.advance(1)
    create(store, "b0", "bob")
    clock.advance(1)
    create(store, "b1", "bob")
    bobs_cursor = store.list_jobs("bob", limit=1).cursor
    assert bobs_cursor is not None
    listed = store.list_jobs("alice", limit=10, cursor=bobs_cursor).jobs
    assert [j.job_id for j in listed] == ["a0"]


def test_a_cursor_holds_the_position_but_never_the_owner() -> None:
    key = {
        "pk": {"S": "JOB#abc"},
        "sk": {"S": "META"},
        "owner": {"S": "alice@example.com"},
        "created_at": {"N": "1700000000.5"},
    }
    cursor = encode_cursor(key)
    assert cursor.isascii()
    assert "=" not in cursor
    assert b"alice" not in base64.urlsafe_b64decode(cursor + "==")
    assert start_key(cursor, "bob") == {**key, "owner": {"S": "bob"}}


# --- ownership ----------------------------------------------------------------------------------
def test_cancel_by_another_owner_is_not_found_and_changes_nothing(
    store: JobStore, ddb: DynamoDBClient, settings: Settings
) -> None:
    create(store, "a0", "alice")
    before = table_items(ddb, settings.table)
    with pytest.raises(JobNotFound):
        store.request_cancel("a0", owner="bob")
    assert table_items(ddb, settings.table) == before
    assert store.request_cancel("a0", owner="alice").cancel_requested


# --- quotas -------------------------------------------------------------------------------------
def test_the_active_limit_refuses_the_next_create_and_writes_nothing(
    store: JobStore, ddb: DynamoDBClient, settings: Settings
) -> None:
    quota = CallerQuota(max_active=2, max_creates=100, window_seconds=60)
    create(store, "a0", "alice", quota)
    create(store, "a1", "alice", quota)
    before = table_items(ddb, settings.table)
    with pytest.raises(QuotaExceeded) as refused:
        create(store, "a2", "alice", quota)
    assert refused.value.limit == "active_jobs"
    assert refused.value.maximum == 2
    assert refused.value.retry_after >= 1
    assert table_items(ddb, settings.table) == before
    # Another owner has its own slots.
    create(store, "b0", "bob", quota)


@pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_every_terminal_state_frees_the_slot(store: JobStore, status: JobStatus) -> None:
    quota = CallerQuota(max_active=1, max_creates=100, window_seconds=60)
    create(store, "a0", "alice", quota)
    with pytest.raises(QuotaExceeded):
        create(store, "a1", "alice", quota)
    finish(store, "a0", status)
    create(store, "a1", "alice", quota)
    with pytest.raises(QuotaExceeded):
        create(store, "a2", "alice", quota)


def test_a_job_that_expired_unfinished_stops_holding_its_slot(
    store: JobStore, clock: FakeClock, settings: Settings
) -> None:
    quota = CallerQuota(max_active=1, max_creates=100, window_seconds=60)
    create(store, "a0", "alice", quota)
    clock.advance(settings.retention_days * 86_400 - 10)
    with pytest.raises(QuotaExceeded):
        create(store, "a1", "alice", quota)
    clock.advance(20)  # a0 has expired, never having ended
    create(store, "a1", "alice", quota)


def test_the_create_rate_limit_holds_per_window_and_says_when_to_retry(
    store: JobStore, clock: FakeClock
) -> None:
    quota = CallerQuota(max_active=100, max_creates=3, window_seconds=60)
    window_start = int(START // 60) * 60
    for i in range(3):
        create(store, f"a{i}", "alice", quota)
    clock.advance(5)
    with pytest.raises(QuotaExceeded) as refused:
        create(store, "a3", "alice", quota)
    assert refused.value.limit == "create_rate"
    # Changed on purpose (issue 22: the fixed window became a token bucket): the wait is until one
    # create's share of the window (60 s / 3) has refilled since the burst, not the window's end.
    assert refused.value.retry_after == 20 - 5
    clock.now = window_start + 60  # the next window
    create(store, "a3", "alice", quota)


def test_a_burst_across_a_window_boundary_is_refused(store: JobStore, clock: FakeClock) -> None:
    """Issue 22: fixed windows let 2x the limit through within two seconds, the limit just before
    a boundary and again just after it. The bucket refills at the limit's rate instead."""
    quota = CallerQuota(max_active=100, max_creates=3, window_seconds=60)
    boundary = (int(START // 60) + 1) * 60
    clock.now = boundary - 1
    for i in range(3):
        create(store, f"before{i}", "alice", quota)
    clock.now = boundary + 1
    with pytest.raises(QuotaExceeded) as refused:
        create(store, "after0", "alice", quota)
    assert refused.value.limit == "create_rate"
    # One create's share (20 s) after the burst at boundary - 1, and not a second earlier.
    assert refused.value.retry_after == 18
    clock.now = boundary + 18
    with pytest.raises(QuotaExceeded):
        create(store, "after0", "alice", quota)
    clock.now = boundary + 19
    create(store, "after0", "alice", quota)
    with pytest.raises(QuotaExceeded):
        create(store, "after1", "alice", quota)


def test_no_minute_holds_more_than_the_limit_plus_its_refill(
    store: JobStore, clock: FakeClock
) -> None:
    """Creates tried every second for three minutes: no minute lets more through than the burst
    and what a minute refills while it is spent (3 + 2); once the burst is spent, the rate (3)."""
    quota = CallerQuota(max_active=1000, max_creates=3, window_seconds=60)
    accepted: list[float] = []
    for second in range(180):
        clock.now = START + second
        try:
            create(store, f"j{second}", "alice", quota)
        except QuotaExceeded:
            continue
        accepted.append(second)
    # The burst, then one create per 20 s (60 s / 3) from when the burst's first share refilled.
    assert accepted == [0, 1, 2, *range(20, 180, 20)]
    for start in range(0, 180):
        in_minute = [t for t in accepted if start <= t < start + 60]
        assert len(in_minute) <= 3 + 2
    assert len([t for t in accepted if 60 <= t < 120]) == 3


def test_racing_creates_of_one_owner_each_take_their_own_share(
    settings: Settings, ddb: DynamoDBClient
) -> None:
    """12 threads create at once for one owner allowed a burst of 5: each builds its request
    from the same bucket before any is applied, and exactly 5 get in."""
    serialized = SerializedClient(ddb, threading.Lock())
    clock = FakeClock(START)
    store = JobStore(settings, client=serialized, clock=clock)  # type: ignore[arg-type]
    quota = CallerQuota(max_active=100, max_creates=5, window_seconds=60)
    barrier = threading.Barrier(12, timeout=10)
    outcomes: list[object] = [None] * 12

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = create(store, f"job{i}", "alice", quota)
        except QuotaExceeded as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = [o for o in outcomes if isinstance(o, Job)]
    refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
    assert len(created) == 5
    assert {r.limit for r in refused} == {"create_rate"}


def test_twenty_concurrent_creates_never_share_the_last_slots(
    settings: Settings, ddb: DynamoDBClient
) -> None:
    """20 threads create at once for one owner with 10 slots: each builds its request from the
    same state before any is applied, and exactly 10 get in."""
    serialized = SerializedClient(ddb, threading.Lock())
    store = JobStore(settings, client=serialized)  # type: ignore[arg-type]
    quota = CallerQuota(max_active=10, max_creates=1000, window_seconds=60)
    barrier = threading.Barrier(20, timeout=10)
    outcomes: list[object] = [None] * 20

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = create(store, f"job{i}", "alice", quota)
        except QuotaExceeded as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    created = [o for o in outcomes if isinstance(o, Job)]
    refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
    assert (len(created), len(refused)) == (10, 10)
    assert {r.limit for r in refused} == {"active_jobs"}
    assert len(store.list_jobs("alice", limit=100).jobs) == 10
