"""Request and response bodies of the jobs API: what /docs and /openapi.json describe."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from jobstream.jobs.registry import JobRegistry
from jobstream.store.models import Job, JobMode, JobStatus

# Job ids are URL-safe by construction; the stream function routes on the same pattern.
JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"


class CreateJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        min_length=1, max_length=128, description="Job type, one of the registry's names."
    )
    params: dict[str, JsonValue] = Field(
        default_factory=dict, description="Parameters, validated by the job type's own model."
    )


class CreateJobResponse(BaseModel):
    job_id: str
    status: JobStatus
    events_url: str = Field(
        description="Absolute URL of the job's Server-Sent Events stream (send the token with it)."
    )
    status_url: str = Field(description="Absolute URL of GET /jobs/{job_id}.")
    token: str = Field(
        description="View token for this job only ('Authorization: Bearer <token>', or "
        "'?token=<token>' where no header can be sent): reads its status and stream. It lives "
        "expires_in seconds; POST /jobs/{job_id}/token gives a fresh one."
    )
    expires_in: float = Field(description="Seconds until the view token expires.")
    control_token: str | None = Field(
        default=None,
        description="ApiAuth none only (null otherwise: the caller's own credential does this): "
        "the job's control token, for its creator to keep. It cancels the job and gets fresh view "
        "tokens (POST /jobs/{job_id}/token); it is accepted in 'Authorization: Bearer' only, never "
        "in a URL, so never put it in a link.",
    )


class JobTokenResponse(BaseModel):
    job_id: str
    token: str = Field(
        description="A fresh view token for this job only, used as the one POST /jobs returned."
    )
    expires_in: float = Field(description="Seconds until the token expires.")
    events_url: str = Field(description="Absolute URL of the job's Server-Sent Events stream.")


class JobStatusResponse(BaseModel):
    job_id: str
    type: str
    status: JobStatus
    events_url: str = Field(
        description="Absolute URL of the job's Server-Sent Events stream (send the token with it)."
    )
    cancel_requested: bool
    progress: dict[str, JsonValue] | None = Field(
        description="Data of the latest progress event, null before the first."
    )
    last_event_id: int = Field(
        description="Id of the last stored event (0 before the first): resume the stream after it."
    )
    result: JsonValue = Field(default=None, description="The job's result once it succeeded.")
    error: str | None = Field(default=None, description="Why the job failed, once it failed.")
    created_at: float = Field(description="Epoch seconds.")
    updated_at: float = Field(description="Epoch seconds.")
    execution_id: str | None = Field(
        default=None,
        description="WorkerDriver=durable: the ARN of the job's durable execution (its history in "
        "the Lambda console and GetDurableExecutionHistory); null before it starts and on the "
        "chain driver.",
    )


class JobListItem(BaseModel):
    job_id: str
    type: str
    status: JobStatus = Field(
        description="As of the listing index, which may lag the job by a moment: read status_url "
        "for the job's exact state."
    )
    created_at: float = Field(description="Epoch seconds.")
    status_url: str = Field(description="Absolute URL of GET /jobs/{job_id}.")
    events_url: str = Field(description="Absolute URL of the job's Server-Sent Events stream.")
    token: str = Field(
        description="A fresh view token for this job, as POST /jobs returns: a page that lost "
        "its state resumes the job's stream with it."
    )
    expires_in: float = Field(description="Seconds until the view token expires.")


class JobListResponse(BaseModel):
    jobs: list[JobListItem] = Field(description="The caller's jobs, newest first.")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null when there is none. Opaque."
    )


class JobTypeInfo(BaseModel):
    type: str = Field(description="The name to send as 'type' in POST /jobs.")
    mode: JobMode = Field(
        description="'background': run by the worker function; 'inline': run by the stream "
        "function while a viewer is connected (the worker takes over otherwise)."
    )
    params_schema: dict[str, JsonValue] = Field(
        description="JSON Schema of the job type's params (its pydantic model), with defaults."
    )
    description: str = Field(default="", description="What the job type does.")


class JobTypesResponse(BaseModel):
    types: list[JobTypeInfo] = Field(description="Every job type this deployment runs, by name.")


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable error code.")
    message: str = Field(description="Human-readable explanation, safe to show.")
    details: Any = Field(default=None, description="Structured details, when there are any.")


class ErrorResponse(BaseModel):
    error: ErrorBody


def job_status(*, job: Job, events_url: str) -> JobStatusResponse:
    return JobStatusResponse(
        job_id=job.job_id,
        type=job.type,
        status=job.status,
        events_url=events_url,
        cancel_requested=job.cancel_requested,
        progress=job.progress,
        last_event_id=job.last_event_id,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        updated_at=job.updated_at,
        execution_id=job.execution_id,
    )


def job_types(registry: JobRegistry) -> JobTypesResponse:
    return JobTypesResponse(
        types=[
            JobTypeInfo(
                type=job_type.name,
                mode=job_type.mode,
                params_schema=job_type.params_model.model_json_schema(),
                description=job_type.description,
            )
            for job_type in registry
        ]
    )
