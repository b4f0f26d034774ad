"""Every error leaves the API as ``{"error": {"code", "message", "details"?}}``.

Exceptions are mapped by type (never by message text). Messages of the mapped exceptions are written
to be shown to clients; anything unexpected becomes a generic 500 whose stack trace goes to the log
only.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobstream.api.log import logger
from jobstream.auth.callers import (
    CallerError,
    CallerMissing,
    IdentityProviderUnavailable,
)
from jobstream.auth.tokens import TokenError, TokenMissing
from jobstream.jobs.errors import InvalidParams, UnknownJobType
from jobstream.store.errors import (
    InvalidCursor,
    JobFinished,
    JobNotFound,
    PayloadTooLarge,
    QuotaExceeded,
    StoreRequestFailed,
)

INTERNAL_ERROR_MESSAGE = "an internal error occurred; it has been logged"

# Codes for errors Starlette raises itself (unknown route, wrong method, oversize body).
_STATUS_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


class ApiError(Exception):
    """An error the API raises on purpose; ``message`` is shown to the client as is."""

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
        self.headers = dict(headers or {})


def error_response(
    *,
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    if status_code >= 500:
        logger.error(message, extra={"status": status_code, "code": code})
    else:
        logger.info("request refused", extra={"status": status_code, "code": code})
    return JSONResponse({"error": body}, status_code=status_code, headers=headers)


def validation_details(errors: Any) -> list[dict[str, Any]]:
    """Where and why, without echoing the offending input back (it may be large or sensitive)."""
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in errors
    ]


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        status_code=exc.status_code,
        code=exc.code,
        message=exc.message,
        details=exc.details,
        headers=exc.headers,
    )


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        status_code=422,
        code="invalid_request",
        message="the request is not valid; see details for each field",
        details=validation_details(exc.errors()),
    )


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    return error_response(
        status_code=status,
        code=_STATUS_CODES.get(status, "http_error"),
        message=message,
        headers=exc.headers,
    )


async def _token_missing(_: Request, exc: Exception) -> JSONResponse:
    return error_response(
        status_code=401,
        code="token_missing",
        message=str(exc),
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _token_refused(_: Request, exc: Exception) -> JSONResponse:
    # TokenError messages never contain the token (see auth/tokens.py).
    return error_response(status_code=403, code="token_invalid", message=str(exc))


async def _job_not_found(_: Request, exc: Exception) -> JSONResponse:
    return error_response(status_code=404, code="job_not_found", message=str(exc))


async def _job_finished(_: Request, exc: Exception) -> JSONResponse:
    return error_response(status_code=409, code="job_finished", message=str(exc))


async def _payload_too_large(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PayloadTooLarge)
    return error_response(
        status_code=413,
        code="payload_too_large",
        message=str(exc),
        details={"size": exc.size, "limit": exc.limit},
    )


async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
    # The store's message names the operation and DynamoDB's code only: safe to log, not to show.
    logger.error("DynamoDB request failed", extra={"reason": str(exc)})
    return error_response(
        status_code=503,
        code="unavailable",
        message="the job store is temporarily unavailable; retry shortly",
        headers={"Retry-After": "1"},
    )


async def _unknown_job_type(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownJobType)
    return error_response(
        status_code=400,
        code="unknown_job_type",
        message=str(exc),
        details={"type": exc.type, "known_types": exc.known},
    )


async def _invalid_params(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidParams)
    return error_response(
        status_code=422,
        code="invalid_params",
        message=str(exc),
        details=validation_details(
            [{**error, "loc": ["body", "params", *error.get("loc", ())]} for error in exc.errors]
        ),
    )


async def _idempotency_key_reused(_: Request, __: Exception) -> JSONResponse:
    return error_response(
        status_code=422,
        code="idempotency_key_reused",
        message="this Idempotency-Key was already used with a different request body; "
        "use a new key for a different job",
    )


async def _idempotency_in_progress(_: Request, __: Exception) -> JSONResponse:
    return error_response(
        status_code=409,
        code="idempotency_in_progress",
        message="a request with this Idempotency-Key is still being processed; retry shortly",
        headers={"Retry-After": "1"},
    )


async def _caller_refused(_: Request, exc: Exception) -> JSONResponse:
    # RFC 6750: a request without credentials gets the bare challenge, a bad one "invalid_token".
    challenge = "Bearer" if isinstance(exc, CallerMissing) else 'Bearer error="invalid_token"'
    return error_response(
        status_code=401,
        code="unauthenticated",
        message=str(exc),
        headers={"WWW-Authenticate": challenge},
    )


async def _identity_provider_unavailable(_: Request, exc: Exception) -> JSONResponse:
    logger.error("the identity provider's key set could not be fetched")
    return error_response(
        status_code=503, code="unavailable", message=str(exc), headers={"Retry-After": "5"}
    )


async def _quota_exceeded(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QuotaExceeded)
    return error_response(
        status_code=429,
        code="quota_exceeded",
        message=str(exc),
        details={
            "limit": exc.limit,
            "maximum": exc.maximum,
            "retry_after_seconds": exc.retry_after,
        },
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _invalid_cursor(_: Request, exc: Exception) -> JSONResponse:
    return error_response(status_code=400, code="invalid_cursor", message=str(exc))


def install_error_handlers(app: FastAPI) -> None:
    """Map every expected exception to its status and code; unexpected ones are left to
    UnhandledErrorMiddleware."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    # Starlette picks the handler of the nearest class in the exception's MRO, so TokenMissing
    # (a TokenError) gets 401 and every other TokenError (invalid, expired, other job's) 403.
    app.add_exception_handler(TokenMissing, _token_missing)
    app.add_exception_handler(TokenError, _token_refused)
    # IdentityProviderUnavailable is a CallerError too: the nearest class wins, as above.
    app.add_exception_handler(CallerError, _caller_refused)
    app.add_exception_handler(IdentityProviderUnavailable, _identity_provider_unavailable)
    app.add_exception_handler(QuotaExceeded, _quota_exceeded)
    app.add_exception_handler(InvalidCursor, _invalid_cursor)
    app.add_exception_handler(JobNotFound, _job_not_found)
    app.add_exception_handler(JobFinished, _job_finished)
    app.add_exception_handler(PayloadTooLarge, _payload_too_large)
    app.add_exception_handler(StoreRequestFailed, _store_unavailable)
    app.add_exception_handler(UnknownJobType, _unknown_job_type)
    app.add_exception_handler(InvalidParams, _invalid_params)
    app.add_exception_handler(IdempotencyValidationError, _idempotency_key_reused)
    app.add_exception_handler(IdempotencyAlreadyInProgressError, _idempotency_in_progress)


class UnhandledErrorMiddleware:
    """Turn any exception no handler claimed into a generic JSON 500, logged with its trace.

    Starlette's own last-resort handler answers in plain text outside the CORS middleware (so a
    browser sees a CORS failure instead of the 500) and re-raises, logging the trace a second time
    without our log keys; this sits inside CORS and logs once through the Powertools logger.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error while serving the request")
            if started:
                # Part of a response is on the wire: nothing consistent can follow it.
                raise
            details = None
            context = scope.get("aws.context")
            request_id = getattr(context, "aws_request_id", None)
            if isinstance(request_id, str):
                details = {"request_id": request_id}
            response = error_response(
                status_code=500,
                code="internal_error",
                message=INTERNAL_ERROR_MESSAGE,
                details=details,
            )
            await response(scope, receive, send)
