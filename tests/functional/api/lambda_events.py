"""Function URL events (payload format 2.0) for the API function, from one recorded-shape file."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

EVENTS = Path(__file__).with_name("events")
FUNCTION_URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"


@cache
def _template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / "function_url_request.json").read_text())
    return loaded


def function_url_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    json_body: object = None,
) -> dict[str, Any]:
    event = copy.deepcopy(_template())
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    if query:
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = dict(parse_qsl(event["rawQueryString"]))
    event["headers"].update({name.lower(): value for name, value in (headers or {}).items()})
    if json_body is not None:
        event["body"] = json.dumps(json_body)
        event["headers"]["content-type"] = "application/json"
        event["headers"]["content-length"] = str(len(event["body"].encode()))
    return event
