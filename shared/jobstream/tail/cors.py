"""CORS for the stream: the one rule for which browser origins may read it, and with what.

Who applies it depends on the front, never on the handler:

- Function URL (StreamUrl): Lambda itself answers preflights and sets the response headers from
  ``FunctionUrlConfig.Cors`` in template.yaml, which mirrors the constants below (a test checks);
  the function never sees a preflight. The function adds nothing there, or a browser would get
  two ``Access-Control-Allow-Origin`` values and refuse both.
- API Gateway REST front (``StreamFront=RestApi``): a proxy integration passes every request,
  OPTIONS included, to the function and returns its headers untouched, so the function answers
  (``StreamCors.preflight`` and ``StreamCors.response_headers``; jobstream.composition.open_stream
  applies them to REST events only).
- The local stack: Starlette's CORSMiddleware in front of the local Function URL, built from the
  same constants (jobstream_local.site).

Allowed origins are ``Settings.cors_allowed_origins`` (the template's ``AllowedOrigins``, shared
with the jobs API): an exact origin match, or ``*`` for any origin, as Starlette's middleware and
Function URLs match them. Hand-written because no library answers CORS for a Lambda event that is
not an ASGI request; it is a few header rules (Fetch standard, "CORS protocol").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jobstream.response_stream.response import StreamingResponse, json_response

ALLOW_METHODS = ("GET",)
# last-event-id: sent by a client resuming; not a CORS-safelisted header, so a preflight must allow
# it, as it must the authorization header. cache-control: sent by some EventSource polyfills.
# viewer-id: the client's per-page id (jobstream.tail.request).
ALLOW_HEADERS = ("authorization", "last-event-id", "cache-control", "viewer-id")
MAX_AGE_SECONDS = 600

ANY_ORIGIN = "*"


@dataclass(frozen=True, slots=True)
class Preflight:
    """An OPTIONS request as a browser sends it before a cross-origin GET with headers."""

    origin: str | None
    method: str | None  # Access-Control-Request-Method
    headers: tuple[str, ...]  # Access-Control-Request-Headers, lower-cased


@dataclass(frozen=True, slots=True)
class StreamCors:
    allowed_origins: tuple[str, ...]

    @classmethod
    def of(cls, allowed_origins: Sequence[str]) -> StreamCors:
        return cls(tuple(allowed_origins))

    def allows(self, origin: str | None) -> bool:
        if not origin:
            return False
        return ANY_ORIGIN in self.allowed_origins or origin in self.allowed_origins

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """Headers for an actual (non-preflight) response to a request from ``origin``."""
        # Vary: a cache in between must not serve one origin's answer to another (nor an answer
        # without CORS headers to a browser).
        headers = {"Vary": "Origin"}
        if origin and self.allows(origin):
            headers["Access-Control-Allow-Origin"] = (
                ANY_ORIGIN if ANY_ORIGIN in self.allowed_origins else origin
            )
        return headers

    def preflight(self, request: Preflight) -> StreamingResponse:
        """204 with the allowed method, headers and max age; else 403 with a JSON reason (and no
        Access-Control-Allow-Origin, so the browser refuses the actual request)."""
        if not request.origin or not request.method:
            return json_response(
                400,
                {
                    "error": "not_a_preflight",
                    "message": "OPTIONS here answers CORS preflights only: send Origin and "
                    "Access-Control-Request-Method",
                },
                headers={"Allow": ", ".join(ALLOW_METHODS)},
            )
        refusal = self._refusal(request)
        if refusal is not None:
            return json_response(
                403, {"error": "cors_not_allowed", "message": refusal}, headers={"Vary": "Origin"}
            )
        headers = {
            **self.response_headers(request.origin),
            "Access-Control-Allow-Methods": ", ".join(ALLOW_METHODS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        }
        if request.headers:
            headers["Access-Control-Allow-Headers"] = ", ".join(ALLOW_HEADERS)
        return StreamingResponse(204, headers)

    def _refusal(self, request: Preflight) -> str | None:
        if not self.allows(request.origin):
            return f"origin {request.origin} may not read this stream"
        if request.method not in ALLOW_METHODS:
            return f"method {request.method} is not allowed; streams are read with GET"
        extra = [name for name in request.headers if name not in ALLOW_HEADERS]
        if extra:
            return f"request headers not allowed: {', '.join(extra)}"
        return None


def preflight_from_headers(headers: Mapping[str, str]) -> Preflight:
    """``headers`` with lower-cased names."""
    requested = headers.get("access-control-request-headers", "")
    return Preflight(
        origin=headers.get("origin"),
        method=headers.get("access-control-request-method"),
        headers=tuple(name.strip().lower() for name in requested.split(",") if name.strip()),
    )
