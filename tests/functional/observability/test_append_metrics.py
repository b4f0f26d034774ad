"""The store's AppendObserver hook and its metrics: events emitted, writes, events per write."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from jobstream.observability import AppendMetrics
from jobstream.settings import Settings
from jobstream.store import JobStore, NewEvent, StoreError
from jobstream.store.models import JobStatus
from tests.unit.observability.emf import emf_documents, new_sink, values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def appended(self, job_id: str, *, events: int, writes: int) -> None:
        self.calls.append((job_id, events, writes))


class Broken:
    def appended(self, job_id: str, *, events: int, writes: int) -> None:
        raise RuntimeError("metrics backend down")


def _progress(n: int) -> list[NewEvent]:
    return [NewEvent("progress", {"done": i, "total": n}) for i in range(1, n + 1)]


def test_the_observer_sees_every_successful_append(settings: Settings, ddb: DynamoDBClient) -> None:
    recorder = Recorder()
    store = JobStore(settings, client=ddb, observer=recorder)
    store.create_job(job_id="j1", type="demo.count", params={})
    lease, _ = store.acquire_lease("j1", duration_s=60)

    store.append(lease, _progress(3), after_id=0)
    store.append(lease, [], after_id=3, hops=1)  # checkpoint/status-only: no events, one write
    with pytest.raises(StoreError):  # a stale after_id is refused: not reported
        store.append(lease, _progress(1), after_id=0)

    assert recorder.calls == [("j1", 3, 1), ("j1", 0, 1)]


def test_a_failing_observer_never_fails_the_append(
    settings: Settings, ddb: DynamoDBClient, caplog: pytest.LogCaptureFixture
) -> None:
    store = JobStore(settings, client=ddb, observer=Broken())
    store.create_job(job_id="j1", type="demo.count", params={})
    lease, _ = store.acquire_lease("j1", duration_s=60)

    with caplog.at_level(logging.ERROR, logger="jobstream.store"):
        stored = store.append(lease, _progress(2), after_id=0)

    assert [e.id for e in stored] == [1, 2]
    assert [e.id for e in store.events_after("j1", 0)] == [1, 2]
    assert "append observer failed" in caplog.text


def test_append_metrics_count_events_and_their_coalescing(
    settings: Settings, ddb: DynamoDBClient, capsys: pytest.CaptureFixture[str]
) -> None:
    sink = new_sink()
    store = JobStore(settings, client=ddb, observer=AppendMetrics(sink))
    store.create_job(job_id="j1", type="demo.count", params={})
    lease, _ = store.acquire_lease("j1", duration_s=60)

    store.append(lease, _progress(1), after_id=0)
    store.append(lease, _progress(4), after_id=1)
    store.append(lease, [NewEvent("complete", {})], after_id=5, status=JobStatus.SUCCEEDED)
    sink.flush()

    documents = emf_documents(capsys.readouterr().out)
    assert sum(values(documents, "EventsEmitted")) == 6
    assert sum(values(documents, "EventLogWrites")) == 3
    assert values(documents, "EventsPerWrite") == [1.0, 4.0, 1.0]
