"""Cancel at a step boundary; failing steps are retried with backoff, then fail with a safe message.

Every job ends with exactly one terminal event, whatever path it takes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from jobstream.examples.demo import INTERNAL_FAILURE_DETAIL
from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import DriveOutcome, JobContext, JobRegistry
from jobstream.jobs.events import CANCELLED_MESSAGE
from jobstream.jobs.runner import UNRUNNABLE_MESSAGE, step_failed_message
from jobstream.store import JobStatus, schema
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.functional.jobs.drivers import each_driver, run_jobs
from tests.functional.jobs.durable_runs import DurableLog
from tests.unit.jobs.fakes import (
    ChainLog,
    FakeClock,
    FakeInvocation,
    assert_clean_log,
    progress_done,
    run_worker_chain,
)


@each_driver
def test_cancel_mid_run_takes_effect_at_the_next_step_boundary(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock, driver: str
) -> None:
    service = make_service(settings={"driver": driver})
    job = service.create("demo.count", {"n": 50, "interval_ms": 500})
    sleeps = 0

    def cancel_during_step_ten(_now: float) -> None:
        nonlocal sleeps
        sleeps += 1
        if sleeps == 10:
            service.cancel(job.job_id)  # a request arriving while step 10 runs

    clock.on_sleep = cancel_during_step_ten
    run = run_jobs(driver, service, invoker, clock, timeout_s=600)

    if isinstance(run, ChainLog):
        assert [r.outcome for r in run.results] == [DriveOutcome.FINISHED]
    else:
        assert [o["status"] for o in run.outcomes] == ["cancelled"]
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="cancelled")
    assert progress_done(events) == list(range(1, 11))  # step 10 finishes, step 11 never starts
    assert events[-1].data == {"message": CANCELLED_MESSAGE}
    assert service.status(job.job_id).status is JobStatus.CANCELLED

    # Idempotent: cancelling again changes nothing and starts nothing.
    clock.on_sleep = None
    again = service.cancel(job.job_id)
    assert again.status is JobStatus.CANCELLED
    assert len(all_events(service.store, job.job_id)) == len(events)
    assert invoker.take() == []


def test_cancel_before_the_worker_starts_is_applied_by_the_worker(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.count", {"n": 5, "interval_ms": 0})
    service.cancel(job.job_id)
    service.cancel(job.job_id)
    # The start invocation plus one kick per cancel: all for hop 0, so only one can run.
    assert invoker.calls == [(job.job_id, 0)] * 3

    chain = run_worker_chain(service, invoker, clock, timeout_s=60)

    assert [r.outcome for r in chain.results] == [
        DriveOutcome.FINISHED,
        DriveOutcome.SKIPPED,
        DriveOutcome.SKIPPED,
    ]
    events = all_events(service.store, job.job_id)
    assert [e.type for e in events] == ["cancelled"]


def test_cancel_between_hops_kicks_the_worker(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.count", {"n": 20, "interval_ms": 500})
    ((job_id, hop),) = invoker.take()
    invocation = FakeInvocation(clock, 4.75)
    service.run_hop(job_id, hop=hop, remaining_s=invocation.remaining_s)  # 7 steps, hand-off
    assert invoker.take() == [(job_id, 1)]  # this continuation is lost

    service.cancel(job_id)
    assert invoker.take() == [(job_id, 1)]
    invoker.invoke(job_id, hop=1)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="cancelled")


@each_driver
def test_a_step_that_keeps_failing_is_retried_then_fails_with_a_safe_message(
    make_service: ServiceFactory,
    invoker: RecordingInvoker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    driver: str,
) -> None:
    service = make_service(
        settings={"max_step_attempts": 3, "step_retry_base_seconds": 0.5, "driver": driver}
    )
    job = service.create("demo.fail", {"steps": 5, "fail_at": 3, "interval_ms": 100})

    with caplog.at_level(logging.ERROR, logger="jobstream.jobs"):
        run = run_jobs(driver, service, invoker, clock, timeout_s=600)

    if isinstance(run, ChainLog):
        assert [r.outcome for r in run.results] == [DriveOutcome.FINISHED]
    else:
        assert [o["status"] for o in run.outcomes] == ["failed"]
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="error")
    assert progress_done(events) == [1, 2]
    message = step_failed_message(3)
    assert events[-1].data == {"message": message}
    final = service.status(job.job_id)
    assert (final.status, final.error) == (JobStatus.FAILED, message)
    # Backoff between the attempts (0.5 s, then 1 s) among the job's own 100 ms pauses.
    assert [s for s in clock.sleeps if s != 0.1] == [0.5, 1.0]
    # The client sees nothing of the exception; the log has it, with its stack, per attempt.
    for text in (message, str(final.error), str(events)):
        assert INTERNAL_FAILURE_DETAIL not in text
        assert "Traceback" not in text
        assert "RuntimeError" not in text
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 3
    assert all(INTERNAL_FAILURE_DETAIL in str(r.exc_info[1]) for r in failures if r.exc_info)


@each_driver
def test_a_step_that_recovers_on_retry_leaves_no_trace_of_its_failures(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock, driver: str
) -> None:
    service = make_service(settings={"max_step_attempts": 3, "driver": driver})
    job = service.create(
        "demo.fail", {"steps": 5, "fail_at": 3, "fail_attempts": 2, "interval_ms": 100}
    )
    run_jobs(driver, service, invoker, clock, timeout_s=600)
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == [1, 2, 3, 4, 5]


@each_driver
def test_retries_continue_across_invocations_when_the_backoff_does_not_fit(
    make_service: ServiceFactory,
    invoker: RecordingInvoker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    driver: str,
) -> None:
    # A 100 s backoff never fits a 5 s invocation (or a 10 s durable step): each hop (durable
    # step) makes one attempt and hands over, and the count of failed attempts travels in the
    # checkpoint. On the durable driver the backoff is a durable wait: no compute while it lasts.
    service = make_service(
        settings={"max_step_attempts": 3, "step_retry_base_seconds": 100, "driver": driver}
    )
    job = service.create("demo.fail", {"steps": 3, "fail_at": 2, "interval_ms": 0})
    with caplog.at_level(logging.ERROR, logger="jobstream.jobs"):
        run = run_jobs(driver, service, invoker, clock, timeout_s=5)
    if isinstance(run, ChainLog):
        assert [r.outcome for r in run.results] == [DriveOutcome.HANDED_OFF] * 2 + [
            DriveOutcome.FINISHED
        ]
    else:
        assert isinstance(run, DurableLog)
        waits = [(o.name, type(o).__name__) for o in run.results[0].operations if o.name]
        assert [w for w in waits if w[1] == "WaitOperation"] == [
            ("pause-1", "WaitOperation"),
            ("pause-2", "WaitOperation"),
        ]
    assert len([r for r in caplog.records if r.exc_info]) == 3
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="error")
    assert progress_done(events) == [1]
    assert 100 not in clock.sleeps


class NoParams(BaseModel):
    pass


def broken_registry() -> JobRegistry:
    registry = demo_registry()

    @registry.job("refuses", params=NoParams)
    def refuses(ctx: JobContext[NoParams]) -> None:
        ctx.log("looking at the input")
        ctx.fail("The input file is empty.")

    @registry.job("forgets", params=NoParams)
    def forgets(ctx: JobContext[NoParams]) -> None:
        ctx.log("did some work but never said where it got to")

    @registry.job("fat_state", params=NoParams)
    def fat_state(ctx: JobContext[NoParams]) -> None:
        # Fewer characters than the checkpoint limit, twice as many UTF-8 bytes: over it.
        ctx.log("about to save too much")
        ctx.advance(1, {"notes": "é" * (schema.CHECKPOINT_MAX_BYTES // 2 + 10)})

    @registry.job("long_failure", params=NoParams)
    def long_failure(ctx: JobContext[NoParams]) -> None:
        ctx.fail("é" * (schema.ERROR_MAX_BYTES // 2 + 10))  # under the limit in characters

    @registry.job("returns", params=NoParams)
    def returns(ctx: JobContext[NoParams]) -> Iterator[int]:
        ctx.complete(1)
        yield 1

    return registry


def test_job_error_fails_at_once_with_the_jobs_own_message(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(registry=broken_registry())
    job = service.create("refuses", {})
    run_worker_chain(service, invoker, clock, timeout_s=60)
    events = all_events(service.store, job.job_id)
    assert [(e.type, e.data) for e in events] == [
        ("error", {"message": "The input file is empty."})
    ]
    assert clock.sleeps == []  # no retries
    assert service.status(job.job_id).error == "The input file is empty."


def test_a_step_that_breaks_the_rules_fails_like_any_error(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(registry=broken_registry())
    job = service.create("forgets", {})
    run_worker_chain(service, invoker, clock, timeout_s=60)
    events = all_events(service.store, job.job_id)
    assert [(e.type, e.data) for e in events] == [("error", {"message": step_failed_message(3)})]


@pytest.mark.parametrize("job_type", ["fat_state", "long_failure"])
def test_a_value_the_store_would_refuse_fails_its_step_not_a_later_write(
    make_service: ServiceFactory,
    invoker: RecordingInvoker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    job_type: str,
) -> None:
    """Regression: sizes were counted in characters at step time and in bytes at write time, so a
    non-ASCII checkpoint (or failure message) near its limit passed its step and broke the flush."""
    service = make_service(registry=broken_registry())
    job = service.create(job_type, {})
    with caplog.at_level(logging.ERROR, logger="jobstream.jobs"):
        chain = run_worker_chain(service, invoker, clock, timeout_s=600)
    assert [r.outcome for r in chain.results] == [DriveOutcome.FINISHED]
    events = all_events(service.store, job.job_id)
    # Each attempt failed in its step (nothing of it written), then the job failed cleanly.
    assert [(e.type, e.data) for e in events] == [("error", {"message": step_failed_message(3)})]
    assert service.status(job.job_id).status is JobStatus.FAILED
    failures = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert len(failures) == 3
    assert all(isinstance(f, ValueError) and "bytes" in str(f) for f in failures)


def test_a_job_type_missing_at_run_time_fails_cleanly(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    creator = make_service(registry=broken_registry())
    job = creator.create("refuses", {})
    runner = make_service()  # a deployment that no longer has the type
    run_worker_chain(runner, invoker, clock, timeout_s=60)
    events = all_events(runner.store, job.job_id)
    assert [(e.type, e.data) for e in events] == [("error", {"message": UNRUNNABLE_MESSAGE})]


def test_a_generator_that_completes_then_yields_still_ends_once(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(registry=broken_registry())
    job = service.create("returns", {})
    run_worker_chain(service, invoker, clock, timeout_s=60)
    events = all_events(service.store, job.job_id)
    assert [(e.type, e.data) for e in events] == [("complete", {"result": 1})]
