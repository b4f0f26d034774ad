"""500 random client disconnects during a 2,000-event job, through the real local Function URL.

The client here is deliberately hand-rolled (not EventStream) so that it can cut each connection at
an arbitrary byte, also inside a frame, and check what the server sends after each resume: the
events of all the connections together must be exactly 1..N, in order, each once.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import httpx
import pytest

from jobstream_client import JobsAPI
from jobstream_client.sse import SSEParser
from jobstream_local.stack import LocalStack
from tests.reliability.conftest import running_stack, stack_settings

EVENTS = 2_000
DISCONNECTS = 500


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """Events written in batches of a quarter second: items of ~25 events, so most resumes start
    inside an item (the store drops the part already sent), and fewer writes compete with the
    500 reconnects for the embedded DynamoDB."""
    with running_stack(stack_settings(flush_interval_ms=250)) as running:
        yield running


def read_until_cut(
    http: httpx.Client, url: str, token: str, last_id: int, cut_after: int | None
) -> tuple[int, list[tuple[int, str, str]]]:
    """One connection: (status, complete events) read until ``cut_after`` bytes, then dropped."""
    # One viewer (one page) reconnecting: each connection supersedes the one it dropped, as a
    # browser tab's do, so the abandoned streams end (Lambda would keep running them) within a
    # poll instead of piling up.
    headers = {"Authorization": f"Bearer {token}", "Viewer-Id": "one-tab"}
    params: dict[str, str] = {}
    if last_id:
        # Both ways of resuming, as browsers (header) and fetch clients (query) do.
        if last_id % 3:
            headers["Last-Event-ID"] = str(last_id)
        else:
            params["last_event_id"] = str(last_id)
    parser = SSEParser()
    events: list[tuple[int, str, str]] = []
    with http.stream("GET", url, headers=headers, params=params) as response:
        if response.status_code != 200:
            return response.status_code, events
        assert response.headers["content-type"].startswith("text/event-stream")
        received = 0
        for chunk in response.iter_raw():
            if cut_after is not None and received + len(chunk) >= cut_after:
                chunk = chunk[: cut_after - received]
                events += [(int(e.id), e.event, e.data) for e in parser.feed(chunk)]
                break  # leaving the block closes the connection mid-stream
            received += len(chunk)
            events += [(int(e.id), e.event, e.data) for e in parser.feed(chunk)]
    # A frame cut in half is discarded, as the spec says and browsers do.
    parser.end()
    return 200, events


def test_random_disconnects_lose_and_repeat_nothing(
    stack: LocalStack, api: JobsAPI, http: httpx.Client
) -> None:
    rng = random.Random(20_000)
    # Paced so that the job is still running for most of the disconnects.
    job = api.create("bench.ticks", {"n": EVENTS - 1, "rate": 100})
    received: list[tuple[int, str, str]] = []
    connections = 0
    cut_while_running = 0
    while True:
        last_id = received[-1][0] if received else 0
        # Cuts anywhere from inside the first frame to a few frames in (one is ~70 bytes).
        cut = rng.randint(1, 600) if connections < DISCONNECTS else None
        status, events = read_until_cut(http, job.events_url, job.token, last_id, cut)
        if cut is not None and not stack.jobs.store.get_job(job.job_id).status.is_terminal:
            cut_while_running += 1
        connections += 1
        received += events
        if status == 204 or (events and events[-1][1] == "complete"):
            break
        assert status == 200, status
        assert connections < DISCONNECTS + 50, "the stream never reached its end"

    assert connections > DISCONNECTS
    # Most cuts happened while the job was still writing (not only during replays of its log).
    assert cut_while_running > DISCONNECTS // 2, cut_while_running
    ids = [event_id for event_id, _, _ in received]
    assert ids == list(range(1, EVENTS + 1))
    ticks = [json.loads(data)["seq"] for _, kind, data in received if kind == "bench.tick"]
    assert ticks == list(range(1, EVENTS))
    assert received[-1][1] == "complete"
    assert stack.jobs.status(job.job_id).last_event_id == EVENTS
