"""A stand-in for the local stack (jobstream_local) in browser tests: web/ served statically on the
same origin as a fake jobs API and a scripted event stream.

The stream follows the HTTP wire contract (retry: first, integer ids, JSON data, 204 when nothing is
left, JSON errors for 400/401/403/404) and can be told to misbehave at chosen event ids: abort the
connection, end it cleanly (the stream function's time bound), cut a frame in half, stall, replay
events the client already has, or answer one request with an error status. Frames use LF, CRLF and
lone CR in turn and are written in small pieces so that line breaks and UTF-8 characters straddle
network chunks. Every request is recorded so tests can check what the browser actually sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from jobstream.response_stream.failure import stream_failure_bytes
from tests.conftest import REPO_ROOT

WEB_DIR = REPO_ROOT / "web"

DropAction = Literal["abort", "end", "partial", "stall", "failure_notice", "rotate_token"]
TERMINAL_TYPES = frozenset({"complete", "error", "cancelled"})
LINE_ENDINGS = ("\n", "\r\n", "\r")
BLANK_PAGE = "<!doctype html><html lang=en><meta charset=utf-8><title>blank</title></html>"


class ScriptedDrop(Exception):
    """Raised inside a response body to cut the connection without a clean end of body."""


class _HideScriptedDrops(logging.Filter):
    # uvicorn logs every exception escaping the app; the scripted ones are the point of the test.
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        return not isinstance(error, ScriptedDrop)


@dataclass
class Connection:
    """One request to a stream URL, as the server saw it."""

    method: str
    last_event_id: str | None
    query_last_event_id: str | None
    authorization: str | None
    query_token: str | None
    accept: str | None
    body: bytes
    status: int = 200
    sent_ids: list[int] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)


@dataclass
class ScriptedJob:
    job_id: str
    token: str
    type: str
    events: list[tuple[str, dict[str, Any]]]
    # Monotonic time at which each event exists (a live job produces them over time).
    due: list[float]
    drops: dict[int, DropAction] = field(default_factory=dict)
    # Request number (1-based) -> HTTP status to answer it with instead of a stream.
    fail_requests: dict[int, int] = field(default_factory=dict)
    # On a resumed request, start this many events before Last-Event-ID (the client must drop them).
    replay: int = 0
    retry_ms: int = 100
    heartbeat_every: int = 0
    split_frames: bool = True
    # Pause between the last bytes and a reset. A reset that races the bytes before it makes the
    # browser discard body chunks it has not handed to the reader yet (the stream's queue is
    # cleared on error), so the resume point would vary from run to run.
    drop_delay_s: float = 0.1
    connections: list[Connection] = field(default_factory=list)
    cancel_calls: list[str | None] = field(default_factory=list)
    status_calls: int = 0
    token_refreshes: int = 0

    def request_cancel(self) -> None:
        now = time.monotonic()
        produced = sum(1 for due in self.due if due <= now)
        if produced and self.events[produced - 1][0] in TERMINAL_TYPES:
            return
        cancelled = ("cancelled", {"message": "The job was cancelled."})
        self.events = [*self.events[:produced], cancelled]
        self.due = [*self.due[:produced], now]

    def snapshot(self) -> dict[str, Any]:
        now = time.monotonic()
        produced = [event for event, due in zip(self.events, self.due, strict=True) if due <= now]
        progress = next((data for kind, data in reversed(produced) if kind == "progress"), None)
        status, result, error = "running", None, None
        if produced and produced[-1][0] in TERMINAL_TYPES:
            kind, data = produced[-1]
            status = {"complete": "succeeded", "error": "failed", "cancelled": "cancelled"}[kind]
            result = data.get("result")
            error = data.get("message") if kind == "error" else None
        return {
            "job_id": self.job_id,
            "type": self.type,
            "status": status,
            "cancel_requested": bool(self.cancel_calls),
            "progress": progress,
            "last_event_id": len(produced),
            "result": result,
            "error": error,
        }


@dataclass
class JobScript:
    """How the next job created through POST /jobs should misbehave."""

    drops: dict[int, DropAction] = field(default_factory=dict)
    fail_requests: dict[int, int] = field(default_factory=dict)
    replay: int = 0
    retry_ms: int = 100
    heartbeat_every: int = 3


class UnknownJobType(Exception):
    pass


KNOWN_TYPES = ("demo.count", "demo.items", "demo.fail")


def listed_job_types() -> dict[str, Any]:
    """GET /jobs/types as the real API answers it (jobstream.api.schemas.job_types): each type
    with the JSON Schema of its params, a required field with an example among them."""
    return {
        "types": [
            {
                "type": "demo.count",
                "mode": "background",
                "description": "Counts to n.",
                "params_schema": {
                    "type": "object",
                    "properties": {
                        "n": {"type": "integer", "minimum": 1, "examples": [50]},
                        "interval_ms": {"type": "integer", "default": 100, "examples": [200]},
                    },
                    "required": ["n"],
                },
            },
            {
                "type": "demo.items",
                "mode": "background",
                "params_schema": {
                    "type": "object",
                    "properties": {"n": {"default": 12}, "fail_every": {"default": 4}},
                },
            },
            {"type": "demo.fail", "mode": "background", "params_schema": {"properties": {}}},
        ]
    }


def demo_events(job_type: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Events shaped like jobstream.jobs.events for a few demo job types."""
    if job_type == "demo.count":
        n = int(params.get("n", 50))
        events: list[tuple[str, dict[str, Any]]] = [
            ("phase", {"name": "counting", "weight": 1, "index": 0, "count": 1, "percent": 0})
        ]
        for done in range(1, n + 1):
            percent = round(100 * done / n, 2)
            events.append(
                ("progress", {"done": done, "total": n, "percent": percent, "phase": "counting"})
            )
            if done % 10 == 0:
                events.append(("log", {"message": f"counted {done} ✓ ünïcødé", "level": "info"}))
        events.append(("complete", {"result": {"count": n}}))
        return events
    if job_type == "demo.items":
        n = int(params.get("n", 12))
        fail_every = int(params.get("fail_every", 4))
        events = [("phase", {"name": "items", "weight": 1, "index": 0, "count": 1, "percent": 0})]
        succeeded = failed = 0
        for i in range(1, n + 1):
            ok = i % fail_every != 0
            succeeded += ok
            failed += not ok
            reason = None if ok else f"item {i} is not divisible"
            events.append(
                (
                    "item",
                    {
                        "key": f"item-{i}",
                        "ok": ok,
                        "reason": reason,
                        "succeeded": succeeded,
                        "failed": failed,
                    },
                )
            )
            percent = round(100 * i / n, 2)
            progress = {"done": i, "total": n, "percent": percent, "phase": "items"}
            events.append(("progress", progress))
            if i % 4 == 0:
                events.append(("log", {"message": f"{i} items checked", "level": "info"}))
        events.append(
            ("complete", {"result": {"n": n}, "items": {"succeeded": succeeded, "failed": failed}})
        )
        return events
    if job_type == "demo.fail":
        at = int(params.get("at", 3))
        events = [
            ("progress", {"done": i, "total": 10, "percent": i * 10, "phase": None})
            for i in range(1, at)
        ]
        events.append(("log", {"message": f"step {at} is about to fail", "level": "warning"}))
        events.append(("error", {"message": f"step {at} failed"}))
        return events
    raise UnknownJobType(job_type)


