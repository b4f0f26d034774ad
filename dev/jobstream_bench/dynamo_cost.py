"""What DynamoDB costs per event emitted, per reconnect and per idle stream-minute.

Deterministic: time is simulated (a clock that moves only when the code sleeps), so a job "running
at 1,000 events/s" makes exactly the requests it would make at that rate, however fast this machine
is, and the figures are the same on every run. Requests are counted from botocore's events on the
store's client by the cost model's meter (jobstream_local/cost/capacity.py) against moto's
in-process DynamoDB.

- Per event: the real driver path (JobService.run_hop -> ChunkRunner -> StepCommitter -> JobStore)
  runs a ``bench.ticks`` job of one event per step, paced at each rate; everything from creating the
  job to its terminal event is counted (lease, hop counter, cancel checks, renewals included).
- Per reconnect: a finished job's log written as the committer writes it at >= 2,000 events/s
  (items of 100 events); a stream opened with Last-Event-ID ``L - missed`` replays to the end. Two
  logs of different lengths show that the cost follows the events missed, not the log's length.

moto copies a whole table for every action of a transaction (its rollback), so each scenario gets
a table of its own and the event counts stay moderate: the figures are per event and per request,
and none of them depends on how many events a run has beyond the fixed cost of starting a job.
- Per idle stream-minute: a stream on a running job that emits nothing, over simulated minutes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Final

from jobstream.auth.tokens import TokenSigner
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore, NewEvent
from jobstream.tail.service import StreamService
from jobstream_bench.jobs import TICK_EVENT, TICKS, registry
from jobstream_local.cost.capacity import CapacityMeter
from jobstream_sandbox.invokers import RecordingInvoker

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The committer's largest batch (store/schema.py ATOMIC_APPEND_MAX_EVENTS): what it appends when a
# job emits >= 20,000 events/s; the store packs it as 10 items of 100 events, the layout of every
# log written at >= 2,000 events/s with the default 50 ms flush interval.
EVENTS_PER_APPEND: Final = 1_000
_SIGNING_KEY: Final = b"bench-signing-key-not-a-secret-0123456789"


class SimulatedClock:
    """Wall and monotonic time in one; moves only through ``sleep``. A jobstream.clock.Clock.

    Not the tests' fake clock (tests/clock.py): dev tooling never imports the tests, and the bench
    needs none of their hooks (recorded sleeps, actions at a time).
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass(frozen=True, slots=True)
class EmitCost:
    rate_per_s: float
    events: int
    writes: int
    reads: int
    wcu: int
    rcu: int

    @property
    def writes_per_event(self) -> float:
        return self.writes / self.events

    @property
    def reads_per_event(self) -> float:
        return self.reads / self.events


@dataclass(frozen=True, slots=True)
class ReplayCost:
    log_length: int
    missed: int
    requests: int
    queries: int
    rcu: int
    replayed: int


@dataclass(frozen=True, slots=True)
class IdleCost:
    minutes: int
    queries_first_minute: int
    queries_per_minute_after: float
    rcu_per_minute_after: float
    heartbeats: int


@dataclass(frozen=True, slots=True)
class DynamoCostResult:
    emit: list[EmitCost]
    replay: list[ReplayCost]
    idle: IdleCost
    poll_max_ms: int
    flush_interval_ms: int


