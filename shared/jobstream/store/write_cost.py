"""Measure how many DynamoDB write requests the event log makes per event at a given emit rate.

Deterministic: the job's emits are placed on a simulated clock (no sleeping, no timing), and the
requests are counted from botocore's own ``before-call`` events on the store's client, so the same
function serves the unit tests (moto) and ``make bench`` (moto server or a real table).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from jobstream.store.writer import EventWriter

if TYPE_CHECKING:
    from types import TracebackType

    from botocore.model import OperationModel
    from mypy_boto3_dynamodb import DynamoDBClient

    from jobstream.store.job_store import JobStore

WRITE_OPERATIONS: Final = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


class SimulatedClock:
    """A clock that moves only when told to: inject it wherever a ``clock`` callable is taken."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RequestCounter:
    """Counts a client's API calls by operation (one per call; botocore retries not counted)."""

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client
        self._id = f"request-counter-{uuid.uuid4().hex}"
        self.calls: Counter[str] = Counter()

    def __enter__(self) -> RequestCounter:
        self._client.meta.events.register("before-call.dynamodb", self._count, unique_id=self._id)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.meta.events.unregister("before-call.dynamodb", unique_id=self._id)

    def _count(self, model: OperationModel, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)


@dataclass(frozen=True, slots=True)
class WriteCost:
    rate_per_s: float
    events: int
    write_requests: int

    @property
    def per_event(self) -> float:
        return self.write_requests / self.events


def measure_write_cost(
    store: JobStore,
    *,
    rate_per_s: float,
    events: int,
    flush_interval_s: float = 0.05,
    job_id: str | None = None,
) -> WriteCost:
    """Emit ``events`` progress events evenly at ``rate_per_s`` on a simulated clock through an
    EventWriter, close it, and count the write requests (job creation and lease not included)."""
    if rate_per_s <= 0 or events <= 0:
        raise ValueError("rate_per_s and events must be positive")
    job_id = job_id or f"write-cost-{uuid.uuid4().hex}"
    store.create_job(job_id=job_id, type="write-cost", params={})
    lease, _ = store.acquire_lease(job_id, duration_s=3600)
    clock = SimulatedClock()
    writer = EventWriter(
        store,
        lease,
        last_event_id=0,
        flush_interval_s=flush_interval_s,
        clock=clock,
        background_flush=False,
    )
    with RequestCounter(store.client) as counter:
        for number in range(events):
            clock.now = number / rate_per_s
            writer.emit("progress", {"done": number + 1, "total": events})
        clock.advance(flush_interval_s)
        writer.close()
    store.release_lease(lease)
    return WriteCost(rate_per_s=rate_per_s, events=events, write_requests=counter.writes)
