"""Why a stream request is refused by the stream's own reading of it (no such route, a method
other than GET, a malformed or impossible Last-Event-ID), in words safe to show the client.

Every refusal happens before the first byte of the stream, so it can still become a plain HTTP
status with a JSON body: this one and the errors of the layers below alike, through the one table
the API uses too (jobstream.http_errors). The message never echoes the token or anything else the
client sent that could be a secret.
"""

from __future__ import annotations

from typing import Any

from jobstream.http_errors import Refused


class StreamRejected(Refused):
    """A client mistake the stream finds itself: a status, a short code, a reason."""

    @property
    def error(self) -> str:
        return self.code

    def payload(self) -> dict[str, Any]:
        """The JSON body: the same ``{"error": {"code", "message"}}`` shape as the jobs API's."""
        return self.answer.body()
