"""Under JWTs a job's owner is its caller's issuer and subject (OIDC makes ``sub`` unique within one
issuer only), and the jobs stored under ``sub`` alone, as they were before, stay their caller's:
read, cancelled, given a fresh token and listed (after the newer ones), never anyone else's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jobstream.jobs import JobService
from jobstream.store import JobStore
from tests.integration.api.test_caller_auth import CREATE
from tests.oidc_issuer import Issuer

pytestmark = pytest.mark.anyio


async def _create(client: httpx.AsyncClient, issuer: Issuer, subject: str) -> str:
    created = await client.post("/jobs", json=CREATE, headers=issuer.headers(subject))
    assert created.status_code == 201, created.text
    job_id: str = created.json()["job_id"]
    return job_id


def _stored_the_old_way(service: JobService, subject: str) -> str:
    """A job as the API stored it before owners named their issuer: owned by ``sub`` alone."""
    return service.create(CREATE["type"], dict(CREATE["params"]), owner=subject).job_id


async def _listed(client: httpx.AsyncClient, headers: dict[str, str], limit: int) -> list[str]:
    """Every job GET /jobs lists, page by page."""
    listed: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(20):
        page = await client.get("/jobs", params=params, headers=headers)
        assert page.status_code == 200, page.text
        listed += [job["job_id"] for job in page.json()["jobs"]]
        if page.json()["next_cursor"] is None:
            return listed
        params["cursor"] = page.json()["next_cursor"]
    raise AssertionError("the listing never ended")


async def test_a_new_job_belongs_to_its_callers_issuer_and_subject(
    jwt_client: httpx.AsyncClient, issuer: Issuer, store: JobStore
) -> None:
    job_id = await _create(jwt_client, issuer, "alice")
    assert store.get_job(job_id).owner == f"{issuer.url}#alice"


async def test_the_same_subject_of_another_issuer_is_another_owner(
    jwt_client: httpx.AsyncClient, issuer: Issuer, service: JobService
) -> None:
    """A job of another issuer's alice (as another deployment's issuer, or the one before a
    change of JwtIssuer, stored it) is not this issuer's alice's."""
    other = service.create(
        CREATE["type"], dict(CREATE["params"]), owner="https://other.example#alice"
    ).job_id
    alice = issuer.headers("alice")
    assert (await jwt_client.get(f"/jobs/{other}", headers=alice)).status_code == 404
    assert (await jwt_client.post(f"/jobs/{other}/cancel", headers=alice)).status_code == 404
    assert (await jwt_client.post(f"/jobs/{other}/token", headers=alice)).status_code == 404
    assert await _listed(jwt_client, alice, limit=10) == []


async def test_a_job_stored_under_sub_alone_stays_its_callers(
    jwt_client: httpx.AsyncClient, issuer: Issuer, service: JobService
) -> None:
    old = _stored_the_old_way(service, "alice")
    alice, bob = issuer.headers("alice"), issuer.headers("bob")

    read = await jwt_client.get(f"/jobs/{old}", headers=alice)
    assert read.status_code == 200, read.text
    assert read.json()["job_id"] == old
    token = await jwt_client.post(f"/jobs/{old}/token", headers=alice)
    assert token.status_code == 200, token.text
    # The fresh token opens it as any job token does.
    by_token = await jwt_client.get(f"/jobs/{old}", params={"token": token.json()["token"]})
    assert by_token.status_code == 200
    # Another caller still gets nothing, as before.
    assert (await jwt_client.get(f"/jobs/{old}", headers=bob)).status_code == 404
    assert (await jwt_client.post(f"/jobs/{old}/cancel", headers=bob)).status_code == 404
    assert (await jwt_client.post(f"/jobs/{old}/token", headers=bob)).status_code == 404
    assert old not in await _listed(jwt_client, bob, limit=10)
    assert service.status(old).cancel_requested is False  # bob's cancel changed nothing

    cancelled = await jwt_client.post(f"/jobs/{old}/cancel", headers=alice)
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json()["cancel_requested"] is True


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 10])
async def test_the_listing_holds_the_new_jobs_then_those_stored_the_old_way(
    jwt_client: httpx.AsyncClient, issuer: Issuer, service: JobService, limit: int
) -> None:
    """Newest first across both: every job stored under sub alone is older than the first one
    stored under issuer and subject. Pages of every size meet the boundary somewhere."""
    old = [_stored_the_old_way(service, "alice") for _ in range(2)]
    _stored_the_old_way(service, "bob")
    new = [await _create(jwt_client, issuer, "alice") for _ in range(3)]
    await _create(jwt_client, issuer, "bob")

    listed = await _listed(jwt_client, issuer.headers("alice"), limit=limit)
    assert listed == [*reversed(new), *reversed(old)]
