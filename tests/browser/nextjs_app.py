"""The Next.js example (examples/nextjs) as its users run it: `next start` of the build `make test`
makes (`make example-nextjs`), against a REAL local stack under caller authentication with the
dev OIDC issuer, signed in through Auth.js's authorization code flow in Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

import httpx
import pytest
from playwright.sync_api import Page, expect

from jobstream.settings import Settings
from jobstream.tail import StreamStats
from jobstream_local.stack import LocalStack

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "nextjs"
BUILD_ID = EXAMPLE_DIR / ".next" / "BUILD_ID"
NEXT_BIN = EXAMPLE_DIR / "node_modules" / ".bin" / "next"
_READY_S = 30.0


def require_build() -> None:
    if not BUILD_ID.is_file() or not NEXT_BIN.is_file():
        pytest.fail(
            "examples/nextjs is not built: run `make example-nextjs` (npm pack of web/, npm ci, "
            "next build), as `make test` does"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class StreamLog:
    """Every stream the stack served, by job (the stack tells us when each one ends)."""

    _streams: list[StreamStats] = field(default_factory=list)
    _lock: Lock = field(default_factory=Lock)

    def add(self, stats: StreamStats) -> None:
        with self._lock:
            self._streams.append(stats)

    def of(self, job_id: str) -> list[StreamStats]:
        with self._lock:
            return [stats for stats in self._streams if stats.job_id == job_id]


@dataclass
class ExampleApp:
    url: str
    stack: LocalStack
    streams: StreamLog


@contextmanager
def next_server(env: dict[str, str], port: int) -> Iterator[str]:
    """`next start` on 127.0.0.1:port until the block ends (its own process group, stopped)."""
    log = EXAMPLE_DIR / ".next" / f"test-server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(port)],
            cwd=EXAMPLE_DIR,
            env={**os.environ, "NEXT_TELEMETRY_DISABLED": "1", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _READY_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"next start exited: {log.read_text(errors='replace')}")
            try:
                httpx.get(f"{url}/api/auth/providers", timeout=5).raise_for_status()
                break
            except httpx.HTTPError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"next start not ready: {log.read_text(errors='replace')}"
                    ) from error
                time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


@contextmanager
def example_app(*, window_s: float, token_ttl_s: float | None = None) -> Iterator[ExampleApp]:
    """A jwt stack with the dev issuer (streams end every ``window_s``; job tokens live
    ``token_ttl_s`` when given), and the example on its own origin, allowed by the stack's CORS
    for the direct path."""
    require_build()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    streams = StreamLog()
    settings = Settings(
        table=f"jobstream-next-{uuid.uuid4().hex[:8]}",
        api_auth="jwt",
        cors_allowed_origins=[origin],
        stream_window_seconds=window_s,
        **({} if token_ttl_s is None else {"token_ttl_seconds": token_ttl_s}),
    )
    with LocalStack(
        port=0,
        function_timeout_s=5,
        stream_timeout_s=30,
        settings=settings,
        dev_issuer=True,
        on_stream_close=streams.add,
    ) as stack:
        env = {
            "JOBSTREAM_API_URL": stack.url,
            "NEXTAUTH_URL": origin,
            "NEXTAUTH_SECRET": uuid.uuid4().hex,
            "JOBSTREAM_EXAMPLE_PITFALLS": "1",
        }
        with next_server(env, port) as url:
            yield ExampleApp(url=url, stack=stack, streams=streams)


def sign_in(page: Page, app: ExampleApp, caller: str = "alice", query: str = "") -> None:
    """Through the real flow: the example's Sign in, the issuer's page, back signed in."""
    page.goto(f"{app.url}/{query}")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name=f"Sign in as {caller}").click()
    expect(page.get_by_test_id("caller")).to_have_text(caller)
