"""Deadline-chunked runs: many invocations, one gap-free log; crashes lose or repeat nothing."""

from __future__ import annotations

from typing import Any

import pytest

from jobstream.jobs import DriveOutcome
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore, StoreRequestFailed
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.functional.jobs.drivers import each_driver, run_jobs
from tests.unit.jobs.fakes import (
    ChainLog,
    FakeClock,
    FakeInvocation,
    FlakyStore,
    assert_clean_log,
    progress_done,
    run_worker_chain,
)

# demo.count with 500 ms steps under a 4.75 s timeout and a 1 s margin: a step starts only while
# remaining - 0.5 (slowest recent step) > 1, i.e. at 4.75, 4.25, ..., 1.75 s left: 7 steps.
STEP_MS = 500
TIMEOUT_S = 4.75
STEPS_PER_INVOCATION = 7


@each_driver
def test_a_thousand_steps_run_in_chunks_into_one_gap_free_log(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock, driver: str
) -> None:
    # One write per chunk (a long flush interval) keeps this test fast; the policy is tested apart.
    service = make_service(
        settings={"flush_interval_ms": 5_000, "cancel_check_seconds": 3_600, "driver": driver}
    )
    job = service.create("demo.count", {"n": 1_000, "interval_ms": STEP_MS})

    run = run_jobs(driver, service, invoker, clock, timeout_s=TIMEOUT_S)

    if isinstance(run, ChainLog):
        # 1,000 counting steps + the step that completes = 1,001 = 143 invocations of 7 steps.
        assert len(run.invocations) == 143
        assert [hop for _, hop in run.invocations] == list(range(143))
        assert [r.steps for r in run.results] == [STEPS_PER_INVOCATION] * 143
        assert {r.outcome for r in run.results[:-1]} == {DriveOutcome.HANDED_OFF}
        assert run.results[-1].outcome is DriveOutcome.FINISHED
    else:
        # One execution; durable steps of 10 s (durable_step_seconds) hold 20 steps each.
        assert run.outcomes == [
            {"outcome": "finished", "reason": "", "status": "succeeded", "chunks": 51}
        ]

    events = all_events(service.store, job.job_id)
    assert len(events) == 1_001
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 1_001))
    assert all(e.data["total"] == 1_000 for e in events[:-1])
    assert events[-1].data == {"result": {"count": 1_000}}

    final = service.status(job.job_id)
    assert final.status is JobStatus.SUCCEEDED
    assert final.hops == (143 if driver == "chain" else 0)
    assert final.result == {"count": 1_000}
    assert final.progress == {"done": 1_000, "total": 1_000, "percent": 100.0, "phase": None}
    assert final.lease_owner is None


# 400 ms steps: 9 per invocation, written in threes (1 s interval): 10 appends in all, of which
# the one that fails is a hop counter (1, 5, 9), a batch (2, 4) or the final write (10).
@pytest.mark.parametrize("lost", ["request", "reply"])
@pytest.mark.parametrize("fail_on", [1, 2, 4, 5, 9, 10])
def test_a_failed_write_between_step_and_checkpoint_loses_and_repeats_nothing(
    make_service: ServiceFactory,
    job_settings: Settings,
    invoker: RecordingInvoker,
    clock: FakeClock,
    store: JobStore,
    fail_on: int,
    lost: str,
) -> None:
    settings = job_settings.with_changes({"flush_interval_ms": 1_000})
    flaky = FlakyStore(
        settings, client=store.client, clock=clock.no_sleeps(), fail_on=fail_on, lost=lost
    )
    service = make_service(store=flaky, settings=settings)
    job = service.create("demo.count", {"n": 20, "interval_ms": 400})
    ((job_id, hop),) = invoker.take()

    # The invocation that meets the failure dies of it (Lambda will retry the same event).
    while True:
        invocation = FakeInvocation(clock, TIMEOUT_S)
        try:
            service.run_hop(job_id, hop=hop, remaining_s=invocation.remaining_s)
        except StoreRequestFailed:
            break
        ((job_id, hop),) = invoker.take()
    assert flaky.appends == fail_on
    assert invoker.take() == []

    # Lambda's retry, once the dead invocation's lease has run out: the job is resumed (or, when
    # the lost reply was the final write's, found finished).
    clock.advance(settings.lease_seconds + 1)
    invocation = FakeInvocation(clock, TIMEOUT_S)
    service.run_hop(job_id, hop=hop, remaining_s=invocation.remaining_s)
    run_worker_chain(service, invoker, clock, timeout_s=TIMEOUT_S)

    events = all_events(flaky, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 21))
    assert flaky.get_job(job.job_id).status is JobStatus.SUCCEEDED


def test_steps_are_batched_by_the_flush_interval_but_never_split_from_their_checkpoint(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(settings={"flush_interval_ms": 250})
    store = service.store
    writes: list[tuple[int, Any]] = []
    original = store.append

    def recording_append(*args: Any, **kwargs: Any) -> Any:
        stored = original(*args, **kwargs)
        checkpoint = kwargs.get("checkpoint")
        writes.append((len(stored), None if checkpoint is None else checkpoint.cursor))
        return stored

    store.append = recording_append  # type: ignore[method-assign]
    job = service.create("demo.count", {"n": 10, "interval_ms": 100})
    run_worker_chain(service, invoker, clock, timeout_s=60)

    # (events written, checkpoint cursor). First the hop counter; then 100 ms steps with a 250 ms
    # interval go in threes (the chunk's start counts as a write), each batch with the cursor of
    # its last step: the log never holds an event whose step is not checkpointed.
    assert writes == [(0, None), (3, 3), (3, 6), (3, 9), (2, 10)]
    assert_clean_log(all_events(store, job.job_id), terminal="complete")


def test_a_slow_step_is_written_as_soon_as_it_ends(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(settings={"flush_interval_ms": 250})
    job = service.create("demo.count", {"n": 3, "interval_ms": 1_000})
    seen: list[int] = []
    # Each sleep is the start of the next step: by then the previous step must be stored.
    clock.on_sleep = lambda _now: seen.append(service.store.get_job(job.job_id).last_event_id)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    assert seen == [0, 1, 2]
