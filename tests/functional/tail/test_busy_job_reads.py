"""Many viewers of one busy job share one partition (about 3,000 read units a second): on the moto
table with a fake clock, a stream on a job committing 1,000 events/s reads at most once per busy
interval, mostly eventually consistently, and so leaves room for 200 viewers and more. Its idle
counterpart (at most 60 reads per idle minute) is in the stream service's tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store import JobStore, NewEvent
from jobstream.tail.service import StreamService, StreamStats
from jobstream_client.sse import SSEParser
from jobstream_local.cost.capacity import item_size, read_units
from tests.clock import FakeClock

if TYPE_CHECKING:
    from botocore.model import OperationModel
    from mypy_boto3_dynamodb import DynamoDBClient

PARTITION_READ_UNITS = 3_000
RATE = 1_000
COMMIT_EVERY_S = 0.05  # the flush interval: 50 events per append at 1,000/s
SECONDS = 10


class QueryMeter:
    """Queries on the client: when (fake clock), whether consistent, modelled read units."""

    def __init__(self, client: DynamoDBClient, clock: FakeClock) -> None:
        self.clock = clock
        self.queries: list[tuple[float, bool, float]] = []
        self._consistent = True
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, model: OperationModel, params: dict[str, Any], **_: Any) -> None:
        self._consistent = bool(params.get("ConsistentRead", False))

    def _after(self, model: OperationModel, parsed: dict[str, Any], **_: Any) -> None:
        if model.name != "Query":
            return
        units = read_units(sum(item_size(i) for i in parsed.get("Items", [])))
        # An eventually consistent read costs half a strongly consistent one.
        self.queries.append(
            (self.clock.now, self._consistent, units if self._consistent else units / 2)
        )


def test_a_viewer_of_a_job_at_1000_events_per_second_leaves_room_for_200_viewers(
    settings: Settings, ddb: DynamoDBClient
) -> None:
    settings = settings.with_changes({"stream_max_seconds": SECONDS + 5})
    clock = FakeClock(forbid_zero_sleep=True)
    store = JobStore(settings, client=ddb)
    store.create_job(job_id="busy", type="demo", params={})
    lease, _ = store.acquire_lease("busy", duration_s=3_600)
    per_commit = int(RATE * COMMIT_EVERY_S)
    commits = int(SECONDS / COMMIT_EVERY_S)
    written = 0

    def commit() -> None:
        nonlocal written
        batch = [
            NewEvent("bench.tick", {"seq": written + i + 1, "t": 1_764_000_000.123456})
            for i in range(per_commit)
        ]
        store.append(lease, batch, after_id=written)
        written += per_commit

    start = clock.now
    for n in range(1, commits + 1):
        clock.at(start + n * COMMIT_EVERY_S, commit)
    signer = TokenSigner(b"k" * 32)
    closed: list[StreamStats] = []
    service = StreamService(
        store=store,
        signer=signer,
        settings=settings,
        clock=clock,
        on_close=closed.append,
    )
    meter = QueryMeter(ddb, clock)

    response = service.open(
        "busy",
        token=signer.issue("busy", ttl_seconds=600),
        last_event_id=None,
        remaining_ms=lambda: 900_000,
    )
    parser = SSEParser()
    ids: list[int] = []
    for chunk in response.body:
        ids.extend(int(e.id) for e in parser.feed(chunk) if e.id)
        if clock.now > start + SECONDS + 1:
            break

    assert ids == list(range(1, commits * per_commit + 1))
    flowing = [q for q in meter.queries if start + 1 <= q[0] < start + SECONDS]
    seconds = SECONDS - 1
    reads_per_viewer_second = len(flowing) / seconds
    units_per_viewer_second = sum(units for _, _, units in flowing) / seconds
    # One Query per busy interval (Settings.stream_poll_busy_ms: 75 ms).
    assert reads_per_viewer_second <= 1000 / settings.stream_poll_busy_ms + 0.5
    # Batches of ~100 events exceed one read unit: the reads after them are eventual.
    assert sum(1 for _, consistent, _ in flowing if not consistent) >= 0.9 * len(flowing)
    assert PARTITION_READ_UNITS / units_per_viewer_second >= 200, units_per_viewer_second
