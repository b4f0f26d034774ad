"""JOBSTREAM_API_AUTH=jwt with real signed tokens (RS256 and ES256 keys made here, their JWKS
served on loopback): every way a token can be wrong is a 401 with a JSON body, never a 5xx."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from jobstream.api import create_app
from jobstream.auth.jwt_verifier import JwtSettingsMissing
from jobstream.examples.demo import registry
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.api.conftest import BASE_URL
from tests.integration.api.conftest import FakeMonotonic
from tests.oidc_issuer import (
    AUDIENCE,
    Issuer,
    SigningKey,
    hs256_with_public_key,
    tampered,
    unsigned_token,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

CREATE = {"type": "demo.count", "params": {"n": 2}}


def assert_refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert words in error["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Traceback" not in response.text


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
async def test_a_valid_token_creates_a_job_owned_by_its_sub(
    jwt_client: httpx.AsyncClient, issuer: Issuer, key_name: str, request: pytest.FixtureRequest
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    created = await jwt_client.post(
        "/jobs", json=CREATE, headers=bearer(issuer.token("u1", key=key))
    )
    assert created.status_code == 201, created.text
    listed = await jwt_client.get("/jobs", headers=bearer(issuer.token("u1", key=key)))
    assert [j["job_id"] for j in listed.json()["jobs"]] == [created.json()["job_id"]]


async def test_a_cognito_access_token_is_accepted_by_its_client_id(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    """Cognito access tokens carry no aud, only client_id: the API Gateway JWT authorizer rule."""
    token = issuer.token("u1", aud=None, client_id=AUDIENCE, token_use="access")
    assert (await jwt_client.post("/jobs", json=CREATE, headers=bearer(token))).status_code == 201
    other = issuer.token("u1", aud=None, client_id="another-client")
    assert_refused(await jwt_client.post("/jobs", json=CREATE, headers=bearer(other)), "audience")


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"exp": -3600}, "expired"),
        ({"nbf": 3600}, "not valid yet"),
        ({"iss": "https://issuer.example.com"}, "another issuer"),
        ({"aud": "someone-else"}, "another audience"),
        ({"aud": ["a", "b"]}, "another audience"),
        ({"exp": None}, "'exp'"),
        ({"sub": None}, "'sub'"),
        ({"sub": ""}, "caller"),
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "wrong-issuer",
        "wrong-audience",
        "audience-list",
        "no-exp",
        "no-sub",
        "empty-sub",
    ],
)
async def test_a_token_with_wrong_claims_is_refused(
    jwt_client: httpx.AsyncClient, issuer: Issuer, overrides: dict[str, Any], words: str
) -> None:
    relative = {k: v for k, v in overrides.items() if k in ("exp", "nbf") and v is not None}
    claims = {**overrides, **{k: issuer.claims("u1")["iat"] + v for k, v in relative.items()}}
    response = await jwt_client.post(
        "/jobs", json=CREATE, headers=bearer(issuer.token("u1", **claims))
    )
    assert_refused(response, words)


async def test_the_leeway_forgives_a_little_clock_skew(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    now = issuer.claims("u1")["iat"]
    token = issuer.token("u1", exp=now - 5, nbf=now + 5)  # inside the 30 s leeway
    assert (await jwt_client.post("/jobs", json=CREATE, headers=bearer(token))).status_code == 201


async def test_alg_none_is_refused(jwt_client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = unsigned_token(issuer.claims("u1"), kid="rsa-1")
    assert_refused(
        await jwt_client.post("/jobs", json=CREATE, headers=bearer(token)), "signed with"
    )


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
async def test_hs256_signed_with_the_public_key_is_refused(
    jwt_client: httpx.AsyncClient, issuer: Issuer, key_name: str, request: pytest.FixtureRequest
) -> None:
    token = hs256_with_public_key(issuer.claims("u1"), request.getfixturevalue(key_name))
    assert_refused(
        await jwt_client.post("/jobs", json=CREATE, headers=bearer(token)), "signed with"
    )


async def test_an_algorithm_that_does_not_match_the_key_is_refused(
    jwt_client: httpx.AsyncClient, issuer: Issuer, ec_key: SigningKey
) -> None:
    """Signed by the EC key but naming the RSA key's kid."""
    forged = SigningKey(kid="rsa-1", algorithm="ES256", private=ec_key.private)
    token = issuer.token("u1", key=forged)
    assert_refused(await jwt_client.post("/jobs", json=CREATE, headers=bearer(token)), "algorithm")


