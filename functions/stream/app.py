"""Stream function: ``GET /jobs/{job_id}/events`` as Server-Sent Events through a Function URL.

Transport only: hand the Function URL event to jobstream.composition.open_stream and return the
StreamingResponse for the streaming runtime to write. Everything about replay, tailing, heartbeats
and deadlines lives in jobstream.tail; driving an inline job while it is watched lives in
jobstream.jobs (JobService.drive_for_stream). The local stack serves the same open_stream.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstream import observability
from jobstream.composition import (
    StreamDependencies,
    lambda_job_service,
    open_stream,
    stream_dependencies,
)
from jobstream.lazy import Lazy
from jobstream.response_stream.response import StreamingResponse, streaming_handler
from jobstream.settings import Settings
from jobstream.store import JobStore

# Explicit service name: library loggers (jobstream.*) propagate to this one, on Lambda and locally.
logger = Logger(service="jobstream")
tracer = observability.tracer()
# No request/response bodies from botocore in the log, even at DEBUG (tokens, job data).
observability.quiet_wire_logs()
_metrics = observability.metrics_sink()


def _build_dependencies() -> StreamDependencies:
    settings, store = _settings(), _store()
    # Inline jobs are driven here while a viewer watches, then handed to the worker; without a
    # worker to hand over to the stream only reads.
    jobs = lambda_job_service(settings, store=store) if settings.worker_function else None
    return stream_dependencies(
        settings, store=store, jobs=jobs, on_close=observability.StreamMetrics(_metrics).closed
    )


# Built on first use (a request that is refused before reading the job builds nothing), then kept
# for the container's life: the store's boto3 client and its connection pool serve every request.
_settings = Lazy(Settings)
_store = Lazy(lambda: JobStore(_settings(), observer=observability.AppendMetrics(_metrics)))
_dependencies = Lazy(_build_dependencies)


# log_event=False explicitly: the event holds the bearer token, and an explicit False also beats
# POWERTOOLS_LOGGER_LOG_EVENT=true in the environment.
# Metrics are published when the stream ends (StreamMetrics), not when this returns.
@streaming_handler
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> StreamingResponse:
    logger.append_keys(job_id=observability.stream_job_id(event))
    return open_stream(event, context, dependencies=_dependencies)
