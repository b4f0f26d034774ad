"""Job tokens under caller authentication (JOBSTREAM_API_AUTH=jwt, real signed JWTs): the owner's
credential is what controls a job, so no control token is handed out; GET /jobs hands out fresh,
short-lived view tokens that read the job but neither cancel it nor renew themselves."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.oidc_issuer import Issuer

pytestmark = pytest.mark.anyio

CREATE = {"type": "demo.count", "params": {"n": 2}}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_owner_gets_view_tokens_only_and_they_only_read(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    caller = bearer(issuer.token("u1"))
    created = (await jwt_client.post("/jobs", json=CREATE, headers=caller)).json()
    listed = (await jwt_client.get("/jobs", headers=caller)).json()["jobs"]
    minted = (await jwt_client.post(f"/jobs/{created['job_id']}/token", headers=caller)).json()

    assert created["control_token"] is None
    [item] = listed
    for answer in (created, item, minted):
        version, _, scope, expires_at, _ = answer["token"].split(".")
        assert (version, scope) == ("v2", "view")
        assert answer["expires_in"] == 600
        assert abs(int(expires_at) - (time.time() + 600)) < 5
    job = created["job_id"]
    # A listed view token reads the job (a shared view), and that is all it does.
    read = await jwt_client.get(f"/jobs/{job}", params={"token": item["token"]})
    cancel = await jwt_client.post(f"/jobs/{job}/cancel", params={"token": item["token"]})
    renew = await jwt_client.post(f"/jobs/{job}/token", headers=bearer(item["token"]))
    assert read.status_code == 200
    assert (cancel.status_code, renew.status_code) == (401, 401)
    # Two listings, two fresh tokens: nothing stored is handed out again.
    time.sleep(1.01)
    again = (await jwt_client.get("/jobs", headers=caller)).json()["jobs"]
    assert again[0]["token"] != item["token"]
