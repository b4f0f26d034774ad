"""The local stack over real HTTP: one origin serving the API, the stream and the demo page, the
worker in threads with a simulated function timeout, streams ending at their own deadline."""

from __future__ import annotations

import json

import httpx

from jobstream.store import JobStatus
from jobstream_client import EventStream, StreamEnd
from jobstream_client.sse import SSEParser
from jobstream_local.stack import LocalStack
from tests.integration.local.conftest import FUNCTION_TIMEOUT_S, STREAM_TIMEOUT_S, create_job


def test_a_job_streams_to_completion_with_every_id_once(http: httpx.Client) -> None:
    job = create_job(http, "demo.count", {"n": 5, "interval_ms": 10})

    with EventStream(job["events_url"], token=job["token"]) as stream:
        events = list(stream)

    assert [int(e.id) for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.event for e in events] == ["progress"] * 5 + ["complete"]
    assert json.loads(events[-2].data)["done"] == 5
    assert stream.end is StreamEnd.TERMINAL
    assert job["events_url"].startswith(f"{http.base_url}".rstrip("/") + "/jobs/")


def test_a_job_longer_than_the_function_timeout_runs_as_several_chunks(
    http: httpx.Client, stack: LocalStack
) -> None:
    # Twice a function timeout of work: no single worker invocation could do it all.
    steps, interval_ms = 20, 200
    assert steps * interval_ms / 1000 >= 2 * FUNCTION_TIMEOUT_S
    job = create_job(http, "demo.count", {"n": steps, "interval_ms": interval_ms})

    with EventStream(job["events_url"], token=job["token"]) as stream:
        ids = [int(e.id) for e in stream]

    assert ids == list(range(1, steps + 2))
    assert stream.duplicates == 0
    assert stream.gaps == 0
    stored = stack.jobs.store.get_job(job["job_id"])
    assert stored.status is JobStatus.SUCCEEDED
    if stack.settings.driver == "chain":
        assert stored.hops > 1
    else:
        # One durable execution, recorded on the job, continued across invocations.
        assert stored.execution_id is not None
        assert stored.hops == 0
    status = http.get(f"/jobs/{job['job_id']}", headers={"Authorization": f"Bearer {job['token']}"})
    assert status.json()["status"] == "succeeded"
    assert status.json()["last_event_id"] == steps + 1


def test_a_stream_ends_at_its_deadline_and_the_client_resumes_without_gap_or_repeat(
    http: httpx.Client,
) -> None:
    steps, interval_ms = 20, 200
    assert steps * interval_ms / 1000 > STREAM_TIMEOUT_S
    job = create_job(http, "demo.count", {"n": steps, "interval_ms": interval_ms})

    with EventStream(job["events_url"], token=job["token"]) as stream:
        ids = [int(e.id) for e in stream]

    assert ids == list(range(1, steps + 2))
    # Every connection but the last ended at the stream function's deadline, cleanly, and the
    # next one asked for exactly what followed (Last-Event-ID).
    assert stream.reconnects >= 1
    assert stream.duplicates == 0
    assert stream.gaps == 0
    assert stream.stream_failures == 0


def test_the_first_event_arrives_before_the_job_finishes(http: httpx.Client) -> None:
    job = create_job(http, "demo.count", {"n": 50, "interval_ms": 100})
    auth = {"Authorization": f"Bearer {job['token']}"}
    parser = SSEParser()
    first = None

    # As `curl -N` reads it: raw bytes, parsed as they come.
    with http.stream("GET", job["events_url"], headers=auth) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_raw():
            events = parser.feed(chunk)
            if events:
                first = events[0]
                status = http.get(f"/jobs/{job['job_id']}", headers=auth).json()
                break

    assert first is not None
    assert (first.id, first.event) == ("1", "progress")
    assert status["status"] in {"queued", "running"}
    assert status["last_event_id"] < 51
    http.post(f"/jobs/{job['job_id']}/cancel", headers=auth)


def test_a_finished_job_replays_then_answers_204(http: httpx.Client) -> None:
    job = create_job(http, "demo.count", {"n": 2, "interval_ms": 0})
    with EventStream(job["events_url"], token=job["token"]) as stream:
        assert [e.id for e in stream] == ["1", "2", "3"]

    again = http.get(
        job["events_url"], headers={"Authorization": f"Bearer {job['token']}", "Last-Event-ID": "3"}
    )

    assert again.status_code == 204


def test_an_inline_job_is_driven_by_the_stream_that_watches_it(http: httpx.Client) -> None:
    text = "typed by the stream function while it is watched"
    job = create_job(http, "demo.typewriter", {"text": text, "chunk_chars": 8, "interval_ms": 10})

    with EventStream(job["events_url"], token=job["token"]) as stream:
        events = list(stream)

    deltas = [json.loads(e.data)["delta"] for e in events if e.event == "text"]
    assert "".join(deltas) == text
    assert events[-1].event == "complete"
    assert [int(e.id) for e in events] == list(range(1, len(events) + 1))


def test_stream_refusals_keep_their_json_shape(http: httpx.Client) -> None:
    job = create_job(http, "demo.count", {"n": 1, "interval_ms": 0})

    missing = http.get(job["events_url"])
    forged = http.get(job["events_url"], params={"token": "v1.1.forged"})

    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "token_missing"
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "token_invalid"


def test_the_demo_page_is_served_at_the_root(http: httpx.Client) -> None:
    page = http.get("/")
    script = http.get("/jobstream-client.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>jobstream demo</title>" in page.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_a_missing_file_is_a_404_not_a_server_error(http: httpx.Client) -> None:
    assert http.get("/favicon.ico").status_code == 404
    assert http.get("/no/such/page.html").status_code == 404


def test_the_api_docs_are_served(http: httpx.Client) -> None:
    docs = http.get("/docs")
    schema = http.get("/openapi.json")

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "/jobs/{job_id}" in schema.json()["paths"]


def test_cors_allows_the_stacks_own_origin_only(http: httpx.Client, stack: LocalStack) -> None:
    def preflight(path: str, origin: str, headers: str) -> httpx.Response:
        return http.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": headers,
            },
        )

    api = preflight("/jobs/abc", stack.url, "authorization")
    stream = preflight("/jobs/abc/events", stack.url, "authorization,last-event-id")
    foreign = preflight("/jobs/abc/events", "https://elsewhere.example", "authorization")

    assert api.headers["access-control-allow-origin"] == stack.url
    assert stream.status_code == 200
    assert stream.headers["access-control-allow-origin"] == stack.url
    assert "access-control-allow-origin" not in foreign.headers

    # The actual request: the stream function adds no CORS headers of its own to a Function URL
    # event (only to REST API events), so the middleware's is the only one, as on AWS.
    refused = http.get("/jobs/abc/events", headers={"Origin": stack.url})
    assert refused.status_code == 401
    assert refused.headers.get_list("access-control-allow-origin") == [stack.url]
