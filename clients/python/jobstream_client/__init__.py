"""Python client of jobstream: follow a job's events across drops, start and cancel jobs.

``EventStream`` is the library piece (tests, bench and the reliability suite use it);
``jobstream_client.cli`` is the ``jobstream`` command built on it.
"""

from jobstream_client.backoff import Backoff
from jobstream_client.errors import (
    BadRequest,
    ClientError,
    Forbidden,
    GaveUp,
    NotFound,
    ProtocolViolation,
    ServerRejected,
    ServerUnavailable,
    TooManyRequests,
    Unauthorized,
)
from jobstream_client.job_tokens import token_expires_at, token_scope
from jobstream_client.jobs_api import (
    AccessToken,
    CreatedJob,
    JobList,
    JobsAPI,
    JobToken,
    ListedJob,
)
from jobstream_client.stream import (
    TERMINAL_EVENT_TYPES,
    EventStream,
    RetryNotice,
    StreamEnd,
    default_timeout,
)

__all__ = [
    "TERMINAL_EVENT_TYPES",
    "AccessToken",
    "Backoff",
    "BadRequest",
    "ClientError",
    "CreatedJob",
    "EventStream",
    "Forbidden",
    "GaveUp",
    "JobList",
    "JobToken",
    "JobsAPI",
    "ListedJob",
    "NotFound",
    "ProtocolViolation",
    "RetryNotice",
    "ServerRejected",
    "ServerUnavailable",
    "StreamEnd",
    "TooManyRequests",
    "Unauthorized",
    "default_timeout",
    "token_expires_at",
    "token_scope",
]
