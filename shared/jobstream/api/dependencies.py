"""What routes receive through ``Annotated`` dependencies: the service, the token signer, the
settings and an authorized job id. Built once per app (per Lambda container) and kept on
``app.state``; anything that talks to AWS is created on first use, never at import or app creation.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from jobstream.api.errors import ApiError
from jobstream.api.idempotency import IdempotentCreate
from jobstream.api.log import log_job_id
from jobstream.api.schemas import JOB_ID_PATTERN
from jobstream.auth.keys import load_signing_key
from jobstream.auth.tokens import TokenSigner
from jobstream.jobs.registry import JobRegistry
from jobstream.settings import Settings
from jobstream.store.models import Job, JSONObject


class JobsService(Protocol):
    """The part of jobstream.jobs.JobService the API calls (a test or the local stack may pass
    anything of this shape)."""

    def create(self, type: str, params: JSONObject, /) -> Job: ...
    def status(self, job_id: str, /) -> Job: ...
    def cancel(self, job_id: str, /) -> Job: ...
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
    ) -> None:
        self.settings = settings
        self.idempotency = idempotency
        self._service_factory = service_factory
        self._service: JobsService | None = None
        self._lock = threading.Lock()

    def service(self) -> JobsService:
        with self._lock:
            if self._service is None:
                self._service = self._service_factory()
            return self._service

    def signer(self) -> TokenSigner:
        # Loaded per request: Powertools caches a remote key, and a rotated one is picked up.
        return TokenSigner(load_signing_key(self.settings))


def _resources(request: Request) -> ApiResources:
    resources = request.app.state.resources
    assert isinstance(resources, ApiResources)
    return resources


Resources = Annotated[ApiResources, Depends(_resources)]


def _settings(resources: Resources) -> Settings:
    return resources.settings


# Plain ``def`` dependencies run in FastAPI's thread pool: building the service or fetching the key
# may block on AWS.
def _service(resources: Resources) -> JobsService:
    return resources.service()


def _signer(resources: Resources) -> TokenSigner:
    return resources.signer()


SettingsDep = Annotated[Settings, Depends(_settings)]
Service = Annotated[JobsService, Depends(_service)]
Signer = Annotated[TokenSigner, Depends(_signer)]

# auto_error=False: a missing token is ours to report (401 in the API's error format); these two
# also document both ways of sending the token in the OpenAPI schema.
_bearer = HTTPBearer(auto_error=False, description="The job's token: 'Authorization: Bearer <t>'.")
_query_token = APIKeyQuery(
    name="token", auto_error=False, description="The job's token as a query parameter."
)
_JOB_ID = re.compile(JOB_ID_PATTERN)


async def _authorized_job_id(
    job_id: Annotated[str, Path(description="The job's id, as returned by POST /jobs.")],
    signer: Signer,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    query_token: Annotated[str | None, Depends(_query_token)],
) -> str:
    """The path's job id once the request's token opens it (401 without one, 403 if refused).

    Async on purpose: the log key is set in the request's own context, so it is on every later
    line of the request, including those logged from the thread pool.
    """
    if _JOB_ID.fullmatch(job_id) is None:
        # Cannot name a job; same answer as the stream function gives.
        raise ApiError(404, "job_not_found", "no job has this id")
    log_job_id(job_id)
    token = credentials.credentials if credentials is not None else query_token
    signer.verify(token, job_id)
    return job_id


AuthorizedJobId = Annotated[str, Depends(_authorized_job_id)]
