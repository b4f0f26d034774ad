"""Idempotency-Key on POST /jobs (Powertools Idempotency, records in the jobs table).

Documented behaviour: the key selects the record and the body is validated against it, so the same
key with a different body is refused with 422 ``idempotency_key_reused`` (Powertools raises
IdempotencyValidationError) rather than creating or returning a job. A create that fails leaves no
record (Powertools deletes it), so the same key can be retried. A second request while the first
is still running gets 409 ``idempotency_in_progress``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import anyio.from_thread
import httpx
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)

from jobstream.api import create_app
from jobstream.api.idempotency import IDEMPOTENCY_PARTITION, KEY_PREFIX, IdempotentCreate
from jobstream.auth.tokens import TokenSigner
from jobstream.invocation_context import InvocationContext
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store.models import Job, JobPage, JSONObject
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.api.conftest import BASE_URL

if TYPE_CHECKING:
    from fastapi import FastAPI
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

BODY = {"type": "demo.count", "params": {"n": 5}}


def _job_items(ddb: DynamoDBClient, settings: Settings) -> list[str]:
    items = ddb.scan(TableName=settings.table)["Items"]
    return sorted(item["pk"]["S"] for item in items if item["sk"]["S"] == "META")


async def test_same_key_returns_the_same_job_and_a_token_for_it(
    client: httpx.AsyncClient,
    ddb: DynamoDBClient,
    api_settings: Settings,
    invoker: RecordingInvoker,
    signer: TokenSigner,
) -> None:
    headers = {"Idempotency-Key": "order-42"}

    first = await client.post("/jobs", json=BODY, headers=headers)
    again = await client.post("/jobs", json=BODY, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["job_id"] == first.json()["job_id"]
    signer.verify(again.json()["token"], first.json()["job_id"])
    signer.verify(again.json()["control_token"], first.json()["job_id"], scope="control")
    assert again.json()["events_url"] == first.json()["events_url"]
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert len(_job_items(ddb, api_settings)) == 1
    assert len(invoker.calls) == 1


async def test_equal_bodies_match_whatever_their_formatting(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k-format", "Content-Type": "application/json"}

    first = await client.post("/jobs", json=BODY, headers=headers)
    again = await client.post(
        "/jobs",
        content=b'{ "params" : { "n" : 5 },  "type" : "demo.count" }',
        headers=headers,
    )

    assert again.json()["job_id"] == first.json()["job_id"]


async def test_different_keys_create_different_jobs(
    client: httpx.AsyncClient, ddb: DynamoDBClient, api_settings: Settings
) -> None:
    first = await client.post("/jobs", json=BODY, headers={"Idempotency-Key": "a"})
    second = await client.post("/jobs", json=BODY, headers={"Idempotency-Key": "b"})
    unkeyed = await client.post("/jobs", json=BODY)

    ids = {first.json()["job_id"], second.json()["job_id"], unkeyed.json()["job_id"]}
    assert len(ids) == 3
    assert len(_job_items(ddb, api_settings)) == 3


async def test_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, ddb: DynamoDBClient, api_settings: Settings
) -> None:
    headers = {"Idempotency-Key": "reused"}
    await client.post("/jobs", json=BODY, headers=headers)

    response = await client.post(
        "/jobs", json={"type": "demo.count", "params": {"n": 6}}, headers=headers
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert len(_job_items(ddb, api_settings)) == 1


async def test_a_failed_create_does_not_use_up_the_key(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "after-failure"}
    body = {"type": "demo.count", "params": {"n": 0}}

    first = await client.post("/jobs", json=body, headers=headers)
    again = await client.post("/jobs", json=body, headers=headers)
    fixed = await client.post("/jobs", json=BODY, headers={"Idempotency-Key": "after-failure-2"})

    assert (first.status_code, again.status_code) == (422, 422)
    assert again.json()["error"]["code"] == "invalid_params"
    assert fixed.status_code == 201


async def test_records_live_in_the_jobs_table_and_expire(
    client: httpx.AsyncClient, ddb: DynamoDBClient, api_settings: Settings
) -> None:
    await client.post("/jobs", json=BODY, headers={"Idempotency-Key": "ttl"})

    items = ddb.query(
        TableName=api_settings.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": IDEMPOTENCY_PARTITION}},
    )["Items"]

    assert len(items) == 1
    assert items[0]["status"]["S"] == "COMPLETED"
    assert int(items[0]["expires_at"]["N"]) > 0
    # Only a SHA-256 of the key is stored, never the key itself.
    prefix, _, digest = items[0]["sk"]["S"].rpartition("#")
    assert prefix == KEY_PREFIX
    assert re.fullmatch("[0-9a-f]{64}", digest)


@pytest.mark.parametrize("key", [b"", b"x" * 256, "naïve".encode(), b"with space"])
async def test_malformed_key_is_a_422(client: httpx.AsyncClient, key: bytes) -> None:
    response = await client.post("/jobs", json=BODY, headers=[(b"Idempotency-Key", key)])

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_retry_while_the_first_runs_is_refused(
    api_settings: Settings, ddb: DynamoDBClient
) -> None:
    runner = IdempotentCreate(settings=api_settings, client_factory=lambda: ddb)
    deadline = InvocationContext.for_timeout(30)
    inner_errors: list[Exception] = []

    def first_create() -> JSONObject:
        # The "retry" arrives while the first call is in progress.
        try:
            runner.run(key="k", body=BODY, remaining_time=deadline, create=lambda: {"n": 2})
        except IdempotencyAlreadyInProgressError as exc:
            inner_errors.append(exc)
        return {"n": 1}

    assert runner.run(key="k", body=BODY, remaining_time=deadline, create=first_create) == {"n": 1}
    assert len(inner_errors) == 1


async def test_a_retry_while_the_first_runs_is_a_409_over_http(
    api_settings: Settings, service: JobService, ddb: DynamoDBClient
) -> None:
    retries: list[httpx.Response] = []

    class RetryDuringCreate:
        """The real service, but the client retries while the first create is running."""

        def create(
            self,
            type: str,
            params: JSONObject,
            /,
            *,
            owner: str | None = None,
            address: str | None = None,
        ) -> Job:
            retries.append(anyio.from_thread.run(post))
            return service.create(type, params, owner=owner)

        def status(
            self, job_id: str, /, *, owner: str | None = None, former_owner: str | None = None
        ) -> Job:
            return service.status(job_id, owner=owner, former_owner=former_owner)

        def cancel(
            self, job_id: str, /, *, owner: str | None = None, former_owner: str | None = None
        ) -> Job:
            return service.cancel(job_id, owner=owner, former_owner=former_owner)

        def list_jobs(
            self,
            owner: str,
            /,
            *,
            limit: int,
            cursor: str | None = None,
            former_owner: str | None = None,
        ) -> JobPage:
            return service.list_jobs(owner, limit=limit, cursor=cursor, former_owner=former_owner)

    app = create_app(api_settings, service=RetryDuringCreate(), dynamodb=ddb)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client:

        async def post() -> httpx.Response:
            return await client.post("/jobs", json=BODY, headers={"Idempotency-Key": "busy"})

        first = await post()

    assert first.status_code == 201
    assert [r.status_code for r in retries] == [409]
    assert retries[0].json()["error"]["code"] == "idempotency_in_progress"
    assert retries[0].headers["retry-after"] == "1"


async def test_a_replay_mints_fresh_tokens_instead_of_handing_out_stored_ones(
    client: httpx.AsyncClient, api_settings: Settings, service: JobService, ddb: DynamoDBClient
) -> None:
    """The idempotency record keeps no token: a replay after the key rotated gets tokens of the
    new key (a stored one would be handed out, unchanged, for as long as the record lives)."""
    headers = {"Idempotency-Key": "order-rotated"}
    first = await client.post("/jobs", json=BODY, headers=headers)
    new_key = "n" * 48
    rotated = create_app(
        api_settings.with_changes({"token_key": new_key}), service=service, dynamodb=ddb
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(rotated), base_url=BASE_URL
    ) as after_rotation:
        again = await after_rotation.post("/jobs", json=BODY, headers=headers)

    assert again.headers["idempotent-replayed"] == "true"
    job_id = first.json()["job_id"]
    assert again.json()["job_id"] == job_id
    assert again.json()["token"] != first.json()["token"]
    assert again.json()["control_token"] != first.json()["control_token"]
    TokenSigner(new_key.encode()).verify(again.json()["token"], job_id)
    TokenSigner(new_key.encode()).verify(again.json()["control_token"], job_id, scope="control")
    stored = json.dumps(ddb.scan(TableName=api_settings.table)["Items"])
    assert first.json()["token"] not in stored
    assert first.json()["control_token"] not in stored


def _client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app, client=(address, 40_000)), base_url=BASE_URL
    )


async def test_under_none_a_key_guessed_from_another_address_never_returns_the_job(
    app: FastAPI, ddb: DynamoDBClient, api_settings: Settings
) -> None:
    """Issue 22: with no caller, a key seen or guessed elsewhere (the same body too) is another
    request: the guesser gets a job of its own, never the first client's job or token; the
    first client's own retry still gets its first answer."""
    assert api_settings.api_auth == "none"
    headers = {"Idempotency-Key": "order-42"}
    async with (
        _client_from(app, "203.0.113.7") as owner,
        _client_from(app, "198.51.100.2") as guesser,
    ):
        first = await owner.post("/jobs", json=BODY, headers=headers)
        guessed = await guesser.post("/jobs", json=BODY, headers=headers)
        retried = await owner.post("/jobs", json=BODY, headers=headers)

    assert (first.status_code, guessed.status_code, retried.status_code) == (201, 201, 201)
    assert guessed.json()["job_id"] != first.json()["job_id"]
    assert guessed.json()["token"] != first.json()["token"]
    assert "idempotent-replayed" not in guessed.headers
    assert retried.json()["job_id"] == first.json()["job_id"]
    assert retried.headers["idempotent-replayed"] == "true"
    assert len(_job_items(ddb, api_settings)) == 2
