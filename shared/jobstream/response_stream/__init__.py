"""Streaming HTTP responses from handlers: the value a handler returns, and how it is delivered.

``response.py`` is what handlers use; ``delivery.py`` is shared by the two transports that write
it out (the Lambda runtime in ``jobstream.lambda_runtime``, the local server in
``jobstream_local``).
"""

from jobstream.response_stream.response import (
    LastChunk,
    StreamingResponse,
    empty_response,
    is_streaming_handler,
    json_response,
    sse_response,
    streaming_handler,
)

__all__ = [
    "LastChunk",
    "StreamingResponse",
    "empty_response",
    "is_streaming_handler",
    "json_response",
    "sse_response",
    "streaming_handler",
]
