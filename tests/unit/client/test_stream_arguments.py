"""EventStream refuses a bad starting point before it connects (the stream itself against a
scripted server: tests/integration/client/test_stream.py)."""

from __future__ import annotations

import pytest

from jobstream_client import EventStream


@pytest.mark.parametrize("bad", ["-1", "abc", "+5", "1.5", -3])
def test_rejects_a_malformed_starting_id(bad: str | int) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        EventStream("http://127.0.0.1:1/e", token=None, last_event_id=bad)


@pytest.mark.parametrize("url", ["ftp://host/x", "/jobs/1/events", "not a url"])
def test_rejects_a_non_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        EventStream(url, token=None)
