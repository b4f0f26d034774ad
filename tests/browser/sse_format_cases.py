"""Event stream format cases (WHATWG HTML, server-sent events) for the browser parser, on top of
the shared table in tests/unit/sse/conformance_cases.py (web-platform-tests and eventsource-parser
ports, which the browser test runs too): rules those suites check only through timing or not at
all, odd retry values, and a parser seeded with the id a resumed stream starts from.
"""

from __future__ import annotations

from dataclasses import dataclass

# (type, data, id, retry): id is the last event id in force when the event fired; retry is a
# valid retry value sent in the same block.
Event = tuple[str, str, str, int | None]


@dataclass(frozen=True)
class FormatCase:
    name: str
    body: bytes
    events: tuple[Event, ...]
    last_event_id: str = ""  # committed after the body ended
    retry: int | None = None
    start_id: str = ""  # id in force before the body (a resumed stream)


def _msg(data: str, event_id: str = "", retry: int | None = None) -> Event:
    return ("message", data, event_id, retry)


CASES: tuple[FormatCase, ...] = (
    # --- rules and known client bugs ---
    FormatCase(
        "comment-after-id-dispatches-nothing",  # httpx-sse issue #35
        b"id: 1\ndata: a\n\n: keepalive\n\n:\n\n",
        (_msg("a", "1"),),
        last_event_id="1",
    ),
    FormatCase(
        "crlf-everywhere",
        b'id: 7\r\nevent: progress\r\ndata: {"done": 1}\r\n\r\n',
        (("progress", '{"done": 1}', "7", None),),
        last_event_id="7",
    ),
    FormatCase("lone-cr", b"data: a\r\rdata: b\r\r", (_msg("a"), _msg("b"))),
    FormatCase("mixed-line-breaks", b"data: 1\r\ndata: 2\rdata: 3\n\r\n", (_msg("1\n2\n3"),)),
    FormatCase(
        "cr-then-crlf",  # "\r" ends a line; the "\r\n" after it is one more (empty) line
        b"data: a\r\r\ndata: b\r\n\r\n",
        (_msg("a"), _msg("b")),
    ),
    FormatCase("multibyte-characters", "data: ü✓😀\n\n".encode(), (_msg("ü✓😀"),)),
    FormatCase("invalid-utf-8-is-replaced", b"data: \xff\xfe ok\n\n", (_msg("\ufffd\ufffd ok"),)),
    FormatCase("bom-inside-a-value-is-kept", "data: \ufeffx\n\n".encode(), (_msg("\ufeffx"),)),
    FormatCase(
        "retry-digits-only",
        "retry: +5\nretry: 5_0\nretry: \uff15\nretry: -1\nretry:  7\nretry: 8 \nretry: ²\n"
        "retry: 1e3\nretry: 0x10\ndata: x\n\n".encode(),
        (_msg("x"),),
    ),
    FormatCase("retry-zero", b"retry: 0\ndata: x\n\n", (_msg("x", retry=0),), retry=0),
    FormatCase("retry-last-valid-wins", b"retry: 10\nretry: x\nretry: 20\n\n", (), retry=20),
    FormatCase("bare-data-is-an-empty-line", b"data\n\n", (_msg(""),)),
    FormatCase("bare-event-means-message", b"event: x\nevent\ndata: z\n\n", (_msg("z"),)),
    FormatCase(
        "field-names-are-case-sensitive", b"DATA: no\nData: no\ndata: yes\n\n", (_msg("yes"),)
    ),
    FormatCase("one-leading-space-only", b"data:  two\n\n", (_msg(" two"),)),
    FormatCase("colon-in-value", b"data: a:b: c\n\n", (_msg("a:b: c"),)),
    FormatCase(
        "id-keeps-inner-spaces", b"id:  5 \ndata: x\n\n", (_msg("x", " 5 "),), last_event_id=" 5 "
    ),
    FormatCase(
        "no-dispatch-on-empty-data-but-id-commits",
        b"event: x\n\n: c\n\nid: 5\n\nretry: 9\n\n",
        (),
        last_event_id="5",
        retry=9,
    ),
    FormatCase(
        "nul-id-keeps-previous",
        b"id: 3\ndata: a\n\nid: 4\0\ndata: b\n\n",
        (_msg("a", "3"), _msg("b", "3")),
        last_event_id="3",
    ),
    FormatCase(
        "event-type-does-not-persist",
        b"event: a\ndata: 1\n\ndata: 2\n\n",
        (("a", "1", "", None), _msg("2")),
    ),
    FormatCase(
        "unterminated-block-discarded-id-not-committed",
        b"id: 1\ndata: a\n\nid: 2\ndata: b",
        (_msg("a", "1"),),
        last_event_id="1",
    ),
    FormatCase("unterminated-block-after-line-break", b"data: a\n\nid: 9\ndata: b\n", (_msg("a"),)),
    FormatCase("only-comments", b": hello\n: world\n\n", ()),
    FormatCase("empty-body", b"", ()),
    FormatCase(
        "resumed-stream-starts-with-its-id",
        b"data: x\n\nid: 8\ndata: y\n\n",
        (_msg("x", "7"), _msg("y", "8")),
        last_event_id="8",
        start_id="7",
    ),
    FormatCase(
        "long-line-in-pieces",
        ("data: " + "y" * 5000 + "\n\n").encode(),
        (_msg("y" * 5000),),
    ),
)
