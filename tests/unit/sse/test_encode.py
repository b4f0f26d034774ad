"""The encoder's exact bytes, its refusals, and that what it writes parses back."""

from __future__ import annotations

import pytest

from jobstream.sse import SSE_HEADERS, SSEFieldError, encode_comment, encode_event
from jobstream_client.sse import ServerSentEvent, SSEParser


def parse(data: bytes) -> tuple[list[ServerSentEvent], SSEParser]:
    parser = SSEParser()
    events = parser.feed(data)
    return events + parser.end(), parser


def test_all_fields_exact_bytes() -> None:
    encoded = encode_event(data='{"pct": 5}', event="progress", id=7, retry=3000)
    assert encoded == b'id: 7\nevent: progress\nretry: 3000\ndata: {"pct": 5}\n\n'


def test_data_only() -> None:
    assert encode_event(data="hello") == b"data: hello\n\n"


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        ("a\nb", ["a", "b"]),
        ("a\rb", ["a", "b"]),
        ("a\r\nb", ["a", "b"]),  # CRLF is one break, not two
        ("a\r\n\r\nb", ["a", "", "b"]),
        ("a\n\rb", ["a", "", "b"]),  # LF then CR: two breaks
        ("a\r\rb", ["a", "", "b"]),
        ("\na", ["", "a"]),
        ("a\n", ["a", ""]),
        ("\r\n", ["", ""]),
    ],
)
def test_multiline_data_one_data_line_per_line(data: str, lines: list[str]) -> None:
    expected = "".join(f"data: {line}\n" for line in lines) + "\n"
    assert encode_event(data=data) == expected.encode()
    events, _ = parse(encode_event(data=data))
    assert events == [ServerSentEvent("\n".join(lines))]


def test_empty_data_still_fires_an_event() -> None:
    encoded = encode_event(data="")
    assert encoded == b"data: \n\n"
    assert parse(encoded)[0] == [ServerSentEvent("")]


def test_no_data_fires_nothing_but_commits_the_id() -> None:
    encoded = encode_event(id="41")
    assert encoded == b"id: 41\n\n"
    events, parser = parse(encoded)
    assert events == []
    assert parser.last_event_id == "41"


def test_leading_and_trailing_spaces_in_values_survive() -> None:
    encoded = encode_event(data="  two spaces", id=" id", event=" type ")
    events, parser = parse(encoded)
    assert events == [ServerSentEvent("  two spaces", " type ", " id")]
    assert parser.last_event_id == " id"


def test_empty_event_type_is_left_out() -> None:
    assert encode_event(data="x", event="") == b"data: x\n\n"


def test_empty_id_resets_the_last_event_id() -> None:
    events, parser = parse(encode_event(data="a", id="1") + encode_event(data="b", id=""))
    assert events == [ServerSentEvent("a", id="1"), ServerSentEvent("b", id="")]
    assert parser.last_event_id == ""


def test_utf8_bytes_out() -> None:
    encoded = encode_event(data="é€😀", event="ünï", id="ид")
    assert encoded == "id: ид\nevent: ünï\ndata: é€😀\n\n".encode()
    assert parse(encoded)[0] == [ServerSentEvent("é€😀", "ünï", "ид")]


@pytest.mark.parametrize("field", ["id", "event"])
@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nb", "\n", "a\0b", "\0", "end\r"])
def test_id_and_event_with_cr_lf_or_nul_are_refused(field: str, bad: str) -> None:
    with pytest.raises(SSEFieldError, match=f"'{field}' must not contain CR, LF or NUL"):
        encode_event(data="x", **{field: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize("retry", [-1, True, False, 1.5, "100", None])
def test_retry_must_be_a_non_negative_int(retry: object) -> None:
    if retry is None:
        assert encode_event(data="x", retry=None) == b"data: x\n\n"
        return
    with pytest.raises(SSEFieldError, match="'retry' must be a non-negative int"):
        encode_event(data="x", retry=retry)  # type: ignore[arg-type]


def test_retry_zero_is_allowed() -> None:
    assert encode_event(retry=0) == b"retry: 0\n\n"
    assert parse(encode_event(retry=0))[1].retry == 0


@pytest.mark.parametrize("bad_id", [True, 1.0, b"1"])
def test_id_must_be_str_or_int(bad_id: object) -> None:
    with pytest.raises(SSEFieldError, match="'id' must be a str or an int"):
        encode_event(data="x", id=bad_id)  # type: ignore[arg-type]


def test_int_id_is_decimal() -> None:
    assert encode_event(data="x", id=123456789012) == b"id: 123456789012\ndata: x\n\n"


def test_refusal_writes_nothing_partial() -> None:
    # The function either returns a complete event or raises: no half-written block to leak.
    with pytest.raises(SSEFieldError):
        encode_event(data="x", id="ok", event="bad\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", b":\n"),
        ("ping", b": ping\n"),
        ("a\nb", b": a\n: b\n"),
        ("a\r\nb\rc", b": a\n: b\n: c\n"),
        ("a\n\nb", b": a\n:\n: b\n"),
    ],
)
def test_comment(text: str, expected: bytes) -> None:
    assert encode_comment(text) == expected


def test_comment_default_is_a_bare_colon() -> None:
    assert encode_comment() == b":\n"


def test_comments_never_dispatch_and_keep_blocks_intact() -> None:
    stream = (
        encode_comment("keep-alive")
        + encode_event(data="a", id="1")
        + encode_comment("multi\nline\rcomment")
        + encode_event(data="b")
    )
    events, parser = parse(stream)
    assert events == [ServerSentEvent("a", id="1"), ServerSentEvent("b", id="1")]
    assert parser.last_event_id == "1"


def test_sse_headers() -> None:
    assert dict(SSE_HEADERS) == {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        "X-Accel-Buffering": "no",
    }
    # The MIME essence browsers check (WPT format-mime-*): exactly text/event-stream.
    assert SSE_HEADERS["Content-Type"].split(";")[0].strip() == "text/event-stream"
    assert "content-encoding" not in {k.lower() for k in SSE_HEADERS}


def test_sse_headers_cannot_be_changed_by_a_caller() -> None:
    with pytest.raises(TypeError):
        SSE_HEADERS["Content-Encoding"] = "gzip"  # type: ignore[index]
