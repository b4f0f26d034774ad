"""Errors the API did not plan for: generic 500 (trace logged, never sent), 503, unknown routes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jobstream.api import create_app
from jobstream.api.errors import INTERNAL_ERROR_MESSAGE
from jobstream.api.log import logger
from jobstream.auth.tokens import TokenSigner
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store.errors import StoreRequestFailed
from tests.functional.api.conftest import BASE_URL, BrokenStatus, bearer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

SECRET = "internal detail: table arn:aws:dynamodb:us-east-1:123456789012:table/x"


class JsonLines(logging.Handler):
    """The API logger's lines as Powertools formats them (keys included), parsed."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logger.registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    handler = JsonLines()
    std_logger = logging.getLogger(logger.name)
    std_logger.addHandler(handler)
    yield handler.lines
    std_logger.removeHandler(handler)


async def _client_with(
    service: object, settings: Settings, ddb: DynamoDBClient
) -> httpx.AsyncClient:
    app = create_app(settings, service=service, dynamodb=ddb)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL)


async def test_unexpected_exception_is_a_generic_500_with_the_trace_in_the_log(
    api_settings: Settings,
    service: JobService,
    ddb: DynamoDBClient,
    signer: TokenSigner,
    log_lines: list[dict[str, Any]],
) -> None:
    broken = BrokenStatus(service, RuntimeError(SECRET))
    token = signer.issue("job1", ttl_seconds=60)
    async with await _client_with(broken, api_settings, ddb) as client:
        response = await client.get("/jobs/job1", headers=bearer(token))

    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": INTERNAL_ERROR_MESSAGE}
    }
    assert "arn:aws" not in response.text
    [logged] = [line for line in log_lines if "exception" in line]
    assert SECRET in logged["exception"]
    assert logged["exception"].startswith("Traceback")
    assert logged["exception_name"] == "RuntimeError"
    assert logged["job_id"] == "job1"


async def test_store_failure_is_a_503_to_retry(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient, signer: TokenSigner
) -> None:
    broken = BrokenStatus(service, StoreRequestFailed("GetItem", "InternalServerError"))
    async with await _client_with(broken, api_settings, ddb) as client:
        response = await client.get(
            "/jobs/job1", headers=bearer(signer.issue("job1", ttl_seconds=9))
        )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["retry-after"] == "1"
    assert "GetItem" not in response.text


async def test_unknown_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing/here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/jobs")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["allow"]


async def test_every_line_of_a_request_has_its_job_id_and_none_has_the_token(
    client: httpx.AsyncClient, log_lines: list[dict[str, Any]]
) -> None:
    created = (await client.post("/jobs", json={"type": "demo.count", "params": {"n": 1}})).json()
    job_id, token = created["job_id"], created["token"]
    log_lines.clear()

    await client.get(f"/jobs/{job_id}", params={"token": token})
    status_lines = list(log_lines)
    log_lines.clear()
    await client.get(f"/jobs/{job_id}", headers=bearer("wrong"))
    refused_lines = list(log_lines)
    log_lines.clear()
    await client.get("/openapi.json")

    assert status_lines
    assert refused_lines
    assert all(line.get("job_id") == job_id for line in status_lines + refused_lines)
    assert all(token not in json.dumps(line) for line in status_lines + refused_lines)
    # The next request's lines do not inherit the previous job id.
    assert log_lines
    assert all("job_id" not in line for line in log_lines)


async def test_create_logs_the_new_job_id(
    client: httpx.AsyncClient, log_lines: list[dict[str, Any]]
) -> None:
    response = await client.post("/jobs", json={"type": "demo.count", "params": {"n": 1}})

    job_id = response.json()["job_id"]
    [created] = [line for line in log_lines if line["message"] == "job created"]
    assert created["job_id"] == job_id
    assert response.json()["token"] not in json.dumps(log_lines)
