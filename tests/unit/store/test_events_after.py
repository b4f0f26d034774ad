"""events_after: exact for every cut point, across item and 1 MB page boundaries; expiry; cost."""

from __future__ import annotations

import bisect
import json
import random
import re
import time
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

import pytest

from jobstream.settings import Settings
from jobstream.store import JobStore, NewEvent, StoredEvent
from tests.clock import FakeClock
from tests.conftest import RequestCounter

from .conftest import start_job, table_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.unit

N = 10_000
PAD = "p" * 100  # ~130 bytes per event: ~1.3 MB of log, so a full read takes 2 pages


class _QueryMemo:
    """Sends each DISTINCT Query to moto once and answers repeats from memory.

    Two queries of this (unchanging) log are the same request when they differ only in a lower sk
    bound that selects the same items: bounds in the same gap between two stored sort keys.
    Every answer is moto's own; this only spares moto re-serialising the same 1 MB page for each
    of 10,001 cut points. ``pages`` records (items, had LastEvaluatedKey) of each real query.
    """

    def __init__(self, client: DynamoDBClient, sort_keys: list[str]) -> None:
        self._client = client
        self._sort_keys = sorted(sort_keys)
        self._answers: dict[str, Any] = {}
        self.pages: list[tuple[int, bool]] = []

    def query(self, **kwargs: Any) -> Any:
        match = re.search(r"BETWEEN (:\w+) AND", kwargs["KeyConditionExpression"])
        assert match is not None
        values = dict(kwargs["ExpressionAttributeValues"])
        lower = values[match.group(1)]["S"]
        at = bisect.bisect_left(self._sort_keys, lower)
        values[match.group(1)] = self._sort_keys[at] if at < len(self._sort_keys) else "END"
        key = json.dumps({**kwargs, "ExpressionAttributeValues": values}, sort_keys=True)
        if key not in self._answers:
            answer = self._client.query(**kwargs)
            self._answers[key] = answer
            self.pages.append((answer["Count"], "LastEvaluatedKey" in answer))
        return self._answers[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def log_of_10k(store: JobStore) -> list[StoredEvent]:
    """10,000 events appended in batches of random sizes, so items hold 1..100 events."""
    lease = start_job(store)
    rnd = random.Random(20_240_601)
    stored: list[StoredEvent] = []
    while len(stored) < N:
        size = min(rnd.choice([1, 2, 7, 50, 99, 100, 101, 180, 250, 400, 999]), N - len(stored))
        batch = [NewEvent("tick", {"i": len(stored) + i, "pad": PAD}) for i in range(size)]
        stored.extend(store.append(lease, batch, after_id=len(stored)))
    assert [e.id for e in stored] == list(range(1, N + 1))
    return stored


def test_every_cut_point_of_a_10k_log_is_exact(
    settings: Settings, ddb: DynamoDBClient, clock: FakeClock, log_of_10k: list[StoredEvent]
) -> None:
    started = time.perf_counter()
    memo = _QueryMemo(ddb, [i["sk"]["S"] for i in table_items(ddb, settings.table)])
    reader = JobStore(settings, client=cast("DynamoDBClient", memo), clock=clock)

    # The whole log, and where the 1 MB pages and the items split it.
    assert list(reader.events_after("job-1", 0)) == log_of_10k
    assert len(memo.pages) >= 2
    assert all(more for _, more in memo.pages[:-1])  # LastEvaluatedKey really occurred
    assert not memo.pages[-1][1]
    page_ends = _page_end_ids(ddb, settings.table)
    assert len(page_ends) >= 1
    item_firsts = _item_first_ids(ddb, settings.table)
    assert len(item_firsts) > 100

    # Every cut point k: the first 101 events after k (all of them near the end), which cross at
    # least one item boundary (items hold <= 100 events), are exactly k+1, k+2, ...
    for k in range(N + 1):
        head = [e.id for e in islice(reader.events_after("job-1", k), 101)]
        assert head == list(range(k + 1, min(k + 101, N) + 1)), k
    head_checks = time.perf_counter() - started

    # Read to the very end from each cut around every page and item boundary, plus a sample.
    boundaries = {b + d for b in page_ends for d in (-2, -1, 0, 1, 2)}
    boundaries |= {f + d for f in item_firsts[::12] for d in (-2, -1, 0)}
    boundaries |= set(random.Random(7).sample(range(N + 1), 20)) | {0, 1, N - 1, N}
    for k in sorted(b for b in boundaries if 0 <= b <= N):
        assert list(reader.events_after("job-1", k)) == log_of_10k[k:], k
    assert list(reader.events_after("job-1", N + 5)) == []

    elapsed = time.perf_counter() - started
    # Informational (no timing assertion): reported with -s / in the test report.
    print(
        f"\n10k log: {len(item_firsts)} items, pages end at {page_ends}; all 10,001 cut points "
        f"(head) in {head_checks:.1f}s, {len(boundaries)} full reads; {len(memo.pages)} distinct "
        f"queries; {elapsed:.1f}s in all"
    )


def _page_end_ids(client: DynamoDBClient, table: str) -> list[int]:
    """Last event id of each 1 MB page of a full read straight from moto."""
    ends: list[int] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :ev)",
        "ExpressionAttributeValues": {":pk": {"S": "JOB#job-1"}, ":ev": {"S": "EV#"}},
        "ConsistentRead": True,
    }
    while True:
        page = client.query(**kwargs)
        if "LastEvaluatedKey" not in page:
            return ends
        ends.append(int(page["LastEvaluatedKey"]["sk"]["S"][3:]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _item_first_ids(client: DynamoDBClient, table: str) -> list[int]:
    return sorted(int(i["first"]["N"]) for i in table_items(client, table) if "first" in i)


def test_a_replay_reads_only_the_items_it_needs(store: JobStore, ddb: DynamoDBClient) -> None:
    lease = start_job(store)
    for n in range(10):
        store.append(lease, [NewEvent("t", {"n": n})] * 10, after_id=n * 10)  # 10 items of 10
    read: list[tuple[int, int]] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        read.append((parsed["Count"], parsed["ScannedCount"]))

    ddb.meta.events.register("after-call.dynamodb.Query", record, unique_id="record")
    sent: list[dict[str, Any]] = []
    ddb.meta.events.register(
        "before-parameter-build.dynamodb.Query",
        lambda params, **_: sent.append(dict(params)),
        unique_id="params",
    )
    assert [e.id for e in store.events_after("job-1", 95)] == [96, 97, 98, 99, 100]
    assert read == [(1, 1)]  # one query, one item: the last
    assert sent[0]["ConsistentRead"] is True
    read.clear()
    assert [e.id for e in store.events_after("job-1", 80)][:2] == [81, 82]
    assert read == [(2, 2)]
    read.clear()
    assert list(store.events_after("job-1", 100)) == []
    assert read == [(0, 0)]


def test_unknown_job_has_no_events(store: JobStore) -> None:
    assert list(store.events_after("nope", 0)) == []


def test_buffered_reads_see_only_stored_events_and_a_new_query_sees_more(store: JobStore) -> None:
    lease = start_job(store)
    store.append(lease, [NewEvent("t", {})] * 3, after_id=0)
    assert [e.id for e in store.events_after("job-1", 1)] == [2, 3]
    store.append(lease, [NewEvent("t", {})] * 2, after_id=3)
    assert [e.id for e in store.events_after("job-1", 3)] == [4, 5]


def test_expired_items_are_never_returned(
    store: JobStore,
    clock: FakeClock,
    ddb: DynamoDBClient,
    settings: Settings,
    requests: RequestCounter,
) -> None:
    lease = start_job(store)
    store.append(lease, [NewEvent("t", {"n": n}) for n in range(150)], after_id=0)
    expires_at = store.get_job("job-1").expires_at
    clock.now = expires_at - 1
    assert len(list(store.events_after("job-1", 0))) == 150
    clock.now = expires_at
    assert list(store.events_after("job-1", 0)) == []
    # Still in the table (moto never deletes, DynamoDB takes up to days): filtered on read.
    assert ddb.scan(TableName=settings.table)["Count"] == 3
    assert requests.calls["Query"] == 2
