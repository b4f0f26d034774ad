"""GET /jobs/{id} and POST /jobs/{id}/cancel: what they report and who may call them."""

from __future__ import annotations

import time

import httpx
import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.store.models import JobStatus, NewEvent
from jobstream_sandbox.invokers import RecordingInvoker
from tests.clock import FakeClock
from tests.functional.api.conftest import bearer

pytestmark = pytest.mark.anyio


async def _create(client: httpx.AsyncClient) -> tuple[str, str]:
    """A new job's id and view token."""
    job_id, token, _ = await _create_with_control(client)
    return job_id, token


async def _create_with_control(client: httpx.AsyncClient) -> tuple[str, str, str]:
    """A new job's id, view token and control token (ApiAuth none: its creator keeps it)."""
    response = await client.post("/jobs", json={"type": "demo.count", "params": {"n": 2}})
    assert response.status_code == 201
    body = response.json()
    return body["job_id"], body["token"], body["control_token"]


async def test_status_of_a_new_job(client: httpx.AsyncClient) -> None:
    job_id, token = await _create(client)

    response = await client.get(f"/jobs/{job_id}", headers=bearer(token))

    assert response.status_code == 200
    body = response.json()
    assert body["job_id"] == job_id
    assert body["type"] == "demo.count"
    assert body["status"] == "queued"
    assert body["progress"] is None
    assert body["last_event_id"] == 0
    assert body["result"] is None
    assert body["error"] is None
    assert body["cancel_requested"] is False
    # The stream's absolute URL, so a client holding only the job id and token can attach.
    assert body["events_url"].startswith("http")
    assert body["events_url"].endswith(f"/jobs/{job_id}/events")


async def test_status_reports_latest_progress_last_event_id_and_result(
    client: httpx.AsyncClient, store: JobStore
) -> None:
    job_id, token = await _create(client)
    lease, _ = store.acquire_lease(job_id, duration_s=30)
    store.append(
        lease,
        [
            NewEvent("progress", {"done": 1, "total": 2}),
            NewEvent("progress", {"done": 2, "total": 2}),
            NewEvent("complete", {"result": {"counted": 2}}),
        ],
        after_id=0,
        status=JobStatus.SUCCEEDED,
        result={"counted": 2},
    )

    body = (await client.get(f"/jobs/{job_id}", headers=bearer(token))).json()

    assert body["status"] == "succeeded"
    assert body["progress"] == {"done": 2, "total": 2}
    assert body["last_event_id"] == 3
    assert body["result"] == {"counted": 2}
    assert body["error"] is None


async def test_status_reports_a_failure_message(client: httpx.AsyncClient, store: JobStore) -> None:
    job_id, token = await _create(client)
    lease, _ = store.acquire_lease(job_id, duration_s=30)
    store.append(
        lease,
        [NewEvent("error", {"message": "step 2 failed"})],
        after_id=0,
        status=JobStatus.FAILED,
        error="step 2 failed",
    )

    body = (await client.get(f"/jobs/{job_id}", params={"token": token})).json()

    assert (body["status"], body["error"], body["result"]) == ("failed", "step 2 failed", None)


async def test_token_may_come_from_the_query(client: httpx.AsyncClient) -> None:
    job_id, token = await _create(client)

    response = await client.get(f"/jobs/{job_id}", params={"token": token})

    assert response.status_code == 200


@pytest.mark.parametrize("method", ["GET", "CANCEL"])
async def test_missing_token_is_a_401(client: httpx.AsyncClient, method: str) -> None:
    job_id, _ = await _create(client)

    if method == "GET":
        response = await client.get(f"/jobs/{job_id}")
    else:
        response = await client.post(f"/jobs/{job_id}/cancel")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_missing"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_non_bearer_authorization_counts_as_missing(client: httpx.AsyncClient) -> None:
    job_id, _ = await _create(client)

    response = await client.get(f"/jobs/{job_id}", headers={"Authorization": "Basic dTpw"})

    assert response.status_code == 401


async def test_other_jobs_token_is_a_403(client: httpx.AsyncClient) -> None:
    job_id, _ = await _create(client)
    _, other_token = await _create(client)

    get = await client.get(f"/jobs/{job_id}", headers=bearer(other_token))
    cancel = await client.post(f"/jobs/{job_id}/cancel", headers=bearer(other_token))

    assert (get.status_code, cancel.status_code) == (403, 403)
    assert get.json()["error"]["code"] == "token_invalid"


@pytest.mark.parametrize("token", ["garbage", "v1.1.AAAA", "v1.x.y", "x" * 600])
async def test_bad_token_is_a_403_and_never_echoed(client: httpx.AsyncClient, token: str) -> None:
    job_id, _ = await _create(client)

    response = await client.get(f"/jobs/{job_id}", headers=bearer(token))

    assert response.status_code == 403
    assert token not in response.text


async def test_expired_token_is_a_403(client: httpx.AsyncClient) -> None:
    job_id, _ = await _create(client)
    from tests.functional.api.conftest import TOKEN_KEY

    expired = TokenSigner(TOKEN_KEY.encode(), clock=FakeClock(1_000.0)).issue(job_id, ttl_seconds=1)

    response = await client.get(f"/jobs/{job_id}", headers=bearer(expired))

    assert response.status_code == 403
    assert "expired" in response.json()["error"]["message"]


