"""Values that cross the store boundary. Plain frozen dataclasses: no boto3 types leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Final

# JSON-compatible value as stored in event data, params, checkpoints and results.
JSON = Any
JSONObject = dict[str, Any]


class Unset(Enum):
    """Type of UNSET: "leave this field as it is", where None is a value a field can be set to."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET

# Event types the store itself knows about; jobs/events.py gives every type its wire shape.
# A progress event's data is mirrored onto the job item, for status reads.
PROGRESS_EVENT_TYPE: Final = "progress"
COMPLETE_EVENT_TYPE: Final = "complete"
ERROR_EVENT_TYPE: Final = "error"
CANCELLED_EVENT_TYPE: Final = "cancelled"
# Every job ends with exactly one event of one of these types. (The Python client, a separate
# distribution, and web/jobstream-client.js each keep a copy of this list.)
TERMINAL_EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {COMPLETE_EVENT_TYPE, ERROR_EVENT_TYPE, CANCELLED_EVENT_TYPE}
)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES: Final = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobMode(StrEnum):
    # Driven by the worker function, chunk after chunk.
    BACKGROUND = "background"
    # Driven by the stream function while a viewer is connected; falls back to the worker.
    INLINE = "inline"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a job emits, before the store has given it an id."""

    type: str
    data: JSONObject
    # Wall-clock time (epoch seconds) the job emitted it; None: the time the store writes it.
    created_at: float | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back from the log: ``id`` is 1, 2, 3, ... per job, gap-free."""

    id: int
    type: str
    data: JSONObject
    created_at: float


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Resumable state of a job: where to continue (``cursor``) plus small JSON state."""

    cursor: JSON = None
    state: JSONObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lease:
    """Proof that one driver owns a job until ``expires_at``; ``owner`` is unique per lease."""

    job_id: str
    owner: str
    expires_at: float
    # The job's TTL (epoch seconds): event items written under this lease expire with the job.
    job_expires_at: float | None = None
    # The job's owner (None: no owner): the append that ends the job frees its quota slot.
    job_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    type: str
    params: JSONObject
    mode: JobMode
    status: JobStatus
    created_at: float
    updated_at: float
    # Id of the last event durably stored; 0 before the first.
    last_event_id: int
    checkpoint: Checkpoint
    # Worker invocations used so far (bounded by Settings.max_hops).
    hops: int
    cancel_requested: bool
    lease_owner: str | None
    lease_expires_at: float | None
    # Latest progress event's data, for status reads without replaying the log.
    progress: JSONObject | None
    result: JSON
    # Safe, client-facing message only: never a stack trace.
    error: str | None
    expires_at: float
    # Durable driver only: the durable execution that owns the job (None on the chain driver).
    execution_id: str | None = None
    # The caller who created it (jobs API under jwt/iam auth); None under "none".
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class JobSummary:
    """One job of an owner's listing (read from the owner index, so eventually consistent)."""

    job_id: str
    type: str
    status: JobStatus
    created_at: float


@dataclass(frozen=True, slots=True)
class CallerQuota:
    """Limits a create is held to, atomically with the job's creation."""

    max_active: int
    max_creates: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class JobPage:
    """A page of an owner's jobs, newest first; ``cursor`` (opaque) fetches the next, if any."""

    jobs: list[JobSummary]
    cursor: str | None
