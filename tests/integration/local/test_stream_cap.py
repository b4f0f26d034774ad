"""The per-job cap on live streams end to end: the local stack answers 429 with Retry-After, and
the Python client waits that long and gets in once the stream holding the job's slot has ended."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from jobstream.settings import Settings
from jobstream_client import EventStream, RetryNotice
from jobstream_client.sse import SSEParser
from jobstream_local.database import DatabaseChoice
from jobstream_local.stack import LocalStack

WINDOW_S = 3


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    settings = Settings(
        table=f"jobstream-cap-{uuid.uuid4().hex[:8]}",
        stream_max_per_job=1,
        stream_window_seconds=WINDOW_S,
    )
    with LocalStack(
        port=0,
        function_timeout_s=20,
        stream_timeout_s=30,
        settings=settings,
        database=DatabaseChoice(),
    ) as running:
        yield running


def hold_the_slot(url: str, token: str, opened: threading.Event) -> threading.Thread:
    """A viewer that names no viewer id reads one connection to its end (its window)."""

    def read() -> None:
        with (
            httpx.Client(timeout=30) as client,
            client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            assert response.status_code == 200
            opened.set()
            parser = SSEParser()
            for chunk in response.iter_raw():
                parser.feed(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_over_the_cap_the_client_waits_retry_after_and_then_gets_every_event(
    stack: LocalStack,
) -> None:
    created = httpx.post(
        f"{stack.url}/jobs", json={"type": "demo.count", "params": {"n": 40, "interval_ms": 150}}
    ).json()
    opened = threading.Event()
    holder = hold_the_slot(created["events_url"], created["token"], opened)
    assert opened.wait(10)

    refused = httpx.get(created["events_url"], params={"token": created["token"]})
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["error"]["code"] == "too_many_streams"
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW_S

    notices: list[RetryNotice] = []
    with EventStream(created["events_url"], token=created["token"], on_retry=notices.append) as s:
        ids = [int(event.id) for event in s]
    assert ids == list(range(1, 42))
    refusals = [n for n in notices if n.reason == "HTTP 429"]
    assert refusals, "the client never met the cap"
    assert all(n.delay_s >= 1 for n in refusals)
    holder.join(10)
