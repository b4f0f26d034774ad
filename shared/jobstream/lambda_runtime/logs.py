"""Log lines of the runtime itself and of handlers that use plain ``logging``.

Lambda's own Python runtime installs a root handler that writes to stdout, in text or JSON
(``AWS_LAMBDA_LOG_FORMAT``, from the function's ``LoggingConfig``), at ``AWS_LAMBDA_LOG_LEVEL``;
replacing that runtime means doing the same, or the function's log group goes quiet. Handlers that
configure their own logging (Powertools Logger) are unaffected.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

# AWS_LAMBDA_LOG_LEVEL values (AWS DG, "Configuring advanced logging controls") -> logging levels.
_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = current_request_id.get()
        return True


class _JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "timestamp": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": getattr(record, "aws_request_id", ""),
        }
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            document["errorType"] = type(error).__name__
            document["errorMessage"] = str(error)
            document["stackTrace"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(document, default=str)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + (
            f".{int(record.msecs):03d}Z"
        )


def configure_logging(env: Mapping[str, str], *, root: logging.Logger | None = None) -> None:
    """Install the stdout handler on the root logger, unless something configured it already.

    ``root`` is for tests, which cannot hand over the real root logger.
    """
    # Lambda reads stdout line by line; a block-buffered pipe would delay or merge lines.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    root = root if root is not None else logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    if env.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        handler.setFormatter(_JSONFormatter())
    else:
        text = logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
        text.converter = time.gmtime
        handler.setFormatter(text)
    root.addHandler(handler)
    # Lambda's Python runtime leaves the root logger at WARNING unless a level is configured.
    root.setLevel(_LEVELS.get(env.get("AWS_LAMBDA_LOG_LEVEL", "").upper(), logging.WARNING))
