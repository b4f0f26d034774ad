"""The Python client keeps following a job for longer than its view tokens live: it gets fresh ones
(POST /jobs/{id}/token) before each expires and after a refusal, with the job's control token
(ApiAuth none) or the caller's access token (jwt). Against the local stack, whose streams end every
few seconds (the window's reconnect checks the token again), with two-second view tokens."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from rich.console import Console

from jobstream.settings import Settings
from jobstream_client import EventStream, Forbidden, JobsAPI, token_expires_at, token_scope
from jobstream_client.cli import main
from jobstream_local.database import DatabaseChoice
from jobstream_local.stack import LocalStack

TOKEN_TTL_S = 2
# Long enough for several token lifetimes and stream windows.
COUNT = {"n": 24, "interval_ms": 250}


def _stack(**settings: object) -> LocalStack:
    return LocalStack(
        port=0,
        function_timeout_s=3,
        stream_timeout_s=3,
        settings=Settings(
            table=f"jobstream-refresh-{uuid.uuid4().hex[:8]}",
            stream_retry_ms=100,
            token_ttl_seconds=TOKEN_TTL_S,
            **settings,  # type: ignore[arg-type]
        ),
        database=DatabaseChoice(),
        dev_issuer=settings.get("api_auth") == "jwt",
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with _stack() as running:
        yield running


@pytest.fixture(scope="module")
def jwt_stack() -> Iterator[LocalStack]:
    with _stack(api_auth="jwt") as running:
        yield running


def _follow(stream: EventStream) -> list[int]:
    with stream:
        return [int(event.id) for event in stream]


def test_under_none_the_control_token_keeps_the_stream_going_past_expiry(
    stack: LocalStack,
) -> None:
    with JobsAPI(stack.url) as api:
        job = api.create("demo.count", COUNT)
        assert job.control_token is not None
        assert token_scope(job.control_token) == "control"
        assert job.expires_in == TOKEN_TTL_S
        stream = EventStream(
            job.events_url,
            token=job.token,
            refresh_token=api.refresher(job.job_id, control_token=job.control_token),
            refresh_margin_s=0.5,
        )

        ids = _follow(stream)

        assert ids == list(range(1, COUNT["n"] + 2))  # every progress event and complete, once
        assert stream.reconnects >= 2
        assert stream.token_refreshes >= 2
        # The first token has long expired: without the refreshes the stream would have ended.
        assert (token_expires_at(job.token) or 0) < time.time()
        with pytest.raises(Forbidden):
            api.status(job.job_id, token=job.token)


def test_a_refused_token_is_replaced_once_and_the_stream_resumes(stack: LocalStack) -> None:
    with JobsAPI(stack.url) as api:
        job = api.create("demo.count", {"n": 3, "interval_ms": 0})
        assert job.control_token is not None
        # A token the client cannot read an expiry from: only the server's 403 says it is bad.
        stream = EventStream(
            job.events_url,
            token="v2.AAAAAAAA.view.9999999999.forged",
            refresh_token=api.refresher(job.job_id, control_token=job.control_token),
            refresh_margin_s=0.5,
        )

        assert _follow(stream) == [1, 2, 3, 4]
        assert stream.token_refreshes == 1


def test_a_view_token_cannot_refresh_itself(stack: LocalStack) -> None:
    with JobsAPI(stack.url) as api:
        job = api.create("demo.count", {"n": 1, "interval_ms": 0})
        stream = EventStream(
            job.events_url,
            token="v2.AAAAAAAA.view.9999999999.forged",
            refresh_token=api.refresher(job.job_id, control_token=job.token),
        )

        with pytest.raises(Forbidden, match="control token"), stream:
            list(stream)


def test_under_jwt_the_access_token_refreshes(jwt_stack: LocalStack) -> None:
    issuer = jwt_stack.dev_issuer
    assert issuer is not None
    access = issuer.access_token("alice")
    with JobsAPI(jwt_stack.url, access_token=access) as api:
        job = api.create("demo.count", COUNT)
        # The caller's credential does what a control token would: none is handed out.
        assert job.control_token is None
        stream = EventStream(
            job.events_url,
            token=job.token,
            refresh_token=api.refresher(job.job_id),
            refresh_margin_s=0.5,
        )

        assert _follow(stream) == list(range(1, COUNT["n"] + 2))
        assert stream.token_refreshes >= 2


def test_the_cli_follows_a_job_longer_than_its_tokens_live_and_attaches_later(
    stack: LocalStack,
) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200)
    with httpx.Client() as client:
        started = main(
            ["--api", stack.url, "start", "demo.count", "--params", json.dumps(COUNT)],
            http_client=client,
            console=console,
        )
        job_id = re.search(r"started job ([0-9a-f]+)", out.getvalue())
        assert job_id is not None
        # Later, when every view token handed out so far has expired: the kept control token
        # gets a fresh one.
        time.sleep(TOKEN_TTL_S + 0.5)
        attached = main(
            ["--api", stack.url, "attach", "--job-id", job_id.group(1)],
            http_client=client,
            console=console,
        )

    assert (started, attached) == (0, 0), out.getvalue()