def encode_frame(event_id: int, kind: str, data: dict[str, Any], line_ending: str) -> bytes:
    payload = json.dumps(data, ensure_ascii=False)
    lines = [f"id: {event_id}", f"event: {kind}", f"data: {payload}", "", ""]
    return line_ending.join(lines).encode()


def _pieces(frame: bytes, rng: random.Random) -> Iterator[bytes]:
    start = 0
    while start < len(frame):
        size = rng.randint(1, 24)
        yield frame[start : start + size]
        start += size


def _error(
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status, headers=headers)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query_params.get("token") or None


def _check_token(request: Request, job: ScriptedJob) -> Response | None:
    token = _bearer(request)
    if token is None:
        return _error(
            401, "token_missing", "send the job's token", headers={"WWW-Authenticate": "Bearer"}
        )
    if token != job.token:
        return _error(403, "token_invalid", "this token is not valid for this job")
    return None


class FakeStack:
    """The app plus the jobs it knows; tests add jobs directly or script the next POST /jobs."""

    def __init__(self) -> None:
        self.jobs: dict[str, ScriptedJob] = {}
        self.next_script: JobScript | None = None
        # Body of GET /jobs/types; None answers 404 (an API that does not list its types).
        self.job_types: Any = listed_job_types()
        self.created: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/jobs", self._create, methods=["POST"]),
                Route("/jobs/types", self._types, methods=["GET"]),
                Route("/jobs/{job_id}", self._status, methods=["GET"]),
                Route("/jobs/{job_id}/cancel", self._cancel, methods=["POST"]),
                Route("/jobs/{job_id}/events", self._stream, methods=["GET", "POST"]),
                Route("/test/blank.html", self._blank, methods=["GET"]),
                Route("/test/not-a-stream", self._not_a_stream, methods=["GET"]),
                Route("/test/jobs/{job_id}/token", self._fresh_token, methods=["GET"]),
                Mount("/", StaticFiles(directory=WEB_DIR, html=True)),
            ]
        )
        self.base_url = ""

    def add_job(
        self,
        events: list[tuple[str, dict[str, Any]]],
        *,
        interval_s: float = 0.0,
        job_type: str = "scripted",
        drops: dict[int, DropAction] | None = None,
        fail_requests: dict[int, int] | None = None,
        replay: int = 0,
        retry_ms: int = 100,
        heartbeat_every: int = 0,
        split_frames: bool = True,
        drop_delay_s: float = 0.1,
    ) -> ScriptedJob:
        start = time.monotonic()
        job = ScriptedJob(
            job_id=secrets.token_hex(8),
            token=secrets.token_urlsafe(16),
            type=job_type,
            events=list(events),
            due=[start + interval_s * (i + 1) for i in range(len(events))],
            drops=dict(drops or {}),
            fail_requests=dict(fail_requests or {}),
            replay=replay,
            retry_ms=retry_ms,
            heartbeat_every=heartbeat_every,
            split_frames=split_frames,
            drop_delay_s=drop_delay_s,
        )
        with self.lock:
            self.jobs[job.job_id] = job
        return job

    def events_url(self, job: ScriptedJob) -> str:
        return f"{self.base_url}/jobs/{job.job_id}/events"

    def job_by_id(self, job_id: str) -> ScriptedJob:
        with self.lock:
            return self.jobs[job_id]

    async def _blank(self, _: Request) -> Response:
        return HTMLResponse(BLANK_PAGE)

    async def _not_a_stream(self, _: Request) -> Response:
        return HTMLResponse("<p>a login page, say</p>")

    async def _fresh_token(self, request: Request) -> Response:
        """What an app's own token-refresh endpoint would answer (the jobs API has none)."""
        with self.lock:
            job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return _error(404, "job_not_found", "no such job")
        job.token_refreshes += 1
        return JSONResponse({"token": job.token})

    async def _types(self, _: Request) -> Response:
        if self.job_types is None:
            return _error(404, "not_found", "no such resource")
        return JSONResponse(self.job_types)

    async def _create(self, request: Request) -> Response:
        try:
            body = await request.json()
            job_type = str(body["type"])
            params = body.get("params") or {}
            events = demo_events(job_type, params)
        except UnknownJobType as exc:
            return _error(
                400,
                "unknown_job_type",
                f"unknown job type {exc}",
                details={"type": str(exc), "known_types": list(KNOWN_TYPES)},
            )
        except (ValueError, KeyError, TypeError):
            return _error(422, "invalid_request", "body must be {type, params}")
        script = self.next_script or JobScript()
        self.next_script = None
        job = self.add_job(
            events,
            interval_s=int(params.get("interval_ms", 200)) / 1000,
            job_type=job_type,
            drops=script.drops,
            fail_requests=script.fail_requests,
            replay=script.replay,
            retry_ms=script.retry_ms,
            heartbeat_every=script.heartbeat_every,
        )
        created = {
            "job_id": job.job_id,
            "status": "queued",
            "events_url": self.events_url(job),
            "status_url": f"{self.base_url}/jobs/{job.job_id}",
            "token": job.token,
        }
        self.created.append(created)
        return JSONResponse(created, 201)

    def _authorised(self, request: Request) -> tuple[ScriptedJob | None, Response | None]:
        with self.lock:
            job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return None, _error(404, "job_not_found", "no such job")
        return job, _check_token(request, job)

    async def _status(self, request: Request) -> Response:
        job, refused = self._authorised(request)
        if refused is not None:
            return refused
        assert job is not None
        job.status_calls += 1
        return JSONResponse(job.snapshot())

    async def _cancel(self, request: Request) -> Response:
        job, refused = self._authorised(request)
        if job is not None:
            job.cancel_calls.append(request.headers.get("authorization"))
        if refused is not None:
            return refused
        assert job is not None
        with self.lock:
            job.request_cancel()
        return JSONResponse(job.snapshot(), 202)

    async def _stream(self, request: Request) -> Response:
        with self.lock:
            job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return _error(404, "job_not_found", "no such job")
        connection = Connection(
            method=request.method,
            last_event_id=request.headers.get("last-event-id"),
            query_last_event_id=request.query_params.get("last_event_id"),
            authorization=request.headers.get("authorization"),
            query_token=request.query_params.get("token"),
            accept=request.headers.get("accept"),
            body=await request.body(),
        )
        job.connections.append(connection)
        refused = self._refuse(request, job, connection)
        if refused is not None:
            connection.status = refused.status_code
            connection.finished.set()
            return refused
        raw = connection.last_event_id
        if raw is None:
            raw = connection.query_last_event_id
        last = int(raw or 0)
        if last >= len(job.events):
            connection.status = 204
            connection.finished.set()
            return Response(status_code=204)
        start = max(0, last - job.replay) if last else 0
        return StreamingResponse(
            self._frames(job, connection, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
        )

    def _refuse(
        self, request: Request, job: ScriptedJob, connection: Connection
    ) -> Response | None:
        refused = _check_token(request, job)
        if refused is not None:
            return refused
        raw = connection.last_event_id
        if raw is None:
            raw = connection.query_last_event_id
        if raw and not (raw.isascii() and raw.isdigit()):
            return _error(400, "invalid_last_event_id", "Last-Event-ID must be an event id")
        status = job.fail_requests.get(len(job.connections))
        if status is not None:
            return _error(status, "unavailable", "scripted failure", headers={"Retry-After": "0"})
        return None

    async def _frames(
        self, job: ScriptedJob, connection: Connection, start: int
    ) -> AsyncIterator[bytes]:
        rng = random.Random(len(job.connections))
        try:
            yield f"retry: {job.retry_ms}\n\n".encode()
            index = start
            while True:
                frame_parts = await self._wait_for(job, index)
                if frame_parts is None:
                    return
                kind, data = frame_parts
                event_id = index + 1
                frame = encode_frame(event_id, kind, data, LINE_ENDINGS[event_id % 3])
                if job.split_frames:
                    for piece in _pieces(frame, rng):
                        yield piece
                else:
                    yield frame
                connection.sent_ids.append(event_id)
                if job.heartbeat_every and event_id % job.heartbeat_every == 0:
                    # A comment then a blank line: a correct parser dispatches nothing here.
                    yield b": heartbeat\n\n"
                action = job.drops.pop(event_id, None)
                if action == "end":
                    return
                if action == "rotate_token":
                    # The token expires: the old one is refused from now on.
                    job.token = secrets.token_urlsafe(16)
                    return
                if action == "failure_notice":
                    # What the runtime sends when the handler fails mid-stream, then a clean end.
                    notice = stream_failure_bytes({"content-type": "text/event-stream"})
                    assert notice is not None
                    yield notice
                    return
                if action == "abort":
                    await asyncio.sleep(job.drop_delay_s)
                    raise ScriptedDrop(f"after event {event_id}")
                if action == "partial":
                    following = await self._wait_for(job, index + 1)
                    if following is not None:
                        cut = encode_frame(event_id + 1, *following, "\n")
                        yield cut[: len(cut) // 2]
                    await asyncio.sleep(job.drop_delay_s)
                    raise ScriptedDrop(f"inside event {event_id + 1}")
                if action == "stall":
                    await asyncio.Event().wait()
                index += 1
        finally:
            connection.finished.set()

    async def _wait_for(self, job: ScriptedJob, index: int) -> tuple[str, dict[str, Any]] | None:
        """The event at ``index`` once it exists (None past the end); re-read while waiting
        because a cancel rewrites the job's future."""
        while True:
            with self.lock:
                if index >= len(job.events):
                    return None
                due = job.due[index]
                event = job.events[index]
            delay = due - time.monotonic()
            if delay <= 0:
                return event
            await asyncio.sleep(min(delay, 0.02))


class ServerThread:
    """uvicorn on 127.0.0.1, a free port, in a daemon thread."""

    def __init__(self, app: Starlette) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._filter = _HideScriptedDrops()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        logging.getLogger("uvicorn.error").addFilter(self._filter)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake stack did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        logging.getLogger("uvicorn.error").removeFilter(self._filter)
