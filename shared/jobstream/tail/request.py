"""What a client asked for, read once from the HTTP event at the transport's edge: the job, its
token, where to resume, which viewer asks, the origin, or a CORS preflight (``read_stream_event``).

Lambda hands the stream function a Function URL event (payload format 2.0). API Gateway REST
streaming hands it the 1.0 shape instead, so both are read here (they differ only in where the
method, path and query live). Everything is validated before any byte is streamed: a client mistake
becomes a 4xx with a JSON reason, never a 500. Below this module nothing reads the event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from jobstream.auth.tokens import bearer_token_and_place
from jobstream.tail.cors import Preflight, preflight_from_headers
from jobstream.tail.errors import StreamRejected

# Job ids are URL-safe by construction (uuid hex, ULIDs, token_urlsafe); anything else cannot name
# a job, so it is an unknown path rather than a store lookup.
_STREAM_PATH = re.compile(r"/jobs/(?P<job_id>[A-Za-z0-9_-]{1,128})/events")

# Event ids are the store's sequence numbers, zero-padded to 12 digits in the sort key, so a longer
# value can never name a stored event. ASCII digits only: str.isdigit() would accept "²".
LAST_EVENT_ID_MAX_DIGITS = 12
_LAST_EVENT_ID = re.compile(rf"[0-9]{{1,{LAST_EVENT_ID_MAX_DIGITS}}}")

# The viewer: a client-chosen id of one page (a browser tab), the same across its reconnects and
# reloads (the browser package keeps it in sessionStorage). A newer stream of the same viewer
# supersedes the older one (jobstream.store.stream_slots). Sent as this header, or as the
# ``viewer`` query parameter by a native EventSource, which cannot send headers.
VIEWER_HEADER = "viewer-id"
VIEWER_QUERY = "viewer"
_VIEWER = re.compile(r"[A-Za-z0-9_-]{1,64}")

ALLOWED_METHODS = ("GET",)
PREFLIGHT_METHOD = "OPTIONS"


@dataclass(frozen=True, slots=True)
class StreamRequest:
    job_id: str
    # Bearer token from the Authorization header or the ``token`` query parameter; repr=False so
    # a logged request never shows it.
    token: str | None = field(repr=False)
    # Raw resume point as sent (header wins over the ``last_event_id`` query parameter); the
    # service validates it because "beyond the job's last id" needs the job.
    last_event_id: str | None
    # The client's per-page id (header wins over the ``viewer`` query parameter); None if unsent.
    viewer: str | None = None
    # The token came in the query string (native EventSource): only a view token may.
    token_in_url: bool = False


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One stream-function event, read once: exactly one of ``request`` (a GET to stream),
    ``preflight`` (a CORS preflight, answered by the function behind the REST front only) or
    ``rejected`` (a client mistake, answered before any byte) is set. ``answers_cors``: the
    function sets CORS headers itself (REST front); a Function URL does it for the function."""

    answers_cors: bool
    origin: str | None
    request: StreamRequest | None = None
    preflight: Preflight | None = None
    rejected: StreamRejected | None = None

    @property
    def job_id(self) -> str | None:
        """The job a stream request names (not yet authorised: only a well-formed id from the
        path), for the handler's log lines; None for anything else."""
        return self.request.job_id if self.request is not None else None


def read_stream_event(event: Mapping[str, Any]) -> StreamEvent:
    """The whole event, read once (see StreamEvent)."""
    answers_cors = is_rest_api_event(event)
    origin = _headers(event).get("origin")
    if answers_cors:
        preflight = parse_preflight(event)
        if preflight is not None:
            return StreamEvent(answers_cors=True, origin=origin, preflight=preflight)
    try:
        request = parse_stream_request(event)
    except StreamRejected as rejected:
        return StreamEvent(answers_cors=answers_cors, origin=origin, rejected=rejected)
    return StreamEvent(answers_cors=answers_cors, origin=origin, request=request)


