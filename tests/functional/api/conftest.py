"""The jobs API on the real JobService and JobStore over a moto table; only the worker invoker is
the jobs package's RecordingInvoker (starting a Lambda function is not the API's to test)."""

from __future__ import annotations

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
from jobstream.store.models import Job, JobPage, JSONObject
from jobstream_sandbox.invokers import RecordingInvoker

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TOKEN_KEY = "k" * 48
BASE_URL = "http://api.test"


class BrokenStatus:
    """The real service, except that status() fails with ``error``."""

    def __init__(self, service: JobService, error: Exception) -> None:
        self._service = service
        self._error = error

    def create(
        self,
        type: str,
        params: JSONObject,
        /,
        *,
        owner: str | None = None,
        address: str | None = None,
    ) -> Job:
        return self._service.create(type, params, owner=owner)

    def status(
        self, job_id: str, /, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job:
        raise self._error

    def cancel(
        self, job_id: str, /, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job:
        return self._service.cancel(job_id, owner=owner, former_owner=former_owner)

    def list_jobs(
        self,
        owner: str,
        /,
        *,
        limit: int,
        cursor: str | None = None,
        former_owner: str | None = None,
    ) -> JobPage:
        return self._service.list_jobs(owner, limit=limit, cursor=cursor, former_owner=former_owner)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.with_changes({"token_key": TOKEN_KEY})


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(TOKEN_KEY.encode())


@pytest.fixture
def store(api_settings: Settings, ddb: DynamoDBClient) -> JobStore:
    return JobStore(api_settings, client=ddb)


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def service(api_settings: Settings, store: JobStore, invoker: RecordingInvoker) -> JobService:
    return JobService(store=store, registry=registry(), invoker=invoker, settings=api_settings)


@pytest.fixture
def app(api_settings: Settings, service: JobService, ddb: DynamoDBClient) -> FastAPI:
    return create_app(api_settings, service=service, dynamodb=ddb)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
