"""functions/worker/app.py: a thin handler around JobService.run_hop (requests it refuses here;
hops on the moto table: tests/functional/jobs/test_worker_handler.py)."""

from __future__ import annotations

from types import ModuleType

import pytest
from aws_durable_execution_sdk_python import ExecutionError

from jobstream.invocation_context import InvocationContext
from tests.conftest import load_handler_module


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler_module("worker")


def test_an_event_that_is_not_a_worker_request_is_dropped_not_retried(worker: ModuleType) -> None:
    context = InvocationContext.for_timeout(60, function_name="stack-worker")
    assert worker.handler({"hello": "world"}, context) == {"outcome": "rejected"}
    assert not worker._services_by_arn.built  # nothing was built for it


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