def parse_stream_request(event: Mapping[str, Any]) -> StreamRequest:
    """Route and read ``GET /jobs/{job_id}/events``; raise StreamRejected (404, 405) otherwise."""
    path = _path(event)
    match = _STREAM_PATH.fullmatch(path)
    if match is None:
        raise StreamRejected(404, "not_found", "no such resource; streams are at /jobs/{id}/events")
    method = _method(event)
    if method not in ALLOWED_METHODS:
        raise StreamRejected(
            405,
            "method_not_allowed",
            f"method {method or '(none)'} is not allowed here; use GET",
            headers={"Allow": ", ".join(ALLOWED_METHODS)},
        )
    headers = _headers(event)
    query = _query(event)
    last_event_id = headers.get("last-event-id")
    if last_event_id is None:
        last_event_id = query.get("last_event_id")
    token, token_in_url = bearer_token_and_place(headers.get("authorization"), query.get("token"))
    return StreamRequest(
        job_id=match["job_id"],
        token=token,
        last_event_id=last_event_id,
        viewer=_viewer(headers.get(VIEWER_HEADER, query.get(VIEWER_QUERY))),
        token_in_url=token_in_url,
    )


def _viewer(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if _VIEWER.fullmatch(raw) is None:
        raise StreamRejected(
            400,
            "invalid_viewer",
            "Viewer-Id (or ?viewer=) must be 1-64 characters of A-Z a-z 0-9 _ -, the same for "
            "every stream one page opens",
        )
    return raw


def is_rest_api_event(event: Mapping[str, Any]) -> bool:
    """True for an API Gateway REST (payload 1.0) event, False for a Function URL (2.0) one.

    The REST front passes CORS preflights and headers through to the function, so the stream
    answers CORS itself there (jobstream.tail.cors); a Function URL answers it on its own.
    """
    return event.get("version") != "2.0" and isinstance(event.get("httpMethod"), str)


def parse_preflight(event: Mapping[str, Any]) -> Preflight | None:
    """The CORS preflight of an ``OPTIONS /jobs/{job_id}/events``; None for any other request."""
    if _method(event) != PREFLIGHT_METHOD or _STREAM_PATH.fullmatch(_path(event)) is None:
        return None
    return preflight_from_headers(_headers(event))


def parse_last_event_id(raw: str | None) -> int | None:
    """The resume point as an int, None for "from the start"; StreamRejected(400) if malformed.

    An empty value means "no id": a browser never sends an empty Last-Event-ID, but a fetch-based
    client that forwards whatever it has stored may, and it means the same thing.
    """
    if raw is None or raw == "":
        return None
    if len(raw) > LAST_EVENT_ID_MAX_DIGITS:
        raise StreamRejected(
            400,
            "invalid_last_event_id",
            f"Last-Event-ID is too long: at most {LAST_EVENT_ID_MAX_DIGITS} digits",
        )
    if _LAST_EVENT_ID.fullmatch(raw) is None:
        raise StreamRejected(
            400,
            "invalid_last_event_id",
            "Last-Event-ID must be a non-negative integer (the id of the last event received)",
        )
    return int(raw)


def _path(event: Mapping[str, Any]) -> str:
    path = event.get("rawPath")
    if not isinstance(path, str):
        path = event.get("path")
    return path if isinstance(path, str) else ""


def _method(event: Mapping[str, Any]) -> str:
    context = event.get("requestContext")
    if isinstance(context, Mapping):
        http = context.get("http")
        if isinstance(http, Mapping) and isinstance(http.get("method"), str):
            return str(http["method"]).upper()
    method = event.get("httpMethod")
    return method.upper() if isinstance(method, str) else ""


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    # Function URLs lower-case header names already; REST (1.0) events do not.
    raw = event.get("headers")
    if not isinstance(raw, Mapping):
        return {}
    return {str(k).lower(): v for k, v in raw.items() if isinstance(v, str)}


def _query(event: Mapping[str, Any]) -> dict[str, str]:
    """First value of each query parameter.

    rawQueryString is preferred: queryStringParameters joins repeated values with commas, which
    would turn ``?token=a&token=b`` into a token that is neither.
    """
    raw = event.get("rawQueryString")
    if isinstance(raw, str):
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            params.setdefault(key, value)
        return params
    parsed = event.get("queryStringParameters")
    if not isinstance(parsed, Mapping):
        return {}
    return {str(k): v for k, v in parsed.items() if isinstance(v, str)}
