"""Jobs and leases: create, read, expiry, cancel; acquire / held / expired / renew / lost."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import pytest

from jobstream.settings import Settings
from jobstream.store import (
    JobAlreadyExists,
    JobFinished,
    JobMode,
    JobNotFound,
    JobStatus,
    JobStore,
    LeaseHeld,
    LeaseLost,
    NewEvent,
    PayloadTooLarge,
    StoreRequestFailed,
)
from tests.clock import FakeClock
from tests.conftest import RequestCounter

from .conftest import START, race, start_job

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DAY = 86_400


def test_create_then_get_round_trips(store: JobStore) -> None:
    created = store.create_job(
        job_id="j", type="demo", params={"n": 3, "name": "é"}, mode=JobMode.INLINE
    )
    got = store.get_job("j")
    assert got == created
    assert got.status is JobStatus.QUEUED
    assert got.mode is JobMode.INLINE
    assert got.params == {"n": 3, "name": "é"}
    assert got.last_event_id == 0
    assert got.lease_owner is None
    assert got.created_at == START
    assert got.expires_at == math.ceil(START + 7 * DAY)


def test_create_refuses_an_existing_id(store: JobStore) -> None:
    store.create_job(job_id="j", type="demo", params={})
    with pytest.raises(JobAlreadyExists):
        store.create_job(job_id="j", type="other", params={"x": 1})
    assert store.get_job("j").type == "demo"


def test_oversize_params_refused_before_any_request(
    settings: Settings, ddb: DynamoDBClient, requests: RequestCounter
) -> None:
    small = JobStore(settings.with_changes({"max_params_bytes": 100}), client=ddb)
    with pytest.raises(PayloadTooLarge) as raised:
        small.create_job(job_id="j", type="demo", params={"blob": "x" * 100})
    assert raised.value.limit == 100
    assert raised.value.size > 100
    assert sum(requests.calls.values()) == 0
    small.create_job(job_id="j", type="demo", params={"blob": "x" * 80})


def test_unknown_job_is_not_found(store: JobStore) -> None:
    with pytest.raises(JobNotFound):
        store.get_job("nope")
    with pytest.raises(JobNotFound):
        store.request_cancel("nope")
    with pytest.raises(JobNotFound):
        store.acquire_lease("nope", duration_s=10)


def test_expired_job_is_not_found_although_its_item_remains(
    store: JobStore, clock: FakeClock, ddb: DynamoDBClient, settings: Settings
) -> None:
    job = store.create_job(job_id="j", type="demo", params={})
    clock.now = job.expires_at
    with pytest.raises(JobNotFound):
        store.get_job("j")
    with pytest.raises(JobNotFound):
        store.acquire_lease("j", duration_s=10)
    with pytest.raises(JobNotFound):
        store.request_cancel("j")
    # moto (like DynamoDB for up to days) still holds the item: the store filtered it.
    assert ddb.scan(TableName=settings.table)["Count"] == 1


def test_retention_comes_from_settings(settings: Settings, ddb: DynamoDBClient) -> None:
    short = JobStore(
        settings.with_changes({"retention_days": 0.5}), client=ddb, clock=FakeClock(START)
    )
    assert short.create_job(job_id="j", type="demo", params={}).expires_at == START + DAY / 2


def test_request_cancel_is_idempotent(store: JobStore) -> None:
    store.create_job(job_id="j", type="demo", params={})
    assert store.request_cancel("j").cancel_requested
    assert store.request_cancel("j").cancel_requested
    assert store.get_job("j").cancel_requested


def test_client_is_created_lazily_with_standard_retries(settings: Settings) -> None:
    store = JobStore(settings)
    retries = cast("Any", store.client.meta.config).retries
    assert retries is not None
    assert retries["mode"] == "standard"
    assert store.client is store.client


def test_unexpected_error_codes_become_store_errors(
    settings: Settings, ddb: DynamoDBClient
) -> None:
    missing_table = JobStore(settings.with_changes({"table": "no-such-table"}), client=ddb)
    with pytest.raises(StoreRequestFailed) as raised:
        missing_table.get_job("j")
    assert raised.value.code == "ResourceNotFoundException"


# --- leases -------------------------------------------------------------------------------------
def test_acquire_starts_a_queued_job(store: JobStore) -> None:
    store.create_job(job_id="j", type="demo", params={})
    lease, job = store.acquire_lease("j", duration_s=30)
    assert job.status is JobStatus.RUNNING
    assert job.lease_owner == lease.owner
    assert lease.expires_at == START + 30
    assert job.lease_expires_at == START + 30
    assert lease.job_expires_at == job.expires_at


def test_a_held_lease_is_refused_until_it_expires(store: JobStore, clock: FakeClock) -> None:
    first = start_job(store, "j", lease_s=30)
    clock.advance(29)
    with pytest.raises(LeaseHeld) as raised:
        store.acquire_lease("j", duration_s=30)
    assert raised.value.expires_at == START + 30
    clock.advance(1)
    second, job = store.acquire_lease("j", duration_s=30)
    assert second.owner != first.owner
    assert job.lease_owner == second.owner
    assert job.status is JobStatus.RUNNING


def test_renew_extends_and_fails_once_taken_over(store: JobStore, clock: FakeClock) -> None:
    lease = start_job(store, "j", lease_s=30)
    clock.advance(20)
    renewed = store.renew_lease(lease, duration_s=30)
    assert renewed.owner == lease.owner
    assert renewed.expires_at == START + 50
    assert store.get_job("j").lease_expires_at == START + 50
    clock.advance(25)
    with pytest.raises(LeaseHeld):
        store.acquire_lease("j", duration_s=30)
    clock.advance(10)  # expired, nobody took it: the owner may still renew
    store.renew_lease(renewed, duration_s=30)
    clock.advance(31)
    store.acquire_lease("j", duration_s=30)
    with pytest.raises(LeaseLost):
        store.renew_lease(renewed, duration_s=30)


def test_release_frees_the_job_and_a_lost_release_is_harmless(
    store: JobStore, clock: FakeClock
) -> None:
    lease = start_job(store, "j", lease_s=30)
    store.release_lease(lease)
    assert store.get_job("j").lease_owner is None
    second, _ = store.acquire_lease("j", duration_s=30)
    store.release_lease(lease)  # stale: must not free the new owner's lease
    assert store.get_job("j").lease_owner == second.owner


def test_finished_job_cannot_be_leased(store: JobStore) -> None:
    lease = start_job(store, "j")
    store.append(lease, [NewEvent("complete", {})], after_id=0, status=JobStatus.SUCCEEDED)
    job = store.get_job("j")
    assert job.status is JobStatus.SUCCEEDED
    assert job.lease_owner is None
    with pytest.raises(JobFinished):
        store.acquire_lease("j", duration_s=30)
    with pytest.raises(LeaseLost):
        store.renew_lease(lease, duration_s=30)


def test_two_drivers_racing_for_a_lease_get_one(
    store: JobStore, ddb: DynamoDBClient, clock: FakeClock
) -> None:
    start_job(store, "j", lease_s=10)
    clock.advance(10)
    outcomes = race(
        ddb,
        lambda: store.acquire_lease("j", duration_s=30),
        lambda: store.acquire_lease("j", duration_s=30),
    )
    winners = [o for o in outcomes if isinstance(o, tuple)]
    assert len(winners) == 1
    assert sum(isinstance(o, LeaseHeld) for o in outcomes) == 1
    assert store.get_job("j").lease_owner == winners[0][0].owner
