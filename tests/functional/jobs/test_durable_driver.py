"""The durable driver under AWS's local runner: starts, waits, cancel, replays of its steps.

The properties both drivers share (1,000 steps, cancel mid-run, retry then fail, crashes at every
point) are tested once for both, in test_chunks.py, test_cancel_and_fail.py and
tests/reliability/test_driver_crashes.py; this file holds the ones only a durable execution has.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import JobContext, JobRegistry
from jobstream.jobs.durable_driver import (
    DURABLE_TIMEOUT_GRACE_S,
    GAVE_UP_MESSAGE,
    TIMED_OUT_MESSAGE,
    DeferringClock,
)
from jobstream.jobs.runner import SleepDeferred
from jobstream.store import JobStatus, JobStore, StoredEvent, StoreRequestFailed
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.functional.jobs.drivers import each_driver, run_jobs
from tests.functional.jobs.durable_runs import (
    EXECUTION_TIMEOUT_S,
    local_runner,
    outcome_of,
    run_durable_executions,
    start,
)
from tests.unit.jobs.fakes import FakeClock, assert_clean_log, progress_done

DURABLE = {"driver": "durable"}


class NapParams(BaseModel):
    steps: int = 3
    nap_s: float = 60


def napping_registry(runs: list[int]) -> JobRegistry:
    """demo types plus "nap": each step sleeps nap_s, then reports; ``runs`` counts step starts."""
    registry = demo_registry()

    @registry.job("nap", params=NapParams)
    def nap(ctx: JobContext[NapParams]) -> Iterator[None]:
        done: int = ctx.cursor or 0
        while done < ctx.params.steps:
            runs.append(done + 1)
            ctx.sleep(ctx.params.nap_s)
            done += 1
            ctx.progress(done, ctx.params.steps)
            ctx.advance(done)
            yield
        ctx.complete(done)

    return registry


@each_driver
def test_a_job_started_twice_runs_once(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock, driver: str
) -> None:
    service = make_service(settings={"driver": driver})
    job = service.create("demo.count", {"n": 12, "interval_ms": 500})
    invoker.invoke(job.job_id, hop=0)  # a second start: a retried request, a duplicate delivery

    if driver == "chain":
        run_jobs(driver, service, invoker, clock, timeout_s=4.75)
    else:
        # Two executions (Lambda would return the first for the same name and payload; a
        # differing payload, or another start path, could still make a second one).
        log = run_durable_executions(service, invoker, dedupe=False)
        assert [o["outcome"] for o in log.outcomes] == ["finished", "skipped"]
        assert log.outcomes[1]["reason"] == "another durable execution drives this job"
        assert service.store.get_job(job.job_id).execution_id == log.executions[0]

    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 13))


def test_long_sleeps_become_durable_waits_and_their_steps_run_once_after_them(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    runs: list[int] = []
    service = make_service(registry=napping_registry(runs), settings=DURABLE)
    job = service.create("nap", {"steps": 3, "nap_s": 60})

    log = run_durable_executions(service, invoker)

    operations = [(o.name, type(o).__name__) for o in log.results[0].operations]
    waits = [name for name, kind in operations if kind == "WaitOperation"]
    assert waits == ["sleep-1", "sleep-2", "sleep-3"]
    # No compute slept: the fake clock never advanced by a nap.
    assert 60 not in clock.sleeps
    # Each step was started once before its wait (rolled back) and once after it.
    assert runs == [1, 1, 2, 2, 3, 3]
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == [1, 2, 3]


def test_short_sleeps_stay_in_the_step(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    runs: list[int] = []
    service = make_service(registry=napping_registry(runs), settings=DURABLE)
    service.create("nap", {"steps": 3, "nap_s": 4.5})  # under durable_wait_min_seconds (5)

    log = run_durable_executions(service, invoker)

    assert not [o for o in log.results[0].operations if type(o).__name__ == "WaitOperation"]
    assert clock.sleeps == [4.5, 4.5, 4.5]
    assert runs == [1, 2, 3]


def test_a_cancel_during_a_long_wait_is_written_at_once(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    runs: list[int] = []
    service = make_service(registry=napping_registry(runs), settings=DURABLE)
    job = service.create("nap", {"steps": 3, "nap_s": 3_600})
    invoker.take()
    # The execution is (as if) in its hour-long wait: nobody holds the job.
    cancelled = service.cancel(job.job_id)

    assert cancelled.status is JobStatus.CANCELLED
    assert [e.type for e in all_events(service.store, job.job_id)] == ["cancelled"]
    assert invoker.take() == []  # nothing to start: the cancel is written
    # When the execution runs (or wakes), it finds the job finished and does nothing.
    invoker.invoke(job.job_id, hop=0)
    log = run_durable_executions(service, invoker)
    assert [o["outcome"] for o in log.outcomes] == ["skipped"]
    assert runs == []
    assert [e.type for e in all_events(service.store, job.job_id)] == ["cancelled"]


def test_a_cancel_while_the_job_runs_is_left_to_its_driver(
    make_service: ServiceFactory, invoker: RecordingInvoker
) -> None:
    service = make_service(settings=DURABLE)
    job = service.create("demo.count", {"n": 5, "interval_ms": 0})
    lease, _ = service.store.acquire_lease(job.job_id, duration_s=60)

    assert service.cancel(job.job_id).status is not JobStatus.CANCELLED
    assert all_events(service.store, job.job_id) == []
    service.store.release_lease(lease)
    run_durable_executions(service, invoker)
    assert_clean_log(all_events(service.store, job.job_id), terminal="cancelled")


def test_a_replayed_execution_of_a_finished_job_writes_nothing(
    make_service: ServiceFactory, invoker: RecordingInvoker
) -> None:
    service = make_service(settings=DURABLE)
    job = service.create("demo.count", {"n": 3, "interval_ms": 0})
    invoker.take()
    with local_runner(service) as runner:
        first = outcome_of(
            runner.wait_for_result(start(runner, job.job_id), timeout=EXECUTION_TIMEOUT_S)
        )
        stored = all_events(service.store, job.job_id)
        # The job's own execution once more, as Lambda would replay it from its first step.
        second = service.run_durable(job.job_id, ReplayOf(service.store.get_job(job.job_id)))
    assert first["status"] == "succeeded"
    assert second.outcome == "skipped"
    assert all_events(service.store, job.job_id) == stored


class ReplayOf:
    """DurableOps that run every step afresh, as if no result had been recorded (the worst
    replay: every durable step runs a second time)."""

    def __init__(self, job: object) -> None:
        self.execution_id = getattr(job, "execution_id", None) or ""

    def step(self, name: str, function: object) -> dict[str, object]:
        assert callable(function)
        result: dict[str, object] = function(1)
        return result

    def wait(self, name: str, seconds: int) -> None:
        pass

    def remaining_s(self) -> float:
        return 900.0


def test_the_deferring_clock_sleeps_short_defers_long_and_spends_its_credit_once() -> None:
    clock = FakeClock()
    deferring = DeferringClock(clock, min_wait_s=5, credit_s=60)
    deferring.sleep(1)
    deferring.sleep(60)  # the wait already done
    with pytest.raises(SleepDeferred) as deferred:
        deferring.sleep(60)
    assert deferred.value.seconds == 60
    assert clock.sleeps == [1]


class BrokenAppends(JobStore):
    """Every append fails (DynamoDB unreachable, as botocore gives up) until ``heal`` of them."""

    def __init__(self, *args: Any, heal: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heal = heal
        self.failed = 0

    def append(self, *args: Any, **kwargs: Any) -> list[StoredEvent]:
        if self.failed < self.heal:
            self.failed += 1
            raise StoreRequestFailed("TransactWriteItems", "InternalServerError")
        return super().append(*args, **kwargs)


def test_a_durable_step_that_keeps_failing_outside_the_job_fails_the_job_cleanly(
    make_service: ServiceFactory, invoker: RecordingInvoker, store: JobStore, clock: FakeClock
) -> None:
    settings = store.settings.with_changes({"driver": "durable", "durable_step_max_attempts": 3})
    broken = BrokenAppends(settings, client=store.client, clock=clock.no_sleeps(), heal=3)
    service = make_service(settings=settings, store=broken)
    job = service.create("demo.count", {"n": 3, "interval_ms": 0})

    log = run_durable_executions(service, invoker)

    assert [o["status"] for o in log.outcomes] == ["failed"]
    assert broken.failed == 3  # three attempts of chunk-1; the give-up step's append went through
    events = all_events(service.store, job.job_id)
    assert [(e.type, e.data) for e in events] == [("error", {"message": GAVE_UP_MESSAGE})]
    final = service.status(job.job_id)
    assert (final.status, final.error) == (JobStatus.FAILED, GAVE_UP_MESSAGE)


def test_status_restarts_a_durable_job_only_while_it_has_no_execution(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(settings=DURABLE)
    job = service.create("demo.count", {"n": 3, "interval_ms": 0})
    invoker.take()  # the start was lost: no execution recorded
    clock.advance(service.settings.stall_after_seconds)
    service.status(job.job_id)
    assert invoker.take() == [(job.job_id, 0)]

    service.store.claim_execution(job.job_id, "arn:execution/1")  # started, now in a long wait
    clock.advance(3_600)
    service.status(job.job_id)
    assert invoker.take() == []


def test_a_job_whose_execution_outlived_its_timeout_fails_at_the_next_status_read(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    # Lambda stops an execution at DurableExecutionTimeout and nothing inside it can write the
    # job's end; without this the job would stay "running" and its viewers would wait forever.
    service = make_service(
        registry=napping_registry([]),
        settings={**DURABLE, "durable_execution_timeout_seconds": 3_600},
    )
    job = service.create("nap", {"steps": 3, "nap_s": 7_200})
    service.store.claim_execution(job.job_id, "arn:aws:lambda:us-east-1:1:function:w:live/exec/1")

    clock.advance(3_600 + DURABLE_TIMEOUT_GRACE_S - 1)
    assert not service.status(job.job_id).status.is_terminal
    assert all_events(service.store, job.job_id) == []

    clock.advance(1)
    failed = service.status(job.job_id)

    assert failed.status is JobStatus.FAILED
    [event] = all_events(service.store, job.job_id)
    assert (event.id, event.type, event.data["message"]) == (1, "error", TIMED_OUT_MESSAGE)
    # Read again: nothing more is written.
    assert service.status(job.job_id).status is JobStatus.FAILED
    assert len(all_events(service.store, job.job_id)) == 1


def test_an_execution_still_holding_its_job_past_the_timeout_is_left_alone(
    make_service: ServiceFactory, clock: FakeClock
) -> None:
    service = make_service(settings={**DURABLE, "durable_execution_timeout_seconds": 60})
    job = service.create("demo.count", {"n": 3, "interval_ms": 0})
    service.store.claim_execution(job.job_id, "arn:aws:lambda:us-east-1:1:function:w:live/exec/1")
    clock.advance(60 + DURABLE_TIMEOUT_GRACE_S)
    lease, _ = service.store.acquire_lease(job.job_id, duration_s=60)

    assert not service.status(job.job_id).status.is_terminal
    assert all_events(service.store, job.job_id) == []
    service.store.release_lease(lease)


def test_the_chain_driver_never_times_a_job_out(
    make_service: ServiceFactory, clock: FakeClock
) -> None:
    service = make_service(settings={"durable_execution_timeout_seconds": 60})
    job = service.create("demo.count", {"n": 3, "interval_ms": 0})
    clock.advance(60 + DURABLE_TIMEOUT_GRACE_S)

    assert not service.status(job.job_id).status.is_terminal
    assert all_events(service.store, job.job_id) == []
