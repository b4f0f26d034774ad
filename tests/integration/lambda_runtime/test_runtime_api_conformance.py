"""docs/lambda-runtime.md, row by row: what jobstream's runtime puts on the wire.

The runtime runs as Lambda starts it (the exec wrapper, in a subprocess) against the recording
Runtime API, which keeps each request's request line, header lines, chunks as framed (size line,
data, arrival time) and trailers. Each test names the table row it checks.
"""

from __future__ import annotations

import base64
import json

import h11
import pytest

from jobstream.lambda_runtime.prelude import HTTP_INTEGRATION_CONTENT_TYPE, PRELUDE_DELIMITER
from jobstream_client.sse import SSEParser
from jobstream_sandbox.recording_runtime_api import API, WireRequest

from .conftest import TASK_ROOT, StartRuntime

ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
# http.client adds Host and Accept-Encoding to every request; the rest is the runtime's choice.
BASE_HEADERS = {"Host", "Accept-Encoding", "User-Agent"}
STREAMING_HEADERS = BASE_HEADERS | {
    "Lambda-Runtime-Function-Response-Mode",
    "Transfer-Encoding",
    "Trailer",
    "Content-Type",
}
ERROR_DOCUMENT_KEYS = {"errorMessage", "errorType", "requestId", "stackTrace"}
# 7 MiB in 1 MiB writes: over the 6 MB a buffered response may carry.
LARGE_WRITE = 1024 * 1024
LARGE_WRITES = 7


def header_names(request: WireRequest) -> set[str]:
    return {name for name, _ in request.header_lines}


def assert_chunk_framing(request: WireRequest) -> None:
    """Every chunk-size line is the bare uppercase hex length; the body ends with "0"; and h11, an
    independent HTTP/1.1 parser, reads the same chunks and trailers from the same bytes."""
    for chunk in request.chunks:
        assert chunk.size_line == b"%X" % len(chunk.data)
    assert request.last_chunk_line == b"0"
    assert not request.framing_error

    parser = h11.Connection(h11.SERVER)
    parser.receive_data(bytes(request.raw))
    chunks: list[bytes] = []
    current = b""
    while True:
        event = parser.next_event()
        if isinstance(event, h11.Data):
            current += event.data
            if event.chunk_end:
                chunks.append(current)
                current = b""
        elif isinstance(event, h11.EndOfMessage):
            trailers = [(name.decode(), value.decode()) for name, value in event.headers]
            break
        else:
            assert event is not h11.NEED_DATA, "h11 found the request incomplete"
    assert chunks == [chunk.data for chunk in request.chunks]
    assert [(n.lower(), v) for n, v in request.trailer_lines] == trailers


def assert_streaming_request(request: WireRequest, request_id: str) -> None:
    assert request.request_line == f"POST {API}/invocation/{request_id}/response HTTP/1.1"
    assert header_names(request) == STREAMING_HEADERS
    headers = request.headers
    assert headers["lambda-runtime-function-response-mode"] == "streaming"
    assert headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == HTTP_INTEGRATION_CONTENT_TYPE
    assert headers["trailer"] == f"{ERROR_TYPE}, {ERROR_BODY}"
    assert headers["user-agent"].startswith("jobstream/")
    assert_chunk_framing(request)


def streamed(request: WireRequest) -> tuple[dict[str, object], list[bytes]]:
    """The prelude (chunk 1, JSON alone), the delimiter (chunk 2, 8 NUL bytes alone), the rest."""
    assert request.chunked
    assert len(request.chunks) >= 2, request.chunks
    prelude = json.loads(request.chunks[0].data)
    assert isinstance(prelude, dict)
    assert request.chunks[1].data == PRELUDE_DELIMITER
    return prelude, [chunk.data for chunk in request.chunks[2:]]


def error_document(data: bytes, request_id: str) -> dict[str, object]:
    document = json.loads(data)
    assert set(document) == ERROR_DOCUMENT_KEYS
    assert document["requestId"] == request_id
    assert isinstance(document["stackTrace"], list)
    return dict(document)


# -- Row: next invocation -------------------------------------------------------------------------


