"""One job through the whole local stack: job -> store -> stream -> client, on the wall clock.

The stack is ``jobstream_local.stack.LocalStack`` (what `make run` serves) with the bench's job
registry; the client is ``jobstream_client.EventStream`` over real HTTP on loopback. Every event
of a ``bench.ticks`` job carries the wall-clock time the job emitted it, and the client notes the
time it received it: same machine, same clock, so the difference is the emit-to-client latency.

- Throughput: a job emitting as fast as the driver goes; events/s = events / (time of the last
  event's receipt - time the job was created), background and inline mode alternately. The
  DynamoDB requests the stack made during the run are counted on its client (wall clock, so this
  complements the deterministic figures of dynamo_cost.py).
- Latency at low rates: a paced job whose first event comes a second after the client connected,
  background and inline alternately; and, on the background runs, a client polling
  ``GET /jobs/{id}`` once a second alongside the stream, whose latency per event is the time from
  emit to the first poll that showed ``last_event_id`` at or past it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx

from jobstream.settings import Settings
from jobstream_bench.jobs import TICK_EVENT, TICKS, TICKS_INLINE
from jobstream_bench.stats import Summary, percentile
from jobstream_client import EventStream, JobsAPI
from jobstream_local.cost.capacity import CapacityMeter

if TYPE_CHECKING:
    from jobstream_local.stack import LocalStack

BENCH_REGISTRY: Final = "jobstream_bench.jobs:registry"
POLL_INTERVAL_S: Final = 1.0
# Time for the client to connect before a paced job's first event (see jobs.py).
START_DELAY_MS: Final = 1_000
STEADY_AFTER_S: Final = 1.0
MODES: Final = {"background": TICKS, "inline": TICKS_INLINE}


@dataclass(frozen=True, slots=True)
class RunTrace:
    """One job as one client saw it."""

    mode: str
    events: int
    created_at: float
    # Per tick event: (emitted at, received at), epoch seconds.
    times: list[tuple[float, float]]
    http_requests: int
    dynamodb_writes: int
    dynamodb_reads: int

    @property
    def events_per_s(self) -> float:
        return self.events / (self.times[-1][1] - self.created_at)

    @property
    def latencies_ms(self) -> list[float]:
        return [1000 * (received - emitted) for emitted, received in self.times]

    @property
    def steady_latencies_ms(self) -> list[float]:
        """Events emitted a second or more after the first: the stream is already polling at the
        job's pace (the first events after a pause wait for a poll schedule backed off to ~1 s)."""
        first = self.times[0][0]
        return [
            1000 * (received - emitted)
            for emitted, received in self.times
            if emitted >= first + STEADY_AFTER_S
        ]


@dataclass(frozen=True, slots=True)
class PollTrace:
    requests: int
    latencies_ms: list[float]


@dataclass(frozen=True, slots=True)
class ThroughputResult:
    events: int
    # events/s per mode, over the runs.
    rate: dict[str, Summary]
    writes_per_event: dict[str, Summary]
    reads_per_event: dict[str, Summary]


@dataclass(frozen=True, slots=True)
class LatencyResult:
    rate_per_s: float
    events: int
    runs: int
    # Per client ("background", "inline", "polling"): the runs' p50 and p99, each summarised over
    # the runs (median, lowest, highest).
    p50_ms: dict[str, Summary]
    p99_ms: dict[str, Summary]
    # p99 of the events emitted a second or more after the job's first (streams only).
    p99_steady_ms: dict[str, Summary]
    # HTTP requests per job per client kind ("stream", "polling").
    requests_per_job: dict[str, Summary]
    # The stack's own DynamoDB calls during these runs, in ms: (p50, p99) of an append
    # (TransactWriteItems: what every event waits for before anyone may see it) and of a Query.
    write_ms: tuple[float, float] = (0.0, 0.0)
    query_ms: tuple[float, float] = (0.0, 0.0)


class CallTimer:
    """Wall time of a client's calls by operation (botocore's before-call/after-call, which run
    on the calling thread)."""

    def __init__(self, client: Any, operations: frozenset[str]) -> None:
        self._client = client
        self._operations = operations
        self._started = threading.local()
        self._lock = threading.Lock()
        self.ms: dict[str, list[float]] = {name: [] for name in operations}
        self._id = f"bench-call-timer-{uuid.uuid4().hex}"

    def __enter__(self) -> CallTimer:
        events = self._client.meta.events
        events.register("before-call.dynamodb", self._before, unique_id=f"{self._id}-before")
        events.register("after-call.dynamodb", self._after, unique_id=f"{self._id}-after")
        return self

    def __exit__(self, *_: object) -> None:
        events = self._client.meta.events
        events.unregister("before-call.dynamodb", unique_id=f"{self._id}-before")
        events.unregister("after-call.dynamodb", unique_id=f"{self._id}-after")

    def _before(self, model: Any, **_: Any) -> None:
        self._started.at = time.perf_counter()

    def _after(self, model: Any, **_: Any) -> None:
        started = getattr(self._started, "at", None)
        if started is None or model.name not in self._operations:
            return
        with self._lock:
            self.ms[model.name].append(1000 * (time.perf_counter() - started))

    def take(self, operation: str) -> tuple[float, float]:
        with self._lock:
            values, self.ms[operation] = self.ms[operation], []
        if not values:
            return (0.0, 0.0)
        return (percentile(values, 50), percentile(values, 99))


