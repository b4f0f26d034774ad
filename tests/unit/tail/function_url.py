"""Function URL (payload format 2.0) events for the stream function: the one builder's
(jobstream_local.function_url_event), called the way these tests call it."""

from __future__ import annotations

from typing import Any

from jobstream_local.function_url_event import request_event


def function_url_event(
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    return request_event(method, path, query=query, headers=headers)
