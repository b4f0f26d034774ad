"""The local Function URL: a Lambda handler served over real HTTP, streamed chunk by chunk.

Nothing else on a developer's machine streams a Lambda response for real (``sam local`` and the
Runtime Interface Emulator buffer it), so this ASGI app plays the Function URL in
``RESPONSE_STREAM`` mode: it turns the request into a payload-2.0 event, runs the handler with a
context whose deadline is the function timeout, and writes status, headers, cookies and then each
body chunk the moment the handler yields it.

The handler runs in a worker thread (it is synchronous, like on Lambda) and hands chunks over a
zero-capacity channel: nothing is buffered, and a slow client slows the handler down instead of
piling chunks up in memory. What is sent when (errors, the in-band SSE ``error`` event) is decided
by ``jobstream.response_stream.delivery``, the same code the Lambda runtime uses.

Like Lambda, the handler is not interrupted at the deadline: the response is ended, and the handler
stops at its next chunk.

A client that disconnects does **not** stop the handler, as on Lambda: nothing tells a streaming
function that its client went away (AWS Lambda developer guide, "Configuring a Lambda function to
stream responses"), so it runs, and is billed, until its body ends by itself or the function times
out. Here the rest of the body is pulled and dropped, so the duration and the reads of an abandoned
stream are what they would be on AWS: every test and bench figure about them is measured on this.
``stop_on_disconnect=True`` (``make run --stop-streams-on-disconnect``, for a laptop) closes the
body's generator at its next chunk instead, which no Lambda does.

Mount it next to another app with Starlette, e.g.
``Route("/jobs/{job_id}/events", FunctionURLApp(handler, timeout_s=900))``: ``rawPath`` is the
full request path, whatever the route.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.types import Message, Receive, Scope, Send

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.invocation_context import InvocationContext
from jobstream.response_stream.delivery import Handler, deliver
from jobstream.response_stream.response import StreamingResponse
from jobstream_local.function_url_event import event_from_asgi_scope

logger = logging.getLogger(__name__)

# What a Function URL answers when the invocation fails or times out before the response began.
FAILED_INVOCATION_STATUS = 502
FAILED_INVOCATION_BODY = b"Internal Server Error"


@dataclass(frozen=True, slots=True)
class _Start:
    status: int
    headers: list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class _End:
    pass


@dataclass(frozen=True, slots=True)
class _Failure:
    pass


@dataclass(frozen=True, slots=True)
class _Buffered:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


_Message = _Start | bytes | _End | _Failure | _Buffered


class FunctionURLApp:
    """ASGI app serving one handler the way a ``RESPONSE_STREAM`` Function URL does."""

    def __init__(
        self,
        handler: Handler,
        *,
        timeout_s: float,
        function_name: str = "local",
        max_concurrent: int = 100,
        stop_on_disconnect: bool = False,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._handler = handler
        self._timeout_s = timeout_s
        self._function_name = function_name
        self._clock = clock
        self._stop_on_disconnect = stop_on_disconnect
        # Each open stream holds a thread for its life; anyio's default pool (40) would make the
        # 41st viewer wait for someone else's stream to end.
        self._threads = anyio.CapacityLimiter(max_concurrent)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"the local Function URL serves HTTP only, not {scope['type']!r}")
        body = await _read_body(receive)
        if body is None:
            return
        context = InvocationContext.for_timeout(
            self._timeout_s, function_name=self._function_name, clock=self._clock
        )
        event = event_from_asgi_scope(
            scope, body, request_id=context.aws_request_id, now=self._clock.time()
        )
        exchange = _Exchange(receive, send, stop_on_disconnect=self._stop_on_disconnect)
        await exchange.run(
            functools.partial(deliver, self._handler, event, context),
            timeout_s=self._timeout_s,
            limiter=self._threads,
        )


class _ThreadSink:
    """The ``ResponseSink`` the worker thread writes to: every call waits for the event loop."""

    def __init__(self, channel: MemoryObjectSendStream[_Message]) -> None:
        self._channel = channel

    def _emit(self, message: _Message) -> bool:
        try:
            anyio.from_thread.run(self._channel.send, message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False  # the response is over (timed out, or the server stopped it)
        except RuntimeError:
            # The event loop is gone (the server stopped while this handler still ran, as a
            # stream whose client left does until it ends by itself): nobody reads any more.
            return False
        return True

    def send_result(self, result: object) -> None:
        self._emit(_buffered(result))

    def send_failure(self, error: Exception) -> None:
        self._emit(_Failure())

    def start_stream(self, response: StreamingResponse) -> bool:
        try:
            headers = _header_list(response.headers)
            headers += [(b"set-cookie", cookie.encode("latin-1")) for cookie in response.cookies]
        except UnicodeEncodeError:
            # HTTP/1.1 field values are bytes; Lambda would refuse such a prelude too.
            logger.exception("Response header or cookie is not latin-1 encodable")
            self._emit(_Failure())
            return False
        return self._emit(_Start(response.status_code, headers))

    def send_chunk(self, chunk: bytes) -> bool:
        return self._emit(chunk)

    def end_stream(self, error: Exception | None) -> None:
        self._emit(_End())

    def close(self) -> None:
        try:
            anyio.from_thread.run_sync(self._channel.close)
        except RuntimeError:
            # No event loop any more (see _emit): nothing can wait on the channel, close it here.
            self._channel.close()


class _Exchange:
    """One request/response on the ASGI side: relays the worker's messages to ``send``."""

    def __init__(self, receive: Receive, send: Send, *, stop_on_disconnect: bool) -> None:
        self._receive = receive
        self._send = send
        self._stop_on_disconnect = stop_on_disconnect
        self._started = False
        self._complete = False
        self._disconnected = False

    async def run(
        self,
        work: Callable[[_ThreadSink], None],
        *,
        timeout_s: float,
        limiter: anyio.CapacityLimiter,
    ) -> None:
        sender, receiver = anyio.create_memory_object_stream[_Message](0)
        sink = _ThreadSink(sender)

        def in_thread() -> None:
            try:
                work(sink)
            finally:
                sink.close()

        async with anyio.create_task_group() as group:
            group.start_soon(
                functools.partial(anyio.to_thread.run_sync, in_thread, limiter=limiter)
            )
            try:
                with anyio.move_on_after(timeout_s) as deadline:
                    await self._relay(receiver)
            finally:
                # A worker blocked handing over a chunk gets BrokenResourceError, stops pulling
                # and closes the body; the task group then waits for it to return.
                receiver.close()
            if deadline.cancelled_caught:
                logger.warning("Task timed out after %.2f seconds", timeout_s)
            await self._conclude()

    async def _relay(self, receiver: MemoryObjectReceiveStream[_Message]) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch_disconnect, group.cancel_scope)
            async for message in receiver:
                await self._forward(message)
            group.cancel_scope.cancel()

    async def _watch_disconnect(self, scope: anyio.CancelScope) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                if not self._complete:
                    self._disconnected = True
                    if self._stop_on_disconnect:
                        scope.cancel()
                return

    async def _forward(self, message: _Message) -> None:
        if self._disconnected:
            # Lambda reads the rest of an abandoned body and drops it: so do we.
            return
        if isinstance(message, bytes):
            await self._send({"type": "http.response.body", "body": message, "more_body": True})
        elif isinstance(message, _Start):
            await self._start(message.status, message.headers)
        elif isinstance(message, _End):
            await self._end()
        elif isinstance(message, _Failure):
            await self._fail()
        else:
            await self._start(message.status, message.headers)
            await self._end(message.body)

    async def _conclude(self) -> None:
        """After the relay: whatever happened, leave the HTTP exchange finished."""
        if self._disconnected or self._complete:
            return
        if self._started:
            await self._end()
        else:
            await self._fail()

    async def _start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self._started = True
        message: Message = {"type": "http.response.start", "status": status, "headers": headers}
        await self._send(message)

    async def _end(self, body: bytes = b"") -> None:
        self._complete = True
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def _fail(self) -> None:
        await self._start(FAILED_INVOCATION_STATUS, [(b"content-type", b"text/plain")])
        await self._end(FAILED_INVOCATION_BODY)


