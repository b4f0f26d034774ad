from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from jobstream_local.function_url_event import (
    FUNCTION_URL_HOST,
    event_from_asgi_scope,
    function_url_event,
    request_event,
)

RECORDED = Path(__file__).with_name("function_url_request.json")


def make(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "method": "get",
        "raw_path": "/jobs/a/events",
        "path": "/jobs/a/events",
        "raw_query_string": "",
        "headers": [],
        "body": b"",
        "source_ip": "10.0.0.1",
        "http_version": "1.1",
        "request_id": "req",
        "now": 1_583_348_638.390,
        **overrides,
    }
    return function_url_event(**arguments)  # type: ignore[arg-type]


def test_a_bare_get() -> None:
    event = make(headers=[(b"Host", b"abc.lambda-url.us-east-1.on.aws"), (b"User-Agent", b"ua")])
    assert event["version"] == "2.0"
    assert event["rawQueryString"] == ""
    assert "queryStringParameters" not in event
    assert "body" not in event
    assert "cookies" not in event
    assert event["isBase64Encoded"] is False
    assert event["headers"] == {"host": "abc.lambda-url.us-east-1.on.aws", "user-agent": "ua"}
    context = event["requestContext"]
    assert isinstance(context, dict)
    assert context["http"] == {
        "method": "GET",
        "path": "/jobs/a/events",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.1",
        "userAgent": "ua",
    }
    assert context["domainPrefix"] == "abc"
    assert context["requestId"] == "req"
    assert context["timeEpoch"] == 1_583_348_638_390
    assert context["time"] == "04/Mar/2020:19:03:58 +0000"


def test_repeated_headers_and_parameters_are_comma_joined_and_cookies_split() -> None:
    event = make(
        raw_query_string="a=1&a=2&b=&c=%20x",
        headers=[
            (b"X-Multi", b"1"),
            (b"x-multi", b"2"),
            (b"Cookie", b"one=1; two=2"),
            (b"cookie", b"three=3"),
        ],
    )
    assert event["queryStringParameters"] == {"a": "1,2", "b": "", "c": " x"}
    assert event["headers"] == {"x-multi": "1,2"}
    assert event["cookies"] == ["one=1", "two=2", "three=3"]


@pytest.mark.parametrize(
    ("content_type", "body", "encoded"),
    [
        ("application/json", b'{"a":1}', False),
        ("text/plain; charset=utf-8", "é".encode(), False),
        ("application/vnd.api+json", b"{}", False),
        ("application/octet-stream", b"abc", True),
        ("text/plain", b"\xff\xfe", True),
        ("", b"abc", True),
    ],
)
def test_the_body_is_text_or_base64(content_type: str, body: bytes, encoded: bool) -> None:
    headers = [(b"content-type", content_type.encode())] if content_type else []
    event = make(method="POST", headers=headers, body=body)
    assert event["isBase64Encoded"] is encoded
    sent = event["body"]
    assert isinstance(sent, str)
    assert (base64.b64decode(sent) if encoded else sent.encode()) == body


def test_from_an_asgi_scope() -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/jobs/a b/events",
        "raw_path": b"/jobs/a%20b/events",
        "query_string": b"token=t",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 5555),
        "http_version": "1.1",
    }
    event = event_from_asgi_scope(scope, b"", request_id="r", now=0.0)
    assert event["rawPath"] == "/jobs/a%20b/events"
    assert event["requestContext"]["http"]["path"] == "/jobs/a b/events"
    assert event["queryStringParameters"] == {"token": "t"}
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"


def shape(value: object) -> object:
    """The keys at every level (values left out): what a handler may look up."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


def test_a_request_event_has_the_shape_lambda_sends() -> None:
    # function_url_request.json: a GET as a Function URL hands it over (values made up).
    recorded = json.loads(RECORDED.read_text())
    event = request_event("GET", "/jobs", headers={"accept": "application/json"})
    assert shape(event) == shape(recorded)
    assert event["requestContext"]["apiId"] == FUNCTION_URL_HOST.split(".", 1)[0]
