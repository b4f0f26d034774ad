"""Under caller authentication a job belongs to its caller: another caller cannot read, cancel or
list it (404, never 403: whether it exists is not theirs to know); GET /jobs pages the caller's
own jobs; quotas answer 429 with Retry-After; the IAM principal comes from the Lambda event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from mangum import Mangum
from mangum.types import LambdaContext

from jobstream.api import create_app
from jobstream.examples.demo import registry
from jobstream.invocation_context import InvocationContext
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_local.function_url_event import request_event
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.api.conftest import BASE_URL, bearer
from tests.oidc_issuer import Issuer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

CREATE = {"type": "demo.count", "params": {"n": 2}}


async def create(client: httpx.AsyncClient, issuer: Issuer, sub: str) -> dict[str, Any]:
    response = await client.post("/jobs", json=CREATE, headers=issuer.headers(sub))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "job_not_found"


async def test_a_caller_reads_and_cancels_its_own_jobs_with_its_credential_alone(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    job = await create(jwt_client, issuer, "alice")
    read = await jwt_client.get(f"/jobs/{job['job_id']}", headers=issuer.headers("alice"))
    assert read.status_code == 200
    assert read.json()["job_id"] == job["job_id"]
    cancelled = await jwt_client.post(
        f"/jobs/{job['job_id']}/cancel", headers=issuer.headers("alice")
    )
    assert cancelled.status_code == 202
    assert cancelled.json()["cancel_requested"] is True


async def test_another_caller_cannot_read_cancel_or_list_it(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    job = await create(jwt_client, issuer, "alice")
    job_id = job["job_id"]
    missing = await jwt_client.get("/jobs/0123456789abcdef", headers=issuer.headers("bob"))
    other = await jwt_client.get(f"/jobs/{job_id}", headers=issuer.headers("bob"))
    assert_not_found(other)
    # Word for word what a job that does not exist answers, bar the id.
    assert other.json()["error"]["message"].replace(job_id, "X") == missing.json()["error"][
        "message"
    ].replace("0123456789abcdef", "X")
    assert_not_found(await jwt_client.post(f"/jobs/{job_id}/cancel", headers=issuer.headers("bob")))
    listed = await jwt_client.get("/jobs", headers=issuer.headers("bob"))
    assert listed.json() == {"jobs": [], "next_cursor": None}
    # Nothing bob did touched alice's job.
    status = await jwt_client.get(f"/jobs/{job_id}", headers=issuer.headers("alice"))
    assert status.json()["cancel_requested"] is False


async def test_a_job_token_still_opens_a_shared_view_but_cannot_cancel(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    job = await create(jwt_client, issuer, "alice")
    job_id, token = job["job_id"], job["token"]
    # Bob (or no one at all) with the job's token may read it: the token is the shared view.
    shared = await jwt_client.get(f"/jobs/{job_id}", params={"token": token})
    assert shared.status_code == 200
    with_bob = await jwt_client.get(
        f"/jobs/{job_id}", params={"token": token}, headers=issuer.headers("bob")
    )
    assert with_bob.status_code == 200
    as_bearer = await jwt_client.get(f"/jobs/{job_id}", headers=bearer(token))
    assert as_bearer.status_code == 200
    # Cancelling is the owner's: the job's token is not enough, and bob's credential is a 404.
    alone = await jwt_client.post(f"/jobs/{job_id}/cancel", params={"token": token})
    assert alone.status_code == 401
    assert_not_found(
        await jwt_client.post(
            f"/jobs/{job_id}/cancel", params={"token": token}, headers=issuer.headers("bob")
        )
    )
    # A token for another job opens nothing.
    other = await create(jwt_client, issuer, "alice")
    wrong = await jwt_client.get(f"/jobs/{job_id}", params={"token": other["token"]})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthenticated"


async def test_listing_pages_newest_first_with_an_opaque_cursor(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    created = [(await create(jwt_client, issuer, "alice"))["job_id"] for _ in range(5)]
    await create(jwt_client, issuer, "bob")
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await jwt_client.get("/jobs", params=params, headers=issuer.headers("alice"))
        assert page.status_code == 200, page.text
        body = page.json()
        for item in body["jobs"]:
            seen.append(item["job_id"])
            assert item["status_url"].endswith(f"/jobs/{item['job_id']}")
            assert item["events_url"].endswith(f"/jobs/{item['job_id']}/events")
            # The listed token opens the job: a page that lost its state can resume the stream.
            opened = await jwt_client.get(item["status_url"], params={"token": item["token"]})
            assert opened.status_code == 200
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))


@pytest.mark.parametrize(
    "params",
    [{"cursor": "not-a-cursor"}, {"cursor": "WyIxIiwiL2V0Yy9wYXNzd2QiXQ"}, {"limit": 0}],
    ids=["garbage", "bad-job-id", "limit-0"],
)
async def test_a_bad_listing_request_is_a_4xx(
    jwt_client: httpx.AsyncClient, issuer: Issuer, params: dict[str, Any]
) -> None:
    response = await jwt_client.get("/jobs", params=params, headers=issuer.headers("alice"))
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("invalid_cursor", "invalid_request")


async def test_listing_without_caller_authentication_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/jobs")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "listing_unavailable"


async def test_idempotency_keys_are_per_caller(
    jwt_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    key = {"Idempotency-Key": "same-key"}
    alice = await jwt_client.post("/jobs", json=CREATE, headers={**issuer.headers("alice"), **key})
    bob = await jwt_client.post("/jobs", json=CREATE, headers={**issuer.headers("bob"), **key})
    again = await jwt_client.post("/jobs", json=CREATE, headers={**issuer.headers("alice"), **key})
    assert alice.status_code == bob.status_code == 201
    assert bob.json()["job_id"] != alice.json()["job_id"]
    assert bob.json()["token"] != alice.json()["token"]
    assert again.json()["job_id"] == alice.json()["job_id"]
    assert again.headers["idempotent-replayed"] == "true"


# --- quotas -------------------------------------------------------------------------------------
async def quota_client(settings: Settings, ddb: DynamoDBClient) -> httpx.AsyncClient:
    service = JobService(
        store=JobStore(settings, client=ddb),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=settings,
    )
    app = create_app(settings, service=service, dynamodb=ddb)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL)


@pytest.mark.usefixtures("monotonic")
async def test_the_active_jobs_limit_is_a_429_that_says_which_limit(
    jwt_settings: Settings, ddb: DynamoDBClient, issuer: Issuer
) -> None:
    settings = jwt_settings.with_changes({"max_active_jobs_per_caller": 2})
    async with await quota_client(settings, ddb) as client:
        for _ in range(2):
            await create(client, issuer, "alice")
        refused = await client.post("/jobs", json=CREATE, headers=issuer.headers("alice"))
        # Bob is not held to alice's limit.
        await create(client, issuer, "bob")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert error["details"]["limit"] == "active_jobs"
    assert error["details"]["maximum"] == 2
    assert int(refused.headers["retry-after"]) == error["details"]["retry_after_seconds"] >= 1


@pytest.mark.usefixtures("monotonic")
async def test_the_create_rate_limit_is_a_429_with_the_window_left(
    jwt_settings: Settings, ddb: DynamoDBClient, issuer: Issuer
) -> None:
    settings = jwt_settings.with_changes(
        {"max_creates_per_caller": 3, "create_rate_window_seconds": 60}
    )
    async with await quota_client(settings, ddb) as client:
        for _ in range(3):
            await create(client, issuer, "alice")
        refused = await client.post("/jobs", json=CREATE, headers=issuer.headers("alice"))
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["details"]["limit"] == "create_rate"
    assert error["details"]["maximum"] == 3
    assert 1 <= int(refused.headers["retry-after"]) <= 60


# --- IAM ----------------------------------------------------------------------------------------
@pytest.fixture
def event_loop_for_mangum() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def iam_event(method: str, path: str, arn: str | None, **kwargs: Any) -> dict[str, Any]:
    event = request_event(method, path, **kwargs)
    if arn is not None:
        event["requestContext"]["authorizer"] = {
            "iam": {
                "accessKey": "AKIAEXAMPLE",
                "accountId": "123456789012",
                "callerId": "AIDAEXAMPLE",
                "userArn": arn,
                "userId": "AIDAEXAMPLE",
            }
        }
    return event


@pytest.mark.usefixtures("event_loop_for_mangum")
def test_under_iam_the_caller_is_the_principal_lambda_reports(
    api_settings: Settings, ddb: DynamoDBClient
) -> None:
    settings = api_settings.with_changes({"api_auth": "iam"})
    service = JobService(
        store=JobStore(settings, client=ddb),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=settings,
    )
    adapter = Mangum(create_app(settings, service=service, dynamodb=ddb), lifespan="off")
    context = cast(LambdaContext, InvocationContext.for_timeout(10, function_name="api"))
    alice = "arn:aws:iam::123456789012:user/alice"
    bob = "arn:aws:iam::123456789012:user/bob"

    def call(event: dict[str, Any]) -> tuple[int, Any]:
        response = adapter(event, context)
        return response["statusCode"], json.loads(response["body"])

    status, created = call(iam_event("POST", "/jobs", alice, json_body=CREATE))
    assert status == 201
    job_id = created["job_id"]
    assert call(iam_event("GET", f"/jobs/{job_id}", alice))[0] == 200
    status, body = call(iam_event("GET", f"/jobs/{job_id}", bob))
    assert (status, body["error"]["code"]) == (404, "job_not_found")
    status, listed = call(iam_event("GET", "/jobs", alice))
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    assert call(iam_event("GET", "/jobs", bob))[1]["jobs"] == []
    # No principal (the URL is not AWS_IAM, or the event is not from Lambda): 401, not a 500.
    status, body = call(iam_event("POST", "/jobs", None, json_body=CREATE))
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    assert "SigV4" in body["error"]["message"]
