"""API function: the buffered JSON jobs API (FastAPI) behind Mangum, on a Function URL.

Transport only: Mangum turns the Function URL event into an ASGI request for jobstream.api, whose
routes call the JobService built by jobstream.composition (the one the local stack builds too, with
another worker invoker). Creating, reading and cancelling jobs all live in jobstream.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from mangum import Mangum
from mangum.types import LambdaContext

from jobstream import observability
from jobstream.api import create_app
from jobstream.aws_clients import dynamodb_client
from jobstream.composition import lambda_job_service
from jobstream.init_phase import build_during_init
from jobstream.lazy import Lazy
from jobstream.settings import Settings

# Explicit service name: library loggers (jobstream.*) propagate to this one, on Lambda and locally.
logger = Logger(service="jobstream")
# No request/response bodies from botocore in the log, even at DEBUG (tokens, job data).
observability.quiet_wire_logs()
# With the ADOT layer: no token or viewer id from a request's URL in any span.
observability.redact_credentials_in_traces()


def _build_adapter() -> Mangum:
    # The app, its boto3 clients and their connection pools serve every later invocation. Nothing
    # here touches AWS.
    # lifespan="off": the app has no startup work, and Lambda never delivers a shutdown to run it.
    settings = Settings()
    # One client (and connection pool) for the store and the idempotency records.
    dynamodb = dynamodb_client(settings)
    service = lambda_job_service(settings, dynamodb=dynamodb)
    return Mangum(create_app(settings, service=service, dynamodb=dynamodb), lifespan="off")


# Kept for the container's life (docs/architecture.md, wiring): on Lambda built during init and
# again after a SnapStart restore, elsewhere on first use.
_adapter = Lazy(_build_adapter)
build_during_init(_adapter)


# log_event=False explicitly: the event may hold a bearer token (header or query), and an explicit
# False also beats POWERTOOLS_LOGGER_LOG_EVENT=true in the environment.
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _adapter()(event, context)
