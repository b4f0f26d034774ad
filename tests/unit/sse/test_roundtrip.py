"""Property: whatever we encode, a spec parser reads back, however the network cuts the bytes.

For any list of events, each with
  - data: any Unicode text, including LF, CR and CRLF line breaks anywhere,
  - event type: None or any text without CR, LF or NUL,
  - id: None or any text without CR, LF or NUL (or an int),
  - retry: None or an int >= 0,
the concatenated encode_event() bytes (with encode_comment() keep-alives in between), cut into
arbitrary chunks and fed to SSEParser, give back exactly one event per input event, in order, with
  - data == the input data with every CRLF, lone CR and lone LF replaced by one LF
    (the only change: line breaks in data are normalised to LF),
  - event == the input type, or "message" when it is None or "",
  - id == str() of the most recent id given so far (ids persist), "" before any,
  - retry == the input retry;
and afterwards parser.last_event_id is that last id and parser.retry the last retry given.

Its example budget is the Hypothesis profile's (tests/conftest.py): 1,000 in `make test`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from jobstream.sse import encode_comment, encode_event
from jobstream_client.sse import ServerSentEvent, SSEParser

_breaks = st.sampled_from(["\n", "\r", "\r\n"])
data_text = st.lists(st.one_of(st.text(max_size=12), _breaks), max_size=8).map("".join)
single_line = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\0"), max_size=12
)


@dataclass(frozen=True)
class In:
    data: str
    event: str | None
    id: str | int | None
    retry: int | None
    comment_before: str | None


events_in = st.lists(
    st.builds(
        In,
        data=data_text,
        event=st.none() | single_line,
        id=st.none() | single_line | st.integers(min_value=0, max_value=2**63),
        retry=st.none() | st.integers(min_value=0, max_value=10**12),
        comment_before=st.none() | data_text,
    ),
    max_size=6,
)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@given(inputs=events_in, data=st.data())
def test_encode_then_parse_in_random_chunks_round_trips(
    inputs: list[In], data: st.DataObject
) -> None:
    wire = b"".join(
        (encode_comment(i.comment_before) if i.comment_before is not None else b"")
        + encode_event(data=i.data, event=i.event, id=i.id, retry=i.retry)
        for i in inputs
    )
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(wire)), max_size=12), label="cuts")))
    chunks = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]

    parser = SSEParser()
    got: list[ServerSentEvent] = []
    for chunk in chunks:
        got += parser.feed(chunk)
    got += parser.end()

    expected: list[ServerSentEvent] = []
    last_id = ""
    last_retry: int | None = None
    for i in inputs:
        if i.id is not None:
            last_id = str(i.id)
        if i.retry is not None:
            last_retry = i.retry
        expected.append(ServerSentEvent(_normalise(i.data), i.event or "message", last_id, i.retry))
    assert got == expected
    assert parser.last_event_id == last_id
    assert parser.retry == last_retry
