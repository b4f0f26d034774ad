"""Every error leaves the API as ``{"error": {"code", "message", "details"?}}``.

Our own errors are answered by the one table the stream uses too (jobstream.http_errors); the
framework's (a request that fails validation, an unknown route, Powertools' idempotency errors)
are turned into the same kind of answer here. Anything unexpected becomes a generic 500 whose
stack trace goes to the log only.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

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
from jobstream.errors import JobstreamError
from jobstream.http_errors import ErrorAnswer, answer_for, retry_after, validation_details

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

IDEMPOTENCY_KEY_REUSED = ErrorAnswer(
    422,
    "idempotency_key_reused",
    "this Idempotency-Key was already used with a different request body; "
    "use a new key for a different job",
)
IDEMPOTENCY_IN_PROGRESS = ErrorAnswer(
    409,
    "idempotency_in_progress",
    "a request with this Idempotency-Key is still being processed; retry shortly",
    headers=retry_after(1),
)


def error_response(answer: ErrorAnswer) -> JSONResponse:
    if answer.status >= 500:
        logger.error(answer.message, extra={"status": answer.status, "code": answer.code})
    else:
        logger.info("request refused", extra={"status": answer.status, "code": answer.code})
    return JSONResponse(answer.body(), status_code=answer.status, headers=dict(answer.headers))


async def _jobstream_error(_: Request, exc: Exception) -> JSONResponse:
    answer = answer_for(exc)
    if answer is None:
        raise exc  # ours, but not an answer: a 500 from UnhandledErrorMiddleware
    if answer.status >= 500:
        # The error's own text (the store's names the operation and DynamoDB's code) is fit to
        # log; the client gets the table's message.
        logger.error("a service the API needs failed", extra={"reason": str(exc)})
    return error_response(answer)


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        ErrorAnswer(
            422,
            "invalid_request",
            "the request is not valid; see details for each field",
            validation_details(exc.errors()),
        )
    )


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    code = _STATUS_CODES.get(status, "http_error")
    return error_response(ErrorAnswer(status, code, message, headers=exc.headers or {}))


async def _idempotency_key_reused(_: Request, __: Exception) -> JSONResponse:
    return error_response(IDEMPOTENCY_KEY_REUSED)


async def _idempotency_in_progress(_: Request, __: Exception) -> JSONResponse:
    return error_response(IDEMPOTENCY_IN_PROGRESS)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every JobstreamError by the table and the framework's errors alike; unexpected
    ones are left to UnhandledErrorMiddleware."""
    app.add_exception_handler(JobstreamError, _jobstream_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
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
                ErrorAnswer(500, "internal_error", INTERNAL_ERROR_MESSAGE, details)
            )
            await response(scope, receive, send)
