"""The jobs API's routes: create a job, read its status, request its cancellation, get a fresh
token for it, list jobs and job types.

Handlers are async and push the blocking service calls (boto3) to the thread pool themselves, so
the request's log keys (set here, in the request's task) reach every line, wherever it is logged.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from jobstream.api.dependencies import (
    AnyCaller,
    CancelAccess,
    CreatingCaller,
    ListingCaller,
    OwnerAccess,
    ReadAccess,
    Resources,
    Service,
    Signer,
)
from jobstream.api.idempotency import MAX_KEY_CHARS, scoped_key
from jobstream.api.invocation import request_remaining_time
from jobstream.api.log import log_job_id, logger
from jobstream.api.schemas import (
    CreateJobRequest,
    CreateJobResponse,
    ErrorResponse,
    JobListItem,
    JobListResponse,
    JobStatusResponse,
    JobTokenResponse,
    JobTypesResponse,
    job_status,
    job_types,
)
from jobstream.http_errors import Refused
from jobstream.settings import Settings
from jobstream.store.list_cursor import MAX_CURSOR_CHARS
from jobstream.store.models import JobStatus, JSONObject

REPLAYED_HEADER = "Idempotent-Replayed"


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # 401: under caller authentication (jwt, iam) any route refuses a request without a valid
    # credential (403: a JWT without any of the operation's scopes, JOBSTREAM_JWT_*_SCOPES).
    # 500 (unexpected, logged) and 503 (the table or the identity provider is unavailable:
    # retry) can answer any route.
    return {status: {"model": ErrorResponse} for status in (*statuses, 401, 500, 503)}


router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post(
    "",
    name="create_job",
    status_code=201,
    response_model=CreateJobResponse,
    responses=_errors(400, 403, 409, 413, 422, 429),
    summary="Create a job and get its token and stream URL",
    description=(
        "Returns the job's view token (minutes; expires_in) and, under ApiAuth none, its "
        "control token (keep it; header only). With an Idempotency-Key, a retry with the same key "
        "and body gets the first answer again (same job_id, the status as it was then, freshly "
        "minted tokens: none is stored) with 'Idempotent-Replayed: true'; "
        "the same key with another body is a 422, and a retry while the first request is still "
        "running a 409. Keys are per caller (per source address under ApiAuth none). Under "
        "caller authentication the job belongs to the caller, and a caller at its limit of "
        "unfinished jobs or of creates gets a 429 with Retry-After and details.limit saying "
        "which."
    ),
)
async def create_job(
    body: CreateJobRequest,
    request: Request,
    response: Response,
    resources: Resources,
    service: Service,
    signer: Signer,
    caller: CreatingCaller,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=rf"^[!-~]{{1,{MAX_KEY_CHARS}}}$",
            description="Retries with the same key (and body) return the same job (fresh tokens).",
        ),
    ] = None,
) -> CreateJobResponse:
    settings = resources.settings
    owner = None if caller is None else caller.owner
    # Where there is no caller (ApiAuth=none), creates are counted and idempotency keys scoped per
    # source address: the Function URL's requestContext.http.sourceIp (Mangum's client), the peer
    # locally.
    address = request.client.host if request.client is not None else None

    def create() -> JSONObject:
        job = service.create(body.type, body.params, owner=owner, address=address)
        # No token in what the idempotency store keeps: a replay gets freshly minted ones below
        # (a stored token would be handed out again for as long as the record lives).
        return {"job_id": job.job_id, "status": job.status.value}

    replayed = False
    if idempotency_key is None:
        created = await run_in_threadpool(create)
    else:

        def on_replay() -> None:
            nonlocal replayed
            replayed = True

        created = await run_in_threadpool(
            resources.idempotency.run,
            # Per caller (per address under none): another's request with this key is another.
            key=scoped_key(idempotency_key, caller=owner, address=address),
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
        token=signer.issue(job_id, ttl_seconds=settings.token_ttl_seconds),
        expires_in=settings.token_ttl_seconds,
        # Under caller authentication the caller's credential cancels and refreshes; a second
        # long-lived secret would only be one more thing to leak.
        control_token=(
            signer.issue(job_id, ttl_seconds=settings.control_token_ttl_seconds, scope="control")
            if caller is None
            else None
        ),
    )


@router.get(
    "",
    name="list_jobs",
    response_model=JobListResponse,
    responses=_errors(400, 403, 404),
    summary="The caller's jobs, newest first, a page at a time",
    description=(
        "Needs caller authentication (JOBSTREAM_API_AUTH jwt or iam): under 'none' jobs have no "
        "owner and this answers 404. Each job comes with a fresh token for its stream."
    ),
)
async def list_jobs(
    request: Request,
    resources: Resources,
    service: Service,
    signer: Signer,
    caller: ListingCaller,
    limit: Annotated[int, Query(ge=1, le=100, description="Jobs per page.")] = 20,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_CHARS,
            description="next_cursor of the previous page.",
        ),
    ] = None,
) -> JobListResponse:
    if caller is None:
        raise Refused(
            404,
            "listing_unavailable",
            "listing jobs needs caller authentication (JOBSTREAM_API_AUTH=jwt or iam); without "
            "it jobs have no owner",
        )
    page = await run_in_threadpool(
        service.list_jobs,
        caller.owner,
        limit=limit,
        cursor=cursor,
        former_owner=caller.former_owner,
    )
    settings = resources.settings
    return JobListResponse(
        jobs=[
            JobListItem(
                job_id=job.job_id,
                type=job.type,
                status=job.status,
                created_at=job.created_at,
                status_url=str(request.url_for("get_job", job_id=job.job_id)),
                events_url=events_url(settings=settings, request=request, job_id=job.job_id),
                token=signer.issue(job.job_id, ttl_seconds=settings.token_ttl_seconds),
                expires_in=settings.token_ttl_seconds,
            )
            for job in page.jobs
        ],
        next_cursor=page.cursor,
    )


# Declared before GET /{job_id}, which would otherwise take "types" for a job id.
@router.get(
    "/types",
    name="list_job_types",
    response_model=JobTypesResponse,
    responses=_errors(),
    summary="The job types this deployment runs, with the JSON Schema of their params",
    description="No job token needed: it describes the deployment, not any job (under caller "
    "authentication the caller's credential is, as on every route).",
)
async def list_job_types(service: Service, caller: AnyCaller) -> JobTypesResponse:
    del caller  # authenticated, not used
    return job_types(service.registry)


@router.get(
    "/{job_id}",
    name="get_job",
    response_model=JobStatusResponse,
    responses=_errors(403, 404),
    summary="A job's status, latest progress, last event id and result or error",
    description="Opens with the job's token, or (under caller authentication) with its owner's "
    "credential; another caller's job is a 404.",
)
async def get_job(
    access: ReadAccess, service: Service, resources: Resources, request: Request
) -> JobStatusResponse:
    job_id = access.job_id
    job = await run_in_threadpool(
        service.status, job_id, owner=access.owner, former_owner=access.former_owner
    )
    return job_status(
        job=job,
        events_url=events_url(settings=resources.settings, request=request, job_id=job_id),
    )


@router.post(
    "/{job_id}/cancel",
    name="cancel_job",
    status_code=202,
    response_model=JobStatusResponse,
    responses=_errors(403, 404),
    summary="Ask a job to stop (idempotent); it ends with a 'cancelled' event",
    description="A job that already finished is returned as it is. Under caller authentication "
    "only the job's owner may cancel it (another caller's job is a 404); under 'none', whoever "
    "holds its token.",
)
async def cancel_job(
    access: CancelAccess, service: Service, resources: Resources, request: Request
) -> JobStatusResponse:
    job_id = access.job_id
    job = await run_in_threadpool(
        service.cancel, job_id, owner=access.owner, former_owner=access.former_owner
    )
    logger.info("cancellation requested", extra={"status": job.status.value})
    return job_status(
        job=job,
        events_url=events_url(settings=resources.settings, request=request, job_id=job_id),
    )


@router.post(
    "/{job_id}/token",
    name="job_token",
    response_model=JobTokenResponse,
    responses=_errors(403, 404),
    summary="A fresh view token for a job: before the last one expires, or to follow it later",
    description="Under caller authentication only the job's owner gets one, with their own "
    "credential (another caller's job is a 404; a job token does not open this); under 'none', "
    "whoever holds the job's control token, in 'Authorization: Bearer' (a view token cannot renew "
    "itself, so a leaked link dies with its token).",
)
async def job_token(
    access: OwnerAccess,
    service: Service,
    signer: Signer,
    resources: Resources,
    request: Request,
) -> JobTokenResponse:
    job_id = access.job_id
    # Read first: a job that does not exist (or is not the caller's) gets no token.
    await run_in_threadpool(
        service.status, job_id, owner=access.owner, former_owner=access.former_owner
    )
    ttl = resources.settings.token_ttl_seconds
    logger.info("job token issued")
    return JobTokenResponse(
        job_id=job_id,
        token=signer.issue(job_id, ttl_seconds=ttl),
        expires_in=ttl,
        events_url=events_url(settings=resources.settings, request=request, job_id=job_id),
    )


def events_url(*, settings: Settings, request: Request, job_id: str) -> str:
    """Absolute URL of the job's stream: on the stream function's origin when it has its own
    (Settings.stream_base_url), else on this request's origin (one server locally)."""
    base = settings.stream_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/jobs/{quote(job_id, safe='')}/events"
