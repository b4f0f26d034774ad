"""Parser rules that the ported suites do not pin down chunk by chunk."""

from __future__ import annotations

import pytest

from jobstream_client.sse import ServerSentEvent, SSEParser

E = ServerSentEvent


def test_crlf_split_across_chunks_is_one_line_break() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    # The LF completes the CRLF: it must not count as the blank line that dispatches.
    assert parser.feed(b"\n") == []
    assert parser.feed(b"data: b\r") == []
    assert parser.feed(b"\n\r") == [E("a\nb")]


def test_a_chunk_ending_in_cr_dispatches_without_waiting_for_the_next() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r\r") == [E("a")]
    # ...and an LF that then arrives is the rest of a CRLF, not another blank line.
    assert parser.feed(b"\ndata: b\n\n") == [E("b")]


def test_only_one_lf_after_a_trailing_cr_is_swallowed() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n\n") == [E("a")]


def test_cr_flag_survives_a_chunk_that_decodes_to_nothing() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"") == []
    assert parser.feed(b"\n") == []  # still the second half of the CRLF
    assert parser.feed(b"\n") == [E("a")]


@pytest.mark.parametrize("text", ["é", "€", "😀", "中文", "\u200d"])
def test_multibyte_characters_split_across_chunks(text: str) -> None:
    raw = f"data: {text}\n\n".encode()
    parser = SSEParser()
    events: list[ServerSentEvent] = []
    for i in range(len(raw)):
        events += parser.feed(raw[i : i + 1])
    assert events == [E(text)]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\xffb\xe2\x80c\n\n") == [E("a\ufffdb\ufffdc")]


def test_truncated_utf8_at_end_of_body_is_discarded_with_its_line() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: ok\n\ndata: \xe2\x82") == [E("ok")]
    assert parser.end() == []


def test_bom_split_across_chunks_at_the_start_is_stripped() -> None:
    parser = SSEParser()
    events = parser.feed(b"\xef") + parser.feed(b"\xbb") + parser.feed(b"\xbfdata: x\n\n")
    assert events == [E("x")]


def test_a_partial_bom_is_not_a_bom() -> None:
    parser = SSEParser()
    # EF BB followed by something else is invalid UTF-8: its line becomes an unknown field.
    assert parser.feed(b"\xef\xbbdata: x\n\ndata: y\n\n") == [E("y")]


def test_bom_later_in_the_body_is_not_stripped() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: c\n\n") == [E("a"), E("c")]


def test_bom_in_data_value_is_kept() -> None:
    parser = SSEParser()
    assert parser.feed("data: \ufeffx\n\n".encode()) == [E("\ufeffx")]


def test_each_new_body_may_start_with_a_bom() -> None:
    parser = SSEParser()
    assert parser.feed(b"\xef\xbb\xbfdata: a\n\n") == [E("a")]
    parser.end()
    assert parser.feed(b"\xef\xbb\xbfdata: b\n\n") == [E("b")]


def test_unterminated_block_is_discarded_and_its_id_not_committed() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n") == [E("a", id="1")]
    assert parser.end() == []
    assert parser.last_event_id == "1"


def test_after_end_the_parser_reads_the_next_body_keeping_id_and_retry() -> None:
    parser = SSEParser()
    parser.feed(b"retry: 1500\nid: 7\ndata: a\n\nevent: half\ndata: cut")
    parser.end()
    # A new body (the reconnect): buffers are fresh, the committed id and retry carry over.
    assert parser.feed(b"data: b\n\n") == [E("b", id="7")]
    assert parser.last_event_id == "7"
    assert parser.retry == 1500


def test_starting_from_a_known_last_event_id() -> None:
    parser = SSEParser(last_event_id="42")
    assert parser.last_event_id == "42"
    assert parser.feed(b"data: x\n\n") == [E("x", id="42")]


def test_retry_applies_when_its_line_ends_even_without_dispatch() -> None:
    parser = SSEParser()
    assert parser.feed(b"retry: 2500\n") == []
    assert parser.retry == 2500
    parser.end()
    assert parser.retry == 2500


def test_retry_is_reported_only_on_the_event_of_its_block() -> None:
    parser = SSEParser()
    events = parser.feed(b"retry: 10\ndata: a\n\ndata: b\n\nretry: 20\n\ndata: c\n\n")
    assert events == [E("a", retry=10), E("b"), E("c")]
    assert parser.retry == 20


@pytest.mark.parametrize(
    "value", ["+5", "-5", " 5", "5 ", "5_0", "0x10", "1e3", "\u0661\u0662", "²", ""]
)
def test_retry_must_be_ascii_digits_only(value: str) -> None:
    parser = SSEParser()
    # "retry: " + value: the one space after the colon is removed, nothing else is.
    assert parser.feed(f"retry: {value}\ndata: x\n\n".encode()) == [E("x")]
    assert parser.retry is None


def test_retry_with_an_absurd_number_of_digits_is_ignored_not_an_error() -> None:
    parser = SSEParser()
    assert parser.feed(b"retry: " + b"9" * 5000 + b"\ndata: x\n\n") == [E("x")]
    assert parser.retry is None


def test_event_type_resets_after_dispatch_even_without_data() -> None:
    parser = SSEParser()
    assert parser.feed(b"event: a\n\ndata: x\n\nevent: b\ndata: y\n\ndata: z\n\n") == [
        E("x"),
        E("y", "b"),
        E("z"),
    ]


def test_field_names_are_case_sensitive_and_unknown_ones_ignored() -> None:
    parser = SSEParser()
    assert parser.feed(b"DATA: no\nEvent: no\nID: no\nRetry: 5\nfoo: bar\ndata: yes\n\n") == [
        E("yes")
    ]
    assert parser.retry is None
    assert parser.last_event_id == ""


def test_exactly_one_leading_space_is_removed() -> None:
    parser = SSEParser()
    assert parser.feed(b"data:none\ndata: one\ndata:  two\ndata:\tTab\n\n") == [
        E("none\none\n two\n\tTab")
    ]


def test_colon_in_value_is_kept() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a:b: c\nevent: x:y\n\n") == [E("a:b: c", "x:y")]


def test_bare_id_line_resets_the_id() -> None:
    parser = SSEParser()
    assert parser.feed(b"id: 5\ndata: a\n\nid\ndata: b\n\n") == [E("a", id="5"), E("b")]
    assert parser.last_event_id == ""


def test_long_line_in_many_small_chunks() -> None:
    value = "v" * 300_000
    raw = f"data: {value}\n\n".encode()
    parser = SSEParser()
    events: list[ServerSentEvent] = []
    for i in range(0, len(raw), 7):
        events += parser.feed(raw[i : i + 7])
    assert events == [E(value)]


def test_events_from_one_chunk_come_back_in_order() -> None:
    parser = SSEParser()
    raw = b"".join(f"id: {i}\ndata: {i}\n\n".encode() for i in range(1000))
    events = parser.feed(raw)
    assert [e.data for e in events] == [str(i) for i in range(1000)]
    assert parser.last_event_id == "999"


def test_empty_feed_returns_nothing() -> None:
    parser = SSEParser()
    assert parser.feed(b"") == []
    assert parser.end() == []
    assert parser.last_event_id == ""
    assert parser.retry is None


def test_event_is_a_frozen_value() -> None:
    event = E("x")
    assert (event.data, event.event, event.id, event.retry) == ("x", "message", "", None)
    with pytest.raises(AttributeError):
        event.data = "y"  # type: ignore[misc]
