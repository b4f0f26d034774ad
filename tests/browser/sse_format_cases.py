"""Input -> expected-event tables for the event stream format (WHATWG HTML, server-sent events).

Ported from the web-platform-tests ``eventsource/format-*`` cases (their ``message.py`` sends the
message, then "\\n\\n" unless ``newline=none``, then "\\n"; the bodies below include that tail),
plus cases for rules WPT checks only through timing or not at all, and for bugs seen in other
clients (httpx-sse #35 phantom event after a comment, ``retry: +5`` accepted, lines without a
colon dropped). Each case is run whole, byte by byte, split at every position and in small pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

# (type, data, id): id is the last event id in force when the event fired.
Event = tuple[str, str, str]

LONG = "x" * 2048


@dataclass(frozen=True)
class FormatCase:
    name: str
    body: bytes
    events: tuple[Event, ...]
    last_event_id: str = ""  # committed after the body ended
    retry: int | None = None
    start_id: str = ""  # id in force before the body (a resumed stream)


def _msg(data: str, event_id: str = "") -> Event:
    return ("message", data, event_id)


_NUL_IDS = ["\0\0", "x\0", "\0x", "x\0x", " \0"]

CASES: tuple[FormatCase, ...] = (
    # --- web-platform-tests eventsource/format-* ---
    FormatCase(
        "wpt-bom",
        b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n\n",
        (_msg("1"), _msg("3")),
    ),
    FormatCase(
        "wpt-bom-2",
        b"\xef\xbb\xbf\xef\xbb\xbfdata:1\n\ndata:2\n\ndata:3\n\n\n",
        (_msg("2"), _msg("3")),
    ),
    FormatCase(
        "wpt-comments",
        (
            f"data:1\r:\0\n:\r\ndata:2\n:{LONG}\rdata:3\n:data:fail\r:{LONG}\ndata:4\n" + "\n"
        ).encode(),
        (_msg("1\n2\n3\n4"),),
    ),
    FormatCase(
        "wpt-data-before-final-empty-line",
        b"retry:1000\ndata:test1\n\nid:test\ndata:test2\n",
        (_msg("test1"),),
        last_event_id="",
        retry=1000,
    ),
    FormatCase(
        "wpt-field-data",
        b"data:\n\ndata\ndata\n\ndata:test\n\n\n",
        (_msg(""), _msg("\n"), _msg("test")),
    ),
    FormatCase("wpt-field-event-empty", b"event: \ndata:data\n\n\n", (_msg("data"),)),
    FormatCase(
        "wpt-field-event",
        b"event:test\ndata:x\n\ndata:x\n\n\n",
        (("test", "x", ""), _msg("x")),
    ),
    FormatCase(
        "wpt-field-id",
        "id: …\nretry: 200\ndata: hello\n\n".encode(),
        (_msg("hello", "…"),),
        last_event_id="…",
        retry=200,
    ),
    *(
        FormatCase(
            f"wpt-field-id-null-{index}",
            f"id: {value}\nretry: 200\ndata: hello\n\n".encode(),
            (_msg("hello"),),
            retry=200,
        )
        for index, value in enumerate(_NUL_IDS)
    ),
    FormatCase(
        "wpt-field-id-persists",
        b"id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n",
        (_msg("1", "1"), _msg("2", "1"), _msg("3", "2"), _msg("4", "2")),
        last_event_id="2",
    ),
    FormatCase(
        "wpt-field-id-resets",
        b"id: 1\ndata: 1\n\nid: \ndata: 2\n\ndata: 3\n\n",
        (_msg("1", "1"), _msg("2"), _msg("3")),
    ),
    FormatCase(
        "wpt-field-id-resets-without-colon",
        b"id: 1\ndata: 1\n\nid\ndata: 2\n\ndata: 3\n\n",
        (_msg("1", "1"), _msg("2"), _msg("3")),
    ),
    FormatCase(
        "wpt-field-parsing",
        (
            "data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\r"
            "data:\r\n data:32\ndata:4\n" + "\n"
        ).encode(),
        (_msg("\0\n 2\n1\n3\n\n4"),),
    ),
    FormatCase(
        "wpt-field-retry-bogus", b"retry:3000\nretry:1000x\ndata:x\n\n\n", (_msg("x"),), retry=3000
    ),
    FormatCase("wpt-field-retry-empty", b"retry\ndata:test\n\n\n", (_msg("test"),)),
    FormatCase("wpt-field-retry", b"retry:03000\ndata:x\n\n\n", (_msg("x"),), retry=3000),
    FormatCase(
        "wpt-field-unknown",
        b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n\n",
        (_msg("test\n\ntest"),),
    ),
    FormatCase(
        "wpt-leading-space", b"data:\ttest\rdata: \ndata:test\n\n\n", (_msg("\ttest\n\ntest"),)
    ),
    FormatCase(
        "wpt-newlines", b"data:test\r\ndata\ndata:test\r\n\r" + b"\n", (_msg("test\n\ntest"),)
    ),
    FormatCase("wpt-null-character", b"data:\0\n\n\n\n\n", (_msg("\0"),)),
    FormatCase("wpt-utf-8", "data:ok…\n\n\n".encode(), (_msg("ok…"),)),
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
        (("progress", '{"done": 1}', "7"),),
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
    FormatCase("retry-zero", b"retry: 0\ndata: x\n\n", (_msg("x"),), retry=0),
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
        (("a", "1", ""), _msg("2")),
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
