"""A tiny jobstream server on 127.0.0.1 whose every connection does what the test scripted.

http.server rather than Starlette: a test needs to cut a response at an exact byte (mid-event,
before the closing chunk) and an ASGI app cannot abort a response that way. Responses are
HTTP/1.1 chunked, so a dropped connection is visible to the client as an incomplete body
(a clean end sends the closing chunk). It also serves the few API routes the CLI calls.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

End = Literal["clean", "drop", "mid_event", "stall"]


@dataclass(frozen=True)
class Reply:
    """What one GET of the events URL does."""

    status: int = 200
    events: int | None = None  # how many events to write (None: all that remain)
    end: End = "clean"  # after them: closing chunk / cut / cut half-way into the next / go silent
    retry_ms: int | None = 1000  # sent in the first frame
    heartbeat: bool = False  # a comment line before each event
    replay: int = 0  # misbehave: start this many events before the one asked for
    content_type: str = "text/event-stream; charset=utf-8"
    omit_ids: bool = False  # misbehave: events without an id line


@dataclass(frozen=True)
class LogEvent:
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def last_event_id(self) -> str | None:
        return self.headers.get("last-event-id")


def count_log(total: int, terminal: str | None = "complete") -> list[LogEvent]:
    events = [
        LogEvent("progress", {"done": i, "total": total, "percent": 100 * i // total})
        for i in range(1, total + 1)
    ]
    if terminal == "complete":
        events.append(LogEvent("complete", {"result": {"counted": total}}))
    elif terminal == "error":
        events.append(LogEvent("error", {"message": "boom at the end"}))
    elif terminal == "cancelled":
        events.append(LogEvent("cancelled", {"by": "user"}))
    return events


Script = Callable[[int, int], Reply]  # (request number from 0, Last-Event-ID as int) -> Reply

_STATUS_BY_TERMINAL = {"complete": "succeeded", "error": "failed", "cancelled": "cancelled"}


@dataclass
class ScriptedServer:
    log: Sequence[LogEvent]
    script: Script = field(default=lambda _n, _lid: Reply())
    job_id: str = "job-1"
    job_type: str = "demo.count"
    token: str = "tok-SECRET-123"
    done: bool | None = None  # finished although the log has no terminal event (None: infer)

    def __post_init__(self) -> None:
        self.requests: list[Recorded] = []
        self.stream_requests: list[Recorded] = []
        self.replayed_sent = 0  # events written with an id <= the requested Last-Event-ID
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/jobs/{self.job_id}/events"

    @property
    def finished(self) -> bool:
        if self.done is not None:
            return self.done
        return bool(self.log) and self.log[-1].type in _STATUS_BY_TERMINAL

    @property
    def status(self) -> str:
        return _STATUS_BY_TERMINAL.get(self.log[-1].type, "running") if self.log else "queued"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    # --- called from handler threads ----------------------------------------------------------

    def record(self, request: Recorded, *, stream: bool) -> int:
        with self._lock:
            self.requests.append(request)
            if stream:
                self.stream_requests.append(request)
                return len(self.stream_requests) - 1
            return len(self.requests) - 1

    def frame(self, event_id: int, *, omit_id: bool = False) -> bytes:
        event = self.log[event_id - 1]
        id_line = "" if omit_id else f"id: {event_id}\n"
        return f"{id_line}event: {event.type}\ndata: {json.dumps(event.data)}\n\n".encode()


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # a keep-alive connection the client forgot does not pin a thread forever
        # Each event is its own small write; without this, Nagle holds it for the client's ACK.
        disable_nagle_algorithm = True

        def handle(self) -> None:
            # The client may reset a keep-alive connection: expected after a drop.
            with contextlib.suppress(ConnectionError):
                super().handle()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            self._guarded("GET")

        def do_POST(self) -> None:
            self._guarded("POST")

        def _guarded(self, method: str) -> None:
            try:
                self._route(method)
            except OSError:
                # The client went away first (it stopped after a terminal event, or timed out).
                self.close_connection = True

        def _route(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            request = Recorded(method, parts.path, headers, body)
            prefix = f"/jobs/{server.job_id}"
            is_stream = method == "GET" and parts.path.endswith("/events")
            number = server.record(request, stream=is_stream)
            if method == "POST" and parts.path == "/jobs":
                self._json(
                    201,
                    {
                        "job_id": server.job_id,
                        "status": "queued",
                        "events_url": server.events_url,
                        "status_url": f"{server.base_url}{prefix}",
                        "token": server.token,
                    },
                )
                return
            if not parts.path.startswith(prefix + "/") and parts.path != prefix:
                self._error(404, "job_not_found", "no such job")
                return
            presented = headers.get("authorization", "").removeprefix("Bearer ").strip()
            presented = presented or query.get("token", "")
            if not presented:
                self._error(401, "token_missing", "a bearer token is required")
                return
            if presented != server.token:
                self._error(403, "token_invalid", "the token is not valid for this job")
                return
            if method == "POST" and parts.path == prefix + "/cancel":
                self._json(202, {"job_id": server.job_id, "cancel_requested": True})
            elif method == "GET" and parts.path == prefix:
                self._json(
                    200,
                    {
                        "job_id": server.job_id,
                        "type": server.job_type,
                        "status": server.status,
                        "events_url": server.events_url,
                        "last_event_id": len(server.log),
                    },
                )
            elif is_stream:
                raw = headers.get("last-event-id") or query.get("last_event_id") or "0"
                if not raw.isdigit():
                    self._error(400, "bad_last_event_id", "Last-Event-ID must be an integer")
                    return
                self._stream(server.script(number, int(raw)), int(raw))
            else:
                self._error(404, "not_found", "no such route")

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            self._json(status, {"error": {"code": code, "message": message}})

        def _stream(self, reply: Reply, last_id: int) -> None:
            if reply.status != 200:
                if reply.status >= 500:
                    self._error(reply.status, "internal", "the server failed")
                else:
                    self._error(reply.status, "scripted", "scripted refusal")
                return
            first = max(1, last_id + 1 - reply.replay)
            if first > len(server.log) and server.finished:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if reply.retry_ms is not None:
                self._chunk(f"retry: {reply.retry_ms}\n\n".encode())
            last = len(server.log) if reply.events is None else first - 1 + reply.events
            last = min(last, len(server.log))
            for event_id in range(first, last + 1):
                if reply.heartbeat:
                    self._chunk(b": heartbeat\n\n")
                self._chunk(server.frame(event_id, omit_id=reply.omit_ids))
                if event_id <= last_id:
                    with server._lock:
                        server.replayed_sent += 1
            if reply.end == "clean":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            if reply.end == "mid_event" and last < len(server.log):
                frame = server.frame(last + 1)
                self._chunk(frame[: len(frame) // 2])
            elif reply.end == "stall":
                server._stopping.wait(timeout=5)
            self.close_connection = True
            # No closing chunk: the client sees the body cut short.
            self.connection.shutdown(socket.SHUT_RDWR)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler
