"""The jobs API on the real JobService and JobStore over a moto table; only the worker invoker is
the jobs package's RecordingInvoker (starting a Lambda function is not the API's to test)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI
from jwt import jwks_client

from jobstream.api import create_app
from jobstream.auth.tokens import TokenSigner
from jobstream.examples.demo import registry
from jobstream.jobs import JobService, RecordingInvoker
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.store.models import Job, JobPage, JSONObject
from tests.oidc_issuer import AUDIENCE, Issuer, SigningKey, serve_issuer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TOKEN_KEY = "k" * 48
BASE_URL = "http://api.test"


class BrokenStatus:
    """The real service, except that status() fails with ``error``."""

    def __init__(self, service: JobService, error: Exception) -> None:
        self._service = service
        self._error = error

    def create(self, type: str, params: JSONObject, /, *, owner: str | None = None) -> Job:
        return self._service.create(type, params, owner=owner)

    def status(self, job_id: str, /, *, owner: str | None = None) -> Job:
        raise self._error

    def cancel(self, job_id: str, /, *, owner: str | None = None) -> Job:
        return self._service.cancel(job_id, owner=owner)

    def list_jobs(self, owner: str, /, *, limit: int, cursor: str | None = None) -> JobPage:
        return self._service.list_jobs(owner, limit=limit, cursor=cursor)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"token_key": TOKEN_KEY})


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


# --- caller authentication: a test OIDC issuer (tests/oidc_issuer.py) --------------------------
@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-1")


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey.ec("ec-1")


@pytest.fixture
def issuer(rsa_key: SigningKey, ec_key: SigningKey) -> Iterator[Issuer]:
    with serve_issuer(rsa_key, ec_key) as served:
        yield served


class FakeMonotonic:
    """PyJWKClient's refresh cooldown reads time.monotonic(); this one moves when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> FakeMonotonic:
    fake = FakeMonotonic()
    monkeypatch.setattr(jwks_client, "time", fake)
    return fake


@pytest.fixture
def jwt_settings(api_settings: Settings, issuer: Issuer) -> Settings:
    # JOBSTREAM_JWT_JWKS_URL left unset: the issuer's /.well-known/jwks.json is the default.
    return api_settings.model_copy(
        update={"api_auth": "jwt", "jwt_issuer": issuer.url, "jwt_audience": AUDIENCE}
    )


@pytest.fixture
async def jwt_client(
    jwt_settings: Settings, ddb: DynamoDBClient, monotonic: FakeMonotonic
) -> AsyncIterator[httpx.AsyncClient]:
    """The API under JOBSTREAM_API_AUTH=jwt (tokens from ``issuer``) on its own real service."""
    service = JobService(
        store=JobStore(jwt_settings, client=ddb),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=jwt_settings,
    )
    app = create_app(jwt_settings, service=service, dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        yield c
