from __future__ import annotations

import json
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.invocation_context import InvocationContext
from jobstream.lazy import Lazy
from jobstream.response_stream.response import StreamingResponse, is_streaming_handler
from jobstream.settings import Settings
from jobstream.store import JobMode, JobStatus, JobStore
from tests.conftest import load_handler_module
from tests.unit.tail.conftest import SIGNING_KEY, LogWriter, SerializedClient, parse_sse
from tests.unit.tail.function_url import function_url_event

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.unit


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("JOBSTREAM_TABLE", settings.table)
    monkeypatch.setenv("JOBSTREAM_REGION", settings.region)
    monkeypatch.setenv("JOBSTREAM_TOKEN_KEY", SIGNING_KEY.decode())
    monkeypatch.setenv("JOBSTREAM_STREAM_MAX_SECONDS", "5")
    return load_handler_module("stream")


def invoke(app: ModuleType, event: dict[str, Any]) -> StreamingResponse:
    response = app.handler(event, InvocationContext.for_timeout(60, function_name="stream"))
    assert isinstance(response, StreamingResponse)
    return response


def json_body(response: StreamingResponse) -> dict[str, Any]:
    payload = json.loads(b"".join(response.body))
    assert isinstance(payload, dict)
    return payload


@pytest.fixture
def finished_job(store: JobStore, new_job: Callable[..., str]) -> str:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(5)
    writer.finish()
    return job_id


def test_handler_is_marked_for_the_streaming_runtime(app: ModuleType) -> None:
    assert is_streaming_handler(app.handler)


def test_streams_a_job_with_the_token_in_the_header(
    app: ModuleType, signer: TokenSigner, finished_job: str
) -> None:
    token = signer.issue(finished_job, ttl_seconds=60)
    response = invoke(
        app,
        function_url_event(
            f"/jobs/{finished_job}/events",
            headers={"Authorization": f"Bearer {token}", "Last-Event-ID": "2"},
        ),
    )
    assert response.status_code == 200
    events = parse_sse(response.body)
    assert [(e.id, e.event) for e in events] == [
        ("3", "progress"),
        ("4", "progress"),
        ("5", "progress"),
        ("6", "complete"),
    ]


def test_resumes_from_query_parameters_as_a_reloaded_page_would(
    app: ModuleType, signer: TokenSigner, finished_job: str
) -> None:
    token = signer.issue(finished_job, ttl_seconds=60)
    response = invoke(
        app,
        function_url_event(
            f"/jobs/{finished_job}/events", query={"token": token, "last_event_id": "5"}
        ),
    )
    assert [e.id for e in parse_sse(response.body)] == ["6"]
    done = invoke(
        app,
        function_url_event(
            f"/jobs/{finished_job}/events", query={"token": token, "last_event_id": "6"}
        ),
    )
    assert done.status_code == 204


@pytest.mark.parametrize(
    ("path", "method", "query", "status", "error"),
    [
        ("/jobs/{job}/events/extra", "GET", {"token": "{token}"}, 404, "not_found"),
        ("/nothing", "GET", {}, 404, "not_found"),
        ("/jobs/{job}/events", "POST", {"token": "{token}"}, 405, "method_not_allowed"),
        ("/jobs/{job}/events", "GET", {}, 401, "token_missing"),
        ("/jobs/{job}/events", "GET", {"token": "nope"}, 403, "token_invalid"),
        ("/jobs/missing/events", "GET", {"token": "{missing_token}"}, 404, "job_not_found"),
        (
            "/jobs/{job}/events",
            "GET",
            {"token": "{token}", "last_event_id": "x"},
            400,
            "invalid_last_event_id",
        ),
        (
            "/jobs/{job}/events",
            "GET",
            {"token": "{token}", "last_event_id": "7"},
            400,
            "invalid_last_event_id",
        ),
    ],
)
def test_client_mistakes_get_a_4xx_with_a_json_reason(
    app: ModuleType,
    signer: TokenSigner,
    finished_job: str,
    path: str,
    method: str,
    query: dict[str, str],
    status: int,
    error: str,
) -> None:
    values = {
        "job": finished_job,
        "token": signer.issue(finished_job, ttl_seconds=60),
        "missing_token": signer.issue("missing", ttl_seconds=60),
    }
    event = function_url_event(
        path.format(**values),
        method=method,
        query={k: v.format(**values) for k, v in query.items()},
    )
    response = invoke(app, event)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    payload = json_body(response)
    assert payload["error"]["code"] == error
    assert values["token"] not in json.dumps(payload)


def test_token_never_reaches_the_function_log(
    app: ModuleType,
    signer: TokenSigner,
    finished_job: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Even when the deployment asks Powertools to log every event.
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    app = load_handler_module("stream")
    token = signer.issue(finished_job, ttl_seconds=60)
    event = function_url_event(
        f"/jobs/{finished_job}/events", headers={"authorization": f"Bearer {token}"}
    )
    list(invoke(app, event).body)
    invoke(app, function_url_event(f"/jobs/{finished_job}/events", query={"token": token + "x"}))
    output = capsys.readouterr()
    assert token not in output.out + output.err


def test_inline_job_is_driven_by_the_stream_that_watches_it(
    settings: Settings,
    ddb: DynamoDBClient,
    signer: TokenSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBSTREAM_TABLE", settings.table)
    monkeypatch.setenv("JOBSTREAM_TOKEN_KEY", SIGNING_KEY.decode())
    monkeypatch.setenv("JOBSTREAM_WORKER_FUNCTION", "jobstream-worker")
    monkeypatch.setenv("JOBSTREAM_STREAM_MAX_SECONDS", "60")
    app = load_handler_module("stream")
    # The driver writes from its own thread while the stream reads: see SerializedClient.
    store = JobStore(Settings(), client=SerializedClient(ddb, threading.Lock()))  # type: ignore[arg-type]
    monkeypatch.setattr(app, "_store", Lazy(lambda: store))
    text = "streamed by the stream function itself"
    store.create_job(
        job_id="inline1",
        type="demo.typewriter",
        params={"text": text, "chunk_chars": 5, "interval_ms": 0},
        mode=JobMode.INLINE,
    )
    token = signer.issue("inline1", ttl_seconds=60)
    response = invoke(app, function_url_event("/jobs/inline1/events", query={"token": token}))
    assert response.status_code == 200
    events = parse_sse(response.body)
    assert "".join(json.loads(e.data)["delta"] for e in events if e.event == "text") == text
    assert events[-1].event == "complete"
    assert [int(e.id) for e in events] == list(range(1, len(events) + 1))
    assert store.get_job("inline1").status is JobStatus.SUCCEEDED
