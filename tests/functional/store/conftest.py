"""Store fixtures: a JobStore on the moto table with a simulated wall clock and recorded sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.settings import Settings
from jobstream.store import JobStore, Lease
from tests.clock import START, FakeClock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def clock() -> FakeClock:
    """The store's wall clock (epoch seconds): leases and TTLs expire only when a test says so."""
    return FakeClock(START)


@pytest.fixture
def sleeps(clock: FakeClock) -> list[float]:
    return clock.sleeps


@pytest.fixture
def store(settings: Settings, ddb: DynamoDBClient, clock: FakeClock) -> JobStore:
    return JobStore(settings, client=ddb, clock=clock)


def start_job(store: JobStore, job_id: str = "job-1", *, lease_s: float = 60) -> Lease:
    store.create_job(job_id=job_id, type="demo", params={"n": 1})
    lease, _ = store.acquire_lease(job_id, duration_s=lease_s)
    return lease


def table_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    """Every item of the table, sorted: a snapshot to prove a refused write changed nothing."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def race(client: DynamoDBClient, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Run two store calls in two threads so that both build their request from the same state
    before either reaches DynamoDB, then let moto process them one at a time (as DynamoDB
    serialises conditional writes on one item). Returns each call's result or exception."""
    barrier = threading.Barrier(2, timeout=10)
    serial = threading.Lock()
    arrived: set[int] = set()

    def before(**_: Any) -> None:
        me = threading.get_ident()
        if me not in arrived:  # only each thread's first request races
            arrived.add(me)
            barrier.wait()
        serial.acquire()

    def after(**_: Any) -> None:
        serial.release()

    outcomes: list[Any] = [None, None]

    def run(index: int, fn: Callable[[], Any]) -> None:
        try:
            outcomes[index] = fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
            outcomes[index] = exc

    client.meta.events.register("before-call.dynamodb", before, unique_id="race-before")
    client.meta.events.register("after-call.dynamodb", after, unique_id="race-after")
    client.meta.events.register("after-call-error.dynamodb", after, unique_id="race-error")
    try:
        threads = [
            threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate([first, second])
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
            assert not t.is_alive()
    finally:
        client.meta.events.unregister("before-call.dynamodb", unique_id="race-before")
        client.meta.events.unregister("after-call.dynamodb", unique_id="race-after")
        client.meta.events.unregister("after-call-error.dynamodb", unique_id="race-error")
    return outcomes
