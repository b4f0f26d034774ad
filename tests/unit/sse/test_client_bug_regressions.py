"""One test per parsing bug known in other SSE clients, so ours never grows the same one."""

from __future__ import annotations

import pytest

from jobstream_client.sse import ServerSentEvent, SSEParser

E = ServerSentEvent


def test_httpx_sse_issue_35_no_phantom_event_after_comment_following_id() -> None:
    # The issue's own repro stream: httpx-sse 0.4.3 yields a third, empty event between the two,
    # because it treats the persisting last event id as something to dispatch.
    stream = (
        b'event: custom\nid: 1\ndata: {"text":"Hello World"}\n\n'
        b": ping\n\n"
        b'event: custom\nid: 2\ndata: {"text":"Goodbye World"}\n\n'
    )
    parser = SSEParser()
    assert parser.feed(stream) == [
        E('{"text":"Hello World"}', "custom", "1"),
        E('{"text":"Goodbye World"}', "custom", "2"),
    ]


def test_httpx_sse_issue_35_blank_lines_after_an_id_fire_nothing() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 1\ndata: a\n\n\n\n: ping\n\n\r\n\r") == [E("a", id="1")]


@pytest.mark.parametrize("value", ["+5", "5_0", "\u0665"])
def test_httpx_sse_accepts_retry_plus_5_we_do_not(value: str) -> None:
    # httpx-sse calls int() on the value, which takes a sign, underscores and non-ASCII digits;
    # the spec takes ASCII digits only and ignores the field otherwise.
    parser = SSEParser()
    assert parser.feed(f"retry: 1000\nretry: {value}\ndata: x\n\n".encode()) == [E("x", retry=1000)]
    assert parser.retry == 1000


def test_fetch_event_source_does_not_dispatch_on_every_blank_line() -> None:
    # @microsoft/fetch-event-source fires a message for each blank line, data or not.
    parser = SSEParser()
    assert parser.feed(b"\n\n\n\ndata: only\n\n\n\n\r\n\r\r\n") == [E("only")]


def test_fetch_event_source_keeps_lines_without_a_colon() -> None:
    # ...and drops lines without ':', though `data` alone appends an empty line and `id` alone
    # resets the id.
    parser = SSEParser()
    assert parser.feed(b"id: 3\ndata\ndata\n\nid\ndata: x\n\n") == [E("\n", id="3"), E("x")]
    assert parser.last_event_id == ""
