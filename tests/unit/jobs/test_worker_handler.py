"""functions/worker/app.py: a thin handler around JobService.run_hop."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from aws_durable_execution_sdk_python import ExecutionError

from jobstream.invocation_context import InvocationContext
from jobstream.jobs import JobService, LambdaWorkerInvoker
from jobstream.lazy import Lazy
from jobstream.settings import Settings
from jobstream.store import JobStatus
from tests.conftest import load_handler_module
from tests.unit.jobs.conftest import ServiceFactory

pytestmark = pytest.mark.unit


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler_module("worker")


def test_the_handler_runs_one_hop_and_reports_it(
    worker: ModuleType, make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service()
    monkeypatch.setattr(worker, "_job_service", Lazy(lambda context: service))
    job = service.create("demo.count", {"n": 2, "interval_ms": 0})
    context = InvocationContext.for_timeout(60, function_name="stack-worker")

    reply = worker.handler({"job_id": job.job_id, "hop": 0}, context)

    assert reply == {"outcome": "finished", "reason": "", "steps": 3}
    assert service.status(job.job_id).status is JobStatus.SUCCEEDED
    duplicate = worker.handler({"job_id": job.job_id, "hop": 0}, context)
    assert duplicate["outcome"] == "skipped"


def test_an_event_that_is_not_a_worker_request_is_dropped_not_retried(worker: ModuleType) -> None:
    context = InvocationContext.for_timeout(60, function_name="stack-worker")
    assert worker.handler({"hello": "world"}, context) == {"outcome": "rejected"}
    assert not worker._job_service.built  # nothing was built for it


def test_the_service_is_built_lazily_from_the_environment(
    worker: ModuleType,
    settings: Settings,
    ddb: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBSTREAM_TABLE", settings.table)
    monkeypatch.setenv("JOBSTREAM_REGION", settings.region)
    context = InvocationContext.for_timeout(60, function_name="stack-worker")

    reply = worker.handler({"job_id": "nope", "hop": 0}, context)

    assert reply["outcome"] == "skipped"
    service: JobService = worker._job_service(context)
    assert service.store.settings.table == settings.table
    assert "demo.count" in service.registry
    continuation = service._driver._invoker
    assert isinstance(continuation, LambdaWorkerInvoker)
    assert continuation._function_name == context.invoked_function_arn


def test_with_the_durable_driver_the_handler_is_a_durable_execution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBSTREAM_DRIVER", "durable")
    worker = load_handler_module("worker")
    context = InvocationContext.for_timeout(60, function_name="stack-worker")
    # A plain worker event is not a durable invocation: the SDK refuses it before our code runs.
    with pytest.raises(ExecutionError, match="durability is set"):
        worker.handler({"job_id": "abc", "hop": 0}, context)
    assert not worker._durable_service.built
