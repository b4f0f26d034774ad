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
    Unauthorized,
)
from jobstream_client.jobs_api import CreatedJob, JobsAPI
from jobstream_client.stream import (
    TERMINAL_EVENT_TYPES,
    EventStream,
    RetryNotice,
    StreamEnd,
    default_timeout,
)

__all__ = [
    "TERMINAL_EVENT_TYPES",
    "Backoff",
    "BadRequest",
    "ClientError",
    "CreatedJob",
    "EventStream",
    "Forbidden",
    "GaveUp",
    "JobsAPI",
    "NotFound",
    "ProtocolViolation",
    "RetryNotice",
    "ServerRejected",
    "ServerUnavailable",
    "StreamEnd",
    "Unauthorized",
    "default_timeout",
]
