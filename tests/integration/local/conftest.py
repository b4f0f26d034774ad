"""One local stack for the tests of this package: embedded DynamoDB, short function timeouts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jobstream.settings import Settings
from jobstream_local.database import DatabaseChoice
from jobstream_local.stack import LocalStack

# Short, so that a job of a few seconds spans several worker chunks and several streams.
FUNCTION_TIMEOUT_S = 2.0
STREAM_TIMEOUT_S = 3.0


# Every test of the package runs on both worker drivers (JOBSTREAM_DRIVER=chain | durable).
@pytest.fixture(scope="package", params=["chain", "durable"])
def stack(request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    settings = Settings(
        table=f"jobstream-local-{uuid.uuid4().hex[:8]}",
        region="us-east-1",
        driver=request.param,
        # Quick reconnects keep the tests short; resuming is the same at any pace.
        stream_retry_ms=100,
    )
    with LocalStack(
        port=0,
        function_timeout_s=FUNCTION_TIMEOUT_S,
        stream_timeout_s=STREAM_TIMEOUT_S,
        settings=settings,
        # Explicit: a JOBSTREAM_DYNAMODB_ENDPOINT_URL in the environment must not redirect tests.
        database=DatabaseChoice(),
    ) as running:
        yield running


@pytest.fixture
def http(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=httpx.Timeout(10.0, read=30.0)) as client:
        yield client


def create_job(http: httpx.Client, type: str, params: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/jobs", json={"type": type, "params": params})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
