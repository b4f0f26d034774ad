"""events_after(consistent=False) on a stubbed client: a lagging replica's answer is a prefix;
a gap in it is read again strongly consistently, so the caller never skips an event."""

from __future__ import annotations

from typing import Any

from jobstream.settings import Settings
from jobstream.store import JobStore, schema
from jobstream.store import attribute_values as av
from jobstream.store.event_codec import encode_event, pack_items
from tests.clock import FakeClock

JOB = "job-1"


def item(first: int, last: int) -> dict[str, Any]:
    encoded = [encode_event("progress", {"i": i}, 1.0) for i in range(first, last + 1)]
    (body,) = pack_items(JOB, first, encoded, max_events=100)
    return {
        schema.PK: av.s(schema.job_pk(JOB)),
        schema.SK: av.s(schema.event_sk(body.last_id)),
        schema.FIRST_EVENT_ID: av.n(body.first_id),
        schema.EVENTS: av.s(body.events_json),
        schema.EXPIRES_AT: av.ttl(4_000_000_000),
    }


class Replicas:
    """Answers eventually consistent Queries from a lagging replica, consistent ones from all."""

    def __init__(self, *, stale: list[dict[str, Any]], full: list[dict[str, Any]]) -> None:
        self.stale, self.full = stale, full
        self.queries: list[bool] = []

    def query(self, **request: Any) -> dict[str, Any]:
        consistent = request["ConsistentRead"]
        self.queries.append(consistent)
        start = request["ExpressionAttributeValues"]
        low = min(v["S"] for v in start.values() if v["S"].startswith("EV#"))
        items = self.full if consistent else self.stale
        return {"Items": [i for i in items if i[schema.SK]["S"] >= low]}


def store_on(client: Replicas) -> JobStore:
    return JobStore(Settings(table="t"), client=client, clock=FakeClock(1.0))  # type: ignore[arg-type]


def test_a_lagging_replica_yields_a_prefix_in_one_half_price_read() -> None:
    replicas = Replicas(stale=[item(1, 3), item(4, 5)], full=[item(1, 3), item(4, 5), item(6, 9)])
    got = [e.id for e in store_on(replicas).events_after(JOB, 0, consistent=False)]
    assert got == [1, 2, 3, 4, 5]
    assert replicas.queries == [False]


def test_a_gap_in_an_eventual_answer_is_read_again_consistently() -> None:
    # A replica holding 1..3 and 6..9 but not 4..5 (not documented to happen; not trusted either).
    replicas = Replicas(stale=[item(1, 3), item(6, 9)], full=[item(1, 3), item(4, 5), item(6, 9)])
    got = [e.id for e in store_on(replicas).events_after(JOB, 0, consistent=False)]
    assert got == list(range(1, 10))
    assert replicas.queries == [False, True]


def test_reads_are_consistent_unless_asked_otherwise() -> None:
    replicas = Replicas(stale=[], full=[item(1, 2)])
    assert [e.id for e in store_on(replicas).events_after(JOB, 0)] == [1, 2]
    assert replicas.queries == [True]
