"""Error documents for the Runtime API: ``{errorMessage, errorType, stackTrace}``.

This shape is what Lambda's own Python runtime posts to ``/invocation/{id}/error`` and
``/init/error`` (AWS DG, "Using the Lambda runtime API for custom runtimes"); the streaming
error trailer carries the same document, base64-encoded. These go to the Lambda service (logs,
direct invokers), never to a Function URL's HTTP client, which sees a 502 or an in-band notice.
"""

from __future__ import annotations

import base64
import json
import re
import traceback
from dataclasses import dataclass

_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class ErrorReport:
    error_type: str
    message: str
    stack_trace: tuple[str, ...] = ()

    @classmethod
    def from_exception(cls, exc: BaseException, *, error_type: str | None = None) -> ErrorReport:
        frames = traceback.extract_tb(exc.__traceback__)
        return cls(
            error_type=error_type or type(exc).__name__,
            message=str(exc),
            stack_trace=tuple(traceback.format_list(frames)),
        )

    @property
    def header_value(self) -> str:
        """For ``Lambda-Runtime-Function-Error-Type``: a header-safe token."""
        return _NOT_TOKEN.sub("_", self.error_type) or "Unknown"

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "errorMessage": self.message,
                "errorType": self.error_type,
                "stackTrace": list(self.stack_trace),
            }
        ).encode()

    def to_base64(self) -> str:
        return base64.b64encode(self.to_json()).decode("ascii")
