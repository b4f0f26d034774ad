"""The scheduled sweep (jobstream.jobs.sweep) over a moto table built from template.yaml: the jobs
nobody will finish end with a terminal ``error`` event through the fenced append, their owners'
quota slots come free, and nothing else is touched; found through the SweepIndex, never a Scan."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.jobs import JobService
from jobstream.jobs.durable_driver import DURABLE_TIMEOUT_GRACE_S, TIMED_OUT_MESSAGE
from jobstream.jobs.sweep import Sweeper, abandoned_message, never_opened_message
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore, NewEvent, schema
from jobstream.store.errors import QuotaExceeded
from jobstream.store.models import CallerQuota, Job, JobMode
from tests.clock import FakeClock
from tests.functional.jobs.conftest import ServiceFactory, all_events

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ABANDON_S = 900.0
ONE_SLOT = CallerQuota(max_active=1, max_creates=100, window_seconds=60)
FOREVER = 3_600.0


@pytest.fixture
def sweep_settings(job_settings: Settings) -> Settings:
    return job_settings.with_changes({"abandon_after_seconds": ABANDON_S})


@pytest.fixture
def service(make_service: ServiceFactory, sweep_settings: Settings) -> JobService:
    return make_service(settings=sweep_settings)


def sweeper(service: JobService, clock: FakeClock) -> Sweeper:
    return Sweeper(store=service.store, settings=service.settings, clock=clock)


def sweep(service: JobService, clock: FakeClock) -> list[str]:
    return sweeper(service, clock).run(remaining_s=lambda: FOREVER).ended


def create(store: JobStore, job_id: str, *, mode: JobMode = JobMode.BACKGROUND) -> Job:
    return store.create_job(
        job_id=job_id, type="demo.count", params={}, mode=mode, owner="alice", quota=ONE_SLOT
    )


def indexed(ddb: DynamoDBClient, settings: Settings) -> list[str]:
    """The job ids in the SweepIndex (read directly: what the sweep would find)."""
    items = []
    for shard in range(schema.SWEEP_SHARDS):
        items += ddb.query(
            TableName=settings.table,
            IndexName=schema.SWEEP_INDEX,
            KeyConditionExpression="sweep_shard = :s",
            ExpressionAttributeValues={":s": {"S": schema.sweep_shard_key(shard)}},
        )["Items"]
    return sorted(item["pk"]["S"].removeprefix(schema.JOB_PK_PREFIX) for item in items)


def test_an_inline_job_nobody_opened_ends_with_an_error_and_frees_its_slot(
    service: JobService, clock: FakeClock, ddb: DynamoDBClient
) -> None:
    store = service.store
    job = create(store, "inline-1", mode=JobMode.INLINE)
    with pytest.raises(QuotaExceeded):
        create(store, "next")  # the owner's one slot is taken

    clock.advance(ABANDON_S - 1)
    assert sweep(service, clock) == []
    clock.advance(1)
    assert sweep(service, clock) == [job.job_id]

    ended = store.get_job(job.job_id)
    assert ended.status is JobStatus.FAILED
    assert ended.error == never_opened_message(ABANDON_S)
    [event] = all_events(store, job.job_id)
    assert (event.id, event.type, event.data["message"]) == (1, "error", ended.error)
    assert ended.lease_owner is None
    create(store, "next")  # its slot is free again
    assert indexed(ddb, store.settings) == ["next"]


def test_a_chain_whose_worker_died_ends_once_its_lease_and_the_wait_have_passed(
    service: JobService, clock: FakeClock
) -> None:
    store = service.store
    job = create(store, "chain-1")
    # A worker took it, wrote a step and died without a word.
    lease, held = store.acquire_lease(job.job_id, duration_s=60)
    store.append(lease, [NewEvent("progress", {"done": 1})], after_id=held.last_event_id)

    clock.advance(60 + ABANDON_S - 1)  # its lease expired, but not long enough ago
    assert sweep(service, clock) == []
    clock.advance(1)
    assert sweep(service, clock) == [job.job_id]

    events = all_events(store, job.job_id)
    assert [(e.id, e.type) for e in events] == [(1, "progress"), (2, "error")]
    assert events[-1].data["message"] == abandoned_message(ABANDON_S)
    assert store.get_job(job.job_id).status is JobStatus.FAILED


def test_a_durable_execution_is_left_until_its_timeout_then_failed(
    make_service: ServiceFactory, sweep_settings: Settings, clock: FakeClock
) -> None:
    settings = sweep_settings.with_changes(
        {"driver": "durable", "durable_execution_timeout_seconds": 7_200}
    )
    service = make_service(settings=settings)
    store = service.store
    job = create(store, "durable-1")
    store.claim_execution(job.job_id, "arn:aws:lambda:us-east-1:1:function:w:live/exec/1")

    # Unleased and unchanged for hours is what a durable wait looks like: not abandoned.
    clock.advance(ABANDON_S * 3)
    assert sweep(service, clock) == []
    clock.now = job.created_at + 7_200 + DURABLE_TIMEOUT_GRACE_S - 1
    assert sweep(service, clock) == []
    clock.advance(1)
    assert sweep(service, clock) == [job.job_id]

    [event] = all_events(store, job.job_id)
    assert (event.type, event.data["message"]) == ("error", TIMED_OUT_MESSAGE)


def test_a_job_a_driver_holds_is_left_alone_however_long_it_runs(
    service: JobService, clock: FakeClock
) -> None:
    store = service.store
    job = create(store, "busy")
    lease, _ = store.acquire_lease(job.job_id, duration_s=60)
    for _ in range(5):
        clock.advance(ABANDON_S)
        lease = store.renew_lease(lease, duration_s=60)
        assert sweep(service, clock) == []
    assert all_events(store, job.job_id) == []
    assert not store.get_job(job.job_id).status.is_terminal


def test_a_finished_job_leaves_the_index_with_its_end(
    service: JobService, clock: FakeClock, ddb: DynamoDBClient
) -> None:
    store = service.store
    job = create(store, "done")
    assert indexed(ddb, store.settings) == [job.job_id]
    lease, held = store.acquire_lease(job.job_id, duration_s=60)
    store.append(
        lease,
        [NewEvent("complete", {})],
        after_id=held.last_event_id,
        status=JobStatus.SUCCEEDED,
        error=None,
    )
    assert indexed(ddb, store.settings) == []
    clock.advance(ABANDON_S * 10)
    assert sweep(service, clock) == []


def test_a_second_run_ends_nothing_twice(service: JobService, clock: FakeClock) -> None:
    store = service.store
    job = create(store, "once", mode=JobMode.INLINE)
    clock.advance(ABANDON_S)
    assert sweep(service, clock) == [job.job_id]
    assert sweep(service, clock) == []
    assert len(all_events(store, job.job_id)) == 1


class RacingStore(JobStore):
    """A store on which ``race`` runs right after the sweep has read the job: another driver
    acting between the sweep's judgement and its lease."""

    race: Any = None

    def get_job(self, job_id: str) -> Job:
        job = super().get_job(job_id)
        if self.race is not None:
            race, self.race = self.race, None
            race(job_id)
        return job


