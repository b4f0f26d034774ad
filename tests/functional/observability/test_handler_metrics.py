"""The deployed worker and stream handlers publish their metrics in the configured namespace."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.invocation_context import InvocationContext
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_client.sse import SSEParser
from jobstream_local.invoke import SeededJob, fill_placeholders, seed_job
from tests.conftest import REPO_ROOT, load_handler_module
from tests.functional.observability.conftest import NAMESPACE
from tests.unit.observability.emf import emf_documents, namespaces, values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

N = 5  # the seeded job: N progress events, then complete


def _event(name: str, job: SeededJob, **headers: str) -> Any:
    event = fill_placeholders(
        json.loads((REPO_ROOT / "events" / name).read_text()), job.placeholders()
    )
    assert isinstance(event, dict)
    event.get("headers", {}).update(headers)
    return event


def _context(function: str) -> InvocationContext:
    return InvocationContext.for_timeout(60, function_name=f"stack-{function}")


@pytest.fixture
def job(deployed: Settings, ddb: DynamoDBClient) -> SeededJob:
    return seed_job(
        deployed, params={"n": N, "interval_ms": 0}, store=JobStore(deployed, client=ddb)
    )


def test_worker_publishes_events_emitted_and_its_chunk(
    job: SeededJob, capsys: pytest.CaptureFixture[str]
) -> None:
    worker = load_handler_module("worker")
    capsys.readouterr()

    reply = worker.handler(_event("worker_continue.json", job), _context("worker"))

    documents = emf_documents(capsys.readouterr().out)
    assert namespaces(documents) == {NAMESPACE}
    assert sum(values(documents, "EventsEmitted")) == N + 1
    assert values(documents, "WorkerHops") == [1.0]
    assert values(documents, "ChunkSteps") == [reply["steps"]]
    [duration] = values(documents, "ChunkDuration")
    assert duration > 0
    # Coalescing: never more writes than events (plus the hop counter and final writes).
    assert sum(values(documents, "EventLogWrites")) <= N + 3


@pytest.mark.parametrize(
    ("last_event_id", "streamed", "reconnects"), [(None, N + 1, []), ("2", N - 1, [1.0])]
)
def test_stream_publishes_when_the_stream_ends(
    job: SeededJob,
    capsys: pytest.CaptureFixture[str],
    last_event_id: str | None,
    streamed: int,
    reconnects: list[float],
) -> None:
    load_handler_module("worker").handler(_event("worker_continue.json", job), _context("worker"))
    stream = load_handler_module("stream")
    headers = {} if last_event_id is None else {"last-event-id": last_event_id}
    capsys.readouterr()

    response = stream.handler(_event("stream_from_start.json", job, **headers), _context("stream"))
    published_before_body = emf_documents(capsys.readouterr().out)
    parser = SSEParser()
    events = [event for chunk in response.body for event in parser.feed(chunk)]

    assert len(events) == streamed
    assert published_before_body == []  # the handler returned before the stream ran
    documents = emf_documents(capsys.readouterr().out)
    assert namespaces(documents) == {NAMESPACE}
    assert values(documents, "Streams") == [1.0]
    assert values(documents, "Reconnects") == reconnects
    assert values(documents, "EventsStreamed") == [float(streamed)]
    # The job had finished before the stream opened: everything sent was a replay.
    assert values(documents, "EventsReplayed") == [float(streamed)]
