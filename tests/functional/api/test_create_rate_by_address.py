"""Under ApiAuth=none anyone can create a job (and so get a fresh job token and a fresh stream cap):
creates are bounded per source address instead of per caller."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from jobstream.api import create_app
from jobstream.examples.demo import registry
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.clock import START, FakeClock
from tests.functional.api.conftest import BASE_URL

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(api_settings: Settings, ddb: object) -> FastAPI:
    settings = api_settings.with_changes({"max_creates_per_address": 3})
    # The store's clock stands still: the four creates fall in one rate window, always.
    store = JobStore(settings, client=ddb, clock=FakeClock(START))  # type: ignore[arg-type]
    service = JobService(
        store=store, registry=registry(), invoker=RecordingInvoker(), settings=settings
    )
    return create_app(settings, service=service, dynamodb=ddb)  # type: ignore[arg-type]


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app, client=(address, 40_000)), base_url=BASE_URL
    )


async def test_one_address_gets_its_creates_per_window_then_429_others_are_not_affected(
    app: FastAPI,
) -> None:
    body = {"type": "demo.count", "params": {"n": 1}}
    async with client_from(app, "203.0.113.7") as noisy, client_from(app, "198.51.100.2") as other:
        for _ in range(3):
            assert (await noisy.post("/jobs", json=body)).status_code == 201
        refused = await noisy.post("/jobs", json=body)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        error = refused.json()["error"]
        assert error["code"] == "quota_exceeded"
        assert error["details"]["limit"] == "create_rate"
        assert (await other.post("/jobs", json=body)).status_code == 201
