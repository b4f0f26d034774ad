from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from jobstream.response_stream import (
    StreamingResponse,
    empty_response,
    is_streaming_handler,
    json_response,
    sse_response,
    streaming_handler,
)
from jobstream.response_stream.body import ResponseBody
from jobstream.sse import SSE_HEADERS


def test_sse_response_carries_the_sse_headers_plus_extras() -> None:
    response = sse_response(iter([b"x"]), headers={"X-Extra": "1"})
    assert response.status_code == 200
    assert response.headers == {**SSE_HEADERS, "X-Extra": "1"}
    assert "Content-Encoding" not in response.headers


def test_json_and_empty_responses() -> None:
    response = json_response(400, {"error": "bad"}, headers={"X-A": "b"})
    assert response.status_code == 400
    assert response.headers == {"Content-Type": "application/json", "X-A": "b"}
    assert json.loads(b"".join(response.body)) == {"error": "bad"}
    empty = empty_response()
    assert (empty.status_code, list(empty.body), empty.headers) == (204, [], {})


def test_streaming_handler_marks_the_function_and_keeps_its_name() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        return empty_response(304)

    assert is_streaming_handler(handler)
    assert not is_streaming_handler(lambda event, context: None)
    assert handler.__name__ == "handler"
    assert handler({}, None).status_code == 304


def test_an_exception_before_the_stream_becomes_a_safe_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        raise RuntimeError("password=hunter2")

    with caplog.at_level(logging.ERROR, logger="jobstream.response_stream.response"):
        response = handler({}, None)
    assert response.status_code == 500
    body = b"".join(response.body)
    assert json.loads(body) == {"message": "Internal server error"}
    assert b"hunter2" not in body
    assert caplog.records[0].exc_info is not None


def test_returning_something_else_is_a_500_too() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        return {"statusCode": 200}  # type: ignore[return-value]

    assert handler({}, None).status_code == 500


def test_response_body_skips_empty_chunks_and_closes_once() -> None:
    closes = []

    def body() -> Any:
        try:
            yield b""
            yield bytearray(b"a")
            yield memoryview(b"b")
        finally:
            closes.append(1)

    pulled = ResponseBody(body())
    assert pulled.next_chunk() == b"a"
    assert pulled.next_chunk() == b"b"
    assert pulled.next_chunk() is None
    pulled.close()
    pulled.close()
    assert closes == [1]
    assert pulled.next_chunk() is None


def test_closing_a_body_that_was_never_started_is_harmless() -> None:
    started = []

    def body() -> Any:
        started.append(1)
        yield b"x"

    ResponseBody(body()).close()
    ResponseBody([b"plain list"]).close()
    assert started == []
