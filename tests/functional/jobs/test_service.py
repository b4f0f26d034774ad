"""JobService.create / status / cancel: validation, what is stored, when the worker is started."""

from __future__ import annotations

import pytest

from jobstream.jobs import InvalidParams, UnknownJobType
from jobstream.store import JobMode, JobNotFound, JobStatus, PayloadTooLarge
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.unit.jobs.fakes import FakeClock, run_worker_chain


def test_create_stores_the_validated_params_and_starts_the_worker(
    make_service: ServiceFactory, invoker: RecordingInvoker
) -> None:
    service = make_service(id_factory=lambda: "job-1")
    job = service.create("demo.count", {"n": 3})

    assert (job.job_id, job.type, job.mode, job.status) == (
        "job-1",
        "demo.count",
        JobMode.BACKGROUND,
        JobStatus.QUEUED,
    )
    # Stored as the model dumps them: defaults are filled in, so every run sees the same values.
    assert job.params == {"n": 3, "interval_ms": 100}
    assert service.status("job-1").params == job.params
    assert invoker.calls == [("job-1", 0)]


def test_create_refuses_unknown_types_and_invalid_params_before_storing_anything(
    make_service: ServiceFactory, invoker: RecordingInvoker
) -> None:
    service = make_service(id_factory=lambda: "job-1")
    with pytest.raises(UnknownJobType) as unknown:
        service.create("demo.nope", {})
    assert "demo.count" in unknown.value.known
    with pytest.raises(InvalidParams) as invalid:
        service.create("demo.count", {"n": -1})
    assert invalid.value.errors[0]["loc"] == ["n"]
    with pytest.raises(PayloadTooLarge):
        service.create("demo.count", {"n": 1, "pad": "x" * 70_000})
    with pytest.raises(JobNotFound):
        service.status("job-1")
    assert invoker.calls == []


def test_status_and_cancel_of_an_unknown_job(make_service: ServiceFactory) -> None:
    service = make_service()
    with pytest.raises(JobNotFound):
        service.status("missing")
    with pytest.raises(JobNotFound):
        service.cancel("missing")


def test_a_failed_start_is_recovered_by_status(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    class Unreachable:
        def invoke(self, job_id: str, *, hop: int) -> None:
            raise ConnectionError("Lambda is unreachable")

    broken = make_service(invoker=Unreachable())
    job = broken.create("demo.count", {"n": 2, "interval_ms": 0})  # created all the same
    assert broken.status(job.job_id).status is JobStatus.QUEUED

    service = make_service()
    clock.advance(service.store.settings.stall_after_seconds)
    service.status(job.job_id)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    assert [e.type for e in all_events(service.store, job.job_id)] == [
        "progress",
        "progress",
        "complete",
    ]


def test_a_running_job_is_not_restarted_by_status(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.count", {"n": 2, "interval_ms": 0})
    invoker.take()
    service.store.acquire_lease(job.job_id, duration_s=600)
    clock.advance(300)  # long quiet, but the lease is valid: someone is on it
    service.status(job.job_id)
    service.cancel(job.job_id)  # the driver will see it; no kick needed
    assert invoker.take() == []
