"""App-level behaviour: CORS, the OpenAPI document, configuration errors at creation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from jobstream.api import create_app
from jobstream.auth.keys import SigningKeyNotConfigured
from jobstream.errors import WorkerFunctionNotConfigured
from jobstream.jobs import JobService
from jobstream.settings import Settings
from tests.functional.api.conftest import BASE_URL

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

ALLOWED = "https://app.example.com"


async def _client(
    settings: Settings, service: JobService, ddb: DynamoDBClient, origins: list[str]
) -> httpx.AsyncClient:
    app = create_app(
        settings.with_changes({"cors_allowed_origins": origins}), service=service, dynamodb=ddb
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL)


async def test_allowed_origin_gets_cors_headers_on_success_and_error(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient
) -> None:
    async with await _client(api_settings, service, ddb, [ALLOWED]) as client:
        created = await client.post(
            "/jobs", json={"type": "demo.count", "params": {"n": 1}}, headers={"Origin": ALLOWED}
        )
        refused = await client.get("/jobs/abc", headers={"Origin": ALLOWED})

    assert created.headers["access-control-allow-origin"] == ALLOWED
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ALLOWED


async def test_preflight_allows_the_headers_the_api_reads(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient
) -> None:
    async with await _client(api_settings, service, ddb, [ALLOWED]) as client:
        response = await client.options(
            "/jobs",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, idempotency-key, authorization",
            },
        )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"content-type", "idempotency-key", "authorization"} <= {
        header.strip() for header in allowed.split(",")
    }


@pytest.mark.parametrize("origins", [[], [ALLOWED]])
async def test_other_origins_get_no_cors_headers(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient, origins: list[str]
) -> None:
    async with await _client(api_settings, service, ddb, origins) as client:
        simple = await client.post(
            "/jobs",
            json={"type": "demo.count", "params": {"n": 1}},
            headers={"Origin": "https://evil.example"},
        )
        preflight = await client.options(
            "/jobs",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )

    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400


async def test_openapi_documents_routes_models_and_errors(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    docs = await client.get("/docs")

    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    paths = spec["paths"]
    create = paths["/jobs"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CreateJobResponse"
    )
    for status in ("400", "413", "422", "500"):
        assert create["responses"][status]["content"]["application/json"]["schema"][
            "$ref"
        ].endswith("/ErrorResponse")
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    status_op = paths["/jobs/{job_id}"]["get"]
    assert status_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/JobStatusResponse"
    )
    assert {"401", "403", "404"} <= set(status_op["responses"])
    assert "202" in paths["/jobs/{job_id}/cancel"]["post"]["responses"]
    schemes = spec["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} == {"http", "apiKey"}


def test_no_token_key_anywhere_is_a_configuration_error(
    settings: Settings, service: JobService
) -> None:
    with pytest.raises(SigningKeyNotConfigured, match="JOBSTREAM_TOKEN_KEY"):
        create_app(settings, service=service)


def test_default_service_needs_the_worker_function(api_settings: Settings) -> None:
    with pytest.raises(WorkerFunctionNotConfigured, match="JOBSTREAM_WORKER_FUNCTION"):
        create_app(api_settings)
