"""The durable job and event log: one DynamoDB table (see schema.py for its layout).

``JobStore`` creates jobs, hands out leases and appends/reads the gap-free event log. Nothing here
knows about HTTP.
"""

from jobstream.store.errors import (
    JobAlreadyExists,
    JobFinished,
    JobNotFound,
    LeaseHeld,
    LeaseLost,
    PayloadTooLarge,
    StoreError,
    StoreRequestFailed,
    StreamsAtCap,
)
from jobstream.store.job_store import JobStore
from jobstream.store.models import (
    JSON,
    TERMINAL_EVENT_TYPES,
    UNSET,
    Checkpoint,
    Job,
    JobMode,
    JobStatus,
    JSONObject,
    Lease,
    NewEvent,
    StoredEvent,
    Unset,
)

__all__ = [
    "JSON",
    "TERMINAL_EVENT_TYPES",
    "UNSET",
    "Checkpoint",
    "JSONObject",
    "Job",
    "JobAlreadyExists",
    "JobFinished",
    "JobMode",
    "JobNotFound",
    "JobStatus",
    "JobStore",
    "Lease",
    "LeaseHeld",
    "LeaseLost",
    "NewEvent",
    "PayloadTooLarge",
    "StoreError",
    "StoreRequestFailed",
    "StoredEvent",
    "StreamsAtCap",
    "Unset",
]
