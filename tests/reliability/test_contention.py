"""Four drivers contending for one job: progress by one at a time, no duplicate ids.

Four JobServices (four "containers") in four threads hammer the same job on a moto server, each
starting a worker hop for whatever hop the job is at, as at-least-once delivery and restarts can
make happen. The lease lets one of them run at a time; when a lease runs out under a stalled
driver, another takes over and the stalled one's late writes are fenced off.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from jobstream.jobs import DriveOutcome, JobContext, JobRegistry, JobService
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_sandbox.invokers import RecordingInvoker
from tests.unit.jobs.fakes import assert_clean_log

DRIVERS = 4
CHUNK_S = 0.25


class Params(BaseModel):
    n: int = Field(ge=1, le=10_000)
    stall_every: int = Field(default=0, ge=0)
    stall_s: float = Field(default=0, ge=0)


class StepTracker:
    """How many drivers are inside a step at once, and the most ever seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.most = 0

    def __enter__(self) -> None:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.active -= 1


def contended_registry(tracker: StepTracker) -> JobRegistry:
    registry = JobRegistry()
    stalled: set[int] = set()

    @registry.job("contend.count", params=Params)
    def count(ctx: JobContext[Params]) -> Iterator[None]:
        done: int = ctx.cursor or 0
        while done < ctx.params.n:
            with tracker:
                done += 1
                # A stall longer than the lease: the driver "hangs" and loses the job meanwhile.
                # Once per step: whoever redoes it after the takeover does not hang again.
                stall = ctx.params.stall_every and done % ctx.params.stall_every == 0
                if stall and done not in stalled:
                    stalled.add(done)
                    time.sleep(ctx.params.stall_s)
                else:
                    time.sleep(0.002)
                ctx.emit("contend.step", {"seq": done, "driver": threading.current_thread().name})
                ctx.progress(done, ctx.params.n)
                ctx.advance(done)
            yield
        ctx.complete({"n": done})

    return registry


@pytest.fixture
def moto_settings() -> Iterator[Settings]:
    table = f"jobstream-contend-{uuid.uuid4().hex[:8]}"
    with EmbeddedDynamoDB(table=table) as dynamodb:
        yield Settings(
            table=table,
            region="us-east-1",
            dynamodb_endpoint_url=dynamodb.endpoint_url,
            chunk_safety_margin_seconds=0.05,
            cancel_check_seconds=0.1,
            flush_interval_ms=20,
        )


def contend(settings: Settings, params: dict[str, float]) -> tuple[str, StepTracker, Counter[str]]:
    tracker = StepTracker()
    registry = contended_registry(tracker)
    store = JobStore(settings)
    job_id = f"contended-{uuid.uuid4().hex[:8]}"
    store.create_job(job_id=job_id, type="contend.count", params=params)
    outcomes: Counter[str] = Counter()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def drive() -> None:
        service = JobService(
            store=JobStore(settings),
            registry=registry,
            invoker=RecordingInvoker(),
            settings=settings,
        )
        try:
            while True:
                job = service.store.get_job(job_id)
                if job.status.is_terminal:
                    return
                deadline = time.monotonic() + CHUNK_S
                result = service.run_hop(
                    job_id, hop=job.hops, remaining_s=lambda d=deadline: d - time.monotonic()
                )
                with lock:
                    outcomes[result.outcome.value] += 1
                if result.outcome is DriveOutcome.SKIPPED:
                    time.sleep(0.02)
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)

    threads = [threading.Thread(target=drive, name=f"driver-{i}") for i in range(DRIVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert store.get_job(job_id).status is JobStatus.SUCCEEDED
    return job_id, tracker, outcomes


def committed_runs(store: JobStore, job_id: str, n: int) -> list[str]:
    """The log is exact; returns which driver committed each step, in order."""
    events = list(store.events_after(job_id, 0))
    assert_clean_log(events, terminal="complete")
    steps = [e.data for e in events if e.type == "contend.step"]
    assert [s["seq"] for s in steps] == list(range(1, n + 1))
    progress = [e.data["done"] for e in events if e.type == "progress"]
    assert progress == list(range(1, n + 1))
    return [s["driver"] for s in steps]


def hand_offs(drivers: list[str]) -> int:
    return sum(1 for a, b in itertools.pairwise(drivers) if a != b)


def test_four_drivers_take_turns_and_never_run_a_step_at_the_same_time(
    moto_settings: Settings,
) -> None:
    n = 200
    job_id, tracker, outcomes = contend(moto_settings, {"n": n})

    assert tracker.most == 1  # never two drivers inside a step
    drivers = committed_runs(JobStore(moto_settings), job_id, n)
    # Really contended: hops ran on several drivers, and the others were turned away meanwhile.
    assert len(set(drivers)) >= 2
    assert hand_offs(drivers) >= 1
    assert outcomes[DriveOutcome.SKIPPED.value] > 0
    assert outcomes[DriveOutcome.HANDED_OFF.value] >= 2


def test_a_driver_that_stalls_past_its_lease_is_taken_over_and_fenced(
    moto_settings: Settings,
) -> None:
    settings = moto_settings.with_changes({"lease_seconds": 0.4})
    n = 120
    job_id, tracker, outcomes = contend(settings, {"n": n, "stall_every": 40, "stall_s": 0.7})

    # While one driver hung inside a step past its lease, another took the job over.
    assert tracker.most >= 2
    assert outcomes[DriveOutcome.LEASE_LOST.value] >= 1
    # The hung driver's step was never committed: its successor redid it, once.
    drivers = committed_runs(JobStore(settings), job_id, n)
    assert hand_offs(drivers) >= 1
