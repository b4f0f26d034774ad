"""Python client of jobstream: follow a job's events across drops, start and cancel jobs.

``EventStream`` is the library piece (tests, bench and the reliability suite use it);
``jobstream.client.cli`` is the ``jobstream`` command built on it.
"""

from jobstream.client.backoff import Backoff
from jobstream.client.errors import (
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
from jobstream.client.jobs_api import CreatedJob, JobsAPI
from jobstream.client.stream import (
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