def test_row_next_invocation(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    first = runtime.api.invoke({"case": "buffered"})
    runtime.api.wait_for_answer(first)
    runtime.api.wait_until(lambda: runtime.api.next_calls >= 2, what="the second /next")

    nexts = [r for r in runtime.api.requests if r.kind == "next"]
    for request in nexts:
        assert request.request_line == f"GET {API}/invocation/next HTTP/1.1"
        assert header_names(request) == BASE_HEADERS
        assert request.headers["user-agent"].startswith("jobstream/")
        assert request.body == b""
    # A fresh connection per request: nothing kept alive across a sandbox freeze.
    connections = [r.connection for r in runtime.api.requests]
    assert len(set(connections)) == len(connections)


# -- Row: streamed response -----------------------------------------------------------------------


def test_row_streamed_200_each_write_arrives_before_the_next_is_produced(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "three_spaced_writes"})

    def chunks_seen(count: int) -> WireRequest:
        return runtime.api.wait_for(
            lambda r: r.request_id == request_id and len(r.chunks) >= count,
            what=f"{count} chunks",
        )

    # The handler blocks on the gate after each write; the test opens the gate only after it has
    # seen that write arrive. A buffering runtime would deadlock here instead of passing.
    request = chunks_seen(3)
    assert not request.complete
    assert request.chunks[2].data == b"data: one\n\n"
    opened_first = runtime.release_gate("two")
    assert request.chunks[2].arrived < opened_first

    request = chunks_seen(4)
    assert not request.complete
    assert request.chunks[3].data == b"data: two\n\n"
    assert request.chunks[3].arrived > opened_first
    opened_second = runtime.release_gate("three")
    assert request.chunks[3].arrived < opened_second

    request = runtime.api.wait_for_answer(request_id)
    assert request.chunks[4].arrived > opened_second
    assert_streaming_request(request, request_id)
    prelude, body = streamed(request)
    assert prelude == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/event-stream", "X-Case": "three_spaced_writes"},
        "cookies": ["session=abc; Path=/; HttpOnly", "theme=dark"],
    }
    # Compact JSON, as JavaScript's JSON.stringify writes it, and no NUL in it: the delimiter is
    # a chunk of its own.
    assert request.chunks[0].data == json.dumps(prelude, separators=(",", ":")).encode()
    assert body == [b"data: one\n\n", b"data: two\n\n", b"data: three\n\n"]
    assert request.trailer_lines == []
    assert request.answered_with == 202
    assert [r.kind for r in runtime.api.posts] == ["response"]


@pytest.mark.parametrize(
    ("case", "status", "payload", "extra_header"),
    [
        (
            "unauthorized",
            401,
            {"message": "bad token"},
            ("WWW-Authenticate", 'Bearer realm="jobs"'),
        ),
        ("not_found", 404, {"message": "no such job"}, ("X-Case", "not_found")),
    ],
)
def test_row_streamed_error_status_before_any_body(
    start_runtime: StartRuntime,
    case: str,
    status: int,
    payload: dict[str, str],
    extra_header: tuple[str, str],
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": case})
    request = runtime.api.wait_for_answer(request_id)

    assert_streaming_request(request, request_id)
    prelude, body = streamed(request)
    assert prelude["statusCode"] == status
    assert prelude["headers"] == {
        "Content-Type": "application/json",
        extra_header[0]: extra_header[1],
    }
    assert prelude["cookies"] == []
    assert [json.loads(chunk) for chunk in body] == [payload]
    assert request.trailer_lines == []


def test_row_streamed_no_content_is_the_prelude_and_the_delimiter_only(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "no_content"})
    request = runtime.api.wait_for_answer(request_id)

    assert_streaming_request(request, request_id)
    prelude, body = streamed(request)
    assert prelude == {"statusCode": 204, "headers": {"X-Case": "no_content"}, "cookies": []}
    assert body == []
    assert request.trailer_lines == []


def test_row_streamed_one_byte_body(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "one_byte"})
    request = runtime.api.wait_for_answer(request_id)

    assert_streaming_request(request, request_id)
    _, body = streamed(request)
    assert body == [b"x"]
    assert request.chunks[2].size_line == b"1"


def test_row_streamed_body_over_6_mb(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke(
        {"case": "large_body", "writes": LARGE_WRITES, "size": LARGE_WRITE}
    )
    request = runtime.api.wait_for_answer(request_id, timeout=60)

    assert_streaming_request(request, request_id)
    _, body = streamed(request)
    # One chunk per write, in order, nothing merged or split.
    assert [len(chunk) for chunk in body] == [LARGE_WRITE] * LARGE_WRITES
    assert [chunk[:1] for chunk in body] == [bytes([ord("a") + i]) for i in range(LARGE_WRITES)]
    assert all(chunk == chunk[:1] * LARGE_WRITE for chunk in body)
    assert sum(len(chunk) for chunk in body) > 6 * 1024 * 1024
    assert request.trailer_lines == []


# -- Row: buffered response -----------------------------------------------------------------------


def test_row_buffered_json_result(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "buffered"})
    request = runtime.api.wait_for_answer(request_id)

    assert request.request_line == f"POST {API}/invocation/{request_id}/response HTTP/1.1"
    assert header_names(request) == BASE_HEADERS | {"Content-Type", "Content-Length"}
    assert request.headers["content-type"] == "application/json"
    assert int(request.headers["content-length"]) == len(request.body)
    assert not request.chunked
    assert request.json()["echo"] == {"case": "buffered"}


