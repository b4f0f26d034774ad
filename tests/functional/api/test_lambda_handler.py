"""The Lambda path: Function URL events through Mangum, into the same app and service."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pytest
from mangum import Mangum
from mangum.types import LambdaContext

from jobstream.api import create_app
from jobstream.auth.tokens import TokenSigner
from jobstream.invocation_context import InvocationContext
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream_local.function_url_event import FUNCTION_URL_HOST, request_event
from tests.conftest import load_handler_module
from tests.functional.api.conftest import TOKEN_KEY, BrokenStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

STREAM_URL = "https://streamstreamstreamstreamstream0.lambda-url.us-east-1.on.aws/"
CREATE = {"type": "demo.count", "params": {"n": 2}}


def _context(seconds: float) -> LambdaContext:
    # Lambda's own context class and Mangum's Protocol disagree on the typing of two optional
    # attributes the API never reads; the runtime's stand-in has every attribute Lambda's has.
    return cast(LambdaContext, InvocationContext.for_timeout(seconds, function_name="api"))


def _json(response: dict[str, Any]) -> Any:
    assert response["headers"]["content-type"] == "application/json"
    return json.loads(response["body"])


@pytest.fixture(autouse=True)
def event_loop_for_mangum() -> Iterator[asyncio.AbstractEventLoop]:
    """Mangum runs each invocation on the thread's current event loop (creating one if there is
    none, as on Lambda, and keeping it for the process's life). Give it one the test closes."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def adapter(api_settings: Settings, service: JobService, ddb: DynamoDBClient) -> Mangum:
    settings = api_settings.with_changes({"stream_base_url": STREAM_URL})
    return Mangum(create_app(settings, service=service, dynamodb=ddb), lifespan="off")


def test_create_then_status_through_mangum(adapter: Mangum) -> None:
    context = _context(10)

    created = adapter(request_event("POST", "/jobs", json_body=CREATE), context)

    assert created["statusCode"] == 201
    body = _json(created)
    job_id = body["job_id"]
    assert body["events_url"] == f"{STREAM_URL}jobs/{job_id}/events"
    # Scheme and host of the Function URL, as Mangum reports them from the event.
    assert body["status_url"] == f"https://{FUNCTION_URL_HOST}/jobs/{job_id}"

    status = adapter(
        request_event("GET", f"/jobs/{job_id}", query={"token": body["token"]}), context
    )

    assert status["statusCode"] == 200
    assert _json(status)["status"] == "queued"


def test_errors_keep_their_json_shape_through_mangum(adapter: Mangum) -> None:
    context = _context(10)

    unknown = adapter(request_event("POST", "/jobs", json_body={"type": "x"}), context)
    no_token = adapter(request_event("GET", "/jobs/abc"), context)

    assert unknown["statusCode"] == 400
    assert _json(unknown)["error"]["code"] == "unknown_job_type"
    assert no_token["statusCode"] == 401
    assert _json(no_token)["error"]["code"] == "token_missing"


def test_idempotency_uses_the_lambda_contexts_remaining_time(
    adapter: Mangum, ddb: DynamoDBClient, api_settings: Settings
) -> None:
    context = _context(7)
    event = request_event(
        "POST", "/jobs", json_body=CREATE, headers={"Idempotency-Key": "lambda-1"}
    )

    first = adapter(event, context)
    again = adapter(event, context)

    assert _json(again)["job_id"] == _json(first)["job_id"]
    assert again["headers"]["idempotent-replayed"] == "true"
    [record] = ddb.query(
        TableName=api_settings.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "IDEMPOTENCY"}},
    )["Items"]
    # The in-progress window ended at this invocation's deadline, not at a local default.
    in_progress_until_s = int(record["in_progress_expiration"]["N"]) / 1000
    assert abs(in_progress_until_s - (time.time() + 7)) < 5
    assert api_settings.api_timeout_seconds != 7


@pytest.fixture
def api_function(
    ddb: DynamoDBClient, api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    """functions/api/app.py as deployed: everything from the environment, the default service."""
    monkeypatch.setenv("JOBSTREAM_TABLE", api_settings.table)
    monkeypatch.setenv("JOBSTREAM_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("JOBSTREAM_WORKER_FUNCTION", "jobstream-test-worker")
    monkeypatch.setenv("JOBSTREAM_STREAM_BASE_URL", STREAM_URL)
    monkeypatch.setenv("JOBSTREAM_CORS_ALLOWED_ORIGINS", "https://app.example.com")
    return load_handler_module("api")


def test_deployed_handler_serves_the_api(api_function: ModuleType) -> None:
    context = _context(10)

    created = api_function.handler(request_event("POST", "/jobs", json_body=CREATE), context)
    job_id = _json(created)["job_id"]
    token = _json(created)["token"]
    status = api_function.handler(
        request_event(
            "GET",
            f"/jobs/{job_id}",
            headers={"Authorization": f"Bearer {token}", "Origin": "https://app.example.com"},
        ),
        context,
    )
    docs = api_function.handler(request_event("GET", "/openapi.json"), context)

    # The worker function does not exist in moto: the service logs that and the job stays queued
    # for status() to restart; the create itself succeeds.
    assert created["statusCode"] == 201
    assert _json(created)["events_url"] == f"{STREAM_URL}jobs/{job_id}/events"
    assert status["statusCode"] == 200
    assert status["headers"]["access-control-allow-origin"] == "https://app.example.com"
    assert docs["statusCode"] == 200


def test_unexpected_error_is_a_json_500_naming_the_request_id(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient, signer: TokenSigner
) -> None:
    broken = BrokenStatus(service, RuntimeError("boom"))
    adapter = Mangum(create_app(api_settings, service=broken, dynamodb=ddb), lifespan="off")
    context = _context(10)
    token = signer.issue("job1", ttl_seconds=60)

    response = adapter(request_event("GET", "/jobs/job1", query={"token": token}), context)

    assert response["statusCode"] == 500
    error = _json(response)["error"]
    assert error["code"] == "internal_error"
    assert error["details"] == {"request_id": context.aws_request_id}
    assert "boom" not in response["body"]
