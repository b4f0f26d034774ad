"""CORS on the stream: the function answers it for the REST API front, never for a Function URL.

Through the stream handler (functions/stream/app.py), as Lambda calls it: a REST (payload 1.0)
event gets preflights answered and CORS headers for allowed origins; a Function URL (2.0) event
gets none from the function, because the URL adds its own (two Access-Control-Allow-Origin
headers would make a browser refuse the response). Preflights and refusals here; streams read
from the table, with their headers, in tests/functional/tail/test_cors_on_streams.py.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from jobstream.invocation_context import InvocationContext
from jobstream.response_stream.response import StreamingResponse
from jobstream.settings import Settings
from jobstream.tail import cors
from tests.conftest import load_handler_module
from tests.functional.tail.conftest import SIGNING_KEY

SITE = "https://app.example.com"
OTHER = "https://evil.example.net"


def load_stream_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stream handler as template.yaml configures it (a fresh import per test)."""
    monkeypatch.setenv("JOBSTREAM_TABLE", settings.table)
    monkeypatch.setenv("JOBSTREAM_REGION", settings.region)
    monkeypatch.setenv("JOBSTREAM_TOKEN_KEY", SIGNING_KEY.decode())
    monkeypatch.setenv("JOBSTREAM_STREAM_MAX_SECONDS", "5")
    # As template.yaml sets it: !Join [",", AllowedOrigins].
    monkeypatch.setenv("JOBSTREAM_CORS_ALLOWED_ORIGINS", f"{SITE},http://localhost:8000")
    return load_handler_module("stream")


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_stream_app(settings, monkeypatch)


def rest_event(
    path: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway REST proxy (payload 1.0) event: header names as the client sent them."""
    return {
        "resource": "/jobs/{job_id}/events",
        "path": path,
        "httpMethod": method,
        "headers": headers or {},
        "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
        "queryStringParameters": None,
        "pathParameters": {"job_id": path.split("/")[2]},
        "requestContext": {"httpMethod": method, "path": f"/dev{path}", "stage": "dev"},
        "isBase64Encoded": False,
    }


def invoke(app: ModuleType, event: dict[str, Any]) -> StreamingResponse:
    response = app.handler(event, InvocationContext.for_timeout(60, function_name="stream"))
    assert isinstance(response, StreamingResponse)
    return response


def cors_headers(response: StreamingResponse) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def preflight(origin: str, *, method: str = "GET", headers: str = "authorization, last-event-id"):
    return rest_event(
        "/jobs/j1/events",
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_a_preflight_from_an_allowed_origin_is_answered_with_the_stream_rule(
    app: ModuleType,
) -> None:
    response = invoke(app, preflight(SITE))
    assert response.status_code == 204
    assert list(response.body) == []
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": SITE,
        "Access-Control-Allow-Methods": "GET",
        "Access-Control-Allow-Headers": "authorization, last-event-id, cache-control, viewer-id",
        "Access-Control-Max-Age": "600",
    }
    assert response.headers["Vary"] == "Origin"


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (preflight(OTHER), f"origin {OTHER} may not read this stream"),
        (preflight(SITE, method="DELETE"), "method DELETE is not allowed"),
        (preflight(SITE, headers="authorization, x-secret"), "not allowed: x-secret"),
    ],
)
def test_a_preflight_outside_the_rule_is_refused_with_a_reason_and_no_cors_headers(
    app: ModuleType, event: dict[str, Any], why: str
) -> None:
    response = invoke(app, event)
    assert response.status_code == 403
    assert cors_headers(response) == {}
    body = json.loads(b"".join(response.body))
    assert body["error"] == "cors_not_allowed"
    assert why in body["message"]


def test_an_options_request_that_is_no_preflight_is_a_400(app: ModuleType) -> None:
    response = invoke(app, rest_event("/jobs/j1/events", method="OPTIONS"))
    assert response.status_code == 400
    assert json.loads(b"".join(response.body))["error"] == "not_a_preflight"


@pytest.mark.parametrize(("authorization", "status"), [(None, 401), ("Bearer not-a-token", 403)])
def test_errors_carry_them_too_so_a_browser_can_read_why(
    app: ModuleType, authorization: str | None, status: int
) -> None:
    headers = {"Origin": SITE} | ({"Authorization": authorization} if authorization else {})
    response = invoke(app, rest_event("/jobs/j1/events", headers=headers))
    assert response.status_code == status
    assert cors_headers(response) == {"Access-Control-Allow-Origin": SITE}


def test_any_origin_is_answered_with_a_wildcard() -> None:
    rule = cors.StreamCors.of(["*"])
    assert rule.response_headers(OTHER) == {"Access-Control-Allow-Origin": "*", "Vary": "Origin"}
    assert rule.response_headers(None) == {"Vary": "Origin"}
    assert not cors.StreamCors.of([]).allows(SITE)
