"""The API's fixtures (tests/functional/api/conftest.py), and the caller-authentication ones: a
test OIDC issuer (tests/oidc_issuer.py) serving its JWKS over loopback HTTP, as an identity
provider serves it, and the API under JOBSTREAM_API_AUTH=jwt trusting it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from jwt import jwks_client

from jobstream.api import create_app
from jobstream.examples.demo import registry
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.api.conftest import (  # noqa: F401 - fixtures, found by name
    BASE_URL,
    anyio_backend,
    api_settings,
    app,
    client,
    invoker,
    service,
    signer,
    store,
)
from tests.oidc_issuer import AUDIENCE, Issuer, SigningKey, serve_issuer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


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
def jwt_settings(api_settings: Settings, issuer: Issuer) -> Settings:  # noqa: F811 - the fixture
    # JOBSTREAM_JWT_JWKS_URL left unset: the issuer's /.well-known/jwks.json is the default.
    return api_settings.with_changes(
        {"api_auth": "jwt", "jwt_issuer": issuer.url, "jwt_audience": AUDIENCE}
    )


@pytest.fixture
async def jwt_client(
    jwt_settings: Settings, ddb: DynamoDBClient, monotonic: FakeMonotonic
) -> AsyncIterator[httpx.AsyncClient]:
    """The API under JOBSTREAM_API_AUTH=jwt (tokens from ``issuer``) on its own real service."""
    jwt_service = JobService(
        store=JobStore(jwt_settings, client=ddb),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=jwt_settings,
    )
    jwt_app = create_app(jwt_settings, service=jwt_service, dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(jwt_app), base_url=BASE_URL) as c:
        yield c


ClientFor = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_for(jwt_settings: Settings, ddb: DynamoDBClient, monotonic: FakeMonotonic) -> ClientFor:
    """The API under JOBSTREAM_API_AUTH=jwt with the given settings changed."""

    @asynccontextmanager
    async def client_with(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = jwt_settings.with_changes(changes)
        changed = JobService(
            store=JobStore(settings, client=ddb),
            registry=registry(),
            invoker=RecordingInvoker(),
            settings=settings,
        )
        api = create_app(settings, service=changed, dynamodb=ddb)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(api), base_url=BASE_URL) as c:
            yield c

    return client_with