# -- Row: error before the first byte -------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "error_type"),
    [("raises", "ValueError"), ("body_fails_at_once", "KeyError")],
)
def test_row_error_before_the_first_byte_posts_to_error(
    start_runtime: StartRuntime, case: str, error_type: str
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": case})
    request = runtime.api.wait_for_answer(request_id)

    assert request.request_line == f"POST {API}/invocation/{request_id}/error HTTP/1.1"
    assert header_names(request) == BASE_HEADERS | {
        "Content-Type",
        "Content-Length",
        ERROR_TYPE,
        "Lambda-Runtime-Function-XRay-Error-Cause",
    }
    assert request.headers["content-type"] == "application/json"
    assert request.headers[ERROR_TYPE.lower()] == error_type
    document = error_document(request.body, request_id)
    assert document["errorType"] == error_type
    stack = document["stackTrace"]
    assert isinstance(stack, list)
    assert any("fixture_app.py" in line for line in stack)

    cause = json.loads(request.headers["lambda-runtime-function-xray-error-cause"])
    assert cause["working_directory"] == str(TASK_ROOT)
    assert cause["exceptions"][0]["type"] == error_type
    assert any(
        frame["path"].endswith("fixture_app.py") for frame in cause["exceptions"][0]["stack"]
    )
    assert [r.kind for r in runtime.api.posts] == ["error"]


# -- Row: error after the first byte (trailers) ---------------------------------------------------


def test_row_error_after_the_first_byte_goes_into_the_trailers(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "sse_fails_mid_stream"})
    request = runtime.api.wait_for_answer(request_id)

    assert_streaming_request(request, request_id)
    prelude, body = streamed(request)
    assert prelude["statusCode"] == 200
    # In band for the HTTP client, which never sees trailers: an SSE error event, no secrets.
    events = SSEParser().feed(b"".join(body))
    assert [(e.event, e.id) for e in events] == [("message", "1"), ("error", "1")]
    assert json.loads(events[1].data)["error"] == "stream_failed"
    assert b"secret" not in request.body

    assert [name for name, _ in request.trailer_lines] == [ERROR_TYPE, ERROR_BODY]
    assert request.trailers[ERROR_TYPE] == "RuntimeError"
    document = error_document(
        base64.b64decode(request.trailers[ERROR_BODY], validate=True), request_id
    )
    assert document["errorType"] == "RuntimeError"
    assert "secret detail" in str(document["errorMessage"])
    assert [r.kind for r in runtime.api.posts] == ["response"]


# -- Row: init error ------------------------------------------------------------------------------


def test_row_init_error(start_runtime: StartRuntime) -> None:
    runtime = start_runtime("broken_app.handler")
    request = runtime.api.wait_for(lambda r: r.method == "POST" and r.complete, what="init error")

    assert request.request_line == f"POST {API}/init/error HTTP/1.1"
    assert header_names(request) == BASE_HEADERS | {"Content-Type", "Content-Length", ERROR_TYPE}
    assert request.headers[ERROR_TYPE.lower()] == "Runtime.ImportModuleError"
    document = error_document(request.body, "")
    assert document["errorType"] == "Runtime.ImportModuleError"
    assert "does_not_exist_anywhere" in str(document["errorMessage"])
    assert runtime.process.wait(timeout=20) == 1, runtime.logs()
    assert runtime.api.next_calls == 0


# -- Row: status handling -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 204])
def test_row_status_any_2xx_answer_is_success(start_runtime: StartRuntime, status: int) -> None:
    runtime = start_runtime(post_status=status)
    for case in ("buffered", "one_byte", "raises", "sse_fails_mid_stream"):
        request_id = runtime.api.invoke({"case": case})
        assert runtime.api.wait_for_answer(request_id).complete
    # Still looping: it asked for the next invocation after every answer.
    runtime.api.wait_until(lambda: runtime.api.next_calls >= 5, what="the fifth /next")
    assert all(r.answered_with == status for r in runtime.api.posts)
    assert runtime.process.poll() is None
    assert "rejected" not in runtime.logs()


def test_row_status_4xx_is_logged_and_the_loop_goes_on(start_runtime: StartRuntime) -> None:
    runtime = start_runtime(post_status=lambda request: 413 if request.chunked else 400)
    buffered = runtime.api.invoke({"case": "buffered"})
    runtime.api.wait_for_answer(buffered)
    streamed_id = runtime.api.invoke({"case": "one_byte"})
    runtime.api.wait_for_answer(streamed_id)
    runtime.api.wait_until(lambda: runtime.api.next_calls >= 3, what="the third /next")

    assert runtime.process.poll() is None
    logs = runtime.logs()
    assert "Runtime API rejected" in logs
    assert "HTTP 400" in logs
    assert "HTTP 413" in logs


def test_row_status_5xx_makes_the_runtime_exit(start_runtime: StartRuntime) -> None:
    runtime = start_runtime(post_status=500)
    runtime.api.invoke({"case": "buffered"})
    assert runtime.process.wait(timeout=20) == 1
    assert "Runtime API failed" in runtime.logs()
    assert runtime.api.next_calls == 1
