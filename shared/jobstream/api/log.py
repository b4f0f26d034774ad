"""The API's Powertools logger, the per-request ``job_id`` log key and one line per request.

Keys go through Powertools' thread-safe (contextvar) keys, so concurrent requests on the local
server (each in its own asyncio task, with its own copy of the context) never see each other's job
id, and threads started by a request inherit its keys. The request log middleware also drops the key
at the start and end of every request, for servers that run requests one after another in one
context.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Explicit service name: the same on Lambda (POWERTOOLS_SERVICE_NAME=jobstream) and locally.
logger = Logger(service="jobstream")


def log_job_id(job_id: str) -> None:
    """Add ``job_id`` to every later log line of the current request (and threads it starts)."""
    logger.thread_safe_append_keys(job_id=job_id)


_REQUEST_KEYS = ("job_id",)


class RequestLogMiddleware:
    """One line per request (method, path, status), after the response, with the request's keys.

    The query string is left out: it may hold the job's token.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        logger.thread_safe_remove_keys(_REQUEST_KEYS)
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            logger.info(
                "request served",
                extra={"method": scope["method"], "path": scope["path"], "status": status},
            )
            logger.thread_safe_remove_keys(_REQUEST_KEYS)