@dataclass(frozen=True, slots=True)
class EndToEndResult:
    # Either part may be left out of a run (``--only latency`` / ``--only throughput``).
    throughput: ThroughputResult | None
    latency: list[LatencyResult]
    database: str


@contextmanager
def quiet_stack() -> Iterator[LocalStack]:
    """A started stack that logs warnings only (it logs a line per request and per stream).

    The level is set once the stack runs: the Powertools loggers set their own level when they
    are created, which starting the stack does.
    """
    logger = logging.getLogger("jobstream")
    level = logger.level
    with _stack() as stack:
        logger.setLevel(logging.WARNING)
        try:
            yield stack
        finally:
            logger.setLevel(level)


def follow(
    api: JobsAPI,
    http: httpx.Client,
    *,
    mode: str,
    params: Mapping[str, float],
    meter: CapacityMeter | None = None,
    poll: list[PollTrace] | None = None,
) -> RunTrace:
    """Create one job and read its stream to the end; optionally poll its status alongside."""
    if meter is not None:
        meter.reset()
    created_at = time.time()
    job = api.create(MODES[mode], dict(params))
    stop = threading.Event()
    polls: list[tuple[float, int]] = []
    poller: threading.Thread | None = None
    if poll is not None:
        poller = threading.Thread(
            target=_poll_status, args=(api, job.job_id, job.token, polls, stop), daemon=True
        )
        poller.start()
    times: list[tuple[float, float]] = []
    stream = EventStream(job.events_url, token=job.token, client=http)
    ids: list[int] = []
    for event in stream:
        received = time.time()
        if event.event == TICK_EVENT:
            times.append((float(json.loads(event.data)["t"]), received))
            ids.append(int(event.id))
    stop.set()
    if poller is not None:
        poller.join()
        assert poll is not None
        poll.append(_poll_latencies(polls, ids, times))
    usage = meter.usage() if meter is not None else None
    expected = int(params["n"])
    if len(times) != expected or stream.terminal_event is None:
        raise AssertionError(f"{mode} job: {len(times)} of {expected} events, then {stream.end}")
    return RunTrace(
        mode=mode,
        events=expected,
        created_at=created_at,
        times=times,
        http_requests=stream.attempts,
        dynamodb_writes=usage.writes if usage is not None else 0,
        dynamodb_reads=usage.reads if usage is not None else 0,
    )


def _poll_status(
    api: JobsAPI, job_id: str, token: str, polls: list[tuple[float, int]], stop: threading.Event
) -> None:
    """GET /jobs/{id} once a second until it shows the job finished (what a polling page does).

    ``stop`` (set when the stream ended) bounds it: a finished job shows as such at the next poll.
    """
    deadline: float | None = None
    while deadline is None or time.time() < deadline:
        if deadline is None and stop.is_set():
            deadline = time.time() + 10 * POLL_INTERVAL_S
        status = api.status(job_id, token=token)
        polls.append((time.time(), int(status["last_event_id"])))
        if status["status"] in ("succeeded", "failed", "cancelled"):
            return
        time.sleep(POLL_INTERVAL_S)


def _poll_latencies(
    polls: list[tuple[float, int]], ids: list[int], times: list[tuple[float, float]]
) -> PollTrace:
    latencies: list[float] = []
    for event_id, (emitted, _) in zip(ids, times, strict=True):
        seen = next((at for at, last in polls if last >= event_id), None)
        if seen is not None:
            latencies.append(1000 * (seen - emitted))
    return PollTrace(requests=len(polls), latencies_ms=latencies)


def _stack() -> LocalStack:
    """A stack on a table of its own: the embedded moto server keeps its tables in process-wide
    state, so a second stack in this process would otherwise find the first one's table."""
    from jobstream_local.stack import LocalStack

    settings = Settings(
        api_auth="none",
        job_registry=BENCH_REGISTRY,
        table=f"jobstream-bench-{uuid.uuid4().hex[:8]}",
    )
    return LocalStack(port=0, function_timeout_s=120, stream_timeout_s=300, settings=settings)