async def test_unknown_job_with_a_valid_token_is_a_404(
    client: httpx.AsyncClient, signer: TokenSigner
) -> None:
    token = signer.issue("doesnotexist", ttl_seconds=60)
    control = signer.issue("doesnotexist", ttl_seconds=60, scope="control")

    get = await client.get("/jobs/doesnotexist", headers=bearer(token))
    cancel = await client.post("/jobs/doesnotexist/cancel", headers=bearer(control))

    assert (get.status_code, cancel.status_code) == (404, 404)
    assert get.json()["error"]["code"] == "job_not_found"


async def test_id_that_cannot_name_a_job_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/jobs/not%20an%20id")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "job_not_found"


async def test_cancel_is_accepted_and_idempotent(
    client: httpx.AsyncClient, store: JobStore, invoker: RecordingInvoker
) -> None:
    job_id, _, control = await _create_with_control(client)

    first = await client.post(f"/jobs/{job_id}/cancel", headers=bearer(control))
    second = await client.post(f"/jobs/{job_id}/cancel", headers=bearer(control))

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["cancel_requested"] is True
    assert second.json()["cancel_requested"] is True
    assert second.json()["job_id"] == job_id
    assert second.json()["events_url"].endswith(f"/jobs/{job_id}/events")
    assert store.get_job(job_id).cancel_requested is True


async def test_cancel_of_a_finished_job_is_still_accepted(
    client: httpx.AsyncClient, store: JobStore
) -> None:
    job_id, _, control = await _create_with_control(client)
    lease, _ = store.acquire_lease(job_id, duration_s=30)
    store.append(lease, [NewEvent("complete", {})], after_id=0, status=JobStatus.SUCCEEDED)

    response = await client.post(f"/jobs/{job_id}/cancel", headers=bearer(control))

    assert response.status_code == 202
    assert response.json()["status"] == "succeeded"


async def test_status_names_the_jobs_durable_execution_once_it_has_one(
    client: httpx.AsyncClient, store: JobStore
) -> None:
    job_id, token = await _create(client)
    assert (await client.get(f"/jobs/{job_id}", headers=bearer(token))).json()[
        "execution_id"
    ] is None

    arn = "arn:aws:lambda:us-east-1:123456789012:function:jobs-worker:live/durable-execution/x/y"
    store.claim_execution(job_id, arn)

    assert (await client.get(f"/jobs/{job_id}", headers=bearer(token))).json()[
        "execution_id"
    ] == arn


async def test_without_caller_authentication_a_token_is_exchanged_for_a_fresh_one(
    client: httpx.AsyncClient,
) -> None:
    job_id, _, control = await _create_with_control(client)

    minted = await client.post(f"/jobs/{job_id}/token", headers=bearer(control))

    assert minted.status_code == 200, minted.text
    fresh = minted.json()["token"]
    assert (await client.get(f"/jobs/{job_id}", headers=bearer(fresh))).status_code == 200
    missing = await client.post(f"/jobs/{job_id}/token")
    assert missing.status_code == 401
    other_id, _ = await _create(client)
    refused = await client.post(f"/jobs/{other_id}/token", headers=bearer(control))
    assert refused.status_code == 403


async def test_a_view_token_reads_but_neither_cancels_nor_renews_itself(
    client: httpx.AsyncClient, store: JobStore
) -> None:
    """Sharing a view link shares the watching, not the cancel button, and a leaked link dies
    with its token (it cannot be exchanged for a fresh one)."""
    job_id, view, _ = await _create_with_control(client)

    read = await client.get(f"/jobs/{job_id}", headers=bearer(view))
    cancel = await client.post(f"/jobs/{job_id}/cancel", headers=bearer(view))
    renew = await client.post(f"/jobs/{job_id}/token", headers=bearer(view))

    assert read.status_code == 200
    assert (cancel.status_code, renew.status_code) == (403, 403)
    assert "control token" in cancel.json()["error"]["message"]
    assert store.get_job(job_id).cancel_requested is False


async def test_a_control_token_is_refused_in_a_url(
    client: httpx.AsyncClient, store: JobStore
) -> None:
    job_id, _, control = await _create_with_control(client)

    read = await client.get(f"/jobs/{job_id}", params={"token": control})
    cancel = await client.post(f"/jobs/{job_id}/cancel", params={"token": control})

    assert (read.status_code, cancel.status_code) == (403, 403)
    assert "never accepted in a URL" in cancel.json()["error"]["message"]
    assert store.get_job(job_id).cancel_requested is False
    assert (await client.get(f"/jobs/{job_id}", headers=bearer(control))).status_code == 200


async def test_view_tokens_live_minutes_and_control_tokens_are_for_the_creator(
    client: httpx.AsyncClient, api_settings: Settings
) -> None:
    response = await client.post("/jobs", json={"type": "demo.count", "params": {"n": 2}})
    body = response.json()

    view_expiry = int(body["token"].split(".")[3])
    control_expiry = int(body["control_token"].split(".")[3])
    assert body["expires_in"] == api_settings.token_ttl_seconds == 600
    assert abs(view_expiry - (time.time() + 600)) < 5
    assert abs(control_expiry - (time.time() + api_settings.control_token_ttl_seconds)) < 5
    assert (body["token"].split(".")[2], body["control_token"].split(".")[2]) == ("view", "control")
