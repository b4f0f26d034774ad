"""Scopes per operation (JOBSTREAM_JWT_{CREATE,READ,CANCEL,LIST}_SCOPES), checked as API Gateway's
JWT authorizers check a route's: the token's ``scope`` (space-separated) or ``scp`` (a list, or a
string) claim must hold at least one of the operation's scopes; a valid token with none of them is
a 403 ``insufficient_scope``; empty settings need no scope. Every forgery refused without scopes
stays refused (a 401) with them, whatever scopes it claims."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from jobstream.api import create_app
from jobstream.api.callers import ScopeMalformed, ScopeWithoutJwt
from jobstream.examples.demo import registry
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.integration.api.conftest import ClientFor
from tests.integration.api.test_caller_auth import CREATE, assert_refused, bearer
from tests.oidc_issuer import Issuer, hs256_with_public_key, tampered, unsigned_token

pytestmark = pytest.mark.anyio

# Cognito names a resource server's scopes <identifier>/<scope>; others use any string.
SCOPES = {
    "jwt_create_scopes": ["jobs/create", "jobs:write"],
    "jwt_read_scopes": ["jobs/read"],
    "jwt_cancel_scopes": ["jobs/cancel", "jobs:write"],
    "jwt_list_scopes": ["jobs/list"],
}


def assert_lacks_scope(response: httpx.Response, *required: str) -> None:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert error["details"] == {"required_scopes": sorted(required)}
    assert response.headers["www-authenticate"] == (
        f'Bearer error="insufficient_scope", scope="{" ".join(sorted(required))}"'
    )


async def _job(client: httpx.AsyncClient, issuer: Issuer, subject: str = "u1") -> dict[str, Any]:
    created = await client.post(
        "/jobs", json=CREATE, headers=issuer.headers(subject, scope="jobs/create")
    )
    assert created.status_code == 201, created.text
    job: dict[str, Any] = created.json()
    return job


async def test_each_operation_needs_one_of_its_own_scopes(
    client_for: ClientFor, issuer: Issuer
) -> None:
    async with client_for(**SCOPES) as client:
        job_id = (await _job(client, issuer))["job_id"]

        def as_(scope: str | None) -> dict[str, str]:
            return issuer.headers("u1", scope=scope)

        def call(operation: str, headers: dict[str, str]) -> Awaitable[httpx.Response]:
            if operation == "create":
                return client.post("/jobs", json=CREATE, headers=headers)
            if operation == "list":
                return client.get("/jobs", headers=headers)
            if operation == "read":
                return client.get(f"/jobs/{job_id}", headers=headers)
            return client.post(f"/jobs/{job_id}/{operation}", headers=headers)  # token, cancel

        required = {
            "create": SCOPES["jwt_create_scopes"],
            "read": SCOPES["jwt_read_scopes"],
            "token": SCOPES["jwt_read_scopes"],  # a fresh token is a read of the job
            "cancel": SCOPES["jwt_cancel_scopes"],
            "list": SCOPES["jwt_list_scopes"],
        }
        for operation in required:
            # Without any scope, with others' scopes only: refused, naming the ones that would do.
            assert_lacks_scope(await call(operation, as_(None)), *required[operation])
            others = {s for scopes in SCOPES.values() for s in scopes} - set(required[operation])
            refused = await call(operation, as_(" ".join(sorted(others))))
            assert_lacks_scope(refused, *required[operation])
            # Each one of its scopes alone is enough, among others the token carries.
            for scope in required[operation]:
                answered = await call(operation, as_(f"openid {scope} profile"))
                assert answered.status_code in (200, 201, 202), (operation, answered.text)
        # What describes the deployment needs a valid token only.
        assert (await client.get("/jobs/types", headers=as_(None))).status_code == 200


@pytest.mark.parametrize(
    "claims",
    [
        {"scp": ["openid", "jobs/create"]},  # Okta: a list
        {"scp": "openid jobs/create"},  # Microsoft: a string
        {"scope": "jobs/create", "scp": ["other"]},  # either claim grants
    ],
    ids=["scp-list", "scp-string", "scope-and-scp"],
)
async def test_the_scp_claim_grants_as_scope_does(
    client_for: ClientFor, issuer: Issuer, claims: dict[str, Any]
) -> None:
    async with client_for(**SCOPES) as client:
        created = await client.post("/jobs", json=CREATE, headers=issuer.headers("u1", **claims))
        assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    "claims",
    [
        {"scope": "jobs/create-all"},  # a longer scope is another scope
        {"scope": "JOBS/CREATE"},  # scopes are case-sensitive (RFC 6749, 3.3)
        {"scope": ["jobs/create"]},  # scope is a string; a list in it grants nothing
        {"scp": [["jobs/create"]]},
        {"scope": "jobs/create,jobs:write"},  # one scope with a comma in it
    ],
    ids=["prefix", "case", "scope-list", "nested", "comma"],
)
async def test_what_only_looks_like_a_scope_grants_nothing(
    client_for: ClientFor, issuer: Issuer, claims: dict[str, Any]
) -> None:
    async with client_for(**SCOPES) as client:
        refused = await client.post("/jobs", json=CREATE, headers=issuer.headers("u1", **claims))
        assert_lacks_scope(refused, *SCOPES["jwt_create_scopes"])


async def test_without_scope_settings_no_scope_is_needed(
    client_for: ClientFor, issuer: Issuer
) -> None:
    async with client_for() as client:
        job_id = (await _job(client, issuer))["job_id"]
        no_scope = issuer.headers("u1")
        assert (await client.get(f"/jobs/{job_id}", headers=no_scope)).status_code == 200
        assert (await client.get("/jobs", headers=no_scope)).status_code == 200
        assert (await client.post(f"/jobs/{job_id}/cancel", headers=no_scope)).status_code == 202


async def test_a_jobs_own_token_still_opens_its_status_without_any_scope(
    client_for: ClientFor, issuer: Issuer
) -> None:
    """A shared view or a native EventSource holds the job's token, not a JWT: the read scope is
    the JWT's, and the job token is checked as it always was."""
    async with client_for(**SCOPES) as client:
        job = await _job(client, issuer)
        read = await client.get(f"/jobs/{job['job_id']}", params={"token": job["token"]})
        assert read.status_code == 200, read.text


