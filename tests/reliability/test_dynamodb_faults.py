"""DynamoDB throttling and 5xx on 10% of calls: nothing lost, nothing duplicated.

The faults are injected under botocore on the local stack's one DynamoDB client (jobs API, worker,
stream: see faults.py), so botocore's own retry logic handles them, including replies lost after
the write was applied. Only the length of botocore's backoff sleeps is shortened, to keep the test
fast; which errors are retried, and how often, is botocore's decision.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.retries.standard import ExponentialBackoff

from jobstream.store import JobStatus
from jobstream_client import EventStream, JobsAPI
from jobstream_local.stack import LocalStack
from tests.reliability.conftest import running_stack, stack_settings
from tests.reliability.faults import FaultInjector

FAULT_RATE = 0.10
# Eight jobs: enough calls (~300) that each kind of fault lands several times (see faults.py).
JOBS = 8
EVENTS = 300


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # A short lease: a job whose driver gave up is restarted (by a status read) within seconds.
    settings = stack_settings(lease_seconds=2.0)
    with (
        pytest.MonkeyPatch.context() as patch,
        running_stack(settings, timeout_s=30) as running,
    ):
        patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.005)
        yield running


def follow(api: JobsAPI, http: httpx.Client, job_type: str, params: dict[str, Any]) -> list[Any]:
    """Create a job and read its stream to the end, polling its status alongside as a page
    would (a status read is what restarts a job whose driver stopped)."""
    job = api.create(job_type, params)
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.5):
            api.status(job.job_id, token=job.token)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stream = EventStream(job.events_url, token=job.token, client=http, max_attempts=None)
    try:
        events = [(int(e.id), e.event, json.loads(e.data)) for e in stream]
    finally:
        done.set()
        poller.join()
    return [job.job_id, events, stream]


def test_throttling_and_5xx_on_10_percent_of_calls_lose_and_repeat_nothing(
    stack: LocalStack,
) -> None:
    results: list[list[Any]] = []
    errors: list[BaseException] = []

    def run(index: int, api: JobsAPI, http: httpx.Client) -> None:
        try:
            if index % 2:
                results.append(follow(api, http, "bench.ticks", {"n": EVENTS, "rate": 500}))
            else:
                results.append(
                    follow(
                        api, http, "demo.batch", {"items": 60, "batch_size": 3, "interval_ms": 5}
                    )
                )
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    with (
        FaultInjector(stack.jobs.store.client, rate=FAULT_RATE, seed=3) as faults,
        httpx.Client(timeout=httpx.Timeout(30.0)) as http,
    ):
        api = JobsAPI(stack.url, client=http)
        threads = [threading.Thread(target=run, args=(i, api, http)) for i in range(JOBS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
    assert not errors, errors
    assert len(results) == JOBS

    # The faults really happened, of every kind, at about the rate asked for. (Streams on a busy
    # job read at most every 75 ms now: eight jobs make ~400 calls, six made ~220.)
    assert faults.attempts > 200
    assert min(faults.injected[k] for k in ("throttle", "error", "lost_reply")) >= 5
    assert 0.05 < sum(faults.injected.values()) / faults.attempts < 0.15
    # Writes were hit too, not only reads.
    assert any(key.endswith("TransactWriteItems") for key in faults.by_operation)

    for job_id, events, stream in results:
        ids = [event_id for event_id, _, _ in events]
        assert ids == list(range(1, len(ids) + 1)), job_id
        assert stream.duplicates == 0
        assert stream.gaps == 0
        assert events[-1][1] == "complete"
        stored = list(stack.jobs.store.events_after(job_id, 0))
        assert [(e.id, e.type, e.data) for e in stored] == events
        assert stack.jobs.store.get_job(job_id).status is JobStatus.SUCCEEDED
        ticks = [data["seq"] for _, kind, data in events if kind == "bench.tick"]
        items = [data["key"] for _, kind, data in events if kind == "item"]
        assert ticks == list(range(1, EVENTS + 1)) or items == [f"item-{i}" for i in range(1, 61)]


@pytest.mark.parametrize(
    "operation",
    ["PutItem", "UpdateItem", "TransactWriteItems"],
    ids=["create-job", "acquire-lease", "append"],
)
def test_a_lost_reply_to_a_write_is_recognised_as_the_writers_own(
    stack: LocalStack, operation: str
) -> None:
    """The first write of each kind a job makes -- creating it (PutItem), taking its lease
    (UpdateItem), appending its first events (TransactWriteItems) -- is applied, its reply lost,
    and botocore's retry finds the write already there. The job must neither be created twice, nor
    stall, nor lose or repeat events; and no client polls its status here, so nothing restarts a
    job that stalled."""
    with (
        FaultInjector(stack.jobs.store.client, lose_replies={operation: 1}) as faults,
        httpx.Client(timeout=httpx.Timeout(30.0)) as http,
    ):
        api = JobsAPI(stack.url, client=http)
        before = _job_count(stack)
        job = api.create("bench.ticks", {"n": 50, "rate": 0})
        stream = EventStream(job.events_url, token=job.token, client=http, max_attempts=3)
        events = [(int(e.id), e.event) for e in stream]
    assert faults.by_operation[f"lost_reply {operation}"] == 1
    assert _job_count(stack) == before + 1
    assert [event_id for event_id, _ in events] == list(range(1, 52))
    assert events[-1][1] == "complete"


def _job_count(stack: LocalStack) -> int:
    client = stack.jobs.store.client
    pages = client.get_paginator("scan").paginate(
        TableName=stack.settings.table,
        FilterExpression="sk = :meta",
        ExpressionAttributeValues={":meta": {"S": "META"}},
        Select="COUNT",
    )
    return sum(page["Count"] for page in pages)
