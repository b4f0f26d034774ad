"""The worker chain under at-least-once delivery: duplicates, late hops, races, budget, stalls."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from pydantic import BaseModel

from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import DriveOutcome, DriveResult, JobContext, JobRegistry
from jobstream.jobs.driver import hop_budget_message
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import SerializedClient
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.unit.jobs.fakes import (
    FakeClock,
    FakeInvocation,
    assert_clean_log,
    progress_done,
    run_worker_chain,
)

TIMEOUT_S = 4.75  # with 500 ms steps: 7 steps per invocation (see test_chunks.py)


def hop(
    service_run: Callable[..., DriveResult], clock: FakeClock, job_id: str, n: int
) -> DriveResult:
    return service_run(job_id, hop=n, remaining_s=FakeInvocation(clock, TIMEOUT_S).remaining_s)


def test_a_duplicate_or_late_invocation_does_nothing(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.count", {"n": 20, "interval_ms": 500})
    assert invoker.take() == [(job.job_id, 0)]

    assert hop(service.run_hop, clock, job.job_id, 0).outcome is DriveOutcome.HANDED_OFF
    assert invoker.take() == [(job.job_id, 1)]
    written = service.store.get_job(job.job_id)

    # Hop 0 delivered again (Lambda's duplicate, or its retry): stale, nothing happens.
    again = hop(service.run_hop, clock, job.job_id, 0)
    assert (again.outcome, again.reason) == (DriveOutcome.SKIPPED, "stale hop (job is at hop 1)")
    assert service.store.get_job(job.job_id) == written
    assert invoker.take() == []

    # Hop 1 twice in a row: the first continues the job, the second is stale.
    assert hop(service.run_hop, clock, job.job_id, 1).outcome is DriveOutcome.HANDED_OFF
    assert hop(service.run_hop, clock, job.job_id, 1).outcome is DriveOutcome.SKIPPED
    assert invoker.take() == [(job.job_id, 2)]

    # A duplicate arriving while its twin runs finds the lease held.
    lease, _ = service.store.acquire_lease(job.job_id, duration_s=60)
    held = hop(service.run_hop, clock, job.job_id, 2)
    assert (held.outcome, held.reason) == (DriveOutcome.SKIPPED, "another driver holds the job")
    service.store.release_lease(lease)

    invoker.invoke(job.job_id, hop=2)  # the twin's own delivery
    run_worker_chain(service, invoker, clock, timeout_s=TIMEOUT_S)
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 21))
    # Finished: every late delivery of any hop is a no-op.
    for n in range(5):
        assert hop(service.run_hop, clock, job.job_id, n).reason == "job already finished"
    assert invoker.take() == []


def test_unknown_jobs_are_skipped(make_service: ServiceFactory, clock: FakeClock) -> None:
    result = hop(make_service().run_hop, clock, "no-such-job", 0)
    assert (result.outcome, result.reason) == (DriveOutcome.SKIPPED, "job not found")


def test_the_hop_budget_ends_the_job_with_one_clear_error(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(settings={"max_hops": 3})
    job = service.create("demo.count", {"n": 100, "interval_ms": 500})

    chain = run_worker_chain(service, invoker, clock, timeout_s=TIMEOUT_S)

    assert [n for _, n in chain.invocations] == [0, 1, 2, 3]
    assert [r.outcome for r in chain.results] == [DriveOutcome.HANDED_OFF] * 3 + [
        DriveOutcome.FINISHED
    ]
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="error")
    assert progress_done(events) == list(range(1, 22))  # 3 hops of 7 steps, then nothing
    assert events[-1].data == {"message": hop_budget_message(3)}
    final = service.store.get_job(job.job_id)
    assert (final.status, final.error, final.hops) == (JobStatus.FAILED, hop_budget_message(3), 3)


class RaceParams(BaseModel):
    n: int = 12


def race_registry(hooks: dict[int, Callable[[], None]]) -> JobRegistry:
    """demo types plus "race": counts to n; before step k runs, hooks[k] runs once."""
    registry = demo_registry()

    @registry.job("race", params=RaceParams)
    def race(ctx: JobContext[RaceParams]) -> Iterator[None]:
        done: int = ctx.cursor or 0
        while done < ctx.params.n:
            hook = hooks.pop(done + 1, None)
            if hook is not None:
                hook()
            ctx.sleep(0.5)
            done += 1
            ctx.progress(done, ctx.params.n)
            ctx.advance(done)
            yield
        ctx.complete(done)

    return registry


def test_a_driver_that_lost_its_lease_mid_chunk_writes_nothing_more(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    hooks: dict[int, Callable[[], None]] = {}
    service = make_service(registry=race_registry(hooks), settings={"flush_interval_ms": 1_000})
    job = service.create("race", {"n": 12})
    invoker.take()
    taken_over: list[DriveResult] = []

    def stall_then_take_over() -> None:
        # Driver A hangs in step 4 past its lease; driver B (a retry, or status()'s kick) resumes
        # the abandoned job from A's last checkpoint and runs a chunk of its own.
        clock.advance(service.store.settings.lease_seconds + 1)
        taken_over.append(hop(service.run_hop, clock, job.job_id, 0))

    hooks[4] = stall_then_take_over
    first = service.run_hop(job.job_id, hop=0, remaining_s=lambda: 1_000.0)  # driver A

    assert first.outcome is DriveOutcome.LEASE_LOST
    assert taken_over[0].outcome is DriveOutcome.HANDED_OFF
    run_worker_chain(service, invoker, clock, timeout_s=TIMEOUT_S)
    events = all_events(service.store, job.job_id)
    # A's steps 1-3 were written before it hung; its step 4 was refused (fenced); B redid it.
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 13))


def test_racing_invocations_of_one_hop_run_it_once(
    make_service: ServiceFactory,
    invoker: RecordingInvoker,
    clock: FakeClock,
    store: JobStore,
    job_settings: Settings,
) -> None:
    # Calls to moto are serialised (moto's in-memory table is not thread-safe; DynamoDB is), so
    # the two invocations still interleave between calls: the race is the lease's and the fence's.
    settings = job_settings.with_changes({"cancel_check_seconds": 3_600})
    serial_store = JobStore(
        settings,
        client=SerializedClient(store.client, threading.Lock()),  # type: ignore[arg-type]
        clock=clock.no_sleeps(),
    )
    service = make_service(settings=settings, store=serial_store)
    for _ in range(4):
        job = service.create("demo.count", {"n": 3, "interval_ms": 0})
        invoker.take()
        start = threading.Barrier(2)
        results: list[DriveResult] = []

        def deliver(
            job_id: str = job.job_id,
            barrier: threading.Barrier = start,
            results: list[DriveResult] = results,
        ) -> None:
            barrier.wait()
            results.append(service.run_hop(job_id, hop=0, remaining_s=lambda: 1_000.0))

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        # The loser finds the lease held (SKIPPED), or, if it took the lease between the winner's
        # calls, is stopped by the append fence before its first step (LEASE_LOST). Never do both
        # progress.
        outcomes = sorted(r.outcome for r in results)
        assert outcomes[0] is DriveOutcome.FINISHED
        assert outcomes[1] in (DriveOutcome.SKIPPED, DriveOutcome.LEASE_LOST)
        assert sum(r.steps for r in results) == 4
        events = all_events(service.store, job.job_id)
        assert_clean_log(events, terminal="complete")
        assert progress_done(events) == [1, 2, 3]


def test_status_restarts_a_job_whose_first_invocation_was_lost(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.count", {"n": 3, "interval_ms": 0})
    invoker.take()  # lost on the way

    service.status(job.job_id)
    assert invoker.take() == []  # a moment of quiet is normal between hops
    clock.advance(service.store.settings.stall_after_seconds)
    service.status(job.job_id)
    assert invoker.take() == [(job.job_id, 0)]
    invoker.invoke(job.job_id, hop=0)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    assert service.status(job.job_id).status is JobStatus.SUCCEEDED
    clock.advance(3_600)
    service.status(job.job_id)
    assert invoker.take() == []  # finished jobs are left alone


def test_status_restarts_a_job_whose_driver_died(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.count", {"n": 10, "interval_ms": 500})
    invoker.take()
    # A driver took the job, counted its hop, wrote two steps, and died holding the lease.
    lease, taken = service.store.acquire_lease(job.job_id, duration_s=60)
    service.store.append(lease, [], after_id=0, hops=1)
    assert taken.hops == 0

    service.status(job.job_id)
    assert invoker.take() == []  # the lease is still valid: it may be alive
    clock.advance(61)
    service.status(job.job_id)
    assert invoker.take() == [(job.job_id, 1)]
    invoker.invoke(job.job_id, hop=1)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 11))
