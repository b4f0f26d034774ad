"""An HTTP request as Lambda hands it to a function behind a Function URL (payload format 2.0).

Field by field after the AWS Lambda Developer Guide, "Invoking Lambda function URLs" (request
payload format): header names lower-cased and repeated headers comma-joined, the ``cookie`` header
moved to ``cookies``, ``queryStringParameters`` comma-joined and absent without a query string,
``body`` absent without a body and base64-encoded unless it is text.

The one builder of these events: the local Function URL (function_url.py) makes one per HTTP
request from its ASGI scope (``event_from_asgi_scope``), and the tests make theirs from a method,
a path and a few headers (``request_event``). Dev tooling, not in the layer; the tests may import
it, it never imports them.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import Scope

# A Function URL's host as AWS names it: <url-id>.lambda-url.<region>.on.aws.
FUNCTION_URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
_SOURCE_IP = "203.0.113.7"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


def function_url_event(
    *,
    method: str,
    raw_path: str,
    path: str,
    raw_query_string: str,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    source_ip: str,
    http_version: str,
    request_id: str,
    now: float,
) -> dict[str, Any]:
    joined, cookies = _headers(headers)
    return _event(
        method=method,
        raw_path=raw_path,
        path=path,
        raw_query_string=raw_query_string,
        headers=joined,
        cookies=cookies,
        body=body,
        source_ip=source_ip,
        http_version=http_version,
        request_id=request_id,
        now=now,
    )


def _event(
    *,
    method: str,
    raw_path: str,
    path: str,
    raw_query_string: str,
    headers: dict[str, str],
    cookies: list[str],
    body: bytes,
    source_ip: str,
    http_version: str,
    request_id: str,
    now: float,
) -> dict[str, Any]:
    joined = headers
    host = joined.get("host", "localhost")
    prefix = host.split(".", 1)[0]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query_string,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            # A real URL's id is its host's first label; the local server's host has none.
            "apiId": prefix if ".lambda-url." in host else "local",
            "domainName": host,
            "domainPrefix": prefix,
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": f"HTTP/{http_version}",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": _request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query_string:
        event["queryStringParameters"] = _query_parameters(raw_query_string)
    if body:
        text = _text(body, joined.get("content-type", ""))
        if text is None:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


def request_event(
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: object = None,
    host: str = FUNCTION_URL_HOST,
    request_id: str = "0f5c1a9e-7d1b-4a4e-9a52-3d3c2b1a0f00",
    now: float = 1_795_255_200.0,
) -> dict[str, Any]:
    """The event of one request to a deployed Function URL, from its parts: what a test sends a
    handler. ``json_body`` is sent as JSON (with its Content-Type and Content-Length)."""
    body = b"" if json_body is None else json.dumps(json_body).encode()
    # What the Function URL adds to every request, as recorded (trace id and address made up).
    sent = {
        "host": host,
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-forwarded-for": _SOURCE_IP,
        "x-amzn-trace-id": "Root=1-6740a1b2-0123456789abcdef01234567",
        "user-agent": "curl/8.5.0",
    }
    if json_body is not None:
        sent |= {"content-type": "application/json", "content-length": str(len(body))}
    sent |= {name.lower(): value for name, value in (headers or {}).items()}
    cookie = sent.pop("cookie", "")
    return _event(
        method=method,
        raw_path=path,
        path=path,
        raw_query_string=urlencode(query or {}),
        headers=sent,
        cookies=[part.strip() for part in cookie.split(";") if part.strip()],
        body=body,
        source_ip=_SOURCE_IP,
        http_version="1.1",
        request_id=request_id,
        now=now,
    )


def event_from_asgi_scope(
    scope: Scope, body: bytes, *, request_id: str, now: float
) -> dict[str, Any]:
    """The event for an ASGI HTTP ``scope`` (as uvicorn and Starlette pass it) and its body."""
    raw_path = scope.get("raw_path")
    path: str = scope["path"]
    client = scope.get("client")
    return function_url_event(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1") if raw_path else quote(path),
        path=path,
        raw_query_string=bytes(scope.get("query_string", b"")).decode("latin-1"),
        headers=scope.get("headers", []),
        body=body,
        source_ip=client[0] if client else "127.0.0.1",
        http_version=scope.get("http_version", "1.1"),
        request_id=request_id,
        now=now,
    )


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[dict[str, str], list[str]]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        elif name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    return headers, cookies


def _query_parameters(raw_query_string: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query_string, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _text(body: bytes, content_type: str) -> str | None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    textual = (
        media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )
    if not textual:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _request_time(now: float) -> str:
    # "12/Mar/2020:19:03:58 +0000", with English month names whatever the process locale.
    t = time.gmtime(now)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{time.strftime('%H:%M:%S', t)} +0000"
    )