@contextmanager
def moto_dynamodb() -> Iterator[DynamoDBClient]:
    """moto's in-process DynamoDB (only for this block)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto ignores it
        )


@contextmanager
def fresh_table(client: DynamoDBClient, base: Settings) -> Iterator[Settings]:
    """Settings naming a new table created from template.yaml, deleted afterwards."""
    from jobstream_local.template_table import create_table_from_template, default_template_path

    settings = base.with_changes({"table": f"jobstream-bench-{uuid.uuid4().hex[:8]}"})
    create_table_from_template(client, settings.table, default_template_path())
    try:
        yield settings
    finally:
        client.delete_table(TableName=settings.table)


def measure_emit(
    client: DynamoDBClient, settings: Settings, *, rate_per_s: float, events: int
) -> EmitCost:
    clock = SimulatedClock()
    store = JobStore(settings, client=client, clock=clock)
    invoker = RecordingInvoker()
    service = JobService(
        store=store,
        registry=registry(),
        invoker=invoker,
        settings=settings,
        clock=clock,
        background_flush=False,
    )
    with CapacityMeter(client) as meter:
        job = service.create(TICKS, {"n": events, "rate": rate_per_s})
        pending = invoker.take()
        while pending:
            job_id, hop = pending.pop(0)
            # Each hop is an invocation with the local function timeout, on the simulated clock.
            deadline = clock.now + settings.local_function_timeout_s
            service.run_hop(job_id, hop=hop, remaining_s=partial(_until, clock, deadline))
            pending.extend(invoker.take())
    usage = meter.usage()
    final = store.get_job(job.job_id)
    if final.status is not JobStatus.SUCCEEDED or final.last_event_id != events + 1:
        raise AssertionError(f"bench job ended {final.status} at event {final.last_event_id}")
    return EmitCost(
        rate_per_s=rate_per_s,
        events=events,
        writes=usage.writes,
        reads=usage.reads,
        wcu=usage.write_units,
        rcu=usage.read_units,
    )


def _until(clock: SimulatedClock, deadline: float) -> float:
    return deadline - clock.now


def write_finished_log(store: JobStore, *, events: int) -> str:
    """A finished job of ``events`` events (the last one ``complete``), appended 1,000 at a time."""
    job_id = f"bench-log-{uuid.uuid4().hex[:12]}"
    store.create_job(job_id=job_id, type=TICKS, params={"n": events - 1})
    lease, _ = store.acquire_lease(job_id, duration_s=3_600)
    written = 0
    while written < events - 1:
        # Same size whatever the id (zero-padded seq, fixed time): two logs of different lengths
        # then differ in nothing but their length.
        batch = [
            NewEvent(TICK_EVENT, {"seq": f"{seq:08d}", "t": 1_700_000_000.5})
            for seq in range(written + 1, min(written + EVENTS_PER_APPEND, events - 1) + 1)
        ]
        store.append(lease, batch, after_id=written)
        written += len(batch)
    store.append(
        lease,
        [NewEvent("complete", {"result": {"n": written}})],
        after_id=written,
        status=JobStatus.SUCCEEDED,
        result={"n": written},
    )
    return job_id


def measure_replay(
    client: DynamoDBClient, settings: Settings, *, job_id: str, log_length: int, missed: int
) -> ReplayCost:
    store = JobStore(settings, client=client)
    signer = TokenSigner(_SIGNING_KEY)
    service = StreamService(store=store, signer=signer, settings=settings)
    with CapacityMeter(client) as meter:
        response = service.open(
            job_id,
            token=signer.issue(job_id, ttl_seconds=600),
            last_event_id=str(log_length - missed),
            remaining_ms=lambda: 900_000,
        )
        body = b"".join(response.body)
    usage = meter.usage()
    replayed = body.count(b"\nevent: ")
    if response.status_code != 200 or replayed != missed:
        raise AssertionError(f"replay of {missed} events sent {replayed} ({response.status_code})")
    return ReplayCost(
        log_length=log_length,
        missed=missed,
        requests=usage.total_requests,
        queries=usage.requests.get("Query", 0),
        rcu=usage.read_units,
        replayed=replayed,
    )


def measure_idle(client: DynamoDBClient, settings: Settings, *, minutes: int) -> IdleCost:
    clock = SimulatedClock()
    store = JobStore(settings, client=client)
    job_id = f"bench-idle-{uuid.uuid4().hex[:12]}"
    store.create_job(job_id=job_id, type=TICKS, params={"n": 1})
    store.acquire_lease(job_id, duration_s=3_600)  # running, emitting nothing
    signer = TokenSigner(_SIGNING_KEY)
    service = StreamService(store=store, signer=signer, settings=settings, clock=clock)
    heartbeats = 0
    started = clock.now
    ends = started + 60 * minutes
    with CapacityMeter(client, clock=clock) as meter:
        response = service.open(
            job_id,
            token=signer.issue(job_id, ttl_seconds=3_600),
            last_event_id=None,
            remaining_ms=lambda: 3_600_000,
        )
        body = iter(response.body)
        for frame in body:
            heartbeats += frame.count(b": heartbeat")
            if clock.now >= ends:
                break
        close = getattr(body, "close", None)
        if close is not None:
            close()
    queries = [0] * minutes
    units = [0] * minutes
    for call in meter.timeline:
        minute = int((call.at - started) // 60)
        if call.operation == "Query" and minute < minutes:
            queries[minute] += 1
            units[minute] += call.read_units
    later = queries[1:] or queries
    later_units = units[1:] or units
    return IdleCost(
        minutes=minutes,
        queries_first_minute=queries[0],
        queries_per_minute_after=sum(later) / len(later),
        rcu_per_minute_after=sum(later_units) / len(later_units),
        heartbeats=heartbeats,
    )


# (events/s, events): slow rates need fewer events for the same per-event figure.
EMIT_RUNS: Final = ((10.0, 300), (100.0, 1_000), (1_000.0, 3_000), (10_000.0, 10_000))


def run(
    *,
    emit_runs: tuple[tuple[float, int], ...] = EMIT_RUNS,
    log_lengths: tuple[int, ...] = (12_000, 24_000),
    missed: tuple[int, ...] = (10, 100, 1_000, 10_000),
    idle_minutes: int = 5,
) -> DynamoCostResult:
    """``emit_runs``: (events/s, events) pairs; slow rates need fewer events for the same figure."""
    base = Settings(api_auth="none", table="unused", region="us-east-1")
    emit: list[EmitCost] = []
    replay: list[ReplayCost] = []
    with moto_dynamodb() as client:
        for rate_per_s, events in emit_runs:
            with fresh_table(client, base) as settings:
                emit.append(measure_emit(client, settings, rate_per_s=rate_per_s, events=events))
        for length in log_lengths:
            with fresh_table(client, base) as settings:
                job_id = write_finished_log(JobStore(settings, client=client), events=length)
                replay.extend(
                    measure_replay(client, settings, job_id=job_id, log_length=length, missed=m)
                    for m in missed
                    if m <= length
                )
        with fresh_table(client, base) as settings:
            idle = measure_idle(client, settings, minutes=idle_minutes)
    return DynamoCostResult(
        emit=emit,
        replay=replay,
        idle=idle,
        poll_max_ms=base.stream_poll_max_ms,
        flush_interval_ms=base.flush_interval_ms,
    )
