"""Worker invokers: the Lambda request, the local thread runner, the recorder; the worker event."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from jobstream.composition import lambda_job_service
from jobstream.errors import WorkerFunctionNotConfigured
from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import (
    LambdaDurableInvoker,
    LambdaWorkerInvoker,
    ThreadWorkerInvoker,
    WorkerRequest,
)
from jobstream.settings import Settings
from jobstream_sandbox.invokers import RecordingInvoker


def test_the_lambda_invoker_sends_an_asynchronous_invoke(settings: Settings) -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:stack-worker:live"
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": arn,
                "InvocationType": "Event",
                "Payload": json.dumps({"job_id": "j1", "hop": 4}).encode(),
            },
        )
        LambdaWorkerInvoker(arn, settings=settings, client=client).invoke("j1", hop=4)
        stub.assert_no_pending_responses()


def test_the_lambda_client_is_made_on_first_use(settings: Settings) -> None:
    invoker = LambdaWorkerInvoker("fn", settings=settings)
    assert not invoker._client.built  # nothing at construction (import-time safe)
    assert invoker.client.meta.region_name == settings.region


def test_the_worker_event_round_trips_and_is_validated() -> None:
    request = WorkerRequest(job_id="abc", hop=2)
    assert WorkerRequest.model_validate(json.loads(request.payload())) == request
    assert WorkerRequest.model_validate({"job_id": "abc", "hop": 0, "extra": 1}).hop == 0
    for bad in ({"job_id": "abc", "hop": -1}, {"job_id": "", "hop": 0}, {"hop": 1}, {}):
        with pytest.raises(ValidationError):
            WorkerRequest.model_validate(bad)


def test_the_recorder_records_and_hands_over() -> None:
    recorder = RecordingInvoker()
    recorder.invoke("a", hop=0)
    recorder.invoke("b", hop=3)
    assert recorder.take() == [("a", 0), ("b", 3)]
    assert recorder.take() == []


def test_the_thread_invoker_needs_a_target_and_stops_when_closed() -> None:
    invoker = ThreadWorkerInvoker(timeout_s=1)
    with pytest.raises(RuntimeError, match="bind"):
        invoker.invoke("j", hop=0)
    calls: list[tuple[str, int]] = []
    invoker.bind(lambda job_id, hop, remaining: calls.append((job_id, hop)))
    assert invoker.close(timeout=1)
    invoker.invoke("j", hop=0)
    assert invoker.wait_idle(timeout=1)
    assert calls == []


def test_lambda_wiring_needs_the_worker_function(settings: Settings) -> None:
    with pytest.raises(WorkerFunctionNotConfigured, match="JOBSTREAM_WORKER_FUNCTION"):
        lambda_job_service(settings)
    configured = settings.with_changes({"worker_function": "stack-worker"})
    service = lambda_job_service(configured)
    assert isinstance(service.invoker, LambdaWorkerInvoker)
    assert service.registry.names() == demo_registry().names()


def test_the_durable_invoker_starts_an_execution_named_by_the_job_and_records_it(
    settings: Settings,
) -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    function = "arn:aws:lambda:us-east-1:123456789012:function:stack-worker:live"
    execution = f"{function}/durable-execution/j1/0b1c"
    recorded: list[tuple[str, str]] = []
    durable = settings.with_changes({"driver": "durable"})
    invoker = LambdaDurableInvoker(
        function, settings=durable, record=lambda *pair: recorded.append(pair), client=client
    )
    request = {
        "FunctionName": function,
        "InvocationType": "Event",
        "DurableExecutionName": "j1",
        # No hop: a repeated start must carry the same payload to get the same execution back.
        "Payload": json.dumps({"job_id": "j1"}).encode(),
    }
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 202, "DurableExecutionArn": execution}, request)
        stub.add_response("invoke", {"StatusCode": 202, "DurableExecutionArn": execution}, request)
        invoker.invoke("j1", hop=0)
        invoker.invoke("j1", hop=3)
        stub.assert_no_pending_responses()
    assert recorded == [("j1", execution)] * 2


def test_the_durable_driver_on_lambda_starts_jobs_with_the_durable_invoker(
    settings: Settings,
) -> None:
    durable = settings.with_changes({"driver": "durable"})
    service = lambda_job_service(durable, worker_function="stack-worker")
    assert isinstance(service.invoker, LambdaDurableInvoker)
    assert isinstance(
        lambda_job_service(settings, worker_function="w").invoker, LambdaWorkerInvoker
    )