async def test_a_tampered_payload_is_refused(jwt_client: httpx.AsyncClient, issuer: Issuer) -> None:
    token = tampered(issuer.token("u1"), sub="admin")
    response = await jwt_client.post("/jobs", json=CREATE, headers=bearer(token))
    assert_refused(response, "signature")
    assert token not in response.text
    assert token.split(".")[1] not in response.text


async def test_a_missing_header_is_refused_on_every_route(jwt_client: httpx.AsyncClient) -> None:
    for method, path in [
        ("POST", "/jobs"),
        ("GET", "/jobs"),
        ("GET", "/jobs/types"),
        ("GET", "/jobs/abc"),
        ("POST", "/jobs/abc/cancel"),
    ]:
        response = await jwt_client.request(method, path, json=CREATE if method == "POST" else None)
        assert_refused(response, "Authorization: Bearer")
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer a.b.c",
        "Bearer " + "x" * 20_000,
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",  # no kid
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer \u00e9t\u00e9",
    ],
    ids=["word", "dots", "huge", "no-kid", "basic", "empty", "non-ascii"],
)
async def test_garbage_is_refused(
    jwt_client: httpx.AsyncClient, header: str, issuer: Issuer
) -> None:
    response = await jwt_client.post(
        "/jobs", json=CREATE, headers={"Authorization": header.encode()}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"
    assert issuer.fetches == 0  # nothing malformed reaches the issuer


async def test_an_unknown_kid_refetches_once_per_interval_and_finds_a_rotated_key(
    jwt_client: httpx.AsyncClient, issuer: Issuer, monotonic: FakeMonotonic
) -> None:
    ok = await jwt_client.post("/jobs", json=CREATE, headers=bearer(issuer.token("u1")))
    assert ok.status_code == 201
    assert issuer.fetches == 1

    # The issuer rotates: a new key, published after our last fetch.
    rotated = SigningKey.rsa("rsa-2")
    with issuer.lock:
        issuer.published.append(rotated)
    token = issuer.token("u1", key=rotated)
    # Within the cooldown (30 s) after a fetch, unknown kids are refused without a fetch, however
    # many arrive: made-up key ids cannot make us hammer the issuer.
    monotonic.now += 10
    for kid in ("rsa-2", "made-up-1", "made-up-2", "made-up-3"):
        forged = SigningKey(kid=kid, algorithm="RS256", private=rotated.private)
        refused = await jwt_client.post(
            "/jobs", json=CREATE, headers=bearer(issuer.token("u1", key=forged))
        )
        assert_refused(refused, "key the issuer does not publish")
    assert issuer.fetches == 1

    # After the cooldown the unknown kid refetches, once, and the rotated key is found.
    monotonic.now += 25
    assert (await jwt_client.post("/jobs", json=CREATE, headers=bearer(token))).status_code == 201
    assert issuer.fetches == 2
    made_up = SigningKey(kid="made-up-4", algorithm="RS256", private=rotated.private)
    assert_refused(
        await jwt_client.post(
            "/jobs", json=CREATE, headers=bearer(issuer.token("u1", key=made_up))
        ),
        "does not publish",
    )
    assert issuer.fetches == 2
    # Known keys are served from the cached set.
    assert (await jwt_client.post("/jobs", json=CREATE, headers=bearer(token))).status_code == 201
    assert issuer.fetches == 2


async def test_an_unreachable_issuer_is_a_503_not_a_500(
    api_settings: Settings, ddb: DynamoDBClient, monotonic: FakeMonotonic, issuer: Issuer
) -> None:
    settings = api_settings.with_changes(
        {
            "api_auth": "jwt",
            "jwt_issuer": issuer.url,
            "jwt_audience": AUDIENCE,
            "jwt_jwks_url": "http://127.0.0.1:9/.well-known/jwks.json",  # discard port: refused
        }
    )
    service = JobService(
        store=JobStore(settings, client=ddb),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=settings,
    )
    app = create_app(settings, service=service, dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        response = await c.post("/jobs", json=CREATE, headers=bearer(issuer.token("u1")))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["retry-after"] == "5"


def test_jwt_without_issuer_and_audience_fails_at_start(api_settings: Settings) -> None:
    for missing in ({"jwt_issuer": None}, {"jwt_audience": None}):
        settings = api_settings.with_changes(
            {"api_auth": "jwt", "jwt_issuer": "https://i", "jwt_audience": "a", **missing}
        )
        with pytest.raises(JwtSettingsMissing):
            create_app(settings, service=object())  # type: ignore[arg-type]
