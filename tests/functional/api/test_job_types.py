"""GET /jobs/types: the registry's job types with their params' JSON Schema, for forms and docs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import BaseModel, Field

from jobstream.api import create_app
from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import JobService
from jobstream.jobs.context import JobContext
from jobstream.jobs.registry import JobRegistry
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.api.conftest import BASE_URL

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


def defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """What a form prefills: every property's default (as the demo page does)."""
    return {
        name: prop["default"] for name, prop in schema["properties"].items() if "default" in prop
    }


async def test_lists_every_registered_type_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/jobs/types")

    # Not taken for a job id by GET /jobs/{job_id}, which would answer 401 without a token.
    assert response.status_code == 200
    types = response.json()["types"]
    assert [t["type"] for t in types] == demo_registry().names()
    modes = {t["type"]: t["mode"] for t in types}
    assert modes["demo.typewriter"] == "inline"
    assert modes["demo.count"] == "background"
    assert all(t["description"] for t in types)


async def test_params_schema_carries_fields_bounds_defaults_and_required(
    client: httpx.AsyncClient,
) -> None:
    types = {t["type"]: t for t in (await client.get("/jobs/types")).json()["types"]}

    count = types["demo.count"]["params_schema"]
    assert count["type"] == "object"
    assert count["required"] == ["n"]
    assert count["properties"]["n"]["maximum"] == 10_000
    assert defaults(count) == {"interval_ms": 100}
    assert count["additionalProperties"] is False

    batch = types["demo.batch"]["params_schema"]
    assert defaults(batch) == {"items": 20, "batch_size": 5, "fail_every": 4, "interval_ms": 100}


async def test_the_schema_defaults_are_params_post_jobs_accepts(client: httpx.AsyncClient) -> None:
    types = (await client.get("/jobs/types")).json()["types"]
    optional_only = [t for t in types if not t["params_schema"].get("required")]
    assert len(optional_only) >= 5

    for job_type in optional_only:
        params = defaults(job_type["params_schema"])
        response = await client.post("/jobs", json={"type": job_type["type"], "params": params})
        assert response.status_code == 201, (job_type["type"], response.json())


async def test_lists_the_service_registry_not_the_demo_types(
    api_settings: Settings, store: JobStore, ddb: DynamoDBClient
) -> None:
    class ResizeParams(BaseModel):
        width: int = Field(default=640, ge=1, le=8000)

    registry = JobRegistry()

    @registry.job("images.resize", params=ResizeParams, description="Resizes images.")
    def resize(ctx: JobContext[ResizeParams]) -> None:
        ctx.complete()

    service = JobService(
        store=store, registry=registry, invoker=RecordingInvoker(), settings=api_settings
    )
    app = create_app(api_settings, service=service, dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        body = (await c.get("/jobs/types")).json()

    assert body == {
        "types": [
            {
                "type": "images.resize",
                "mode": "background",
                "params_schema": ResizeParams.model_json_schema(),
                "description": "Resizes images.",
            }
        ]
    }


async def test_openapi_documents_the_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    operation = spec["paths"]["/jobs/types"]["get"]
    assert operation["summary"].startswith("The job types")
    assert "200" in operation["responses"]
    assert "JobTypesResponse" in spec["components"]["schemas"]
    # The caller's credential under caller authentication; never a job's token.
    assert operation["security"] == [{"HTTPBearer": []}]
