"""Every file in events/ through the handler it is for: the answer each scenario should give."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.invocation_context import InvocationContext
from jobstream.response_stream.response import StreamingResponse
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore
from jobstream_client.sse import ServerSentEvent, SSEParser
from jobstream_local.invoke import SeededJob, placeholders_in, seed_job
from tests.clock import FakeClock
from tests.conftest import load_handler_module
from tests.functional.deploy.conftest import (
    SMALL_JOB,
    STREAM_BASE_URL,
    TOKEN_KEY,
    event_files,
    load_event,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Ids of SMALL_JOB's log once finished: n progress events, then complete.
FINISHED_IDS = [str(i) for i in range(1, SMALL_JOB["n"] + 2)]


def invoke(function: str, event: dict[str, Any]) -> Any:
    handler = load_handler_module(function).handler
    return handler(event, InvocationContext.for_timeout(60, function_name=f"stack-{function}"))


def api_body(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["headers"]["content-type"] == "application/json"
    body = json.loads(reply["body"])
    assert isinstance(body, dict)
    return body


def sse_events(response: StreamingResponse) -> list[ServerSentEvent]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    parser = SSEParser()
    events = [event for chunk in response.body for event in parser.feed(chunk)]
    return events + parser.end()


# --- one test per file ---
def test_api_create_job(deployed_settings: object) -> None:
    reply = invoke("api", load_event("api_create_job.json"))

    assert reply["statusCode"] == 201
    body = api_body(reply)
    assert body["status"] == "queued"
    assert body["events_url"] == f"{STREAM_BASE_URL}jobs/{body['job_id']}/events"
    TokenSigner(TOKEN_KEY.encode()).verify(body["token"], body["job_id"])


def test_api_job_status(queued_job: SeededJob) -> None:
    reply = invoke("api", load_event("api_job_status.json", queued_job))

    assert reply["statusCode"] == 200
    body = api_body(reply)
    assert (body["job_id"], body["status"]) == (queued_job.job_id, "queued")


def test_api_cancel_job(queued_job: SeededJob, store: JobStore) -> None:
    reply = invoke("api", load_event("api_cancel_job.json", queued_job))

    assert reply["statusCode"] == 202
    assert api_body(reply)["cancel_requested"] is True
    assert store.get_job(queued_job.job_id).cancel_requested


def test_stream_from_start(finished_job: SeededJob) -> None:
    response = invoke("stream", load_event("stream_from_start.json", finished_job))

    events = sse_events(response)
    assert [e.id for e in events] == FINISHED_IDS
    assert [e.event for e in events] == ["progress"] * SMALL_JOB["n"] + ["complete"]


def test_stream_resume(finished_job: SeededJob) -> None:
    event = load_event("stream_resume.json", finished_job)
    assert event["headers"]["last-event-id"] == "3"

    events = sse_events(invoke("stream", event))

    assert [e.id for e in events] == FINISHED_IDS[3:]


def test_stream_bad_last_event_id(finished_job: SeededJob) -> None:
    response = invoke("stream", load_event("stream_bad_last_event_id.json", finished_job))

    assert response.status_code == 400
    assert json.loads(b"".join(response.body))["error"]["code"] == "invalid_last_event_id"


def test_worker_continue(queued_job: SeededJob, store: JobStore) -> None:
    reply = invoke("worker", load_event("worker_continue.json", queued_job))

    assert reply["outcome"] == "finished"
    job = store.get_job(queued_job.job_id)
    assert job.status is JobStatus.SUCCEEDED
    assert job.last_event_id == SMALL_JOB["n"] + 1


def test_sweep_scheduled(deployed_settings: Settings, ddb: DynamoDBClient, store: JobStore) -> None:
    """The schedule's event: the sweep ends a job nobody opened long ago (its clock in the past
    by more than the wait) and leaves a fresh one alone."""
    wait = deployed_settings.abandon_after_seconds
    past = JobStore(deployed_settings, client=ddb, clock=FakeClock(time.time() - 2 * wait))
    old = seed_job(deployed_settings, params=SMALL_JOB, store=past)
    fresh = seed_job(deployed_settings, params=SMALL_JOB, store=store)

    reply = invoke("sweep", load_event("sweep_scheduled.json"))

    assert reply["ended"] == 1
    assert store.get_job(old.job_id).status is JobStatus.FAILED
    assert [e.type for e in store.events_after(old.job_id, 0)] == ["error"]
    assert store.get_job(fresh.job_id).status is JobStatus.QUEUED


# --- the set of files ---
TESTED: dict[str, Callable[..., None]] = {
    "api_create_job.json": test_api_create_job,
    "api_job_status.json": test_api_job_status,
    "api_cancel_job.json": test_api_cancel_job,
    "stream_from_start.json": test_stream_from_start,
    "stream_resume.json": test_stream_resume,
    "stream_bad_last_event_id.json": test_stream_bad_last_event_id,
    "worker_continue.json": test_worker_continue,
    "sweep_scheduled.json": test_sweep_scheduled,
}


def test_every_event_file_has_a_test_above() -> None:
    assert sorted(path.name for path in event_files()) == sorted(TESTED)


@pytest.mark.parametrize("path", event_files(), ids=lambda path: path.name)
def test_event_files_are_small_and_use_only_known_placeholders(path: Any) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= 40
    assert placeholders_in(json.loads(text)) <= {"job_id", "token"}


@pytest.mark.parametrize(
    "path",
    [p for p in event_files() if p.name.startswith(("api", "stream"))],
    ids=lambda path: path.name,
)
def test_http_events_have_the_function_url_shape(path: Any) -> None:
    event = json.loads(path.read_text())
    assert event["version"] == "2.0"
    assert event["rawPath"] == event["requestContext"]["http"]["path"]
    assert all(name == name.lower() for name in event["headers"])
    assert "pathParameters" not in event  # Function URLs have no routes
