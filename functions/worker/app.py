"""Worker function: runs one chunk of a job and, if it is not done, invokes itself for the next.

Transport only: parse the event {"job_id", "hop"} and hand it, with this invocation's remaining
time, to jobstream.composition.run_worker_hop (JobService.run_hop). Who may run, checkpoints,
retries, the hop budget and the continuation all live in jobstream.jobs (see jobs/driver.py). The
local stack runs the same run_worker_hop in a thread.

With JOBSTREAM_DRIVER=durable (template parameter WorkerDriver=durable) the handler is instead the
durable one (jobstream.jobs.durable_sdk): one durable execution per job, started by the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from jobstream import observability
from jobstream.composition import lambda_job_service, run_worker_hop
from jobstream.init_phase import build_during_init
from jobstream.jobs import JobService, WorkerRequest, remaining_from_context
from jobstream.jobs.drivers import chosen_driver
from jobstream.lazy import Lazy, LazyPerKey
from jobstream.settings import Settings
from jobstream.store import JobStore

# Explicit service name: library loggers (jobstream.*) propagate to this one, on Lambda and locally.
logger = Logger(service="jobstream")
# No request/response bodies from botocore in the log, even at DEBUG (tokens, job data).
observability.quiet_wire_logs()
# With the ADOT layer: no token or viewer id from a request's URL in any span.
observability.redact_credentials_in_traces()
_metrics = observability.metrics_sink()


# Kept for the container's life; on Lambda built during init (below), elsewhere on first use.
_settings = Lazy(Settings)
_store = Lazy(lambda: JobStore(_settings(), observer=observability.AppendMetrics(_metrics)))


def _build_chain_service(invoked_function_arn: str) -> JobService:
    return lambda_job_service(_settings(), worker_function=invoked_function_arn, store=_store())


# One service per ARN this container is invoked on, kept for the container's life: a job continues
# on the ARN its current invocation came in on (the same alias or version), not on the ARN of the
# container's first invocation (one container serves every qualifier that points at its version).
_services_by_arn = LazyPerKey(_build_chain_service)


def _job_service(context: LambdaContext) -> JobService:
    return _services_by_arn(context.invoked_function_arn)


@observability.observe_worker(_metrics)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def chain_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = WorkerRequest.model_validate(event)
    except ValidationError:
        # Returning (not raising) so that Lambda does not retry an event that can never work.
        logger.error("ignored an event that is not a worker request")
        return {"outcome": "rejected"}
    logger.append_keys(job_id=request.job_id, hop=request.hop)
    return run_worker_hop(_job_service(context), request, remaining_from_context(context))


# --- WorkerDriver=durable ----------------------------------------------------------------------
def _build_durable_service() -> JobService:
    # The durable worker starts nothing itself: its executions continue on their own.
    return lambda_job_service(_settings(), store=_store())


_durable_service = Lazy(_build_durable_service)


def _durable_worker() -> Any:
    # Imported only here: the chain never loads the durable SDK.
    from jobstream.jobs.durable_sdk import durable_handler

    durable = durable_handler(_durable_service)

    @observability.observe_durable_worker(_metrics)
    @logger.inject_lambda_context(log_event=False, clear_state=True)
    def durable_worker(event: Any, context: LambdaContext) -> Any:
        return durable(event, context)

    return durable_worker


# The worker's entry per driver (jobstream.jobs.drivers.DRIVERS), chosen when the container
# starts: the template sets JOBSTREAM_DRIVER from WorkerDriver.
_WORKERS: dict[str, Callable[[], Any]] = {
    "chain": lambda: chain_handler,
    "durable": _durable_worker,
}
# Chosen on first use like everything else the container keeps (nothing is built at import off
# Lambda: tests and the local stack set the environment first).
_entry = Lazy(lambda: _WORKERS[chosen_driver(_settings()).name]())


def handler(event: Any, context: LambdaContext) -> Any:
    return _entry()(event, context)


# On Lambda: the settings, the store's client and the driver's entry, built during init and again
# after a restore.
build_during_init(_settings, _store, _entry)
