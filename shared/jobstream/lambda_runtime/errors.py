"""Error documents for the Runtime API, shaped as Lambda's own Python runtime shapes them.

``awslambdaric`` 4.2.2 (the managed Python runtime's client, ``bootstrap.make_error``) posts
``{errorMessage, errorType, requestId, stackTrace}`` to ``/invocation/{id}/error`` (``requestId`` is
empty for ``/init/error``) and describes the exception for X-Ray in the
``Lambda-Runtime-Function-XRay-Error-Cause`` header (``make_xray_fault``). The streaming error
trailer carries the same document, base64-encoded (as the Node.js client does with its own shape).
These go to the Lambda service (logs, direct invokers, X-Ray), never to a Function URL's HTTP
client, which sees a 502 or an in-band notice. See docs/lambda-runtime.md.
"""

from __future__ import annotations

import base64
import json
import re
import traceback
from dataclasses import dataclass

_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]")
# awslambdaric drops the X-Ray cause when it reaches 1 MiB rather than send a header that large.
MAX_XRAY_CAUSE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Frame:
    path: str
    line: int
    label: str


@dataclass(frozen=True, slots=True)
class ErrorReport:
    error_type: str
    message: str
    stack_trace: tuple[str, ...] = ()
    request_id: str = ""
    frames: tuple[Frame, ...] = ()

    @classmethod
    def from_exception(
        cls, exc: BaseException, *, error_type: str | None = None, request_id: str = ""
    ) -> ErrorReport:
        summary = traceback.extract_tb(exc.__traceback__)
        return cls(
            error_type=error_type or type(exc).__name__,
            message=str(exc),
            stack_trace=tuple(traceback.format_list(summary)),
            request_id=request_id,
            frames=tuple(Frame(f.filename, f.lineno or 0, f.name) for f in summary),
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
                "requestId": self.request_id,
                "stackTrace": list(self.stack_trace),
            }
        ).encode()

    def to_base64(self) -> str:
        return base64.b64encode(self.to_json()).decode("ascii")

    def xray_cause(self, working_directory: str) -> str:
        """X-Ray's exception document (``awslambdaric`` ``make_xray_fault``), or "" if too large.

        ASCII-only JSON (``json.dumps`` escapes the rest), so it is a valid header value.
        """
        cause = json.dumps(
            {
                "working_directory": working_directory,
                "exceptions": [
                    {
                        "message": self.message,
                        "type": self.error_type,
                        "stack": [
                            {"label": f.label, "path": f.path, "line": f.line} for f in self.frames
                        ],
                    }
                ],
                "paths": sorted({f.path for f in self.frames}),
            }
        )
        return cause if len(cause) < MAX_XRAY_CAUSE_BYTES else ""
