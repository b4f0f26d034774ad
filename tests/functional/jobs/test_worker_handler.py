"""functions/worker/app.py running hops on the moto table (requests it refuses: tests/unit/jobs)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from jobstream.invocation_context import InvocationContext
from jobstream.jobs import JobService, LambdaWorkerInvoker
from jobstream.lazy import Lazy
from jobstream.settings import Settings
from jobstream.store import JobStatus
from tests.conftest import load_handler_module
from tests.functional.jobs.conftest import ServiceFactory


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


def test_each_invocation_continues_on_the_arn_it_came_in_on(
    worker: ModuleType, settings: Settings, ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One container serves every qualifier that points at its version: the unqualified ARN and an
    # alias. A job must continue on the ARN of the invocation running it, not the container's first.
    monkeypatch.setenv("JOBSTREAM_TABLE", settings.table)
    monkeypatch.setenv("JOBSTREAM_REGION", settings.region)
    unqualified = InvocationContext.for_timeout(60, function_name="stack-worker")
    aliased = InvocationContext.for_timeout(60, function_name="stack-worker")
    aliased.invoked_function_arn = unqualified.invoked_function_arn + ":live"

    for context in (unqualified, aliased, unqualified):
        assert worker.handler({"job_id": "nope", "hop": 0}, context)["outcome"] == "skipped"

    continuations = {
        context.invoked_function_arn: worker._job_service(context)._driver._invoker._function_name
        for context in (unqualified, aliased)
    }
    assert continuations == {
        unqualified.invoked_function_arn: unqualified.invoked_function_arn,
        aliased.invoked_function_arn: aliased.invoked_function_arn,
    }
    # Kept per ARN, not rebuilt per invocation: the store (and its client) is shared by both.
    assert worker._job_service(unqualified) is worker._job_service(unqualified)
    assert worker._job_service(aliased).store is worker._job_service(unqualified).store
