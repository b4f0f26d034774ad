"""App wiring: middleware, error handlers, routes and the per-app resources. No routes here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from jobstream.api.body_limit import BodySizeLimitMiddleware
from jobstream.api.callers import CallerAuth
from jobstream.api.dependencies import ApiResources, JobsService
from jobstream.api.errors import UnhandledErrorMiddleware, install_error_handlers
from jobstream.api.idempotency import IdempotentCreate
from jobstream.api.log import RequestLogMiddleware
from jobstream.api.routes import REPLAYED_HEADER, router
from jobstream.auth.keys import SigningKeyNotConfigured, signing_key_configured
from jobstream.aws_clients import dynamodb_client
from jobstream.errors import WorkerFunctionNotConfigured
from jobstream.jobs.service import JobService
from jobstream.lazy import Lazy
from jobstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Room for the body's envelope ({"type": ..., "params": ...}) and a client's whitespace on top of
# the params themselves, whose own limit (Settings.max_params_bytes) the service enforces.
ENVELOPE_BYTES = 16 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    service: JobsService | None = None,
    dynamodb: DynamoDBClient | None = None,
) -> FastAPI:
    """The jobs API as an ASGI app, for Mangum on Lambda and uvicorn locally.

    ``service``: the JobService to use (tests, the local stack); by default one is built on the
    first request from ``settings``. ``dynamodb``: the client for the idempotency records (and the
    default service's store); by default created on first use from ``settings``. Nothing here
    touches AWS. Raises SigningKeyNotConfigured if ``settings`` names no token key at all, and
    WorkerFunctionNotConfigured if the default service would have no worker function to start,
    and JwtSettingsMissing if Settings.api_auth is "jwt" without the issuer and audience.
    """
    settings = settings or Settings()
    if not signing_key_configured(settings):
        raise SigningKeyNotConfigured()
    callers = CallerAuth(settings)
    if service is None and not settings.worker_function:
        raise WorkerFunctionNotConfigured()

    get_client = Lazy(lambda: dynamodb if dynamodb is not None else dynamodb_client(settings))

    def service_factory() -> JobsService:
        if service is not None:
            return service
        return JobService.on_lambda(settings, dynamodb=get_client())

    app = FastAPI(
        title="jobstream jobs API",
        summary="Create long-running jobs, read their status, cancel them.",
        description="Progress is streamed as Server-Sent Events from each job's events_url.",
        version="1.0.0",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.resources = ApiResources(
        settings=settings,
        service_factory=service_factory,
        idempotency=IdempotentCreate(settings=settings, client_factory=get_client),
        callers=callers,
    )
    install_error_handlers(app)
    app.include_router(router)
    # Added innermost first: CORS wraps everything (errors included get CORS headers), then the
    # request log sees every final status, then the 500 catch-all, then the body limit.
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_params_bytes + ENVELOPE_BYTES
    )
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", "idempotency-key"],
        expose_headers=[REPLAYED_HEADER, "retry-after"],
        max_age=600,
    )
    return app