def measure_throughput(
    *, events: int, runs: int, rng: random.Random
) -> tuple[ThroughputResult, str]:
    traces: dict[str, list[RunTrace]] = {mode: [] for mode in MODES}
    with (
        quiet_stack() as stack,
        httpx.Client(timeout=httpx.Timeout(30.0)) as http,
        JobsAPI(stack.url, client=http) as api,
        CapacityMeter(stack.jobs.store.client) as meter,
    ):
        # Warm-up: first requests pay for imports, connection set-up and the stack's lazy parts.
        for mode in MODES:
            follow(api, http, mode=mode, params={"n": 200, "rate": 0})
        for _ in range(runs):
            for mode in rng.sample(list(MODES), len(MODES)):
                params = {"n": events, "rate": 0}
                traces[mode].append(follow(api, http, mode=mode, params=params, meter=meter))
        database = stack.database_description
    result = ThroughputResult(
        events=events,
        rate={m: Summary.of([t.events_per_s for t in runs]) for m, runs in traces.items()},
        writes_per_event={
            m: Summary.of([t.dynamodb_writes / t.events for t in runs])
            for m, runs in traces.items()
        },
        reads_per_event={
            m: Summary.of([t.dynamodb_reads / t.events for t in runs]) for m, runs in traces.items()
        },
    )
    return result, database


def measure_latency(
    *, plan: tuple[tuple[float, int], ...], runs: int, rng: random.Random
) -> tuple[list[LatencyResult], str]:
    results: list[LatencyResult] = []
    with (
        quiet_stack() as stack,
        httpx.Client(timeout=httpx.Timeout(30.0)) as http,
        JobsAPI(stack.url, client=http) as api,
    ):
        database = stack.database_description
        timed = frozenset({"TransactWriteItems", "Query"})
        with CallTimer(stack.jobs.store.client, timed) as stack_calls:
            for mode in MODES:
                follow(api, http, mode=mode, params={"n": 20, "rate": 0})
            for rate_per_s, events in plan:
                stack_calls.take("TransactWriteItems")
                stack_calls.take("Query")
                traces: dict[str, list[RunTrace]] = {mode: [] for mode in MODES}
                polls: list[PollTrace] = []
                for _ in range(runs):
                    for mode in rng.sample(list(MODES), len(MODES)):
                        params = {"n": events, "rate": rate_per_s, "start_delay_ms": START_DELAY_MS}
                        poll = polls if mode == "background" else None
                        traces[mode].append(follow(api, http, mode=mode, params=params, poll=poll))
                p50 = {
                    m: Summary.of([percentile(t.latencies_ms, 50) for t in r])
                    for m, r in traces.items()
                }
                p99 = {
                    m: Summary.of([percentile(t.latencies_ms, 99) for t in r])
                    for m, r in traces.items()
                }
                steady = {
                    m: Summary.of([percentile(t.steady_latencies_ms, 99) for t in r])
                    for m, r in traces.items()
                }
                p50["polling"] = Summary.of([percentile(p.latencies_ms, 50) for p in polls])
                p99["polling"] = Summary.of([percentile(p.latencies_ms, 99) for p in polls])
                results.append(
                    LatencyResult(
                        rate_per_s=rate_per_s,
                        events=events,
                        runs=runs,
                        p50_ms=p50,
                        p99_ms=p99,
                        p99_steady_ms=steady,
                        requests_per_job={
                            "stream": Summary.of(
                                [float(t.http_requests) for r in traces.values() for t in r]
                            ),
                            "polling": Summary.of([float(p.requests) for p in polls]),
                        },
                        write_ms=stack_calls.take("TransactWriteItems"),
                        query_ms=stack_calls.take("Query"),
                    )
                )
    return results, database


def run(
    *,
    throughput_events: int = 5_000,
    throughput_runs: int = 3,
    latency_plan: tuple[tuple[float, int], ...] = ((10.0, 100), (2.0, 12), (1.0, 10)),
    latency_runs: int = 3,
    seed: int = 0,
    parts: frozenset[str] = frozenset({"throughput", "latency"}),
) -> EndToEndResult:
    """Each part on a stack of its own: moto's writes slow down as its table grows (it copies the
    table for every transaction), so latency is measured first, on an empty table. ``parts``:
    which of "throughput" and "latency" to measure."""
    rng = random.Random(seed)
    latency: list[LatencyResult] = []
    database = ""
    if "latency" in parts:
        latency, database = measure_latency(plan=latency_plan, runs=latency_runs, rng=rng)
    throughput: ThroughputResult | None = None
    if "throughput" in parts:
        throughput, database = measure_throughput(
            events=throughput_events, runs=throughput_runs, rng=rng
        )
    return EndToEndResult(throughput=throughput, latency=latency, database=database)
