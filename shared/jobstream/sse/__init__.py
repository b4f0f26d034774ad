"""Server-Sent Events on the wire: the encoder the stream handler writes with (WHATWG HTML rules).

The parser lives with its readers, in the Python client (``jobstream_client.sse``): the layer
only writes events, it never reads them.
"""

from jobstream.sse.encode import SSE_HEADERS, SSEFieldError, encode_comment, encode_event

__all__ = [
    "SSE_HEADERS",
    "SSEFieldError",
    "encode_comment",
    "encode_event",
]
