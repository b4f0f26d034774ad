"""Server-Sent Events on the wire: the encoder the stream handler writes with, and the incremental
parser the Python client and the tests read with (both follow the WHATWG HTML rules exactly)."""

from jobstream.sse.encode import SSE_HEADERS, SSEFieldError, encode_comment, encode_event
from jobstream.sse.parse import ServerSentEvent, SSEParser

__all__ = [
    "SSE_HEADERS",
    "SSEFieldError",
    "SSEParser",
    "ServerSentEvent",
    "encode_comment",
    "encode_event",
]
