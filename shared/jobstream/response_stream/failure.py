"""What the client sees when a stream fails after its first byte.

By then the status line is gone, and on Lambda the invocation still counts as a success (the error
travels in trailers the HTTP client never sees), so an event stream tells the client in-band.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from jobstream.sse.encode import encode_event

STREAM_FAILED_MESSAGE = "The stream failed. Reconnect to resume."

# The in-band event carries no `id:` on purpose: the client's Last-Event-ID must keep pointing at
# the last real event so that a reconnect resumes exactly there. Its type is `error`, like a job's
# terminal failure; `"retryable": true` is what tells them apart (a job's `error` event never has
# it): our clients treat this one as a dropped connection and resume, not as the job's end (the
# Python client's recogniser is jobstream_client.stream_failure.is_stream_failure).
STREAM_FAILED_CODE = "stream_failed"
_STREAM_FAILED_EVENT = encode_event(
    event="error",
    data=json.dumps(
        {"error": STREAM_FAILED_CODE, "message": STREAM_FAILED_MESSAGE, "retryable": True}
    ),
)


def is_event_stream(headers: Mapping[str, str]) -> bool:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower() == "text/event-stream"
    return False


def stream_failure_bytes(headers: Mapping[str, str]) -> bytes | None:
    """The in-band notice for a response with these headers, or None if its format has none.

    Safe by construction: a fixed message, never the exception's text or stack trace.
    """
    return _STREAM_FAILED_EVENT if is_event_stream(headers) else None
