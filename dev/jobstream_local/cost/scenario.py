"""One job end to end on a local DynamoDB, metered: the API's create, the worker's hops and one
client streaming every event, each with a boto3 client of its own (as each function has).

Real time, real threads: the job's steps sleep ``interval_ms`` each, the worker writes from its
thread (coalescing steps finished within the flush interval), and the stream tails the log as on
Lambda. Only the HTTP transports are left out; they make no DynamoDB requests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobstream.auth.keys import token_signer
from jobstream.aws_clients import dynamodb_client
from jobstream.composition import job_service
from jobstream.invocation_context import InvocationContext
from jobstream.jobs.budget import remaining_from_context
from jobstream.jobs.driver import DriveOutcome
from jobstream.settings import Settings
from jobstream.store.job_store import JobStore
from jobstream.store.models import TERMINAL_EVENT_TYPES
from jobstream.tail.service import StreamService
from jobstream_client.sse import SSEParser
from jobstream_local.cost.capacity import NO_USAGE, CapacityMeter, Usage
from jobstream_sandbox.invokers import RecordingInvoker

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

JOB_TYPE = "demo.count"


@dataclass(frozen=True, slots=True)
class Invocations:
    """Lambda invocations of one function and their wall-clock durations (seconds)."""

    durations: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        return len(self.durations)

    @property
    def seconds(self) -> float:
        return sum(self.durations)


@dataclass(frozen=True, slots=True)
class Measurement:
    events: int
    interval_ms: int
    api: Invocations
    worker: Invocations
    stream: Invocations
    dynamodb: dict[str, Usage] = field(default_factory=dict)
    streamed_events: int = 0
    streamed_bytes: int = 0

    @property
    def total_dynamodb(self) -> Usage:
        total = NO_USAGE
        for usage in self.dynamodb.values():
            total = total + usage
        return total


def measure_job(
    settings: Settings,
    *,
    events: int,
    interval_ms: int,
    worker_timeout_s: float,
    stream_timeout_s: float,
) -> Measurement:
    """Run one ``demo.count`` job of ``events`` events through create, worker and one stream."""
    clients = {role: dynamodb_client(settings) for role in ("api", "worker", "stream")}
    meters = {role: CapacityMeter(client) for role, client in clients.items()}
    for meter in meters.values():
        meter.__enter__()
    try:
        api, job_id = _create(settings, clients["api"], events=events, interval_ms=interval_ms)
        token = token_signer(settings).issue(job_id, ttl_seconds=3600)
        worker = _WorkerChain(settings, clients["worker"], job_id, timeout_s=worker_timeout_s)
        stream_store = JobStore(settings, client=clients["stream"])
        stream_service = StreamService(
            store=stream_store, signer=token_signer(settings), settings=settings
        )
        worker.start()
        stream, streamed_events, streamed_bytes = _watch(
            stream_service, job_id, token, timeout_s=stream_timeout_s
        )
        worker.join()
    finally:
        for meter in meters.values():
            meter.__exit__(None, None, None)
    return Measurement(
        events=events,
        interval_ms=interval_ms,
        api=api,
        worker=worker.invocations(),
        stream=stream,
        dynamodb={role: meter.usage() for role, meter in meters.items()},
        streamed_events=streamed_events,
        streamed_bytes=streamed_bytes,
    )


def _create(
    settings: Settings, client: DynamoDBClient, *, events: int, interval_ms: int
) -> tuple[Invocations, str]:
    # RecordingInvoker: the worker is started below, on its own client, as the invoke would.
    service = job_service(settings, invoker=RecordingInvoker(), dynamodb=client)
    started = time.monotonic()
    job = service.create(JOB_TYPE, {"n": events, "interval_ms": interval_ms})
    return Invocations((time.monotonic() - started,)), job.job_id


class _WorkerChain:
    """The worker function's hops, one after another in a thread, each with its own deadline."""

    def __init__(
        self, settings: Settings, client: DynamoDBClient, job_id: str, *, timeout_s: float
    ) -> None:
        self._invoker = RecordingInvoker()
        self._service = job_service(settings, invoker=self._invoker, dynamodb=client)
        self._job_id = job_id
        self._timeout_s = timeout_s
        self._durations: list[float] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="cost-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error

    def invocations(self) -> Invocations:
        return Invocations(tuple(self._durations))

    def _run(self) -> None:
        hop = 0
        try:
            while True:
                context = InvocationContext.for_timeout(self._timeout_s, function_name="worker")
                started = time.monotonic()
                result = self._service.run_hop(
                    self._job_id,
                    hop=hop,
                    remaining_s=remaining_from_context(context),
                )
                self._durations.append(time.monotonic() - started)
                if result.outcome is not DriveOutcome.HANDED_OFF:
                    return
                [(_, hop)] = self._invoker.take()
        except BaseException as exc:  # noqa: BLE001 - handed to the joining thread
            self._error = exc


def _watch(
    service: StreamService, job_id: str, token: str, *, timeout_s: float
) -> tuple[Invocations, int, int]:
    """One client: stream until the terminal event, reconnecting with Last-Event-ID whenever a
    stream ends at its deadline (one stream invocation each)."""
    durations: list[float] = []
    parser = SSEParser()
    last_id: str | None = None
    events = 0
    size = 0
    while True:
        context = InvocationContext.for_timeout(timeout_s, function_name="stream")
        started = time.monotonic()
        response = service.open(
            job_id,
            token=token,
            last_event_id=last_id,
            remaining_ms=context.get_remaining_time_in_millis,
        )
        finished = response.status_code != 200
        for chunk in response.body:
            size += len(chunk)
            for event in parser.feed(chunk):
                events += 1
                last_id = event.id
                finished = finished or event.event in TERMINAL_EVENT_TYPES
        durations.append(time.monotonic() - started)
        if finished:
            return Invocations(tuple(durations)), events, size
