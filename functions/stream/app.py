"""Stream function: ``GET /jobs/{job_id}/events`` as Server-Sent Events through a Function URL.

Transport only: read the Function URL event, hand its parts to StreamService, return the
StreamingResponse for the streaming runtime to write. Everything about replay, tailing, heartbeats
and deadlines lives in jobstream.streams.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstream.auth.keys import token_signer
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


def _dependencies() -> tuple[Settings, JobStore]:
    global _settings, _store
    if _settings is None or _store is None:
        _settings = Settings()
        _store = JobStore(_settings)
    return _settings, _store


def _inline_driver(settings: Settings) -> InlineDriver | None:
    """Seam for inline jobs: jobstream.jobs will provide the driver this returns; until then
    inline jobs are driven by the worker and the stream only reads."""
    return None


# log_event=False explicitly: the event holds the bearer token, and an explicit False also beats
# POWERTOOLS_LOGGER_LOG_EVENT=true in the environment.
@streaming_handler
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> StreamingResponse:
    try:
        request = parse_stream_request(event)
    except StreamRejected as rejected:
        return rejection_response(rejected)
    settings, store = _dependencies()
    service = StreamService(
        store=store,
        # Per request: the key source is cached by Powertools and a rotated key is picked up.
        signer=token_signer(settings),
        settings=settings,
        inline_driver=_inline_driver(settings),
    )
    return service.open(
        request.job_id,
        token=request.token,
        last_event_id=request.last_event_id,
        remaining_ms=context.get_remaining_time_in_millis,
    )