async def test_every_forgery_stays_refused_whatever_scopes_it_claims(
    client_for: ClientFor, issuer: Issuer
) -> None:
    """The scope check runs after the signature's, never instead of it: a 401 as before, not a
    403 that would tell a forger the token passed, nor a 201."""
    [key] = issuer.published[:1]
    all_scopes = " ".join(sorted({s for scopes in SCOPES.values() for s in scopes}))
    claims = issuer.claims("u1", scope=all_scopes)

    async def create(client: httpx.AsyncClient, token: str) -> httpx.Response:
        return await client.post("/jobs", json=CREATE, headers=bearer(token))

    async with client_for(**SCOPES) as client:
        granted_after_signing = tampered(issuer.token("u1", scope="openid"), scope=all_scopes)
        assert_refused(await create(client, granted_after_signing), "signature")
        assert_refused(await create(client, unsigned_token(claims, key.kid)), "signed with one of")
        assert_refused(
            await create(client, hs256_with_public_key(claims, key)), "signed with one of"
        )
        expired = issuer.token("u1", scope=all_scopes, exp=claims["iat"] - 3600)
        assert_refused(await create(client, expired), "expired")
        other_issuer = issuer.token("u1", scope=all_scopes, iss="https://x.example")
        assert_refused(await create(client, other_issuer), "another issuer")
        other_audience = issuer.token("u1", scope=all_scopes, aud="another-api")
        assert_refused(await create(client, other_audience), "audience")
        assert_refused(await create(client, issuer.token("", scope=all_scopes)), "sub")
        # And a real one with them is accepted (so the refusals above are the forgeries').
        assert (await create(client, issuer.token("u1", scope=all_scopes))).status_code == 201


@pytest.mark.parametrize("mode", ["none", "iam"])
def test_scopes_without_jwt_stop_the_start(api_settings: Settings, ddb: Any, mode: str) -> None:
    settings = api_settings.with_changes({"api_auth": mode, "jwt_list_scopes": ["jobs/list"]})
    with pytest.raises(ScopeWithoutJwt, match="JOBSTREAM_API_AUTH is"):
        create_app(settings, service=_service(settings, ddb), dynamodb=ddb)


@pytest.mark.parametrize("scope", ["jobs read", 'jobs"read', "jobs\\read", "jöbs", ""])
def test_a_scope_no_token_could_carry_stops_the_start(
    jwt_settings: Settings, ddb: Any, scope: str
) -> None:
    settings = jwt_settings.with_changes({"jwt_cancel_scopes": ["jobs/cancel", scope]})
    with pytest.raises(ScopeMalformed, match="JOBSTREAM_JWT_CANCEL_SCOPES"):
        create_app(settings, service=_service(settings, ddb), dynamodb=ddb)


def _service(settings: Settings, ddb: Any) -> JobService:
    return JobService(
        store=JobStore(settings, client=ddb),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=settings,
    )
