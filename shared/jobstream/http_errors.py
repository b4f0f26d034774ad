"""One table from error to HTTP answer, for the jobs API and the stream alike.

The errors themselves know nothing about HTTP: ``ANSWERS`` says, per class, the status, the
``{"error": {"code", "message", "details"?}}`` body and the headers (``WWW-Authenticate``,
``Retry-After``, ...) a client gets. ``answer_for`` picks the rule of the nearest class in the
error's MRO, as Starlette picks exception handlers, so a family's rule covers its members unless
one has a rule of its own. The API answers every ``JobstreamError`` through it (api/errors.py), the
stream every refusal before its first byte (tail/service.py), and
tests/functional/test_error_answers.py drives both with the same refusals and compares what they
answer. A new answer is one ``Rule(...)`` line below.

Messages of the errors mapped here are written to be shown to clients (none echoes a token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from jobstream.auth.callers import (
    CallerError,
    CallerLacksScope,
    CallerMissing,
    IdentityProviderUnavailable,
)
from jobstream.auth.tokens import TokenError, TokenMissing
from jobstream.errors import InvalidParams, JobstreamError, UnknownJobType
from jobstream.store.errors import (
    InvalidCursor,
    JobFinished,
    JobNotFound,
    PayloadTooLarge,
    QuotaExceeded,
    StoreRequestFailed,
    StreamsAtCap,
)

E = TypeVar("E", bound=BaseException)

# RFC 6750 section 3: the bare challenge for a request without credentials, "invalid_token" for
# one whose token is malformed, expired or not for this resource.
BEARER_CHALLENGE: Mapping[str, str] = {"WWW-Authenticate": "Bearer"}
INVALID_TOKEN_CHALLENGE: Mapping[str, str] = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
STORE_UNAVAILABLE_MESSAGE = "the job store is temporarily unavailable; retry shortly"


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """What a client is told: a status, a short code, a message and, for some, details."""

    status: int
    code: str
    message: str
    details: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class Refused(JobstreamError):
    """A request refused by its transport, which decides the answer itself: no such route, a
    method not allowed, a malformed header. Everything below the transport raises errors that
    know nothing about HTTP and are answered by ``ANSWERS``."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers: dict[str, str] = dict(headers or {})

    @property
    def answer(self) -> ErrorAnswer:
        return ErrorAnswer(self.status_code, self.code, self.message, self.details, self.headers)


def retry_after(seconds: int) -> Mapping[str, str]:
    return {"Retry-After": str(seconds)}


def validation_details(errors: Any) -> list[dict[str, Any]]:
    """Where and why, without echoing the offending input back (it may be large or sensitive)."""
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in errors
    ]


@dataclass(frozen=True, slots=True)
class Rule(Generic[E]):
    """How errors of one class are answered. ``message`` is the error's own unless given;
    ``details`` and ``headers`` are constants or read from the error."""

    error: type[E]
    status: int
    code: str
    message: str | None = None
    details: Callable[[E], Any] | None = None
    headers: Mapping[str, str] | Callable[[E], Mapping[str, str]] = field(default_factory=dict)

    def answer(self, error: E) -> ErrorAnswer:
        return ErrorAnswer(
            status=self.status,
            code=self.code,
            message=str(error) if self.message is None else self.message,
            details=None if self.details is None else self.details(error),
            headers=self.headers(error) if callable(self.headers) else self.headers,
        )


# Functions, not lambdas, for what a rule reads from its error: in the table's list a lambda's
# parameter is Any to mypy, a function's is checked.
def _size_details(error: PayloadTooLarge) -> dict[str, int]:
    return {"size": error.size, "limit": error.limit}


def _scope_challenge(error: CallerLacksScope) -> Mapping[str, str]:
    # RFC 6750, 3.1: the scopes that would do, for a client that can ask for them.
    scopes = " ".join(sorted(error.required))
    return {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scopes}"'}


def _scope_details(error: CallerLacksScope) -> dict[str, list[str]]:
    return {"required_scopes": sorted(error.required)}


def _quota_retry_after(error: QuotaExceeded) -> Mapping[str, str]:
    return retry_after(error.retry_after)


def _streams_retry_after(error: StreamsAtCap) -> Mapping[str, str]:
    return retry_after(error.retry_after_s)


def _job_type_details(error: UnknownJobType) -> dict[str, Any]:
    return {"type": error.type, "known_types": error.known}


def _quota_details(error: QuotaExceeded) -> dict[str, Any]:
    return {
        "limit": error.limit,
        "maximum": error.maximum,
        "retry_after_seconds": error.retry_after,
    }


def _params_details(error: InvalidParams) -> list[dict[str, Any]]:
    return validation_details(
        [{**e, "loc": ["body", "params", *e.get("loc", ())]} for e in error.errors]
    )


# fmt: off
RULES: list[Rule[Any]] = [
    Rule(TokenMissing, 401, "token_missing", headers=BEARER_CHALLENGE),
    # Every other TokenError: malformed, expired or another job's.
    Rule(TokenError, 403, "token_invalid", headers=INVALID_TOKEN_CHALLENGE),
    Rule(CallerMissing, 401, "unauthenticated", headers=BEARER_CHALLENGE),
    Rule(CallerError, 401, "unauthenticated", headers=INVALID_TOKEN_CHALLENGE),
    # A valid JWT without any of the operation's scopes: the caller is known, and not allowed this.
    Rule(CallerLacksScope, 403, "insufficient_scope",
         details=_scope_details, headers=_scope_challenge),
    Rule(IdentityProviderUnavailable, 503, "unavailable", headers=retry_after(5)),
    Rule(JobNotFound, 404, "job_not_found"),
    Rule(JobFinished, 409, "job_finished"),
    Rule(InvalidCursor, 400, "invalid_cursor"),
    Rule(PayloadTooLarge, 413, "payload_too_large", details=_size_details),
    Rule(QuotaExceeded, 429, "quota_exceeded",
         details=_quota_details, headers=_quota_retry_after),
    # The job's cap on live streams (StreamsPerJob): wait for the soonest-ending one.
    Rule(StreamsAtCap, 429, "too_many_streams", headers=_streams_retry_after),
    # The store's own message names the operation and DynamoDB's code: fit to log, not to show.
    Rule(StoreRequestFailed, 503, "unavailable",
         message=STORE_UNAVAILABLE_MESSAGE, headers=retry_after(1)),
    Rule(UnknownJobType, 400, "unknown_job_type", details=_job_type_details),
    Rule(InvalidParams, 422, "invalid_params", details=_params_details),
]
# fmt: on
ANSWERS: Mapping[type[BaseException], Rule[Any]] = {rule.error: rule for rule in RULES}


def answer_for(error: BaseException) -> ErrorAnswer | None:
    """The answer of the nearest class in ``error``'s MRO that has a rule; None if none has (an
    unexpected error: a 500 whose trace goes to the log only). A ``Refused`` carries its own."""
    if isinstance(error, Refused):
        return error.answer
    for cls in type(error).__mro__:
        found = ANSWERS.get(cls)
        if found is not None:
            return found.answer(error)
    return None
