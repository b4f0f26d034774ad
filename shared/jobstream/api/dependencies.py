"""What routes receive through ``Annotated`` dependencies: the service, the token signer, the
settings and an authorized job id. Built once per app (per Lambda container) and kept on
``app.state``; anything that talks to AWS is created on first use, never at import or app creation.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from jobstream.api.callers import Caller, CallerAuth, JobAccess, Operation
from jobstream.api.idempotency import IdempotentCreate
from jobstream.api.log import log_job_id
from jobstream.api.schemas import JOB_ID_PATTERN
from jobstream.auth.callers import CallerRefused
from jobstream.auth.keys import token_signer
from jobstream.auth.tokens import Scope, TokenError, TokenSigner, is_job_token
from jobstream.http_errors import Refused
from jobstream.jobs.registry import JobRegistry
from jobstream.lazy import Lazy
from jobstream.settings import Settings
from jobstream.store.models import Job, JobPage, JSONObject


class JobsService(Protocol):
    """The part of jobstream.jobs.JobService the API calls (a test or the local stack may pass
    anything of this shape)."""

    def create(
        self,
        type: str,
        params: JSONObject,
        /,
        *,
        owner: str | None = None,
        address: str | None = None,
    ) -> Job: ...
    def status(
        self, job_id: str, /, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job: ...
    def cancel(
        self, job_id: str, /, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job: ...
    def list_jobs(
        self,
        owner: str,
        /,
        *,
        limit: int,
        cursor: str | None = None,
        former_owner: str | None = None,
    ) -> JobPage: ...
    @property
    def registry(self) -> JobRegistry: ...


class ApiResources:
    """Per-app singletons. The service is built on first use, once, even under concurrency."""

    def __init__(
        self,
        *,
        settings: Settings,
        service_factory: Callable[[], JobsService],
        idempotency: IdempotentCreate,
        callers: CallerAuth,
    ) -> None:
        self.settings = settings
        self.idempotency = idempotency
        self.callers = callers
        self.service = Lazy(service_factory)

    def signer(self) -> TokenSigner:
        # Per request: the keys are cached per container (jobstream.auth.keys), and a rotated one
        # is picked up.
        return token_signer(self.settings)


def _resources(request: Request) -> ApiResources:
    resources = request.app.state.resources
    assert isinstance(resources, ApiResources)
    return resources


Resources = Annotated[ApiResources, Depends(_resources)]


# Plain ``def`` dependencies run in FastAPI's thread pool: building the service or fetching the key
# may block on AWS.
def _service(resources: Resources) -> JobsService:
    return resources.service()


def _signer(resources: Resources) -> TokenSigner:
    return resources.signer()


Service = Annotated[JobsService, Depends(_service)]
Signer = Annotated[TokenSigner, Depends(_signer)]

# auto_error=False: a missing token is ours to report (401 in the API's error format); these two
# also document both ways of sending a credential in the OpenAPI schema.
_bearer = HTTPBearer(
    auto_error=False,
    description="JOBSTREAM_API_AUTH=jwt: a JWT from the deployment's identity provider, on every "
    "request. On GET /jobs/{job_id} a job's view token works too; under 'none', its control "
    "token (header only) cancels it and gets fresh view tokens.",
)
_query_token = APIKeyQuery(
    name="token",
    auto_error=False,
    description="The job's view token as a query parameter (a control token is refused here).",
)
_JOB_ID = re.compile(JOB_ID_PATTERN)

Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
QueryToken = Annotated[str | None, Depends(_query_token)]


def _lambda_event(request: Request) -> dict[str, object] | None:
    event = request.scope.get("aws.event")
    return event if isinstance(event, dict) else None


def _caller_for(operation: Operation | None) -> Callable[..., Awaitable[Caller | None]]:
    async def caller(request: Request, resources: Resources, credentials: Bearer) -> Caller | None:
        """The caller (401 without a valid credential, 403 without the operation's scope), or
        None when the API has no caller authentication (Settings.api_auth "none")."""
        auth = resources.callers
        if not auth.enabled:
            return None
        bearer = credentials.credentials if credentials is not None else None
        # In the thread pool: the first token (or one naming a new key) fetches the issuer's keys.
        return await run_in_threadpool(
            auth.caller, bearer=bearer, event=_lambda_event(request), operation=operation
        )

    return caller


# One per operation, for its scopes (Settings.jwt_*_scopes); AnyCaller needs none.
CreatingCaller = Annotated[Caller | None, Depends(_caller_for("create"))]
ListingCaller = Annotated[Caller | None, Depends(_caller_for("list"))]
AnyCaller = Annotated[Caller | None, Depends(_caller_for(None))]


def _checked_job_id(job_id: str) -> str:
    if _JOB_ID.fullmatch(job_id) is None:
        # Cannot name a job; same answer as the stream function gives.
        raise Refused(404, "job_not_found", "no job has this id")
    log_job_id(job_id)
    return job_id


async def _job_access(
    request: Request,
    job_id: str,
    *,
    resources: ApiResources,
    signer: TokenSigner,
    credentials: HTTPAuthorizationCredentials | None,
    query_token: str | None,
    job_token_opens: bool,
    scope: Scope,
    operation: Operation,
) -> JobAccess:
    """Who may act on the path's job. Under "none": whoever holds its token with ``scope``
    (401 without one, 403 if refused: a view token does not control, a control token never comes
    in a URL). Under jwt/iam: its view token opens it where ``job_token_opens`` (reading: a shared
    view, native EventSource), else the caller's own credential, for the caller's own jobs only
    (the service answers 404 for anyone else's), its JWT holding one of ``operation``'s scopes.

    Async on purpose: the log key is set in the request's own context, so it is on every later
    line of the request, including those logged from the thread pool.
    """
    _checked_job_id(job_id)
    bearer = credentials.credentials if credentials is not None else None
    auth = resources.callers
    if not auth.enabled:
        signer.verify(bearer or query_token, job_id, scope=scope, in_url=bearer is None)
        return JobAccess(job_id=job_id, caller=None)
    bearer_is_job_token = bearer is not None and is_job_token(bearer)
    job_token = query_token or (bearer if bearer_is_job_token else None)
    caller_bearer = None if bearer_is_job_token else bearer
    if job_token is not None and job_token_opens:
        try:
            signer.verify(job_token, job_id, scope=scope, in_url=bool(query_token))
            return JobAccess(job_id=job_id, caller=None)
        except TokenError:
            # With a caller credential as well, the caller's own jobs still open; without one the
            # refusal is a 401, like any other request without a valid credential.
            if caller_bearer is None and auth.mode == "jwt":
                raise CallerRefused("the job's token is not valid for this job") from None
    caller = await run_in_threadpool(
        auth.caller, bearer=caller_bearer, event=_lambda_event(request), operation=operation
    )
    return JobAccess(job_id=job_id, caller=caller)


async def _read_access(
    request: Request,
    job_id: Annotated[str, Path(description="The job's id, as returned by POST /jobs.")],
    resources: Resources,
    signer: Signer,
    credentials: Bearer,
    query_token: QueryToken,
) -> JobAccess:
    return await _job_access(
        request,
        job_id,
        resources=resources,
        signer=signer,
        credentials=credentials,
        query_token=query_token,
        job_token_opens=True,
        scope="view",
        operation="read",
    )


def _owner_access_for(operation: Operation) -> Callable[..., Awaitable[JobAccess]]:
    async def owner_access(
        request: Request,
        job_id: Annotated[str, Path(description="The job's id, as returned by POST /jobs.")],
        resources: Resources,
        signer: Signer,
        credentials: Bearer,
        query_token: QueryToken,
    ) -> JobAccess:
        # Under "none" there is no owner: the job's control token stands for its creator.
        return await _job_access(
            request,
            job_id,
            resources=resources,
            signer=signer,
            credentials=credentials,
            query_token=query_token,
            job_token_opens=not resources.callers.enabled,
            scope="control",
            operation=operation,
        )

    return owner_access


ReadAccess = Annotated[JobAccess, Depends(_read_access)]
# The owner's own credential: a job's cancel, and a fresh token for it (a read).
CancelAccess = Annotated[JobAccess, Depends(_owner_access_for("cancel"))]
OwnerAccess = Annotated[JobAccess, Depends(_owner_access_for("read"))]