def _buffered(result: object) -> _Buffered:
    """A buffered result mapped the way a Function URL maps it (DG, "Invoking Lambda function URLs",
    response payload format): a dict with ``statusCode`` is an HTTP response, anything else is the
    JSON body of a 200."""
    if isinstance(result, Mapping) and "statusCode" in result:
        headers = _header_list(result.get("headers") or {})
        if not any(name == b"content-type" for name, _ in headers):
            headers.append((b"content-type", b"application/json"))
        headers += [(b"set-cookie", str(c).encode("latin-1")) for c in result.get("cookies") or []]
        raw_body = result.get("body") or ""
        body = (
            base64.b64decode(raw_body)
            if result.get("isBase64Encoded")
            else str(raw_body).encode("utf-8")
        )
        return _Buffered(int(result["statusCode"]), headers, body)
    try:
        body = json.dumps(result).encode()
    except (TypeError, ValueError):
        logger.exception("Handler result is not JSON serializable")
        return _Buffered(
            FAILED_INVOCATION_STATUS, [(b"content-type", b"text/plain")], FAILED_INVOCATION_BODY
        )
    return _Buffered(200, [(b"content-type", b"application/json")], body)


def _header_list(headers: Mapping[str, Any]) -> list[tuple[bytes, bytes]]:
    return [
        (str(name).lower().encode("latin-1"), str(value).encode("latin-1"))
        for name, value in headers.items()
    ]


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client left before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
