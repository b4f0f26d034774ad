"""A Lambda Runtime API double, written from the documented protocol (2018-06-01).

A real HTTP server on a free loopback port. ``GET /runtime/invocation/next`` hands out queued
invocations (blocking like Lambda while there is none; HTTP 500 once the double is closed, which
tells a runtime to exit). Every POST is recorded: headers, the body, and for chunked bodies each
chunk with its arrival time plus the trailer fields. Chunked bodies are decoded here by hand, on
purpose: ``http.server`` would hide chunk boundaries, arrival times and trailers, which are
exactly what the tests check.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any

API = "/2018-06-01/runtime"


@dataclass
class Chunk:
    data: bytes
    arrived: float  # time.monotonic()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    chunks: list[Chunk] = field(default_factory=list)
    trailers: dict[str, str] = field(default_factory=dict)
    # The whole body, once complete (chunked bodies: all chunks joined).
    body: bytes = b""
    chunked: bool = False
    complete: bool = False
    completed_at: float = 0.0

    @property
    def request_id(self) -> str:
        parts = self.path.split("/")
        return parts[4] if len(parts) > 5 and parts[3] == "invocation" else ""

    @property
    def kind(self) -> str:
        """ "response", "error", "init-error" (or the last path segment)."""
        return "init-error" if self.path == f"{API}/init/error" else self.path.rsplit("/", 1)[-1]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    headers: dict[str, str]


class RuntimeAPIDouble:
    def __init__(self) -> None:
        self._invocations: queue.Queue[Invocation] = queue.Queue()
        self._closed = threading.Event()
        self._changed = threading.Condition()
        self.records: list[Recorded] = []
        self.next_calls = 0
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path != f"{API}/invocation/next":
                    self._answer(404, b"{}")
                    return
                with double._changed:
                    double.next_calls += 1
                    double._changed.notify_all()
                invocation = double._next_invocation()
                if invocation is None:
                    self._answer(500, b'{"errorType":"double.Closed"}')
                    return
                self._answer(200, invocation.payload, invocation.headers)

            def do_POST(self) -> None:
                record = Recorded(
                    method="POST",
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                )
                double._add(record)
                if record.headers.get("transfer-encoding", "").lower() == "chunked":
                    record.chunked = True
                    _read_chunked(self.rfile, record, double._changed)
                else:
                    length = int(record.headers.get("content-length", "0"))
                    record.body = self.rfile.read(length)
                with double._changed:
                    record.complete = True
                    record.completed_at = time.monotonic()
                    double._changed.notify_all()
                self._answer(202, b'{"status":"OK"}')

            def _answer(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> RuntimeAPIDouble:
        self._thread.start()
        return self

    def close(self) -> None:
        """Answer pending and future /next calls with HTTP 500, then stop serving."""
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def invoke(
        self,
        event: Any,
        *,
        deadline_ms: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Queue an invocation; returns its request id."""
        request_id = str(uuid.uuid4())
        all_headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(
                deadline_ms if deadline_ms is not None else int((time.time() + 60) * 1000)
            ),
            "Lambda-Runtime-Invoked-Function-Arn": (
                "arn:aws:lambda:us-east-1:123456789012:function:double-fn"
            ),
            **(headers or {}),
        }
        self._invocations.put(Invocation(request_id, json.dumps(event).encode(), all_headers))
        return request_id

    def _next_invocation(self) -> Invocation | None:
        while not self._closed.is_set():
            try:
                return self._invocations.get(timeout=0.05)
            except queue.Empty:
                continue
        return None

    def _add(self, record: Recorded) -> None:
        with self._changed:
            self.records.append(record)
            self._changed.notify_all()

    def wait_for_record(
        self, predicate: Any, *, timeout: float = 20.0, what: str = "a request"
    ) -> Recorded:
        """The first record matching ``predicate(record)``, waiting for it to appear."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for record in self.records:
                    if predicate(record):
                        return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.records!r}")
                self._changed.wait(remaining)

    def wait_for_answer(self, request_id: str, *, timeout: float = 20.0) -> Recorded:
        """The complete /response or /error POST for ``request_id``."""
        return self.wait_for_record(
            lambda r: r.request_id == request_id and r.complete,
            timeout=timeout,
            what=f"the answer to {request_id}",
        )

    def wait_until(self, condition: Any, *, timeout: float = 20.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self._changed.wait(remaining)


def _read_line(stream: BufferedIOBase) -> bytes:
    line = stream.readline(65537)
    if not line.endswith(b"\r\n"):
        raise ValueError(f"chunked framing: line without CRLF: {line!r}")
    return line[:-2]


def _read_chunked(stream: BufferedIOBase, record: Recorded, changed: threading.Condition) -> None:
    """RFC 9112 section 7.1: size line, data, CRLF ... last chunk, trailer fields, CRLF."""
    while True:
        size = int(_read_line(stream).split(b";", 1)[0], 16)
        if size == 0:
            break
        data = stream.read(size)
        if _read_line(stream) != b"":
            raise ValueError("chunked framing: data longer than its size line")
        with changed:
            record.chunks.append(Chunk(data, time.monotonic()))
            changed.notify_all()
    record.body = b"".join(chunk.data for chunk in record.chunks)
    while line := _read_line(stream):
        name, _, value = line.decode("latin-1").partition(":")
        record.trailers[name.strip()] = value.strip()
