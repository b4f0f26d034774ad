"""The store's own exceptions: callers never see botocore's ClientError codes."""

from __future__ import annotations

from jobstream.errors import JobstreamError


class StoreError(JobstreamError):
    """Base class for every error the store raises on purpose."""


class JobNotFound(StoreError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} does not exist (or has expired)")
        self.job_id = job_id


class JobAlreadyExists(StoreError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} already exists")
        self.job_id = job_id


class LeaseHeld(StoreError):
    """Another driver owns the job and its lease has not expired."""

    def __init__(self, job_id: str, expires_at: float | None) -> None:
        super().__init__(f"job {job_id!r} is leased by another driver until {expires_at}")
        self.job_id = job_id
        self.expires_at = expires_at


class LeaseLost(StoreError):
    """This writer is no longer the job's owner: it must stop without writing anything else."""

    def __init__(self, job_id: str, owner: str) -> None:
        super().__init__(
            f"lease {owner!r} on job {job_id!r} is no longer current: another driver took over "
            "or the job ended; this driver must stop"
        )
        self.job_id = job_id
        self.owner = owner


class JobFinished(StoreError):
    """The job is in a terminal state: nothing more can be appended or driven."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} has already finished")
        self.job_id = job_id


class PayloadTooLarge(StoreError, ValueError):
    """An event, params, checkpoint or result is over its limit (store/schema.py), found before any
    request to DynamoDB. A ValueError too: the value is what is wrong."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} is {size} bytes encoded; the limit is {limit} bytes")
        self.size = size
        self.limit = limit


class StoreRequestFailed(StoreError):
    """DynamoDB refused or failed a request for a reason other than the ones above (after retries).

    ``code`` is DynamoDB's error code (or the botocore exception's name); the message carries no
    request data, so it is safe to log.
    """

    def __init__(self, operation: str, code: str) -> None:
        super().__init__(f"DynamoDB {operation} failed: {code}")
        self.operation = operation
        self.code = code


class QuotaExceeded(StoreError):
    """The caller is at one of its limits (``limit``: "active_jobs" or "create_rate"); nothing was
    written. ``retry_after`` is the seconds after which trying again may succeed."""

    def __init__(self, limit: str, maximum: int, retry_after: int, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.retry_after = retry_after


class InvalidCursor(StoreError):
    def __init__(self) -> None:
        super().__init__("the cursor is not one this API returned")


class StreamsAtCap(StoreError):
    """Every stream slot of the job is held by a live stream (the per-job stream cap): a new
    stream must wait about ``retry_after_s`` (until the soonest-ending holder's lease ends)."""

    def __init__(self, job_id: str, cap: int, retry_after_s: int) -> None:
        super().__init__(
            f"this job already has {cap} live streams, the most a job may have; try again in "
            f"{retry_after_s} s"
        )
        self.job_id = job_id
        self.cap = cap
        self.retry_after_s = retry_after_s
