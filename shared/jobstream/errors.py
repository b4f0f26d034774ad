"""The root of jobstream's errors, and the errors of a job request that no one layer owns.

``JobstreamError`` is the one class to catch for "anything jobstream raised on purpose"; every
family derives from it (the store's, the tokens', the callers', a refused request's). How each
answers over HTTP is one table, jobstream.http_errors.

``UnknownJobType`` and ``InvalidParams`` are raised by the job registry and answered by the API:
they live here, below both, so the table can name them without loading the job engine (the
stream function's read path never imports jobstream.jobs).
"""

from __future__ import annotations

from typing import Any


class JobstreamError(Exception):
    """Base class of every error jobstream raises on purpose."""


class UnknownJobType(JobstreamError, LookupError):
    def __init__(self, type: str, known: list[str]) -> None:
        super().__init__(f"unknown job type {type!r}; known types: {', '.join(known) or 'none'}")
        self.type = type
        self.known = known


class InvalidParams(JobstreamError, ValueError):
    """The params do not satisfy the job type's pydantic model; ``errors`` is JSON-serialisable."""

    def __init__(self, type: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"invalid params for job type {type!r}: {len(errors)} error(s)")
        self.type = type
        self.errors = errors
