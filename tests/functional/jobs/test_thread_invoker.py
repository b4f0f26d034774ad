"""ThreadWorkerInvoker, the local stack's worker: a real job on the moto table, hop after hop,
each hop a thread started by the one before (the invokers without a table: tests/unit/jobs)."""

from __future__ import annotations

from typing import Any

from jobstream.jobs import JobService, ThreadWorkerInvoker
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore
from tests.unit.jobs.fakes import assert_clean_log, progress_done


def test_the_thread_invoker_runs_a_job_to_the_end_over_several_hops(
    job_settings: Settings, ddb: Any
) -> None:
    # Real time, short simulated timeout: 1.2 s with a 1 s margin leaves room for a few 50 ms steps
    # per hop, so the job needs several hops, each a thread started by the one before.
    settings = job_settings.with_changes(
        {"cancel_check_seconds": 1.0, "local_function_timeout_s": 1.2}
    )
    invoker = ThreadWorkerInvoker(timeout_s=settings.local_function_timeout_s)
    service = JobService.from_settings(
        settings, invoker=invoker, store=JobStore(settings, client=ddb)
    )
    invoker.bind(
        lambda job_id, hop, remaining_s: service.run_hop(job_id, hop=hop, remaining_s=remaining_s)
    )
    job = service.create("demo.count", {"n": 10, "interval_ms": 50})
    assert invoker.wait_idle(timeout=60)
    assert invoker.close(timeout=5)

    final = service.status(job.job_id)
    assert final.status is JobStatus.SUCCEEDED
    assert final.hops > 1
    events = list(service.store.events_after(job.job_id, 0))
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, 11))
