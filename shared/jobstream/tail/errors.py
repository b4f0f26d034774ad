"""Why a stream request is refused, in words safe to show the client.

Every refusal happens before the first byte of the stream, so it can still become a plain HTTP
status with a JSON body. The message never echoes the token or anything else the client sent that
could be a secret.
"""

from __future__ import annotations

from collections.abc import Mapping


class StreamRejected(Exception):
    """A client mistake (or a job with nothing to send): a status, a short code, a reason."""

    def __init__(
        self,
        status_code: int,
        error: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def payload(self) -> dict[str, dict[str, str]]:
        """The JSON body: the same ``{"error": {"code", "message"}}`` shape as the jobs API's."""
        return {"error": {"code": self.error, "message": self.message}}
