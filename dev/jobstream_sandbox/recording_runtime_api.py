"""A recording Lambda Runtime API (2018-06-01): what arrives on the wire, exactly as it arrives.

A real HTTP/1.1 server on a free loopback port, written on ``socketserver`` on purpose:
``http.server`` parses the request line and headers into a case-folded mapping and leaves chunked
bodies to its caller, so it would hide what these tests check. Here every request keeps its request
line, its header lines in order and spelling, each chunk as framed (the size line as sent, the
data, when it arrived) and the trailer lines. The recorder is strict: a malformed chunk or line is
recorded as a framing error (and the connection dropped), never silently repaired.

``GET /runtime/invocation/next`` hands out queued invocations (blocking, like Lambda, while there
is none; HTTP 500 once the recorder is closed, which tells a runtime to exit). SnapStart's
``GET /runtime/restore/next`` is held, as Lambda holds it while it snapshots the process, until the
test calls ``restore()``; then answered 200 with no body (HTTP 500 once closed). Every POST is
answered with ``post_status`` (202 by default, as Lambda documents; tests set 200, 204, 400, 500
to check how the runtime takes other answers).
"""

from __future__ import annotations

import itertools
import json
import queue
import socketserver
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BufferedIOBase
from typing import Any

API = "/2018-06-01/runtime"
MAX_LINE = 65536


class FramingError(ValueError):
    pass


@dataclass
class WireChunk:
    size_line: bytes  # the chunk-size line as sent, without its CRLF (e.g. b"1F")
    data: bytes
    arrived: float  # time.monotonic() when its last byte had been read


@dataclass
class WireRequest:
    connection: int  # which TCP connection carried it (1, 2, ... in accept order)
    request_line: str
    header_lines: list[tuple[str, str]]  # (name, value) as sent, in order
    received_at: float
    chunked: bool = False
    chunks: list[WireChunk] = field(default_factory=list)
    last_chunk_line: bytes = b""
    trailer_lines: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""  # Content-Length body, or all chunk data joined once complete
    complete: bool = False
    completed_at: float = 0.0
    framing_error: str = ""
    answered_with: int = 0
    # Every byte of the request as read, for a second opinion from an independent parser.
    raw: bytearray = field(default_factory=bytearray)

    @property
    def method(self) -> str:
        return self.request_line.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.request_line.split(" ")[1]

    @property
    def headers(self) -> dict[str, str]:
        """Names lower-cased; repeated fields joined with ", " (RFC 9110 section 5.3)."""
        joined: dict[str, str] = {}
        for name, value in self.header_lines:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        return joined

    @property
    def trailers(self) -> dict[str, str]:
        return dict(self.trailer_lines)

    @property
    def request_id(self) -> str:
        parts = self.path.split("/")
        return parts[4] if len(parts) > 5 and parts[3] == "invocation" else ""

    @property
    def kind(self) -> str:
        """ "next", "response", "error", "init-error", "restore-next" or "restore-error"."""
        if self.path == f"{API}/init/error":
            return "init-error"
        if self.path.startswith(f"{API}/restore/"):
            return "restore-" + self.path.rsplit("/", 1)[-1]
        return self.path.rsplit("/", 1)[-1]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class QueuedInvocation:
    request_id: str
    payload: bytes
    headers: dict[str, str]


