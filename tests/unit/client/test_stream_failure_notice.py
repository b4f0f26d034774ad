"""The in-band "stream failed" notice is a dropped connection to resume, not the job's end."""

from __future__ import annotations

import httpx
import pytest

from jobstream.response_stream.failure import stream_failure_bytes
from jobstream.sse.encode import encode_event
from jobstream_client.stream import EventStream, StreamEnd
from jobstream_client.stream_failure import is_stream_failure

SSE = {"content-type": "text/event-stream"}
NOTICE = stream_failure_bytes(SSE)


def _events(first: int, last: int) -> bytes:
    return b"".join(
        encode_event(id=i, event="progress", data=f'{{"done": {i}}}')
        for i in range(first, last + 1)
    )


@pytest.mark.parametrize("fails_before_any_event", [False, True])
def test_client_resumes_after_the_notice(fails_before_any_event: bool) -> None:
    assert NOTICE is not None
    seen_last_ids: list[str | None] = []
    first_body = NOTICE if fails_before_any_event else _events(1, 3) + NOTICE
    resume_from = 0 if fails_before_any_event else 3

    def respond(request: httpx.Request) -> httpx.Response:
        seen_last_ids.append(request.headers.get("last-event-id"))
        if len(seen_last_ids) == 1:
            return httpx.Response(200, headers=SSE, content=first_body)
        body = _events(resume_from + 1, 5) + encode_event(id=6, event="complete", data="{}")
        return httpx.Response(200, headers=SSE, content=body)

    client = httpx.Client(transport=httpx.MockTransport(respond))
    stream = EventStream(
        "http://stream.test/jobs/j/events", token="t", client=client, sleep=lambda _: None
    )
    ids = [int(event.id) for event in stream]
    assert ids == [1, 2, 3, 4, 5, 6]
    assert stream.end is StreamEnd.TERMINAL
    assert stream.terminal_event is not None
    assert stream.terminal_event.event == "complete"
    assert stream.stream_failures == 1
    assert seen_last_ids == [None, None if fails_before_any_event else "3"]


def test_a_jobs_own_error_event_is_not_a_stream_failure() -> None:
    assert not is_stream_failure("error", '{"message": "step 3 failed"}')
    assert not is_stream_failure("error", '{"error": "stream_failed"}')
    assert not is_stream_failure("progress", '{"error": "stream_failed", "retryable": true}')
    assert not is_stream_failure("error", "stream_failed not json")
    assert NOTICE is not None
    data = NOTICE.decode().split("data: ", 1)[1].strip()
    assert is_stream_failure("error", data)
