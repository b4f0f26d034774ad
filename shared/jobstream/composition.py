"""The composition root: builds the services every entry point runs, from ``Settings``.

The Lambda handlers (functions/*/app.py) and the local stack (jobstream_local) both build their
JobService and open their streams through here, so they run the same objects on the same code path
and differ only where the transport does: which WorkerInvoker starts the next chunk (an
asynchronous Lambda invoke, or a local thread) and which endpoint the DynamoDB client talks to.

Nothing here talks to AWS: boto3 clients are injected or made lazily by the store. Nor does
importing this module load the job engine (jobstream.jobs): the stream function imports it on its
read path, and loads jobs only when a viewer watches an inline job (stream_dependencies).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobstream.auth.keys import token_signer
from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.invocation_context import RemainingTime
from jobstream.response_stream.response import StreamingResponse
from jobstream.settings import Settings
from jobstream.store.job_store import JobStore
from jobstream.tail.cadence_memory import CadenceMemory
from jobstream.tail.cors import StreamCors
from jobstream.tail.ports import InlineDriver, StreamStats
from jobstream.tail.request import StreamEvent, StreamRequest, read_stream_event
from jobstream.tail.service import StreamService, error_response

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from jobstream.jobs.invokers import WorkerInvoker, WorkerRequest
    from jobstream.jobs.service import JobService
    from jobstream.jobs.sweep import Sweeper
    from jobstream.store.models import Job

logger = logging.getLogger(__name__)


# --- jobs -----------------------------------------------------------------------------------------
def job_service(
    settings: Settings,
    *,
    invoker: WorkerInvoker,
    store: JobStore | None = None,
    dynamodb: DynamoDBClient | None = None,
) -> JobService:
    """The JobService for ``settings`` (JobService.from_settings: its table, its job registry)
    with ``invoker`` to start worker chunks. ``store`` (or else ``dynamodb``, the store's client)
    is made lazily if absent."""
    # Imported here, not at the top: see the module's docstring (the stream's read path).
    from jobstream.jobs.service import JobService

    return JobService.from_settings(
        settings,
        invoker=invoker,
        store=store if store is not None else JobStore(settings, client=dynamodb),
    )


def lambda_job_service(
    settings: Settings,
    *,
    worker_function: str | None = None,
    store: JobStore | None = None,
    dynamodb: DynamoDBClient | None = None,
) -> JobService:
    """On Lambda: see JobService.on_lambda (WorkerFunctionNotConfigured)."""
    from jobstream.jobs.service import JobService

    return JobService.on_lambda(
        settings, worker_function=worker_function, store=store, dynamodb=dynamodb
    )


def sweeper(settings: Settings, *, store: JobStore | None = None) -> Sweeper:
    """The scheduled sweep of abandoned jobs (jobstream.jobs.sweep) on ``settings``' table."""
    from jobstream.jobs.sweep import Sweeper

    return Sweeper(store=store if store is not None else JobStore(settings), settings=settings)


def run_worker_hop(
    service: JobService, request: WorkerRequest, remaining_s: Callable[[], float]
) -> dict[str, Any]:
    """The worker function's work for one event: one hop of the job, and the reply it returns."""
    result = service.run_hop(request.job_id, hop=request.hop, remaining_s=remaining_s)
    logger.info(
        "hop done",
        extra={
            "job_id": request.job_id,
            "hop": request.hop,
            "outcome": result.outcome.value,
            "steps": result.steps,
        },
    )
    return {"outcome": result.outcome.value, "reason": result.reason, "steps": result.steps}


# --- streams --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StreamDependencies:
    """What the stream function needs to serve a request, built once per container.

    ``clock`` is the stream loop's (its monotonic time, and how it waits between polls); the
    local stack passes one that lets a shutdown end every open stream at once.
    ``on_close`` is told what each stream did when it ends (the Lambda handler's metrics).
    """

    settings: Settings
    store: JobStore
    inline_driver: InlineDriver | None = None
    clock: Clock = SYSTEM_CLOCK
    on_close: Callable[[StreamStats], None] | None = None
    # What this container's streams learned about each job's cadence, for the next window.
    cadence: CadenceMemory | None = None


def stream_dependencies(
    settings: Settings,
    *,
    store: JobStore,
    jobs: Callable[[], JobService] | None,
    clock: Clock = SYSTEM_CLOCK,
    on_close: Callable[[StreamStats], None] | None = None,
) -> StreamDependencies:
    """``jobs()`` gives the JobService that drives inline jobs while a viewer watches and then
    hands them to its worker; it is called only when a stream opens on an inline job, so a stream
    function that only ever serves background jobs never loads the job engine. With None (no
    worker to hand over to) or inline mode off, the stream only reads the log."""
    driver = _inline_driver(jobs) if jobs is not None and settings.mode_inline_enabled else None
    return StreamDependencies(
        settings=settings,
        store=store,
        inline_driver=driver,
        clock=clock,
        on_close=on_close,
        cadence=CadenceMemory(clock),
    )


def _inline_driver(jobs: Callable[[], JobService]) -> InlineDriver:
    def drive(job: Job, *, stop: threading.Event, seconds_left: Callable[[], float]) -> None:
        jobs().drive_for_stream(job, stop=stop, seconds_left=seconds_left)

    return drive


def open_stream(
    event: Mapping[str, Any],
    context: RemainingTime,
    *,
    dependencies: Callable[[], StreamDependencies],
) -> StreamingResponse:
    """The stream function's work for one event: ``GET /jobs/{id}/events`` (serve_stream on the
    event read by jobstream.tail.request.read_stream_event)."""
    return serve_stream(read_stream_event(event), context, dependencies=dependencies)


def serve_stream(
    incoming: StreamEvent,
    context: RemainingTime,
    *,
    dependencies: Callable[[], StreamDependencies],
) -> StreamingResponse:
    """Answer one stream event, read once at the edge (``read_stream_event``): a malformed request
    is refused before ``dependencies()`` is called, so a stray request builds nothing. A Function
    URL answers CORS itself; behind the REST front (``StreamFront=RestApi``) the function answers
    preflights and every response carries the headers for its origin (jobstream.tail.cors).
    """
    if incoming.preflight is not None:
        cors = StreamCors.of(dependencies().settings.cors_allowed_origins)
        return cors.preflight(incoming.preflight)
    if incoming.request is not None:
        response = _serve_stream(incoming.request, context, dependencies())
    else:
        assert incoming.rejected is not None
        response = error_response(incoming.rejected.answer)
    if incoming.answers_cors:
        cors = StreamCors.of(dependencies().settings.cors_allowed_origins)
        response.headers.update(cors.response_headers(incoming.origin))
    return response


def _serve_stream(
    request: StreamRequest, context: RemainingTime, parts: StreamDependencies
) -> StreamingResponse:
    service = StreamService(
        store=parts.store,
        # Per request: the keys are cached per container (auth/keys.py) and a rotation is picked up.
        signer=token_signer(parts.settings),
        settings=parts.settings,
        inline_driver=parts.inline_driver,
        clock=parts.clock,
        on_close=parts.on_close,
        # The inline driver appends through this same store: its commits wake the stream.
        feed=parts.store.commit_feed,
        # Slots of the per-job stream cap and of one stream per viewer.
        slots=parts.store,
        cadence=parts.cadence,
    )
    return service.open(
        request.job_id,
        token=request.token,
        token_in_url=request.token_in_url,
        last_event_id=request.last_event_id,
        remaining_ms=context.get_remaining_time_in_millis,
        viewer=request.viewer,
    )
