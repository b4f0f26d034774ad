"""An HTTP request as Lambda hands it to a function behind a Function URL (payload format 2.0).

Field by field after the AWS Lambda Developer Guide, "Invoking Lambda function URLs" (request
payload format): header names lower-cased and repeated headers comma-joined, the ``cookie`` header
moved to ``cookies``, ``queryStringParameters`` comma-joined and absent without a query string,
``body`` absent without a body and base64-encoded unless it is text.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.types import Scope

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
    host = joined.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query_string,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
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
