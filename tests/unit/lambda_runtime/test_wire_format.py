"""The prelude and the chunked framing, checked against h11 (an independent HTTP/1.1 parser)."""

from __future__ import annotations

import base64
import json

import h11
import pytest

from jobstream.lambda_runtime.chunked import encode_chunk, encode_last_chunk
from jobstream.lambda_runtime.errors import ErrorReport
from jobstream.lambda_runtime.prelude import (
    PRELUDE_DELIMITER,
    PreludeTooLarge,
    encode_prelude,
)
from jobstream.response_stream import StreamingResponse

pytestmark = pytest.mark.unit


def _parse_request(wire: bytes) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    server = h11.Connection(h11.SERVER)
    server.receive_data(wire)
    chunks: list[bytes] = []
    trailers: list[tuple[bytes, bytes]] = []
    while True:
        event = server.next_event()
        if isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            trailers = [(bytes(n), bytes(v)) for n, v in event.headers]
            return chunks, trailers
        elif event is h11.NEED_DATA:
            raise AssertionError("incomplete message")


HEAD = b"POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_prelude_is_compact_json_and_the_delimiter_is_a_separate_write() -> None:
    data = encode_prelude(StreamingResponse(418, {"X-A": "b"}, ["c=1"], body=(b"ignored",)))
    # The sink writes PRELUDE_DELIMITER as a second chunk (as AWS's Node.js client does).
    assert b"\x00" not in data
    assert PRELUDE_DELIMITER == b"\x00" * 8
    assert data == b'{"statusCode":418,"headers":{"X-A":"b"},"cookies":["c=1"]}'


def test_an_oversized_prelude_is_refused() -> None:
    with pytest.raises(PreludeTooLarge):
        encode_prelude(StreamingResponse(200, {"X-Big": "x" * 20_000}))


def test_chunks_and_trailers_parse_with_an_independent_http_parser() -> None:
    report = ErrorReport("RuntimeError", "boom", ("frame 1\n",), request_id="req-1")
    wire = (
        HEAD
        + encode_chunk(b"a" * 300)
        + encode_chunk(b"\r\n0\r\n")
        + encode_last_chunk(
            {
                "Lambda-Runtime-Function-Error-Type": report.header_value,
                "Lambda-Runtime-Function-Error-Body": report.to_base64(),
            }
        )
    )
    chunks, trailers = _parse_request(wire)
    assert b"".join(chunks) == b"a" * 300 + b"\r\n0\r\n"
    fields = dict(trailers)
    assert fields[b"lambda-runtime-function-error-type"] == b"RuntimeError"
    body = json.loads(base64.b64decode(fields[b"lambda-runtime-function-error-body"]))
    assert body == {
        "errorMessage": "boom",
        "errorType": "RuntimeError",
        "requestId": "req-1",
        "stackTrace": ["frame 1\n"],
    }


def test_a_body_without_trailers_ends_with_the_last_chunk() -> None:
    chunks, trailers = _parse_request(HEAD + encode_chunk(b"x") + encode_last_chunk())
    assert chunks == [b"x"]
    assert trailers == []


def test_an_empty_chunk_is_refused_because_it_would_end_the_body() -> None:
    with pytest.raises(ValueError, match="empty chunk"):
        encode_chunk(b"")


@pytest.mark.parametrize(("name", "value"), [("Bad Name", "v"), ("X", "line\r\nbreak"), ("", "v")])
def test_trailer_fields_that_would_break_the_framing_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="invalid trailer"):
        encode_last_chunk({name: value})


def test_error_report_from_an_exception_has_lambdas_shape() -> None:
    def fail() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError) as caught:
        fail()
    report = ErrorReport.from_exception(caught.value, request_id="req-2")
    document = json.loads(report.to_json())
    assert document["errorType"] == "KeyError"
    assert document["errorMessage"] == "'missing'"
    assert document["requestId"] == "req-2"
    assert any("in fail" in frame for frame in document["stackTrace"])
    assert ErrorReport("a b:c\n", "m").header_value == "a_b_c_"

    cause = json.loads(report.xray_cause("/var/task"))
    assert cause["working_directory"] == "/var/task"
    (exception,) = cause["exceptions"]
    assert exception["type"] == "KeyError"
    assert exception["stack"][-1]["label"] == "fail"
    assert exception["stack"][-1]["path"] == __file__
    assert cause["paths"] == [__file__]


def test_the_xray_cause_is_an_ascii_header_value_or_dropped_when_too_large() -> None:
    cause = ErrorReport("ValueError", "caf\u00e9\r\nline").xray_cause("/var/task")
    assert cause.isascii()
    assert "\r" not in cause
    assert "\n" not in cause
    assert ErrorReport("ValueError", "x" * (1024 * 1024)).xray_cause("/var/task") == ""
