"""Appends: gap-free ids, fencing (stale writers write nothing), races, limits, splits, retries."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from jobstream.settings import Settings
from jobstream.store import (
    Checkpoint,
    JobFinished,
    JobStatus,
    JobStore,
    LeaseLost,
    NewEvent,
    PayloadTooLarge,
    StoreRequestFailed,
    schema,
)
from jobstream.store.event_codec import encode_event
from tests.clock import FakeClock
from tests.conftest import RequestCounter

from .conftest import START, race, start_job, table_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def events(n: int, type: str = "tick", **extra: Any) -> list[NewEvent]:
    return [NewEvent(type, {"i": i, **extra}) for i in range(n)]


def event_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return [i for i in table_items(client, table) if i["sk"]["S"].startswith("EV#")]


def test_ids_are_gap_free_across_appends(store: JobStore) -> None:
    lease = start_job(store)
    first = store.append(lease, events(3), after_id=0)
    second = store.append(lease, events(2, type="other"), after_id=3)
    assert [e.id for e in first + second] == [1, 2, 3, 4, 5]
    assert [e.type for e in second] == ["other", "other"]
    assert all(e.created_at == START for e in first)
    assert store.get_job("job-1").last_event_id == 5
    assert list(store.events_after("job-1", 0)) == first + second


def test_a_stale_writer_is_refused_and_writes_nothing(
    store: JobStore, clock: FakeClock, ddb: DynamoDBClient, settings: Settings
) -> None:
    stale = start_job(store, lease_s=10)
    store.append(stale, events(2), after_id=0)
    clock.advance(10)
    current, _ = store.acquire_lease("job-1", duration_s=10)
    store.append(current, events(1), after_id=2)
    before = table_items(ddb, settings.table)
    for after_id in (2, 3):  # behind, or at the true position: both fenced by the owner
        with pytest.raises(LeaseLost):
            store.append(stale, events(150), after_id=after_id, status=JobStatus.FAILED)
        with pytest.raises(LeaseLost):
            store.append(stale, [], after_id=after_id, checkpoint=Checkpoint(cursor=9))
    assert table_items(ddb, settings.table) == before


def test_an_append_at_the_wrong_position_is_refused(
    store: JobStore, ddb: DynamoDBClient, settings: Settings
) -> None:
    lease = start_job(store)
    store.append(lease, events(5), after_id=0)
    before = table_items(ddb, settings.table)
    for after_id in (0, 4, 6):
        with pytest.raises(LeaseLost):
            store.append(lease, events(1), after_id=after_id)
    assert table_items(ddb, settings.table) == before


def test_two_writers_racing_never_both_append(
    store: JobStore, clock: FakeClock, ddb: DynamoDBClient
) -> None:
    old = start_job(store, lease_s=10)
    store.append(old, events(1), after_id=0)
    clock.advance(10)
    new, _ = store.acquire_lease("job-1", duration_s=10)
    # The old driver does not know it lost; both append event 2 from the same state.
    outcomes = race(
        ddb,
        lambda: store.append(old, [NewEvent("who", {"w": "old"})], after_id=1),
        lambda: store.append(new, [NewEvent("who", {"w": "new"})], after_id=1),
    )
    assert isinstance(outcomes[0], LeaseLost)
    assert [e.data for e in outcomes[1]] == [{"w": "new"}]
    # Two writers sharing one lease (a bug upstream) still cannot both take the same ids.
    outcomes = race(
        ddb,
        lambda: store.append(new, [NewEvent("who", {"w": "a"})], after_id=2),
        lambda: store.append(new, [NewEvent("who", {"w": "b"})], after_id=2),
    )
    assert sum(isinstance(o, LeaseLost) for o in outcomes) == 1
    log = list(store.events_after("job-1", 0))
    assert [e.id for e in log] == [1, 2, 3]
    assert log[1].data == {"w": "new"}


def test_job_item_changes_and_terminal_status(store: JobStore) -> None:
    lease = start_job(store)
    store.append(
        lease,
        [NewEvent("progress", {"pct": 10}), NewEvent("log", {}), NewEvent("progress", {"pct": 20})],
        after_id=0,
        checkpoint=Checkpoint(cursor={"page": 2}, state={"seen": 40}),
        hops=3,
    )
    job = store.get_job("job-1")
    assert job.progress == {"pct": 20}
    assert job.checkpoint == Checkpoint(cursor={"page": 2}, state={"seen": 40})
    assert job.hops == 3
    assert job.result is None
    store.append(
        lease,
        [NewEvent("error", {"message": "boom"})],
        after_id=3,
        status=JobStatus.FAILED,
        result=None,
        error="boom",
    )
    job = store.get_job("job-1")
    assert job.status is JobStatus.FAILED
    assert job.error == "boom"
    assert job.lease_owner is None
    assert job.lease_expires_at is None
    assert job.progress == {"pct": 20}
    assert job.last_event_id == 4
    with pytest.raises(JobFinished):
        store.append(lease, events(1), after_id=4)


def test_result_is_set_only_when_given(store: JobStore) -> None:
    lease = start_job(store)
    store.append(lease, [], after_id=0, result={"rows": 3})
    store.append(lease, events(1), after_id=0)
    assert store.get_job("job-1").result == {"rows": 3}


def test_a_checkpoint_without_events_is_one_plain_update(
    store: JobStore, requests: RequestCounter
) -> None:
    lease = start_job(store)
    store.append(lease, events(2), after_id=0)
    requests.calls.clear()
    assert store.append(lease, [], after_id=2, checkpoint=Checkpoint(cursor=7)) == []
    assert dict(requests.calls) == {"UpdateItem": 1}
    job = store.get_job("job-1")
    assert job.checkpoint.cursor == 7
    assert job.last_event_id == 2


def test_event_data_of_exactly_the_limit_fits_and_one_byte_more_does_not(
    store: JobStore, requests: RequestCounter
) -> None:
    lease = start_job(store)
    limit = schema.EVENT_DATA_MAX_BYTES
    # {"s": "..."} filled to the limit exactly, in UTF-8 bytes: "é" is 2 bytes, 1 character.
    skeleton = len(json.dumps({"s": ""}).replace(" ", ""))
    exact = {"s": "é" * ((limit - skeleton) // 2) + "x" * ((limit - skeleton) % 2)}
    over = {"s": exact["s"] + "x"}
    calls_before = sum(requests.calls.values())
    with pytest.raises(PayloadTooLarge) as raised:
        store.append(lease, [NewEvent("big", over)], after_id=0)
    assert (raised.value.size, raised.value.limit) == (limit + 1, limit)
    assert sum(requests.calls.values()) == calls_before  # refused before any request
    stored = store.append(lease, [NewEvent("big", exact)], after_id=0)
    assert stored[0].data == exact
    assert list(store.events_after("job-1", 0)) == stored


def test_every_limit_fits_the_one_it_is_stored_in() -> None:
    """The one set of limits composes: an event of the largest data, type and time fits an item of
    the longest job id; the largest result fits the complete event; progress is an event."""
    overhead = schema.event_item_overhead("j" * schema.JOB_ID_MAX_BYTES)
    data = {"s": "x" * (schema.EVENT_DATA_MAX_BYTES - len('{"s":""}'))}
    biggest = encode_event("t" * schema.EVENT_TYPE_MAX_BYTES, data, created_at=9_999_999_999.999)
    assert overhead + len("[]") + biggest.size <= schema.ITEM_MAX_BYTES
    items = {"succeeded": 10**15, "failed": 10**15}
    result = "r" * (schema.RESULT_MAX_BYTES - 2)  # its JSON is RESULT_MAX_BYTES
    encode_event("complete", {"result": result, "items": items}, created_at=0)
    assert schema.PROGRESS_MAX_BYTES <= schema.EVENT_DATA_MAX_BYTES
    # An atomic append's events fit one transaction: an item is closed at 100 events or, for size,
    # holding over half an item (no event is a third of one), plus the last, open item.
    assert biggest.size < schema.ITEM_MAX_BYTES // 3
    worst_items = (
        schema.ATOMIC_APPEND_MAX_EVENTS // schema.MAX_EVENTS_PER_ITEM
        + schema.ATOMIC_APPEND_MAX_BYTES // (schema.ITEM_MAX_BYTES // 2)
        + 1
    )
    assert worst_items <= schema.TRANSACTION_MAX_ACTIONS - 1
    assert schema.ATOMIC_APPEND_MAX_BYTES <= schema.TRANSACTION_EVENT_BYTES


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"checkpoint": Checkpoint(state={"s": "x" * schema.CHECKPOINT_MAX_BYTES})}, "checkpoint"),
        ({"result": "x" * schema.RESULT_MAX_BYTES}, "result"),
        ({"error": "x" * (schema.ERROR_MAX_BYTES + 1)}, "error message"),
    ],
)
def test_oversize_job_fields_are_refused_before_any_request(
    store: JobStore, requests: RequestCounter, kwargs: dict[str, Any], what: str
) -> None:
    lease = start_job(store)
    requests.calls.clear()
    with pytest.raises(PayloadTooLarge, match=what):
        store.append(lease, events(1), after_id=0, **kwargs)
    with pytest.raises(PayloadTooLarge, match="progress"):
        store.append(
            lease, [NewEvent("progress", {"s": "x" * schema.PROGRESS_MAX_BYTES})], after_id=0
        )
    assert sum(requests.calls.values()) == 0


def test_bad_events_are_refused(store: JobStore) -> None:
    lease = start_job(store)
    for bad_type in ("", "a\nb", "x" * 65, "a b", "a-b", "ünï", "١٢"):
        with pytest.raises(ValueError, match="event type"):
            store.append(lease, [NewEvent(bad_type, {})], after_id=0)
    with pytest.raises(ValueError, match="Out of range float"):
        store.append(lease, [NewEvent("t", {"x": float("nan")})], after_id=0)
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        store.append(lease, [NewEvent("t", {"x": object()})], after_id=0)
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: DynamoDB would refuse the string
        store.append(lease, [NewEvent("t", {"x": "\ud800"})], after_id=0)
    with pytest.raises(TypeError, match="JSON object"):
        store.append(lease, [NewEvent("t", [1])], after_id=0)  # type: ignore[arg-type]
    assert store.append(lease, [NewEvent("x" * 64, {})], after_id=0)[0].type == "x" * 64
    assert store.append(lease, [NewEvent("app.step_2", {})], after_id=1)[0].id == 2
    assert store.get_job("job-1").last_event_id == 2


def test_an_encoded_event_is_written_as_it_is(
    store: JobStore, ddb: DynamoDBClient, settings: Settings
) -> None:
    """What the job context encoded when the job emitted it is what lands in the item."""
    lease = start_job(store)
    encoded = encode_event("progress", {"done": 1, "note": "é"}, created_at=START + 0.5)
    [stored] = store.append(lease, [encoded], after_id=0)
    assert (stored.type, stored.data, stored.created_at) == ("progress", encoded.data, START + 0.5)
    [item] = event_items(ddb, settings.table)
    assert item["ev"]["S"] == "[" + encoded.fragment + "]"
    assert json.loads(encoded.fragment) == ["progress", {"done": 1, "note": "é"}, START + 0.5]
    assert store.get_job("job-1").progress == {"done": 1, "note": "é"}


def test_batches_split_into_items_by_count_and_size_in_one_request(
    store: JobStore, requests: RequestCounter, ddb: DynamoDBClient, settings: Settings
) -> None:
    lease = start_job(store)
    requests.calls.clear()
    small = store.append(lease, events(250), after_id=0)
    big = store.append(lease, events(10, pad="y" * 100_000), after_id=250)
    assert dict(requests.calls) == {"TransactWriteItems": 2}
    items = event_items(ddb, settings.table)
    sizes = [int(i["sk"]["S"][3:]) - int(i["first"]["N"]) + 1 for i in items]
    assert sizes == [100, 100, 50, 3, 3, 3, 1]
    assert all(len(i["ev"]["S"].encode()) < schema.ITEM_MAX_BYTES for i in items)
    assert list(store.events_after("job-1", 0)) == small + big


def test_a_batch_beyond_one_transaction_is_written_as_several(
    store: JobStore, requests: RequestCounter
) -> None:
    lease = start_job(store)
    requests.calls.clear()
    stored = store.append(
        lease, events(40, pad="z" * 100_000), after_id=0, status=JobStatus.SUCCEEDED
    )
    assert dict(requests.calls) == {"TransactWriteItems": 2}
    assert [e.id for e in stored] == list(range(1, 41))
    job = store.get_job("job-1")
    assert job.last_event_id == 40
    assert job.status is JobStatus.SUCCEEDED
    assert list(store.events_after("job-1", 0)) == stored


def test_a_committed_append_whose_reply_was_lost_is_not_mistaken_for_a_lost_lease(
    store: JobStore, ddb: DynamoDBClient
) -> None:
    """botocore re-sends a committed TransactWriteItems (here: forced once); the second copy
    fails its condition, and the store recognises its own token instead of raising LeaseLost."""
    lease = start_job(store)
    resent: list[int] = []

    def resend_once(**_: Any) -> int | None:
        if resent:
            return None
        resent.append(1)
        return 0  # "retry after 0 s"

    ddb.meta.events.register(
        "needs-retry.dynamodb.TransactWriteItems", cast("Any", resend_once), unique_id="x"
    )
    try:
        stored = store.append(lease, events(3), after_id=0)
    finally:
        ddb.meta.events.unregister("needs-retry.dynamodb.TransactWriteItems", unique_id="x")
    assert resent == [1]
    assert [e.id for e in stored] == [1, 2, 3]
    assert [e.id for e in store.events_after("job-1", 0)] == [1, 2, 3]
    assert store.append(lease, events(1), after_id=3)[0].id == 4


class _ConflictingClient:
    """Delegates to moto, but the first ``conflicts`` transactions are cancelled with
    TransactionConflict, as DynamoDB does when another transaction holds the item."""

    def __init__(self, client: DynamoDBClient, conflicts: int) -> None:
        self._client = client
        self.conflicts = conflicts

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self.conflicts > 0:
            self.conflicts -= 1
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (
                len(kwargs["TransactItems"]) - 1
            )
            response: Any = {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": reasons,
            }
            raise ClientError(response, "TransactWriteItems")
        return self._client.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_transaction_conflicts_are_retried_with_backoff(
    settings: Settings, ddb: DynamoDBClient, clock: FakeClock
) -> None:
    conflicting = _ConflictingClient(ddb, conflicts=2)
    store = JobStore(settings, client=cast("DynamoDBClient", conflicting), clock=clock)
    sleeps = clock.sleeps
    lease = start_job(store)
    assert [e.id for e in store.append(lease, events(2), after_id=0)] == [1, 2]
    assert len(sleeps) == 2
    assert all(0 <= s <= 0.1 for s in sleeps)

    conflicting.conflicts = 100
    with pytest.raises(StoreRequestFailed) as raised:
        store.append(lease, events(1), after_id=2)
    assert raised.value.code == "TransactionConflict"
    assert store.get_job("job-1").last_event_id == 2
