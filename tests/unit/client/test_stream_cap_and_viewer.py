"""The Python client at a job's cap on live streams (429 + Retry-After), and its viewer id."""

from __future__ import annotations

import httpx

from jobstream_client import EventStream
from jobstream_client.backoff import Backoff

URL = "http://stream.test/jobs/j1/events"


def test_a_429_is_retried_no_sooner_than_retry_after_with_the_same_viewer_id() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(
                429,
                headers={"Retry-After": "7", "Content-Type": "application/json"},
                json={"error": {"code": "too_many_streams", "message": "at the cap"}},
            )
        body = b'retry: 1000\n\nid: 1\nevent: complete\ndata: {"ok":true}\n\n'
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=body)

    slept: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        stream = EventStream(
            URL,
            token="t",
            client=client,
            sleep=slept.append,
            backoff=Backoff(random=lambda: 0.0),
        )
        events = list(stream)
    assert [e.event for e in events] == ["complete"]
    # Backoff alone would have waited 0 s (random 0): the server's Retry-After wins.
    assert slept == [7.0]
    viewers = {r.headers["viewer-id"] for r in seen}
    assert len(viewers) == 1
    assert len(next(iter(viewers))) == 32


def test_no_viewer_id_when_asked_for_none() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        list(EventStream(URL, token="t", client=client, viewer_id=None))
    assert "viewer-id" not in seen[0].headers
