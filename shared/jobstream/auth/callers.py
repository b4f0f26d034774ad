"""Who is calling the jobs API: the errors of caller authentication and the caller id's rules.

The caller is a plain string (a JWT's issuer and ``sub``, an IAM principal's ARN) decided at the
transport (jobstream.api.callers); the services and the store only ever see that string, as a
job's owner. Messages are safe to show a client: they never echo a credential.
"""

from __future__ import annotations

from jobstream.errors import JobstreamError

# A DynamoDB key attribute may hold 2048 bytes; no issuer's ``sub`` or IAM ARN comes close.
MAX_CALLER_BYTES = 1024


class CallerError(JobstreamError):
    """Base class; the message says what is wrong without echoing what was sent."""


class CallerMissing(CallerError):
    def __init__(self, message: str = "this API needs 'Authorization: Bearer <token>'") -> None:
        super().__init__(message)


class CallerRefused(CallerError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class CallerLacksScope(CallerError):
    """A valid credential that was not granted this operation (a 403, as API Gateway's JWT
    authorizers answer a token without any of the route's scopes)."""

    def __init__(self, operation: str, required: frozenset[str]) -> None:
        super().__init__(
            f"to {operation} here the token needs one of these scopes: {' '.join(sorted(required))}"
        )
        self.required = required


class IdentityProviderUnavailable(CallerError):
    """The issuer's keys could not be fetched: nothing is wrong with the request itself."""

    def __init__(self) -> None:
        super().__init__("the identity provider's signing keys could not be fetched; retry shortly")


def checked_caller_id(value: object, *, what: str) -> str:
    """``value`` as a caller id: a non-empty string of at most MAX_CALLER_BYTES (CallerRefused)."""
    if not isinstance(value, str) or not value or len(value.encode()) > MAX_CALLER_BYTES:
        raise CallerRefused(f"the {what} does not name a caller")
    return value
