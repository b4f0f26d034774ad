"""StreamMetrics as the stream's on_close: streams, reconnects, events streamed and replayed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.clock import SystemClock
from jobstream.observability import StreamMetrics
from jobstream.settings import Settings
from jobstream.store import JobStore, NewEvent
from jobstream.store.models import JobStatus
from jobstream.tail.service import StreamService, StreamStats
from jobstream_client.sse import SSEParser
from tests.unit.observability.emf import emf_documents, new_sink, values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = b"observability-test-key-0123456789abcdef"


class NoWaits(SystemClock):
    """The system's time, without waiting between polls: the stream only ever finds its log."""

    def sleep(self, seconds: float) -> None:
        return None


def _events(first: int, last: int) -> list[NewEvent]:
    return [NewEvent("progress", {"done": i}) for i in range(first, last + 1)]


def test_a_resumed_stream_reports_replayed_and_live_events_when_it_ends(
    settings: Settings, ddb: DynamoDBClient, capsys: pytest.CaptureFixture[str]
) -> None:
    store = JobStore(settings, client=ddb)
    store.create_job(job_id="j1", type="demo.count", params={})
    lease, _ = store.acquire_lease("j1", duration_s=60)
    store.append(lease, _events(1, 3), after_id=0)
    sink = new_sink()
    closed: list[StreamStats] = []
    metrics = StreamMetrics(sink)

    def on_close(stats: StreamStats) -> None:
        closed.append(stats)
        metrics.closed(stats)

    service = StreamService(
        store=store,
        signer=TokenSigner(KEY),
        settings=settings,
        clock=NoWaits(),
        on_close=on_close,
    )
    token = TokenSigner(KEY).issue("j1", ttl_seconds=60)
    response = service.open("j1", token=token, last_event_id="1", remaining_ms=lambda: 60_000)
    body = iter(response.body)
    parser = SSEParser()
    parser.feed(next(body))  # retry:
    replayed = parser.feed(next(body))  # the first poll: what was stored at open
    # Live: written after the stream opened.
    store.append(lease, _events(4, 5), after_id=3)
    store.append(lease, [NewEvent("complete", {})], after_id=5, status=JobStatus.SUCCEEDED)
    live = [event for chunk in body for event in parser.feed(chunk)]

    assert [e.id for e in replayed] == ["2", "3"]
    assert [e.id for e in live] == ["4", "5", "6"]
    [stats] = closed
    assert (stats.events, stats.replayed) == (5, 2)
    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == 1  # published once, when the stream ended
    assert values(documents, "Streams") == [1.0]
    assert values(documents, "Reconnects") == [1.0]
    assert values(documents, "EventsStreamed") == [5.0]
    assert values(documents, "EventsReplayed") == [2.0]
    assert values(documents, "StreamPolls") == [stats.polls]


def test_a_stream_from_the_start_is_not_a_reconnect(capsys: pytest.CaptureFixture[str]) -> None:
    StreamMetrics(new_sink()).closed(StreamStats(job_id="j1", start_id=0, events=4, polls=2))

    documents = emf_documents(capsys.readouterr().out)
    assert values(documents, "Streams") == [1.0]
    assert values(documents, "Reconnects") == []
    assert values(documents, "EventsReplayed") == [0.0]
