"""An inline job's own stream is woken in-process by the commits of the driver it runs, on the moto
table: every event once, in order, ids contiguous; the table is read only as a safety net; after a
hand-off to the worker (another process: another store) the stream polls the table again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel, ConfigDict

from jobstream.auth.tokens import TokenSigner
from jobstream.jobs import JobRegistry, JobService
from jobstream.jobs.context import JobContext
from jobstream.jobs.invokers import ThreadWorkerInvoker
from jobstream.settings import Settings
from jobstream.store import JobMode, JobStore, Lease, LeaseLost, NewEvent
from jobstream.store.models import Job
from jobstream.tail.service import StreamService, StreamStats
from jobstream_client.sse import SSEParser
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import SerializedClient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = b"k" * 32
STEPS = 40


class BurstParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int
    pause_s: float = 0.005


def burst(ctx: JobContext[BurstParams]) -> Iterator[None]:
    done: int = ctx.cursor or 0
    while done < ctx.params.n:
        ctx.sleep(ctx.params.pause_s)
        done += 1
        ctx.emit("tick", {"seq": done})
        ctx.advance(done)
        yield
    ctx.complete({"n": done})


def registry() -> JobRegistry:
    jobs = JobRegistry()
    jobs.job("t.burst", params=BurstParams, mode=JobMode.INLINE)(burst)
    return jobs


@pytest.fixture
def client(ddb: DynamoDBClient) -> DynamoDBClient:
    return SerializedClient(ddb, threading.Lock())  # type: ignore[return-value]


@pytest.fixture
def stream_settings(settings: Settings) -> Settings:
    return settings.with_changes({"stream_max_seconds": 60, "cancel_check_seconds": 0.0})


def read_stream(service: StreamService, signer: TokenSigner, job_id: str) -> list[int]:
    response = service.open(
        job_id,
        token=signer.issue(job_id, ttl_seconds=600),
        last_event_id=None,
        remaining_ms=lambda: 900_000,
    )
    parser = SSEParser()
    ids: list[int] = []
    for chunk in response.body:
        ids.extend(int(e.id) for e in parser.feed(chunk) if e.id)
    return ids


def test_the_driven_jobs_events_reach_its_stream_through_the_feed_exactly_once(
    stream_settings: Settings, client: DynamoDBClient
) -> None:
    store = JobStore(stream_settings, client=client)
    jobs = JobService(
        store=store, registry=registry(), invoker=RecordingInvoker(), settings=stream_settings
    )
    job = jobs.create("t.burst", {"n": STEPS})
    closed: list[StreamStats] = []
    signer = TokenSigner(KEY)
    service = StreamService(
        store=store,
        signer=signer,
        settings=stream_settings,
        inline_driver=jobs.drive_for_stream,
        feed=store.commit_feed,
        on_close=closed.append,
    )

    ids = read_stream(service, signer, job.job_id)

    assert ids == list(range(1, STEPS + 2))  # the ticks and the terminal event, once each
    (stats,) = closed
    assert stats.reason == "terminal"
    # Nearly everything was handed over in-process; the table was read at open and, at most, by
    # a safety-net poll (one per idle ceiling): not once per commit.
    assert stats.handed_over >= STEPS - 5
    assert stats.polls <= 3


class HandOffAfter:
    """An append observer that asks the inline driver to stop after ``events`` events."""

    def __init__(self, events: int) -> None:
        self.stop = threading.Event()
        self._left = events

    def appended(self, job_id: str, *, events: int, writes: int) -> None:
        self._left -= events
        if self._left <= 0:
            self.stop.set()


def test_after_a_hand_off_to_the_worker_the_stream_polls_and_still_loses_nothing(
    stream_settings: Settings, client: DynamoDBClient
) -> None:
    # The worker is another process on Lambda: its own store, whose commits no feed here sees.
    worker = JobService(
        store=JobStore(stream_settings, client=client),
        registry=registry(),
        invoker=RecordingInvoker(),
        settings=stream_settings,
    )
    invoker = ThreadWorkerInvoker(timeout_s=60)
    invoker.bind(
        lambda job_id, hop, remaining: worker.run_hop(job_id, hop=hop, remaining_s=remaining)
    )
    # The viewer's window "closes" after a few commits: the driver hands the job over.
    hand_off = HandOffAfter(5)
    store = JobStore(stream_settings, client=client, observer=hand_off)
    jobs = JobService(store=store, registry=registry(), invoker=invoker, settings=stream_settings)
    job = jobs.create("t.burst", {"n": STEPS, "pause_s": 0.01})

    def drive_then_hand_off(
        job: Job, *, stop: threading.Event, seconds_left: Callable[[], float]
    ) -> None:
        jobs.drive_for_stream(job, stop=hand_off.stop, seconds_left=seconds_left)

    closed: list[StreamStats] = []
    signer = TokenSigner(KEY)
    service = StreamService(
        store=store,
        signer=signer,
        settings=stream_settings,
        inline_driver=drive_then_hand_off,
        feed=store.commit_feed,
        on_close=closed.append,
    )

    ids = read_stream(service, signer, job.job_id)
    assert invoker.close(timeout=30)

    assert ids == list(range(1, STEPS + 2))
    (stats,) = closed
    assert stats.reason == "terminal"
    assert stats.handed_over < STEPS  # the worker's events came from the table
    assert stats.polls > 3


def test_the_store_publishes_exactly_what_each_transaction_committed(
    settings: Settings, ddb: DynamoDBClient
) -> None:
    store = JobStore(settings, client=ddb)
    store.create_job(job_id="j", type="demo", params={})
    lease, _ = store.acquire_lease("j", duration_s=600)
    subscription = store.commit_feed.subscribe("j")

    store.append(lease, [NewEvent("progress", {"i": 1})], after_id=0)
    # Big enough for several transactions (100 actions each): published as each one commits.
    many = [NewEvent("progress", {"i": i, "pad": "x" * 3000}) for i in range(2, 1002)]
    stored = store.append(lease, many, after_id=1)

    taken = subscription.take(0)
    assert [e.id for e in taken] == list(range(1, 1002))
    assert [e.data for e in taken[1:]] == [e.data for e in stored]
    assert [e.id for e in store.events_after("j", 0)] == [e.id for e in taken]


def test_a_failed_append_publishes_nothing(settings: Settings, ddb: DynamoDBClient) -> None:
    store = JobStore(settings, client=ddb)
    store.create_job(job_id="j", type="demo", params={})
    lease, _ = store.acquire_lease("j", duration_s=600)
    subscription = store.commit_feed.subscribe("j")
    stale = Lease(
        job_id=lease.job_id,
        owner="someone-else",
        expires_at=lease.expires_at,
        job_expires_at=lease.job_expires_at,
        job_owner=lease.job_owner,
    )
    with pytest.raises(LeaseLost):
        store.append(stale, [NewEvent("progress", {"i": 1})], after_id=0)
    assert subscription.pending == 0
