"""What a viewer's stream reads: on a busy job (per viewer-second) and on an idle one (per minute).

Deterministic: moto in-process, a simulated clock that moves only when the stream waits, the real
StreamService and JobStore. The busy job commits ``rate`` ``bench.tick`` events a second the way
the driver writes them at that rate (one append per flush interval); the stream reads it from the
first event for ``seconds`` and its Queries are counted and priced by ``CapacityMeter`` (eventually
consistent reads at half price). Many viewers of one job share its partition, whose read
capacity is ``PARTITION_READ_UNITS`` a second: viewers that fit = that / read units per
viewer-second. The idle figure is dynamo_cost.measure_idle's.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store import JobStore, NewEvent
from jobstream.tail import StreamService, StreamStats
from jobstream_bench.dynamo_cost import IdleCost, fresh_table, measure_idle, moto_dynamodb
from jobstream_bench.jobs import TICK_EVENT, TICKS
from jobstream_local.cost.capacity import CapacityMeter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# DynamoDB's per-partition ceiling (Developer Guide, "Partitions and data distribution"): one
# job's events share a partition key, so all its viewers share these.
PARTITION_READ_UNITS: Final = 3_000
_SIGNING_KEY: Final = b"bench-stream-reads-key-0123456789"
# The first second is the stream finding the job's pace; the figures are of the rest.
_WARM_UP_S: Final = 1.0


class _ScheduledClock:
    """Simulated time; ``at`` runs a write when a wait carries the clock past its time."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self._actions: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        while self._actions and self._actions[0][0] <= self.now:
            heapq.heappop(self._actions)[2]()

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._actions, (when, next(self._order), action))


@dataclass(frozen=True, slots=True)
class BusyReads:
    schedule: str
    rate_per_s: float
    seconds: float
    queries: int
    rcu: float
    eventual_queries: int
    events_received: int

    @property
    def reads_per_viewer_second(self) -> float:
        return self.queries / self.seconds

    @property
    def rcu_per_viewer_second(self) -> float:
        return self.rcu / self.seconds

    @property
    def viewers_per_partition(self) -> int:
        return int(PARTITION_READ_UNITS / self.rcu_per_viewer_second)


@dataclass(frozen=True, slots=True)
class StreamReadsResult:
    busy: list[BusyReads]
    idle: IdleCost
    poll_min_ms: int
    poll_busy_ms: int
    poll_max_ms: int
    flush_interval_ms: int


def measure_busy(
    client: DynamoDBClient,
    settings: Settings,
    *,
    schedule: str,
    rate_per_s: float,
    seconds: float,
) -> BusyReads:
    clock = _ScheduledClock()
    store = JobStore(settings, client=client, clock=clock)
    job_id = f"bench-busy-{uuid.uuid4().hex[:12]}"
    store.create_job(job_id=job_id, type=TICKS, params={"n": 1})
    lease, _ = store.acquire_lease(job_id, duration_s=3_600)
    every = settings.flush_interval_ms / 1000
    per_append = max(1, round(rate_per_s * every))
    written = 0

    def append() -> None:
        nonlocal written
        batch = [
            NewEvent(TICK_EVENT, {"seq": written + i + 1, "t": clock.now})
            for i in range(per_append)
        ]
        store.append(lease, batch, after_id=written)
        written += per_append

    started = clock.now
    total = seconds + _WARM_UP_S
    for n in range(1, int(total / every) + 1):
        clock.at(started + n * every, append)
    signer = TokenSigner(_SIGNING_KEY)
    closed: list[StreamStats] = []
    service = StreamService(
        store=store,
        signer=signer,
        settings=settings.with_changes({"stream_max_seconds": total + 1}),
        clock=clock,
        on_close=closed.append,
    )
    response = service.open(
        job_id,
        token=signer.issue(job_id, ttl_seconds=3_600),
        last_event_id=None,
        remaining_ms=lambda: 3_600_000,
    )
    received = 0
    with CapacityMeter(client, clock=clock) as meter:
        for frame in response.body:
            received += frame.count(b"\nevent: ")
            if clock.now >= started + total:
                break
        close = getattr(response.body, "close", None)
        if close is not None:
            close()
    window = [
        call
        for call in meter.timeline
        if call.operation == "Query" and started + _WARM_UP_S <= call.at < started + total
    ]
    queries = len(window)
    rcu = sum(call.priced_read_units for call in window)
    eventual = sum(1 for call in window if not call.consistent)
    return BusyReads(
        schedule=schedule,
        rate_per_s=rate_per_s,
        seconds=seconds,
        queries=queries,
        rcu=rcu,
        eventual_queries=eventual,
        events_received=received,
    )


def run(
    *, rate_per_s: float = 1_000, seconds: float = 20, idle_minutes: int = 5
) -> StreamReadsResult:
    base = Settings(api_auth="none", table="unused", region="us-east-1")
    # The schedule as shipped, and the same without its busy bound (the probe interval instead),
    # which is what polling "as fast as events come" would read.
    schedules = {
        f"busy interval {base.stream_poll_busy_ms} ms (default)": base,
        f"no busy bound ({base.stream_poll_min_ms} ms)": base.with_changes(
            {"stream_poll_busy_ms": base.stream_poll_min_ms}
        ),
    }
    busy: list[BusyReads] = []
    with moto_dynamodb() as client:
        for name, variant in schedules.items():
            with fresh_table(client, variant) as settings:
                busy.append(
                    measure_busy(
                        client, settings, schedule=name, rate_per_s=rate_per_s, seconds=seconds
                    )
                )
        with fresh_table(client, base) as settings:
            idle = measure_idle(client, settings, minutes=idle_minutes)
    return StreamReadsResult(
        busy=busy,
        idle=idle,
        poll_min_ms=base.stream_poll_min_ms,
        poll_busy_ms=base.stream_poll_busy_ms,
        poll_max_ms=base.stream_poll_max_ms,
        flush_interval_ms=base.flush_interval_ms,
    )
