"""The API and the stream answer the same refusal the same way: one table (jobstream.http_errors).

Both real surfaces are driven with the same requests over the same store: the jobs API app
(``GET /jobs/{id}``, through its ASGI interface) and the stream function's ``open_stream`` (a
Function URL event, as Lambda hands it over). Each refusal must come back from both with the same
status, body and the headers a client acts on (``WWW-Authenticate``, ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from jobstream.api import create_app
from jobstream.auth.tokens import TokenExpired, TokenMissing, TokenSigner
from jobstream.composition import StreamDependencies, open_stream
from jobstream.examples.demo import registry
from jobstream.http_errors import ANSWERS, RULES, answer_for
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.store.errors import JobNotFound, StoreRequestFailed
from jobstream.store.models import Job
from jobstream.store.stream_slots import SlotsSeen
from jobstream_sandbox.invokers import RecordingInvoker
from tests.clock import FakeClock
from tests.unit.tail.function_url import function_url_event

KEY = "k" * 48
JOB_ID = "job-1"
NOW = 1_700_000_000.0
# What a client acts on besides the status and the body.
CLIENT_HEADERS = ("www-authenticate", "retry-after", "allow")


class RefusingStore(JobStore):
    """A store whose job read fails with ``error`` (the refusals under test happen before any
    other read)."""

    def __init__(self, settings: Settings, error: Exception) -> None:
        super().__init__(settings, clock=FakeClock(NOW))
        self.error = error

    def get_job(self, job_id: str) -> Job:
        raise self.error

    def read_job_and_slots(self, job_id: str) -> tuple[Job, SlotsSeen]:
        # The stream's job read (with the job's stream slots, in one request).
        raise self.error


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def api_answer(settings: Settings, store: JobStore, headers: dict[str, str]) -> dict[str, Any]:
    service = JobService(
        store=store, registry=registry(), invoker=RecordingInvoker(), settings=settings
    )
    app = create_app(settings, service=service)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            return await client.get(f"/jobs/{JOB_ID}", headers=headers)

    response = asyncio.run(get())
    return {
        "status": response.status_code,
        "body": response.json(),
        "headers": {h: response.headers.get(h) for h in CLIENT_HEADERS},
    }


def stream_answer(settings: Settings, store: JobStore, headers: dict[str, str]) -> dict[str, Any]:
    event = function_url_event(f"/jobs/{JOB_ID}/events", headers=headers)
    response = open_stream(
        event, Context(), dependencies=lambda: StreamDependencies(settings=settings, store=store)
    )
    lowered = {k.lower(): v for k, v in response.headers.items()}
    return {
        "status": response.status_code,
        "body": json.loads(b"".join(response.body)),
        "headers": {h: lowered.get(h) for h in CLIENT_HEADERS},
    }


def token(kind: str) -> str | None:
    # Issued on the system clock: both surfaces check tokens on it.
    signer = TokenSigner(KEY.encode())
    past = time.time() - 120
    return {
        "none": None,
        "garbage": "not-a-token",
        "malformed": "v1.soon.not-a-mac",
        "other job": signer.issue("job-2", ttl_seconds=60),
        "expired": TokenSigner(KEY.encode(), clock=FakeClock(past)).issue(JOB_ID, ttl_seconds=60),
        "valid": signer.issue(JOB_ID, ttl_seconds=60),
    }[kind]


@pytest.mark.parametrize(
    ("credential", "store_error", "status", "code"),
    [
        ("none", JobNotFound(JOB_ID), 401, "token_missing"),
        ("garbage", JobNotFound(JOB_ID), 403, "token_invalid"),
        ("malformed", JobNotFound(JOB_ID), 403, "token_invalid"),
        ("other job", JobNotFound(JOB_ID), 403, "token_invalid"),
        ("expired", JobNotFound(JOB_ID), 403, "token_invalid"),
        ("valid", JobNotFound(JOB_ID), 404, "job_not_found"),
        ("valid", StoreRequestFailed("GetItem", "InternalServerError"), 503, "unavailable"),
    ],
)
def test_the_api_and_the_stream_answer_a_refusal_alike(
    credential: str, store_error: Exception, status: int, code: str
) -> None:
    settings = Settings(table="t", token_key=KEY, worker_function="worker")
    store = RefusingStore(settings, store_error)
    sent = token(credential)
    headers = {} if sent is None else {"Authorization": f"Bearer {sent}"}

    api = api_answer(settings, store, headers)
    stream = stream_answer(settings, store, headers)

    assert api == stream
    assert api["status"] == status
    assert api["body"]["error"]["code"] == code
    assert "InternalServerError" not in json.dumps(api["body"])
    if sent is not None:
        assert sent not in json.dumps(api["body"])


def test_auth_refusals_carry_their_bearer_challenge() -> None:
    # RFC 6750 section 3: the bare challenge without a credential, "invalid_token" for a bad one.
    settings = Settings(table="t", token_key=KEY, worker_function="worker")
    store = RefusingStore(settings, JobNotFound(JOB_ID))
    missing = stream_answer(settings, store, {})
    invalid = api_answer(settings, store, {"Authorization": "Bearer not-a-token"})
    assert missing["headers"]["www-authenticate"] == "Bearer"
    assert invalid["headers"]["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_store_outage_says_when_to_retry() -> None:
    settings = Settings(table="t", token_key=KEY, worker_function="worker")
    store = RefusingStore(settings, StoreRequestFailed("GetItem", "InternalServerError"))
    answer = stream_answer(settings, store, {"Authorization": f"Bearer {token('valid')}"})
    assert answer["headers"]["retry-after"] == "1"


def test_every_rule_is_for_its_own_class_and_the_nearest_one_wins() -> None:
    assert len(ANSWERS) == len(RULES)
    # TokenMissing has a rule of its own; its family's (TokenError) answers the rest.
    missing, expired = answer_for(TokenMissing()), answer_for(TokenExpired())
    assert missing is not None
    assert missing.status == 401
    assert expired is not None
    assert expired.status == 403
    assert answer_for(RuntimeError("not ours")) is None
