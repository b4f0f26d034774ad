"""Stream function: ``GET /jobs/{job_id}/events`` as Server-Sent Events through a Function URL.

Transport only: read the Function URL event once (jobstream.tail.request.read_stream_event), hand
the value to jobstream.composition.serve_stream and return the
StreamingResponse for the streaming runtime to write. Everything about replay, tailing, heartbeats
and deadlines lives in jobstream.tail; driving an inline job while it is watched lives in
jobstream.jobs (JobService.drive_for_stream). The local stack serves the same (open_stream).

What this module imports, every viewer of a cold container waits for before the first byte, so it
is the read path only: no job engine (jobstream.jobs loads with the first stream of an inline
job), no API framework, no tracing SDK (tests/integration/test_handler_imports.py keeps it so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstream import observability
from jobstream.auth.keys import token_signer
from jobstream.composition import (
    StreamDependencies,
    lambda_job_service,
    serve_stream,
    stream_dependencies,
)
from jobstream.init_phase import build_during_init
from jobstream.lazy import Lazy
from jobstream.response_stream.response import StreamingResponse, streaming_handler
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.tail.request import read_stream_event

if TYPE_CHECKING:
    from jobstream.jobs import JobService

# Explicit service name: library loggers (jobstream.*) propagate to this one, on Lambda and locally.
logger = Logger(service="jobstream")
# No request/response bodies from botocore in the log, even at DEBUG (tokens, job data).
observability.quiet_wire_logs()
# With the ADOT layer: no token or viewer id from a request's URL in any span.
observability.redact_credentials_in_traces()
_metrics = observability.metrics_sink()


def _build_dependencies() -> StreamDependencies:
    settings = _settings()
    # Inline jobs are driven here while a viewer watches, then handed to the worker; without a
    # worker to hand over to the stream only reads.
    return stream_dependencies(
        settings,
        store=_store(),
        jobs=_jobs if settings.worker_function else None,
        on_close=observability.StreamMetrics(_metrics).closed,
    )


def _build_jobs() -> JobService:
    return lambda_job_service(_settings(), store=_store())


# Kept for the container's life: the store's boto3 client and its connection pool serve every
# request. On Lambda built during init (below); elsewhere on first use.
_settings = Lazy(Settings)
_store = Lazy(lambda: JobStore(_settings(), observer=observability.AppendMetrics(_metrics)))
_dependencies = Lazy(_build_dependencies)
# Built (and jobstream.jobs imported) by the first stream of an inline job.
_jobs = Lazy(_build_jobs)
# Reads the token keys once (Secrets Manager's current and previous, cached per container by
# jobstream.auth.keys): the first stream then verifies its token without a network call. Each
# request takes the keys from that cache; a token naming a newer key fetches them again.
_token_key = Lazy(lambda: token_signer(_settings()))

# On Lambda: what every stream needs, built during init and again after a SnapStart restore.
build_during_init(_settings, _store, _dependencies, _token_key)


# log_event=False explicitly: the event holds the bearer token, and an explicit False also beats
# POWERTOOLS_LOGGER_LOG_EVENT=true in the environment.
# Metrics are published when the stream ends (StreamMetrics), not when this returns.
@streaming_handler
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> StreamingResponse:
    # The event is read once, here at the edge; below, only the value read is passed on.
    incoming = read_stream_event(event)
    logger.append_keys(job_id=incoming.job_id)
    return serve_stream(incoming, context, dependencies=_dependencies)
