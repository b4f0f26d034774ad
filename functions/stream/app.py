"""Stream function: ``GET /jobs/{job_id}/events`` as Server-Sent Events through a Function URL.

Transport only: read the Function URL event, hand its parts to StreamService, return the
StreamingResponse for the streaming runtime to write. Everything about replay, tailing, heartbeats
and deadlines lives in jobstream.streams; driving an inline job while it is watched lives in
jobstream.jobs (JobService.drive_for_stream), started by the stream service in a helper thread.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstream.auth.keys import token_signer
from jobstream.jobs import JobService, LambdaWorkerInvoker, load_registry
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.streaming.response import StreamingResponse, streaming_handler
from jobstream.streams.errors import StreamRejected
from jobstream.streams.request import parse_stream_request
from jobstream.streams.service import InlineDriver, StreamService, rejection_response

# Explicit service name: library loggers (jobstream.*) propagate to this one, on Lambda and locally.
logger = Logger(service="jobstream")

# Built on first use, then kept for the container's life: the store's boto3 client and its
# connection pool are reused by every invocation.
_settings: Settings | None = None
_store: JobStore | None = None
_inline_driver: InlineDriver | None = None
_inline_driver_made = False


def _dependencies() -> tuple[Settings, JobStore, InlineDriver | None]:
    global _settings, _store, _inline_driver, _inline_driver_made
    if _settings is None:
        _settings = Settings()
    if _store is None:
        _store = JobStore(_settings)
    if not _inline_driver_made:
        _inline_driver = _make_inline_driver(_settings, _store)
        _inline_driver_made = True
    return _settings, _store, _inline_driver


def _make_inline_driver(settings: Settings, store: JobStore) -> InlineDriver | None:
    """Inline jobs are driven here while a viewer watches, then handed to the worker; without a
    worker to hand over to (or with inline mode off) the stream only reads."""
    if not settings.mode_inline_enabled or not settings.worker_function:
        return None
    jobs = JobService(
        store=store,
        registry=load_registry(settings.job_registry),
        invoker=LambdaWorkerInvoker(settings.worker_function, settings=settings),
        settings=settings,
    )
    return jobs.drive_for_stream


# log_event=False explicitly: the event holds the bearer token, and an explicit False also beats
# POWERTOOLS_LOGGER_LOG_EVENT=true in the environment.
@streaming_handler
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> StreamingResponse:
    try:
        request = parse_stream_request(event)
    except StreamRejected as rejected:
        return rejection_response(rejected)
    settings, store, inline_driver = _dependencies()
    service = StreamService(
        store=store,
        # Per request: the key source is cached by Powertools and a rotated key is picked up.
        signer=token_signer(settings),
        settings=settings,
        inline_driver=inline_driver,
    )
    return service.open(
        request.job_id,
        token=request.token,
        last_event_id=request.last_event_id,
        remaining_ms=context.get_remaining_time_in_millis,
    )
