"""Readable log lines for a terminal: ``12:00:01 INFO  stream opened job_id=... after_id=0``.

On Lambda the ``jobstream`` logger writes one JSON object per line (Powertools), which CloudWatch
indexes. In a terminal that is hard to read, so the local stack swaps the formatter of the same
Powertools handler for this one. It subclasses Powertools' formatter, so everything that appends
keys (``Logger.append_keys``, ``thread_safe_append_keys``) keeps working; only the final
serialisation differs.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

SERVICE = "jobstream"
# Keys shown elsewhere on the line, or only of use in CloudWatch.
_HIDDEN_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "sampling_rate",
        "xray_trace_id",
        "exception",
        "exception_name",
        "stack_trace",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
    }
)


class ConsoleLogFormatter(LambdaPowertoolsFormatter):
    def __init__(self) -> None:
        super().__init__(datefmt="%H:%M:%S")

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        # Powertools annotates the parameter as a LogRecord; it passes the dict it built.
        fields = " ".join(
            f"{key}={_value(value)}"
            for key, value in log.items()
            if key not in _HIDDEN_KEYS and value is not None
        )
        line = f"{log.get('timestamp', '')} {log.get('level', ''):<7} {log.get('message', '')}"
        if fields:
            line = f"{line}  {fields}"
        exception = log.get("exception")
        if exception:
            line = f"{line}\n{exception}"
        return line


def use_console_log(level: int | str = logging.INFO) -> None:
    """Make the ``jobstream`` logger (Powertools' handler) write console lines at ``level``."""
    logger = Logger(service=SERVICE, level=level)
    logger.setLevel(level)
    logger.registered_handler.setFormatter(ConsoleLogFormatter())


def _value(value: object) -> str:
    text = str(value)
    return repr(text) if not text or any(c.isspace() for c in text) else text
