"""Handlers the runtime tests invoke through the real runtime loop (one per ``event["case"]``).

This folder plays the function's code folder (``LAMBDA_TASK_ROOT``); ``_HANDLER`` is
``fixture_app.handler``. A handler that must not finish before the test has seen its first chunk
blocks on the FIFO named by ``GATE_FIFO`` (opening it for reading blocks until the test writes).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from jobstream.response_stream import (
    StreamingResponse,
    empty_response,
    json_response,
    sse_response,
    streaming_handler,
)
from jobstream.sse import encode_event


def _wait_for_gate() -> str:
    with open(os.environ["GATE_FIFO"], encoding="utf-8") as gate:
        return gate.read()


@streaming_handler
def sse_gated(event: Any, context: Any) -> StreamingResponse:
    def body() -> Iterator[bytes]:
        yield encode_event(id=1, event="progress", data="first")
        released_with = _wait_for_gate()
        yield encode_event(id=2, event="progress", data=released_with)

    return sse_response(body(), headers={"X-Case": "sse_gated"})


@streaming_handler
def three_spaced_writes(event: Any, context: Any) -> StreamingResponse:
    """Three body writes; each of the later two is produced only once the test, having seen the
    previous chunk arrive, opens the gate."""

    def body() -> Iterator[bytes]:
        yield b"data: one\n\n"
        yield f"data: {_wait_for_gate()}\n\n".encode()
        yield f"data: {_wait_for_gate()}\n\n".encode()

    return StreamingResponse(
        200,
        {"Content-Type": "text/event-stream", "X-Case": "three_spaced_writes"},
        ["session=abc; Path=/; HttpOnly", "theme=dark"],
        body=body(),
    )


@streaming_handler
def unauthorized(event: Any, context: Any) -> StreamingResponse:
    return json_response(
        401, {"message": "bad token"}, headers={"WWW-Authenticate": 'Bearer realm="jobs"'}
    )


@streaming_handler
def one_byte(event: Any, context: Any) -> StreamingResponse:
    return StreamingResponse(200, {"Content-Type": "text/plain"}, body=iter([b"x"]))


@streaming_handler
def large_body(event: Any, context: Any) -> StreamingResponse:
    """``event["writes"]`` writes of ``event["size"]`` bytes: "aaa...", "bbb...", ..."""

    def body() -> Iterator[bytes]:
        for index in range(event["writes"]):
            yield bytes([ord("a") + index]) * event["size"]

    return StreamingResponse(200, {"Content-Type": "application/octet-stream"}, body=body())


@streaming_handler
def sse_fails_mid_stream(event: Any, context: Any) -> StreamingResponse:
    def body() -> Iterator[bytes]:
        yield encode_event(id=1, data="before the failure")
        raise RuntimeError("secret detail that must not reach the client")

    return sse_response(body())


@streaming_handler
def body_fails_at_once(event: Any, context: Any) -> StreamingResponse:
    def body() -> Iterator[bytes]:
        raise KeyError("missing")
        yield b""  # pragma: no cover - makes this a generator

    return sse_response(body())


def raises(event: Any, context: Any) -> object:
    raise ValueError("plain handler failure")


@streaming_handler
def decorated_raises(event: Any, context: Any) -> StreamingResponse:
    raise ValueError("decorated handler failure with a secret")


@streaming_handler
def not_found(event: Any, context: Any) -> StreamingResponse:
    return json_response(404, {"message": "no such job"}, headers={"X-Case": "not_found"})


@streaming_handler
def no_content(event: Any, context: Any) -> StreamingResponse:
    return empty_response(204, headers={"X-Case": "no_content"})


@streaming_handler
def with_cookies(event: Any, context: Any) -> StreamingResponse:
    return StreamingResponse(
        201,
        {"Content-Type": "text/plain"},
        ["a=1; Path=/", "b=2; HttpOnly"],
        body=iter([b"one", b"", b"two"]),
    )


def buffered(event: Any, context: Any) -> object:
    return {"echo": event, "executable": sys.executable}


def returns_none(event: Any, context: Any) -> object:
    return None


def unserializable(event: Any, context: Any) -> object:
    return {"value": object()}


def context_report(event: Any, context: Any) -> object:
    client = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "cognito_identity_id": context.identity.cognito_identity_id,
        "cognito_identity_pool_id": context.identity.cognito_identity_pool_id,
        "client_app_title": client.client.app_title if client and client.client else None,
        "client_custom": client.custom if client else None,
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
        "cwd_on_path": os.environ["LAMBDA_TASK_ROOT"] in sys.path,
    }


def path_report(event: Any, context: Any) -> object:
    return {"path": sys.path}


def environ_report(event: Any, context: Any) -> object:
    return {name: os.environ.get(name) for name in event["names"]}


CASES: dict[str, Callable[[Any, Any], object]] = {
    name: fn
    for name, fn in globals().items()
    if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", "") == __name__
}


def handler(event: Any, context: Any) -> object:
    return CASES[event["case"]](event, context)
