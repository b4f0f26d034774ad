"""What a streaming handler returns: status and headers first, then a lazily consumed body.

The same value is written to the wire by the streaming runtime on Lambda
(``jobstream.lambda_runtime``) and by the local Function URL server
(``jobstream_local.function_url``); the handler does not know which one runs it. Status, headers and
cookies are fixed when the handler returns, before the first body byte, so a 404 or 400 is a real
HTTP status rather than an event inside a 200 stream."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from jobstream.sse.encode import SSE_HEADERS

logger = logging.getLogger(__name__)

JSONObject = dict[str, Any]

P = ParamSpec("P")

# The marker streaming_handler sets; read it with is_streaming_handler().
_STREAMING_MARK = "__jobstream_streaming__"

INTERNAL_ERROR_MESSAGE = "Internal server error"


class LastChunk(bytes):
    """A body chunk that ends the response: the writer sends it, ends the body on the wire, and
    only then closes the body's generator (which runs its ``finally`` blocks, the stream's own
    clean-up). A client waiting for the end (to reconnect, say) is then not kept waiting for
    that clean-up. Nothing the body would yield after it is sent. It is ``bytes``, so a reader
    that only joins the chunks sees the same body."""

    __slots__ = ()


@dataclass
class StreamingResponse:
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Full Set-Cookie values, one per cookie (Function URL prelude "cookies").
    cookies: list[str] = field(default_factory=list)
    # Consumed lazily, after status and headers are sent; every yielded chunk is flushed at once.
    # A generator here is closed when the client goes away (locally) or the stream ends (right
    # after the body ended on the wire when its last chunk is a LastChunk).
    body: Iterable[bytes] = ()


def sse_response(
    body: Iterable[bytes], *, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    """A 200 ``text/event-stream`` response with jobstream's SSE headers (plus ``headers``)."""
    return StreamingResponse(200, {**SSE_HEADERS, **(headers or {})}, body=body)


def json_response(
    status_code: int, payload: JSONObject, *, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    data = json.dumps(payload, separators=(",", ":")).encode()
    return StreamingResponse(
        status_code,
        {"Content-Type": "application/json", **(headers or {})},
        body=(data,),
    )


def empty_response(
    status_code: int = 204, *, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    return StreamingResponse(status_code, dict(headers or {}), body=())


def streaming_handler(fn: Callable[P, StreamingResponse]) -> Callable[P, StreamingResponse]:
    """Mark ``fn(event, context) -> StreamingResponse`` as a streaming handler.

    An exception raised before ``fn`` returns becomes a 500 JSON response with a safe message (the
    stack trace goes to the log only). Exceptions raised later, while the body is being consumed,
    are the runtime's to report (``/error`` before the first byte, an in-band SSE ``error`` event
    and error trailers after it).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> StreamingResponse:
        try:
            response = fn(*args, **kwargs)
        except Exception:
            logger.exception("Streaming handler failed before the response started")
            return json_response(500, {"message": INTERNAL_ERROR_MESSAGE})
        if not isinstance(response, StreamingResponse):
            logger.error(
                "Streaming handler returned %s instead of a StreamingResponse",
                type(response).__name__,
            )
            return json_response(500, {"message": INTERNAL_ERROR_MESSAGE})
        return response

    setattr(wrapper, _STREAMING_MARK, True)
    return wrapper


def is_streaming_handler(fn: object) -> bool:
    return getattr(fn, _STREAMING_MARK, False) is True