class RecordingRuntimeAPI:
    def __init__(self, *, post_status: int | Callable[[WireRequest], int] = 202) -> None:
        self._invocations: queue.Queue[QueuedInvocation] = queue.Queue()
        self._closed = threading.Event()
        self._restored = threading.Event()
        self._changed = threading.Condition()
        self._connections = itertools.count(1)
        self.post_status = post_status
        self.requests: list[WireRequest] = []
        recorder = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                connection = next(recorder._connections)
                try:
                    while recorder._serve_one(connection, self.rfile, self.wfile):
                        pass
                except (FramingError, OSError):
                    return

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- the test's side -------------------------------------------------------------------------

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> RecordingRuntimeAPI:
        self._thread.start()
        return self

    def close(self) -> None:
        """Answer pending and future /next calls with HTTP 500, then stop serving."""
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def restore(self) -> None:
        """SnapStart: answer the held ``/restore/next`` (the snapshot was taken and restored)."""
        self._restored.set()

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
                "arn:aws:lambda:us-east-1:123456789012:function:recorded-fn"
            ),
            **(headers or {}),
        }
        self._invocations.put(QueuedInvocation(request_id, json.dumps(event).encode(), all_headers))
        return request_id

    @property
    def next_calls(self) -> int:
        with self._changed:
            return sum(1 for r in self.requests if r.kind == "next")

    @property
    def posts(self) -> list[WireRequest]:
        with self._changed:
            return [r for r in self.requests if r.method == "POST"]

    def wait_for(
        self,
        predicate: Callable[[WireRequest], bool],
        *,
        timeout: float = 30.0,
        what: str = "a request",
    ) -> WireRequest:
        """The first request matching ``predicate``, waiting for it (checked on every change)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for request in self.requests:
                    if predicate(request):
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.requests!r}")
                self._changed.wait(remaining)

    def wait_for_answer(self, request_id: str, *, timeout: float = 30.0) -> WireRequest:
        """The /response or /error POST for ``request_id``, read whole and answered."""
        return self.wait_for(
            lambda r: r.request_id == request_id and r.method == "POST" and r.answered_with != 0,
            timeout=timeout,
            what=f"the answer to {request_id}",
        )

    def wait_until(
        self, condition: Callable[[], bool], *, timeout: float = 30.0, what: str
    ) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self._changed.wait(remaining)

    # -- the wire --------------------------------------------------------------------------------

    def _serve_one(self, connection: int, rfile: BufferedIOBase, wfile: BufferedIOBase) -> bool:
        """Read and answer one request; False when the client closed the connection."""
        first = rfile.readline(MAX_LINE)
        if not first:
            return False
        request = WireRequest(
            connection=connection,
            request_line=_strip_crlf(first).decode("latin-1"),
            header_lines=[],
            received_at=time.monotonic(),
            raw=bytearray(first),
        )
        while line := _read_line(rfile, request.raw):
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon or name != name.strip():
                raise FramingError(f"malformed header line {line!r}")
            request.header_lines.append((name, value.strip()))
        self._record(request)
        try:
            self._read_body(request, rfile)
        except FramingError as exc:
            with self._changed:
                request.framing_error = str(exc)
                self._changed.notify_all()
            raise
        with self._changed:
            request.complete = True
            request.completed_at = time.monotonic()
            self._changed.notify_all()

        if request.method == "GET" and request.path == f"{API}/invocation/next":
            invocation = self._next_invocation()
            if invocation is None:
                self._answer(request, wfile, 500, b'{"errorType":"recorder.Closed"}')
                return False
            self._answer(request, wfile, 200, invocation.payload, invocation.headers)
        elif request.method == "GET" and request.path == f"{API}/restore/next":
            if not self._wait_for_restore():
                self._answer(request, wfile, 500, b'{"errorType":"recorder.Closed"}')
                return False
            self._answer(request, wfile, 200, b"")
        elif request.method == "POST":
            status = self.post_status(request) if callable(self.post_status) else self.post_status
            self._answer(request, wfile, status, b"" if status == 204 else b'{"status":"OK"}')
        else:
            self._answer(request, wfile, 404, b'{"errorType":"recorder.NotFound"}')
        return request.headers.get("connection", "").lower() != "close"

    def _read_body(self, request: WireRequest, rfile: BufferedIOBase) -> None:
        headers = request.headers
        if headers.get("transfer-encoding", "").lower() == "chunked":
            request.chunked = True
            self._read_chunked(request, rfile)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            request.body = rfile.read(length)
            request.raw += request.body
            if len(request.body) != length:
                raise FramingError("body shorter than its Content-Length")

    def _read_chunked(self, request: WireRequest, rfile: BufferedIOBase) -> None:
        """RFC 9112 section 7.1: size line, data, CRLF ... last chunk, trailer fields, CRLF."""
        while True:
            size_line = _read_line(rfile, request.raw)
            try:
                size = int(size_line.split(b";", 1)[0], 16)
            except ValueError:
                raise FramingError(f"bad chunk-size line {size_line!r}") from None
            if size == 0:
                request.last_chunk_line = size_line
                break
            data = rfile.read(size)
            request.raw += data
            if len(data) != size or _read_line(rfile, request.raw) != b"":
                raise FramingError("chunk data does not match its size line")
            with self._changed:
                request.chunks.append(WireChunk(size_line, data, time.monotonic()))
                self._changed.notify_all()
        while line := _read_line(rfile, request.raw):
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise FramingError(f"malformed trailer line {line!r}")
            request.trailer_lines.append((name, value.strip()))
        request.body = b"".join(chunk.data for chunk in request.chunks)

    def _answer(
        self,
        request: WireRequest,
        wfile: BufferedIOBase,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        lines = [f"HTTP/1.1 {status} Recorded"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if status != 204:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        wfile.write(head + (body if status != 204 else b""))
        wfile.flush()
        with self._changed:
            request.answered_with = status
            self._changed.notify_all()

    def _record(self, request: WireRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _wait_for_restore(self) -> bool:
        while not self._closed.is_set():
            if self._restored.wait(timeout=0.05):
                return True
        return False

    def _next_invocation(self) -> QueuedInvocation | None:
        while not self._closed.is_set():
            try:
                return self._invocations.get(timeout=0.05)
            except queue.Empty:
                continue
        return None


def _strip_crlf(line: bytes) -> bytes:
    if not line.endswith(b"\r\n"):
        raise FramingError(f"line without CRLF: {line[:80]!r}")
    return line[:-2]


def _read_line(rfile: BufferedIOBase, raw: bytearray) -> bytes:
    line = rfile.readline(MAX_LINE)
    raw += line
    return _strip_crlf(line)
