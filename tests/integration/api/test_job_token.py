"""POST /jobs/{id}/token: the owner gets a fresh token for their own job with their own
credential (what `jobstream attach --job-id` needs); nobody else does, and a job token does not
open it under caller authentication."""

from __future__ import annotations

import httpx
import pytest

from tests.functional.api.conftest import bearer
from tests.integration.api.test_ownership import assert_not_found, create
from tests.oidc_issuer import Issuer

pytestmark = pytest.mark.anyio


async def test_the_owner_gets_a_token_that_opens_the_job(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    job = await create(jwt_client, issuer, "alice")
    job_id = job["job_id"]

    minted = await jwt_client.post(f"/jobs/{job_id}/token", headers=issuer.headers("alice"))

    assert minted.status_code == 200, minted.text
    body = minted.json()
    assert body["job_id"] == job_id
    assert body["events_url"] == job["events_url"]
    assert body["expires_in"] > 0
    # The new token alone opens the job, as the one POST /jobs returned does.
    read = await jwt_client.get(f"/jobs/{job_id}", params={"token": body["token"]})
    assert read.status_code == 200
    assert read.json()["job_id"] == job_id


async def test_nobody_else_gets_one(jwt_client: httpx.AsyncClient, issuer: Issuer) -> None:
    job = await create(jwt_client, issuer, "alice")
    job_id = job["job_id"]
    url = f"/jobs/{job_id}/token"

    assert_not_found(await jwt_client.post(url, headers=issuer.headers("bob")))
    # The job's own token is a viewer's, not the owner's credential.
    refused = await jwt_client.post(url, headers=bearer(job["token"]))
    assert refused.status_code == 401
    assert job["token"] not in refused.text
    anonymous = await jwt_client.post(url)
    assert anonymous.status_code == 401
    assert_not_found(
        await jwt_client.post("/jobs/0123456789abcdef/token", headers=issuer.headers("alice"))
    )
