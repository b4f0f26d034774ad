"""The local Function URL on a real uvicorn server, read with httpx streaming.

Chunks must reach the client while the handler is still blocked, the request must arrive as a
payload-2.0 event, status/headers/cookies must map onto the HTTP response, and a client that goes
away must not stop the handler (as on Lambda: the rest of its body is read and dropped), unless the
laptop mode (stop_on_disconnect) asks for that.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from jobstream.response_stream import (
    StreamingResponse,
    empty_response,
    json_response,
    sse_response,
    streaming_handler,
)
from jobstream.sse import encode_event
from jobstream_client.sse import SSEParser
from jobstream_local.function_url import FunctionURLApp

WAIT = 10.0  # seconds: upper bound for anything the tests wait for; never reached when all is well

Serve = Callable[[ASGIApp], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Run an ASGI app under uvicorn on a free loopback port; returns its base URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: ASGIApp) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        # Listening before uvicorn starts: clients queue in the backlog, no start-up race.
        sock.listen(64)
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, timeout_graceful_shutdown=5
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start

    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=WAIT) as client:
        yield client


def test_each_chunk_reaches_the_client_while_the_handler_is_blocked(
    serve: Serve, http: httpx.Client
) -> None:
    release = threading.Event()
    finished = threading.Event()

    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            yield encode_event(id=1, event="progress", data="one")
            assert release.wait(WAIT)
            yield encode_event(id=2, event="progress", data="two")
            finished.set()

        return sse_response(body())

    base = serve(FunctionURLApp(handler, timeout_s=30))
    parser = SSEParser()
    with http.stream("GET", f"{base}/jobs/j1/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["x-accel-buffering"] == "no"
        assert "content-length" not in response.headers
        raw = response.iter_raw()
        events = parser.feed(next(raw))
        assert [e.data for e in events] == ["one"]
        assert not finished.is_set()
        release.set()
        for data in raw:
            events += parser.feed(data)
    assert [(e.id, e.event, e.data) for e in events] == [
        ("1", "progress", "one"),
        ("2", "progress", "two"),
    ]
    assert finished.is_set()


def test_the_request_arrives_as_a_function_url_v2_event(serve: Serve, http: httpx.Client) -> None:
    seen: list[tuple[dict[str, Any], Any]] = []

    def handler(event: Any, context: Any) -> object:
        seen.append((event, context))
        return {"ok": True}

    stream_app = FunctionURLApp(handler, timeout_s=30)
    base = serve(Starlette(routes=[Route("/jobs/{job_id}/events", stream_app)]))
    response = http.post(
        f"{base}/jobs/j%201/events?x=1&x=2&empty=",
        content=b'{"a": 1}',
        headers=[
            ("Content-Type", "application/json"),
            ("X-Multi", "a"),
            ("X-Multi", "b"),
            ("Cookie", "c1=v1; c2=v2"),
            ("User-Agent", "tests/1.0"),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}

    [(event, context)] = seen
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/jobs/j%201/events"
    assert event["rawQueryString"] == "x=1&x=2&empty="
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["headers"]["x-multi"] == "a,b"
    assert event["headers"]["content-type"] == "application/json"
    assert all(name == name.lower() for name in event["headers"])
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    http_context = event["requestContext"]["http"]
    assert http_context["method"] == "POST"
    assert http_context["path"] == "/jobs/j 1/events"
    assert http_context["sourceIp"] == "127.0.0.1"
    assert http_context["userAgent"] == "tests/1.0"
    assert event["requestContext"]["requestId"] == context.aws_request_id
    assert isinstance(event["requestContext"]["timeEpoch"], int)
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert context.function_name == "local"
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


def test_a_binary_body_is_base64_and_no_query_means_no_parameters(
    serve: Serve, http: httpx.Client
) -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: Any, context: Any) -> object:
        seen.append(event)
        return None

    base = serve(FunctionURLApp(handler, timeout_s=30))
    http.post(f"{base}/upload", content=b"\xff\x00\x01")
    [event] = seen
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00\x01"
    assert "queryStringParameters" not in event
    assert "cookies" not in event


def test_status_headers_and_cookies_map_onto_the_response(serve: Serve, http: httpx.Client) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        return StreamingResponse(
            404,
            {"Content-Type": "application/json", "X-Reason": "missing"},
            ["a=1; Path=/", "b=2; HttpOnly"],
            body=iter([b'{"message":', b'"no such job"}']),
        )

    base = serve(FunctionURLApp(handler, timeout_s=30))
    response = http.get(f"{base}/jobs/nope/events")
    assert response.status_code == 404
    assert response.headers["x-reason"] == "missing"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert response.json() == {"message": "no such job"}


def test_no_content_and_json_helpers(serve: Serve, http: httpx.Client) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        if event["rawPath"] == "/empty":
            return empty_response(204)
        return json_response(400, {"error": "bad"})

    base = serve(FunctionURLApp(handler, timeout_s=30))
    empty = http.get(f"{base}/empty")
    assert empty.status_code == 204
    assert empty.content == b""
    bad = http.get(f"{base}/bad")
    assert bad.status_code == 400
    assert bad.json() == {"error": "bad"}


def test_buffered_results_map_like_a_function_url(serve: Serve, http: httpx.Client) -> None:
    def handler(event: Any, context: Any) -> object:
        if event["rawPath"] == "/http":
            return {
                "statusCode": 201,
                "headers": {"Content-Type": "text/plain"},
                "cookies": ["s=1"],
                "body": "created",
            }
        return [1, 2]

    base = serve(FunctionURLApp(handler, timeout_s=30))
    created = http.get(f"{base}/http")
    assert created.status_code == 201
    assert created.text == "created"
    assert created.headers["set-cookie"] == "s=1"
    inferred = http.get(f"{base}/other")
    assert inferred.status_code == 200
    assert inferred.headers["content-type"] == "application/json"
    assert inferred.json() == [1, 2]


def test_failures_before_the_first_byte_are_real_statuses(serve: Serve, http: httpx.Client) -> None:
    def plain(event: Any, context: Any) -> object:
        raise ValueError("secret")

    @streaming_handler
    def decorated(event: Any, context: Any) -> StreamingResponse:
        raise ValueError("secret")

    @streaming_handler
    def body_fails(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            raise ValueError("secret")
            yield b""  # pragma: no cover

        return sse_response(body())

    @streaming_handler
    def unencodable_header(event: Any, context: Any) -> StreamingResponse:
        return StreamingResponse(200, {"X-Name": "\u65e5\u672c secret"}, body=(b"x",))

    cases = ((plain, 502), (decorated, 500), (body_fails, 502), (unencodable_header, 502))
    for handler, status in cases:
        response = http.get(serve(FunctionURLApp(handler, timeout_s=30)) + "/x")
        assert response.status_code == status
        assert "secret" not in response.text
        assert "Traceback" not in response.text


def test_failure_after_the_first_byte_sends_the_in_band_error_event(
    serve: Serve, http: httpx.Client
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            yield encode_event(id=7, data="fine")
            raise RuntimeError("secret")

        return sse_response(body())

    response = http.get(serve(FunctionURLApp(handler, timeout_s=30)) + "/jobs/j/events")
    assert response.status_code == 200
    events = SSEParser().feed(response.content)
    assert [(e.event, e.id) for e in events] == [("message", "7"), ("error", "7")]
    assert json.loads(events[1].data)["error"] == "stream_failed"
    assert "secret" not in response.text


def test_client_disconnect_closes_the_generator_in_the_laptop_mode(
    serve: Serve, http: httpx.Client
) -> None:
    closed = threading.Event()
    pulled = threading.Event()

    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            try:
                yield encode_event(id=1, data="first")
                # An endless heartbeat: only a closed generator ends this stream.
                while True:
                    pulled.set()
                    closed.wait(0.01)
                    yield b": ping\n\n"
            finally:
                closed.set()

        return sse_response(body())

    base = serve(FunctionURLApp(handler, timeout_s=60, stop_on_disconnect=True))
    with http.stream("GET", f"{base}/jobs/j/events") as response:
        first = next(response.iter_raw())
        assert first.startswith(encode_event(id=1, data="first"))
        assert pulled.wait(WAIT)
    assert closed.wait(WAIT), "the generator was not closed after the client went away"


def test_by_default_a_client_disconnect_does_not_stop_the_handler(
    serve: Serve, http: httpx.Client
) -> None:
    """As on Lambda: the body runs to its own end; every chunk after the client left is pulled
    (and dropped), none is held back, and the exchange still ends cleanly."""
    left = threading.Event()
    after_left: list[int] = []
    ended = threading.Event()
    chunks = 40

    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            try:
                yield encode_event(id=1, data="first")
                assert left.wait(WAIT)
                for n in range(2, chunks + 1):
                    # Paced: the server has seen the disconnect before most of these.
                    threading.Event().wait(0.02)
                    yield encode_event(id=n, data="x" * 1000)
                    after_left.append(n)
            finally:
                ended.set()

        return sse_response(body())

    base = serve(FunctionURLApp(handler, timeout_s=60))
    with http.stream("GET", f"{base}/jobs/j/events") as response:
        first = next(response.iter_raw())
        assert first.startswith(encode_event(id=1, data="first"))
    left.set()
    assert ended.wait(WAIT)
    assert after_left == list(range(2, chunks + 1)), "the body stopped before its own end"
    # The server is still healthy: the next request is served.
    ok = http.get(f"{base}/jobs/j/events")
    assert ok.status_code == 200


def test_the_function_timeout_ends_the_response_and_closes_the_generator(
    serve: Serve, http: httpx.Client
) -> None:
    closed = threading.Event()
    release = threading.Event()

    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes]:
            try:
                yield encode_event(id=1, data="before the deadline")
                release.wait(WAIT)
                yield encode_event(id=2, data="after the deadline")
            finally:
                closed.set()

        return sse_response(body())

    base = serve(FunctionURLApp(handler, timeout_s=0.5))
    try:
        response = http.get(f"{base}/jobs/j/events")
    finally:
        release.set()
    assert response.status_code == 200
    assert [e.data for e in SSEParser().feed(response.content)] == ["before the deadline"]
    assert closed.wait(WAIT)
