"""Log keys a handler adds before doing anything else, so every later line carries them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobstream.tail.errors import StreamRejected
from jobstream.tail.request import parse_stream_request


def stream_job_id(event: Mapping[str, Any]) -> str | None:
    """The job id of a stream request (None if the request names none: it is refused anyway).

    The id is not yet authorised here; it is only ever a well-formed id from the path.
    """
    try:
        return parse_stream_request(event).job_id
    except StreamRejected:
        return None
