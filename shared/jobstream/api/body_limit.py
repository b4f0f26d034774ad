"""Refuse oversize request bodies before anything parses them.

Starlette's RequestBodyLimitMiddleware answers a request whose Content-Length is over the limit in
plain text (it rewrites whatever response the app sends), which would break the API's JSON error
format; this small middleware does the same two checks and leaves the answer to the error handlers.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobstream.api.errors import error_response
from jobstream.http_errors import ErrorAnswer


def _message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


class RequestBodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI's body reader re-raises it unchanged (to the 413 handler)
    instead of reporting a generic parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_message(limit))


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            # Answered without reading a byte of the body.
            response = error_response(
                ErrorAnswer(413, "payload_too_large", _message(self.max_bytes))
            )
            await response(scope, receive, send)
            return
        received = 0

        # A body without Content-Length (chunked) is counted as it arrives.
        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestBodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)