@pytest.fixture
def racing(service: JobService, ddb: DynamoDBClient, clock: FakeClock) -> RacingStore:
    return RacingStore(service.settings, client=ddb, clock=clock.no_sleeps())


def test_a_job_that_finishes_while_the_sweep_looks_keeps_its_end(
    racing: RacingStore, service: JobService, clock: FakeClock
) -> None:
    job = create(racing, "finishing")
    clock.advance(ABANDON_S)

    def finish(job_id: str) -> None:
        lease, held = racing.acquire_lease(job_id, duration_s=60)
        racing.append(
            lease,
            [NewEvent("complete", {})],
            after_id=held.last_event_id,
            status=JobStatus.SUCCEEDED,
            error=None,
        )

    racing.race = finish
    report = Sweeper(store=racing, settings=service.settings, clock=clock).run(
        remaining_s=lambda: FOREVER
    )

    assert (report.ended, report.skipped) == ([], 1)
    assert racing.get_job(job.job_id).status is JobStatus.SUCCEEDED
    assert [e.type for e in all_events(racing, job.job_id)] == ["complete"]


def test_a_job_a_worker_picks_up_while_the_sweep_looks_is_not_ended(
    racing: RacingStore, service: JobService, clock: FakeClock
) -> None:
    """The worker's hop took and released the job after the sweep read it: the job moved, so the
    sweep's judgement no longer holds (its lease is conditional on the job it read)."""
    job = create(racing, "picked-up")
    clock.advance(ABANDON_S)

    def hop(job_id: str) -> None:
        clock.advance(0.5)
        lease, _ = racing.acquire_lease(job_id, duration_s=60)
        racing.release_lease(lease)

    racing.race = hop
    report = Sweeper(store=racing, settings=service.settings, clock=clock).run(
        remaining_s=lambda: FOREVER
    )

    assert (report.ended, report.skipped) == ([], 1)
    assert all_events(racing, job.job_id) == []
    assert not racing.get_job(job.job_id).status.is_terminal


def test_the_sweep_reads_the_index_never_the_whole_table(
    service: JobService, clock: FakeClock, ddb: DynamoDBClient
) -> None:
    store = service.store
    for i in range(6):
        store.create_job(job_id=f"old{i}", type="demo.count", params={}, mode=JobMode.INLINE)
    clock.advance(ABANDON_S)
    for i in range(20):
        store.create_job(job_id=f"new{i}", type="demo.count", params={})
    calls: Counter[str] = Counter()
    index_names: set[str | None] = set()

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls[model.name] += 1
        if model.name == "Query":
            index_names.add(params.get("IndexName"))

    ddb.meta.events.register("provide-client-params.dynamodb.*", count)
    try:
        ended = sweep(service, clock)
    finally:
        ddb.meta.events.unregister("provide-client-params.dynamodb.*", count)

    assert sorted(ended) == [f"old{i}" for i in range(6)]
    assert calls["Scan"] == 0
    assert index_names == {schema.SWEEP_INDEX}
    # One Query per shard, then per due job: a read, a lease, an append.
    assert calls["Query"] == schema.SWEEP_SHARDS
    assert calls["GetItem"] == 6


def test_a_run_stops_when_its_time_runs_short_and_the_next_goes_on(
    service: JobService, clock: FakeClock
) -> None:
    store = service.store
    for i in range(4):
        store.create_job(job_id=f"j{i}", type="demo.count", params={}, mode=JobMode.INLINE)
    clock.advance(ABANDON_S)
    budget = iter([30.0, 30.0, 1.0])
    first = sweeper(service, clock).run(remaining_s=lambda: next(budget, 1.0))
    assert (len(first.ended), first.stopped_early) == (2, True)
    second = sweeper(service, clock).run(remaining_s=lambda: FOREVER)
    assert (len(second.ended), second.stopped_early) == (2, False)
    assert sorted(first.ended + second.ended) == [f"j{i}" for i in range(4)]
