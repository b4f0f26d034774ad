"""Run a handler and hand its result to a transport: the one place that decides *what* is sent.

The transports (a ``ResponseSink``: the Lambda Runtime API client, the local Function URL server)
only decide *how* bytes reach the wire. Keeping the decisions here means the local server fails
exactly the way Lambda does:

- the handler raises, or the body raises before its first chunk -> ``send_failure`` (nothing was
  sent yet: Lambda's ``/error``, a 502 from the Function URL);
- the handler returns something else than a ``StreamingResponse`` -> ``send_result`` (buffered);
- the body raises after the stream began -> the in-band notice (SSE ``error`` event) as a last
  chunk, then ``end_stream(error)`` (error trailers on Lambda);
- the body yields a ``LastChunk`` -> it is sent, the body ends on the wire, and only then is the
  body's generator closed (its clean-up runs while the client already has the end).

The first chunk is pulled *before* the stream is started so that a body failing at once still
gets a real error status instead of a 200 with an error inside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from jobstream.invocation_context import InvocationContext
from jobstream.response_stream.body import ResponseBody
from jobstream.response_stream.failure import stream_failure_bytes
from jobstream.response_stream.response import LastChunk, StreamingResponse

logger = logging.getLogger(__name__)

# The context parameter is Any, not InvocationContext: handlers annotate it with Powertools'
# LambdaContext (what Lambda's own runtime passes), and InvocationContext is duck-compatible with it
# rather than a subclass, so a narrower type would reject every such handler.
Handler = Callable[[Any, Any], object]


class ResponseSink(Protocol):
    def send_result(self, result: object) -> None:
        """A buffered (non-streaming) result."""

    def send_failure(self, error: Exception) -> None:
        """The invocation failed before any byte of a response was sent."""

    def start_stream(self, response: StreamingResponse) -> bool:
        """Send status, headers and cookies. False if the receiver is gone: stop pulling."""

    def send_chunk(self, chunk: bytes) -> bool:
        """Send one body chunk at once (no buffering). False if the receiver is gone."""

    def end_stream(self, error: Exception | None) -> None:
        """End the body; ``error`` is the body's exception if it failed after the first byte."""


def deliver(handler: Handler, event: Any, context: InvocationContext, sink: ResponseSink) -> None:
    try:
        result = handler(event, context)
    except Exception as exc:
        logger.exception("Handler failed")
        sink.send_failure(exc)
        return
    if not isinstance(result, StreamingResponse):
        sink.send_result(result)
        return
    _stream(result, sink)


def _stream(response: StreamingResponse, sink: ResponseSink) -> None:
    body = ResponseBody(response.body)
    try:
        try:
            chunk = body.next_chunk()
        except Exception as exc:
            logger.exception("Response body failed before its first chunk")
            sink.send_failure(exc)
            return
        if not sink.start_stream(response):
            return
        while chunk is not None:
            if not sink.send_chunk(chunk):
                return
            if isinstance(chunk, LastChunk):
                break
            try:
                chunk = body.next_chunk()
            except Exception as exc:
                logger.exception("Response body failed after the stream began")
                notice = stream_failure_bytes(response.headers)
                if notice is None or sink.send_chunk(notice):
                    sink.end_stream(exc)
                return
        sink.end_stream(None)
    finally:
        body.close()
