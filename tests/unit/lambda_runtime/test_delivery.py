"""What reaches a transport for each way a handler can succeed or fail (both transports)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jobstream.invocation_context import InvocationContext
from jobstream.response_stream import LastChunk, StreamingResponse, json_response, sse_response
from jobstream.response_stream.delivery import deliver
from jobstream.sse import encode_event
from jobstream_client.sse import SSEParser


class RecordingSink:
    def __init__(self, *, accept_chunks: int | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._accept_chunks = accept_chunks

    def send_result(self, result: object) -> None:
        self.calls.append(("result", result))

    def send_failure(self, error: Exception) -> None:
        self.calls.append(("failure", type(error).__name__))

    def start_stream(self, response: StreamingResponse) -> bool:
        self.calls.append(("start", response.status_code))
        return True

    def send_chunk(self, chunk: bytes) -> bool:
        if self._accept_chunks is not None:
            if self._accept_chunks == 0:
                return False
            self._accept_chunks -= 1
        self.calls.append(("chunk", chunk))
        return True

    def end_stream(self, error: Exception | None) -> None:
        self.calls.append(("end", None if error is None else type(error).__name__))


class TrackedBody:
    """A body generator that records how far it got and whether it was closed."""

    def __init__(self, chunks: list[bytes], *, fail_at: int | None = None) -> None:
        self.pulled = 0
        self.closed = False
        self._chunks = chunks
        self._fail_at = fail_at

    def __iter__(self) -> Iterator[bytes]:
        try:
            for index, chunk in enumerate(self._chunks):
                if index == self._fail_at:
                    raise RuntimeError("body broke")
                self.pulled += 1
                yield chunk
        finally:
            self.closed = True


CONTEXT = InvocationContext.for_timeout(30)


def run(handler: Any, sink: RecordingSink) -> None:
    deliver(handler, {"e": 1}, CONTEXT, sink)


def test_a_plain_result_is_delivered_buffered() -> None:
    sink = RecordingSink()
    run(lambda event, context: {"got": event, "id": context.aws_request_id}, sink)
    assert sink.calls == [("result", {"got": {"e": 1}, "id": CONTEXT.aws_request_id})]


def test_a_last_chunk_ends_the_body_before_the_generators_clean_up_runs() -> None:
    sink = RecordingSink()
    seen_at_clean_up: list[list[tuple[str, Any]]] = []

    def body() -> Iterator[bytes]:
        try:
            yield b"a"
            yield LastChunk(b"retry: 0\n\n")
            yield b"never sent"
        finally:
            # What the client had when the stream's clean-up (a slot's delete, say) began.
            seen_at_clean_up.append(list(sink.calls))

    run(lambda event, context: StreamingResponse(200, body=body()), sink)
    expected = [("start", 200), ("chunk", b"a"), ("chunk", b"retry: 0\n\n"), ("end", None)]
    assert sink.calls == expected
    assert seen_at_clean_up == [expected]


def test_without_a_last_chunk_the_clean_up_runs_before_the_end() -> None:
    sink = RecordingSink()
    seen_at_clean_up: list[list[tuple[str, Any]]] = []

    def body() -> Iterator[bytes]:
        try:
            yield b"a"
        finally:
            seen_at_clean_up.append(list(sink.calls))

    run(lambda event, context: StreamingResponse(200, body=body()), sink)
    assert seen_at_clean_up == [[("start", 200), ("chunk", b"a")]]
    assert sink.calls[-1] == ("end", None)


def test_a_streaming_response_starts_then_sends_each_chunk_then_ends() -> None:
    body = TrackedBody([b"a", b"", b"b"])
    sink = RecordingSink()
    run(lambda event, context: StreamingResponse(201, body=iter(body)), sink)
    assert sink.calls == [("start", 201), ("chunk", b"a"), ("chunk", b"b"), ("end", None)]
    assert body.closed


def test_a_handler_exception_is_a_failure_before_anything_is_sent() -> None:
    def handler(event: Any, context: Any) -> object:
        raise ValueError("nope")

    sink = RecordingSink()
    run(handler, sink)
    assert sink.calls == [("failure", "ValueError")]


def test_a_body_failing_before_its_first_chunk_is_a_failure_not_a_stream() -> None:
    body = TrackedBody([b"a"], fail_at=0)
    sink = RecordingSink()
    run(lambda event, context: sse_response(iter(body)), sink)
    assert sink.calls == [("failure", "RuntimeError")]
    assert body.closed


def test_an_sse_body_failing_later_gets_the_in_band_event_then_an_error_end() -> None:
    body = TrackedBody([encode_event(id=1, data="x"), b"never"], fail_at=1)
    sink = RecordingSink()
    run(lambda event, context: sse_response(iter(body)), sink)
    kinds = [kind for kind, _ in sink.calls]
    assert kinds == ["start", "chunk", "chunk", "end"]
    assert sink.calls[-1] == ("end", "RuntimeError")
    [notice] = SSEParser().feed(sink.calls[2][1])
    assert notice.event == "error"
    assert notice.id == ""
    assert json.loads(notice.data)["error"] == "stream_failed"
    assert "body broke" not in notice.data
    assert body.closed


def test_a_non_sse_body_failing_later_just_ends_with_the_error() -> None:
    body = TrackedBody([b"{", b"}"], fail_at=1)
    sink = RecordingSink()
    run(
        lambda event, context: StreamingResponse(
            200, {"Content-Type": "application/json"}, body=iter(body)
        ),
        sink,
    )
    assert sink.calls == [("start", 200), ("chunk", b"{"), ("end", "RuntimeError")]


def test_a_receiver_that_goes_away_stops_the_pulling_and_closes_the_body() -> None:
    body = TrackedBody([b"1", b"2", b"3", b"4"])
    sink = RecordingSink(accept_chunks=1)
    run(lambda event, context: StreamingResponse(body=iter(body)), sink)
    assert sink.calls == [("start", 200), ("chunk", b"1")]
    assert body.pulled == 2  # the chunk that could not be sent, and no more
    assert body.closed


def test_a_body_yielding_text_is_a_failure_with_a_clear_type_error() -> None:
    sink = RecordingSink()
    text_body: Any = iter(["text"])
    run(lambda event, context: StreamingResponse(body=text_body), sink)
    assert sink.calls == [("failure", "TypeError")]


def test_no_content_starts_and_ends_without_chunks() -> None:
    sink = RecordingSink()
    run(lambda event, context: StreamingResponse(204), sink)
    assert sink.calls == [("start", 204), ("end", None)]


def test_a_json_response_is_streamed_as_one_chunk() -> None:
    sink = RecordingSink()
    run(lambda event, context: json_response(404, {"message": "gone"}), sink)
    assert sink.calls == [("start", 404), ("chunk", b'{"message":"gone"}'), ("end", None)]
