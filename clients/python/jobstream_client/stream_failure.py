"""Telling the server's in-band "stream failed" notice apart from a job's terminal ``error`` event.

The server (``jobstream.response_stream.failure`` in the layer) sends this notice when a stream
breaks after its first byte. Its wire shape is repeated here because this distribution must install
and run without the server's package; tests/unit/client/test_stream_failure_notice.py feeds the
server's real notice bytes to this recogniser, so the two cannot drift apart unnoticed."""

from __future__ import annotations

import json

__all__ = ["STREAM_FAILED_CODE", "is_stream_failure"]

STREAM_FAILED_CODE = "stream_failed"


def is_stream_failure(event_type: str, data: str) -> bool:
    """True for the server's notice: the stream broke, the job did not fail.

    A job's own ``error`` event never carries ``"retryable": true``; that is what tells them apart.
    """
    if event_type != "error" or STREAM_FAILED_CODE not in data:
        return False
    try:
        payload = json.loads(data)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("retryable") is True
