"""The jobs API's routes: create a job, read its status, request its cancellation, list job types.

Handlers are async and push the blocking service calls (boto3) to the thread pool themselves, so
the request's log keys (set here, in the request's task) reach every line, wherever it is logged.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from jobstream.api.dependencies import AuthorizedJobId, Resources, Service, Signer
from jobstream.api.idempotency import MAX_KEY_CHARS
from jobstream.api.invocation import request_remaining_time
from jobstream.api.log import log_job_id, logger
from jobstream.api.schemas import (
    CreateJobRequest,
    CreateJobResponse,
    ErrorResponse,
    JobStatusResponse,
    JobTypesResponse,
    job_status,
    job_types,
)
from jobstream.settings import Settings
from jobstream.store.models import JobStatus, JSONObject

REPLAYED_HEADER = "Idempotent-Replayed"


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # 500 (unexpected, logged) and 503 (the table is unavailable: retry) can answer any route.
    return {status: {"model": ErrorResponse} for status in (*statuses, 500, 503)}


router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post(
    "",
    name="create_job",
    status_code=201,
    response_model=CreateJobResponse,
    responses=_errors(400, 409, 413, 422),
    summary="Create a job and get its token and stream URL",
    description=(
        "With an Idempotency-Key, a retry with the same key and body gets the first answer again "
        "(same job_id and token, the status as it was then) with 'Idempotent-Replayed: true'; "
        "the same key with another body is a 422, and a retry while the first request is still "
        "running a 409."
    ),
)
async def create_job(
    body: CreateJobRequest,
    request: Request,
    response: Response,
    resources: Resources,
    service: Service,
    signer: Signer,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=rf"^[!-~]{{1,{MAX_KEY_CHARS}}}$",
            description="Retries with the same key (and body) return the same job and token.",
        ),
    ] = None,
) -> CreateJobResponse:
    settings = resources.settings

    def create() -> JSONObject:
        job = service.create(body.type, body.params)
        token = signer.issue(job.job_id, ttl_seconds=settings.token_ttl_seconds)
        return {"job_id": job.job_id, "status": job.status.value, "token": token}

    replayed = False
    if idempotency_key is None:
        created = await run_in_threadpool(create)
    else:

        def on_replay() -> None:
            nonlocal replayed
            replayed = True

        created = await run_in_threadpool(
            resources.idempotency.run,
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            remaining_time=request_remaining_time(
                scope=request.scope, timeout_seconds=settings.api_timeout_seconds
            ),
            create=create,
            on_replay=on_replay,
        )
    job_id = str(created["job_id"])
    log_job_id(job_id)
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    logger.info("job created", extra={"job_type": body.type, "replayed": replayed})
    return CreateJobResponse(
        job_id=job_id,
        status=JobStatus(created["status"]),
        events_url=events_url(settings=settings, request=request, job_id=job_id),
        status_url=str(request.url_for("get_job", job_id=job_id)),
        token=str(created["token"]),
    )


# Declared before GET /{job_id}, which would otherwise take "types" for a job id.
@router.get(
    "/types",
    name="list_job_types",
    response_model=JobTypesResponse,
    responses=_errors(),
    summary="The job types this deployment runs, with the JSON Schema of their params",
    description="No token needed: it describes the deployment, not any job.",
)
async def list_job_types(service: Service) -> JobTypesResponse:
    return job_types(service.registry)


@router.get(
    "/{job_id}",
    name="get_job",
    response_model=JobStatusResponse,
    responses=_errors(401, 403, 404),
    summary="A job's status, latest progress, last event id and result or error",
)
async def get_job(
    job_id: AuthorizedJobId, service: Service, resources: Resources, request: Request
) -> JobStatusResponse:
    job = await run_in_threadpool(service.status, job_id)
    return job_status(
        job=job,
        events_url=events_url(settings=resources.settings, request=request, job_id=job_id),
    )


@router.post(
    "/{job_id}/cancel",
    name="cancel_job",
    status_code=202,
    response_model=JobStatusResponse,
    responses=_errors(401, 403, 404),
    summary="Ask a job to stop (idempotent); it ends with a 'cancelled' event",
    description="A job that already finished is returned as it is.",
)
async def cancel_job(
    job_id: AuthorizedJobId, service: Service, resources: Resources, request: Request
) -> JobStatusResponse:
    job = await run_in_threadpool(service.cancel, job_id)
    logger.info("cancellation requested", extra={"status": job.status.value})
    return job_status(
        job=job,
        events_url=events_url(settings=resources.settings, request=request, job_id=job_id),
    )


def events_url(*, settings: Settings, request: Request, job_id: str) -> str:
    """Absolute URL of the job's stream: on the stream function's origin when it has its own
    (Settings.stream_base_url), else on this request's origin (one server locally)."""
    base = settings.stream_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/jobs/{quote(job_id, safe='')}/events"
