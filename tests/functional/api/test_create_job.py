"""POST /jobs: the created job, its absolute URLs and token; every way a create is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI

from jobstream.api import create_app
from jobstream.auth.tokens import TokenSigner
from jobstream.examples.demo import registry
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.store.models import JobStatus
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.api.conftest import BASE_URL

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


async def test_create_returns_job_urls_and_a_token_for_it(
    client: httpx.AsyncClient, store: JobStore, signer: TokenSigner, invoker: RecordingInvoker
) -> None:
    response = await client.post("/jobs", json={"type": "demo.count", "params": {"n": 3}})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "job_id",
        "status",
        "events_url",
        "status_url",
        "token",
        "expires_in",
        "control_token",
    }
    job_id = body["job_id"]
    assert body["status"] == JobStatus.QUEUED
    # Same origin locally: the stream is served next to the API.
    assert body["events_url"] == f"{BASE_URL}/jobs/{job_id}/events"
    assert body["status_url"] == f"{BASE_URL}/jobs/{job_id}"
    signer.verify(body["token"], job_id)
    job = store.get_job(job_id)
    assert job.type == "demo.count"
    # Stored as the job type's model dumps them: defaults filled in.
    assert job.params["n"] == 3
    assert [call[0] for call in invoker.calls] == [job_id]


async def test_params_may_be_left_out(client: httpx.AsyncClient, store: JobStore) -> None:
    response = await client.post("/jobs", json={"type": "demo.logs"})

    assert response.status_code == 201
    assert store.get_job(response.json()["job_id"]).params["lines"] == 10


@pytest.mark.parametrize("base", ["https://stream.example.com", "https://stream.example.com/"])
async def test_events_url_is_on_the_stream_origin_when_configured(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient, base: str
) -> None:
    settings = api_settings.with_changes({"stream_base_url": base})
    app = create_app(settings, service=service, dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        response = await client.post("/jobs", json={"type": "demo.count", "params": {"n": 1}})

    body = response.json()
    assert body["events_url"] == f"https://stream.example.com/jobs/{body['job_id']}/events"
    assert body["status_url"].startswith(f"{BASE_URL}/jobs/")


async def test_unknown_type_is_a_400_naming_the_known_types(
    client: httpx.AsyncClient, invoker: RecordingInvoker
) -> None:
    response = await client.post("/jobs", json={"type": "nope", "params": {}})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_job_type"
    assert "demo.count" in error["message"]
    assert "demo.count" in error["details"]["known_types"]
    assert invoker.calls == []


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"params": {}}, ["body", "type"]),
        ({"type": "", "params": {}}, ["body", "type"]),
        ({"type": "demo.count", "params": [1, 2]}, ["body", "params"]),
        ({"type": "demo.count", "params": {}, "extra": 1}, ["body", "extra"]),
    ],
)
async def test_invalid_body_is_a_422_with_field_messages(
    client: httpx.AsyncClient, payload: dict[str, object], loc: list[str]
) -> None:
    response = await client.post("/jobs", json=payload)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert loc in [detail["loc"] for detail in error["details"]]
    assert all(detail["msg"] for detail in error["details"])
    # The offending input is not echoed back.
    assert all("input" not in detail for detail in error["details"])


async def test_malformed_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/jobs", content=b'{"type": ', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


async def test_params_the_job_type_refuses_are_a_422_per_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/jobs", json={"type": "demo.count", "params": {"n": 0}})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_params"
    assert ["body", "params", "n"] in [detail["loc"] for detail in error["details"]]


async def test_declared_oversize_body_is_a_413_before_reading_it(app: FastAPI) -> None:
    received: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        received.append(b"read")
        yield b"{}"

    limit = 64 * 1024 + 16 * 1024
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.post(
            "/jobs",
            content=body(),
            headers={"Content-Type": "application/json", "Content-Length": str(limit + 1)},
        )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    # Refused on the declared length alone: the body was never pulled.
    assert received == []


async def test_oversize_body_without_content_length_is_a_413(client: httpx.AsyncClient) -> None:
    big = json.dumps({"type": "demo.logs", "params": {"pad": "x" * (100 * 1024)}}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    response = await client.post(
        "/jobs", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_params_over_max_params_bytes_are_a_413(
    api_settings: Settings, ddb: DynamoDBClient
) -> None:
    settings = api_settings.with_changes({"max_params_bytes": 200})
    invoker = RecordingInvoker()
    store = JobStore(settings, client=ddb)
    service = JobService(store=store, registry=registry(), invoker=invoker, settings=settings)
    app = create_app(settings, service=service, dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:
        response = await client.post(
            "/jobs", json={"type": "demo.typewriter", "params": {"text": "x" * 300}}
        )

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"]["limit"] == 200
    assert invoker.calls == []
