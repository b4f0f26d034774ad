"""Conformance cases for the SSE parser, ported as data: bytes on the wire -> expected events.

Two public suites:
- web-platform-tests (github.com/web-platform-tests/wpt, folder eventsource/): each browser test
  loads a small server script; the bytes below are what that script sends. Where a test is about
  the browser (MIME checks, reconnection timing) only the byte format is ported, as each case's
  `note` says. A browser reconnects when a body ends and keeps its last event id; a case with
  several bodies models that by calling `end()` between them on the same parser.
- eventsource-parser (github.com/rexxars/eventsource-parser, test/fixtures.ts, test/parse.test.ts,
  test/stream.test.ts, test/multibyte.ts): its tests feed JavaScript strings; here they are the
  UTF-8 bytes of those strings, keeping the chunks the fixture sends (`as_sent`).
"""

from __future__ import annotations

from dataclasses import dataclass

from jobstream_client.sse import ServerSentEvent as E

Body = tuple[bytes, ...]  # one response body, as the chunks its source sends


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # repository path the input/expected pair comes from
    bodies: tuple[Body, ...]
    expected: tuple[E, ...]
    last_event_id: str = ""  # parser.last_event_id after the last body ended
    retry: int | None = None  # parser.retry after the last body ended
    note: str = ""

    @property
    def id(self) -> str:
        return self.name


def body(*chunks: str | bytes) -> Body:
    return tuple(c.encode() if isinstance(c, str) else c for c in chunks)


def case(
    name: str,
    source: str,
    bodies: Body | list[Body],
    expected: list[E],
    *,
    last_event_id: str = "",
    retry: int | None = None,
    note: str = "",
) -> Case:
    """One body, or a list of bodies read one after another by the same parser (reconnects)."""
    return Case(
        name=name,
        source=source,
        bodies=tuple(bodies) if isinstance(bodies, list) else (bodies,),
        expected=tuple(expected),
        last_event_id=last_event_id,
        retry=retry,
        note=note,
    )


# --------------------------------------------------------------------------------------------
# web-platform-tests eventsource/format-*.  Most use resources/message.py, whose body is
# `message + ("" if newline=none else "\n\n") + "\n"` (checked in resources/message.py and
# the older resources/message.php).
def wpt_message(message: str | bytes, *, newline: bool = True) -> Body:
    raw = message.encode() if isinstance(message, str) else message
    return (raw + (b"\n\n" if newline else b"") + b"\n",)


def last_event_id_py(idvalue: bytes = "…".encode()) -> Body:
    # resources/last-event-id.py (and .php) when the request carries no Last-Event-ID.
    return (b"id: " + idvalue + b"\nretry: 200\ndata: hello\n\n",)


def last_event_id_py_echo(last_event_id: str) -> Body:
    # ... and when it does: the id comes back as data.
    return (b"data: " + last_event_id.encode() + b"\n\n",)


BOM = b"\xef\xbb\xbf"
LONG = "x" * (2 * 1024)  # format-comments.js: `(new Array(2*1024+1)).join("x")`
WPT = "web-platform-tests/wpt eventsource/"

WPT_CASES: list[Case] = [
    # eventsource/format-bom.js
    case(
        "wpt-format-bom",
        WPT + "format-bom.js",
        wpt_message(BOM + b"data:1\n\n" + BOM + b"data:2\n\ndata:3"),
        [E("1"), E("3")],
        note="only the first BOM is stripped; the second makes its line an unknown field",
    ),
    # eventsource/format-bom-2.any.js
    case(
        "wpt-format-bom-2",
        WPT + "format-bom-2.any.js",
        wpt_message(BOM + BOM + b"data:1\n\ndata:2\n\ndata:3"),
        [E("2"), E("3")],
    ),
    # eventsource/format-comments.js
    case(
        "wpt-format-comments",
        WPT + "format-comments.js",
        wpt_message(
            "data:1\r:\0\n:\r\ndata:2\n:" + LONG + "\rdata:3\n:data:fail\r:" + LONG + "\ndata:4\n",
            newline=False,
        ),
        [E("1\n2\n3\n4")],
    ),
    # eventsource/format-data-before-final-empty-line.js: the unterminated block (with its id) is
    # discarded; the browser reconnects, gets the same body and must still report id "".
    case(
        "wpt-format-data-before-final-empty-line",
        WPT + "format-data-before-final-empty-line.js",
        [
            wpt_message("retry:1000\ndata:test1\n\nid:test\ndata:test2", newline=False),
            wpt_message("retry:1000\ndata:test1\n\nid:test\ndata:test2", newline=False),
        ],
        [E("test1", retry=1000), E("test1", retry=1000)],
        last_event_id="",
        retry=1000,
    ),
    # eventsource/format-field-data.js
    case(
        "wpt-format-field-data",
        WPT + "format-field-data.js",
        wpt_message("data:\n\ndata\ndata\n\ndata:test"),
        [E(""), E("\n"), E("test")],
    ),
    # eventsource/format-field-event.htm
    case(
        "wpt-format-field-event",
        WPT + "format-field-event.htm",
        wpt_message("event:test\ndata:x\n\ndata:x"),
        [E("x", event="test"), E("x")],
    ),
    # eventsource/format-field-event-empty.htm
    case(
        "wpt-format-field-event-empty",
        WPT + "format-field-event-empty.htm",
        wpt_message("event: \ndata:data"),
        [E("data")],
    ),
    # eventsource/format-field-id.htm: first body from resources/last-event-id.py, then the
    # reconnect (Last-Event-ID: U+2026) echoes the id as data; the id persists into that event.
    case(
        "wpt-format-field-id",
        WPT + "format-field-id.htm",
        [last_event_id_py(), last_event_id_py_echo("…")],
        [E("hello", id="…", retry=200), E("…", id="…")],
        last_event_id="…",
        retry=200,
    ),
    # eventsource/format-field-id-2.any.js: the same server, reconnecting twice.
    case(
        "wpt-format-field-id-2",
        WPT + "format-field-id-2.any.js",
        [last_event_id_py(), last_event_id_py_echo("…"), last_event_id_py_echo("…")],
        [E("hello", id="…", retry=200), E("…", id="…"), E("…", id="…")],
        last_event_id="…",
        retry=200,
    ),
    # eventsource/format-field-id-3.htm with resources/last-event-id2.py?type=1,2,3
    case(
        "wpt-format-field-id-3-persists",
        WPT + "format-field-id-3.htm",
        body("id: 1\ndata: 1\n\ndata:2\n\n"),
        [E("1", id="1"), E("2", id="1")],
        last_event_id="1",
    ),
    case(
        "wpt-format-field-id-3-changes-and-persists",
        WPT + "format-field-id-3.htm",
        body("id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n"),
        [E("1", id="1"), E("2", id="2"), E("3", id="2")],
        last_event_id="2",
    ),
    case(
        "wpt-format-field-id-3-resets",
        WPT + "format-field-id-3.htm",
        body("id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n"),
        [E("1", id="1"), E("2"), E("3")],
        last_event_id="",
    ),
    # eventsource/format-field-id-null.window.js (the current version; the older .htm expected
    # the NULs to be kept, which the spec has since changed): an id containing U+0000 is ignored,
    # so the reconnect carries no Last-Event-ID and gets "hello" again.
    *[
        case(
            f"wpt-format-field-id-null-{label}",
            WPT + "format-field-id-null.window.js",
            [last_event_id_py(idvalue), last_event_id_py(idvalue)],
            [E("hello", retry=200), E("hello", retry=200)],
            last_event_id="",
            retry=200,
        )
        for label, idvalue in [
            ("nul-nul", b"\0\0"),
            ("x-nul", b"x\0"),
            ("nul-x", b"\0x"),
            ("x-nul-x", b"x\0x"),
            ("space-nul", b" \0"),
        ]
    ],
    # eventsource/format-field-parsing.any.js
    case(
        "wpt-format-field-parsing",
        WPT + "format-field-parsing.any.js",
        wpt_message(
            "data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\r"
            "data:\r\n data:32\ndata:4\n",
            newline=False,
        ),
        [E("\0\n 2\n1\n3\n\n4")],
    ),
    # eventsource/format-field-retry.htm: "02000" is 2000 ms (not octal)
    case(
        "wpt-format-field-retry",
        WPT + "format-field-retry.htm",
        wpt_message("retry:02000\ndata:x"),
        [E("x", retry=2000)],
        retry=2000,
        note="the browser measures the reconnection delay; here the parsed value is checked",
    ),
    # eventsource/format-field-retry-bogus.htm
    case(
        "wpt-format-field-retry-bogus",
        WPT + "format-field-retry-bogus.htm",
        wpt_message("retry:2000\nretry:1000x\ndata:x"),
        [E("x", retry=2000)],
        retry=2000,
        note="the browser measures the reconnection delay; here the parsed value is checked",
    ),
    # eventsource/format-field-retry-empty.any.js
    case(
        "wpt-format-field-retry-empty",
        WPT + "format-field-retry-empty.any.js",
        wpt_message("retry\ndata:test"),
        [E("test")],
        retry=None,
    ),
    # eventsource/format-field-unknown.any.js
    case(
        "wpt-format-field-unknown",
        WPT + "format-field-unknown.any.js",
        wpt_message(
            "data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test"
        ),
        [E("test\n\ntest")],
    ),
    # eventsource/format-leading-space.any.js (a tab is not removed; a CR ends a line)
    case(
        "wpt-format-leading-space",
        WPT + "format-leading-space.any.js",
        wpt_message("data:\ttest\rdata: \ndata:test"),
        [E("\ttest\n\ntest")],
    ),
    # eventsource/format-newlines.any.js: the body ends "\r" + "\n", one CRLF
    case(
        "wpt-format-newlines",
        WPT + "format-newlines.any.js",
        wpt_message("data:test\r\ndata\ndata:test\r\n\r", newline=False),
        [E("test\n\ntest")],
    ),
    # eventsource/format-null-character.html
    case(
        "wpt-format-null-character",
        WPT + "format-null-character.html",
        wpt_message("data:\0\n\n"),
        [E("\0")],
    ),
    # eventsource/format-utf-8.any.js: served with charset=windows-1252, decoded as UTF-8 anyway
    case(
        "wpt-format-utf-8",
        WPT + "format-utf-8.any.js",
        wpt_message(b"data:ok\xe2\x80\xa6"),
        [E("ok…")],
        note="the Content-Type charset is ignored: the stream is always UTF-8",
    ),
    # eventsource/format-mime-*: the browser checks the Content-Type before parsing; the body is
    # message.py's default. The header side is test_encode.py's SSE_HEADERS test.
    *[
        case(
            f"wpt-{name}",
            WPT + f"{name}.{ext}",
            wpt_message("data: data"),
            [E("data")],
            note="MIME handling is the browser's; only the default body is ported",
        )
        for name, ext in [
            ("format-mime-bogus", "any.js"),
            ("format-mime-trailing-semicolon", "any.js"),
            ("format-mime-valid-bogus", "htm"),
        ]
    ],
    # eventsource/event-data.js with resources/message2.py (one iteration of its loop)
    case(
        "wpt-event-data",
        WPT + "event-data.js",
        body(
            "data:msg\n",
            "data: msg\n\n",
            ":\n",
            "falsefield:msg\n\n",
            "falsefield:msg\n",
            "Data:data\n\n",
            "data\n\n",
            "data:end\n\n",
        ),
        [E("msg\nmsg"), E(""), E("end")],
    ),
]

# The WPT format-* files; test_conformance.py checks every one has a case above.
WPT_FORMAT_FILES = [
    "format-bom",
    "format-bom-2",
    "format-comments",
    "format-data-before-final-empty-line",
    "format-field-data",
    "format-field-event",
    "format-field-event-empty",
    "format-field-id",
    "format-field-id-2",
    "format-field-id-3",
    "format-field-id-null",
    "format-field-parsing",
    "format-field-retry",
    "format-field-retry-bogus",
    "format-field-retry-empty",
    "format-field-unknown",
    "format-leading-space",
    "format-mime-bogus",
    "format-mime-trailing-semicolon",
    "format-mime-valid-bogus",
    "format-newlines",
    "format-null-character",
    "format-utf-8",
]


# --------------------------------------------------------------------------------------------
# eventsource-parser
EP = "rexxars/eventsource-parser "
FIXTURES = EP + "test/fixtures.ts"
PARSE_TEST = EP + "test/parse.test.ts"
DONE = "event: done\ndata: ✔\n\n"  # formatEvent({event: 'done', data: '✔'})

# test/multibyte.ts MULTIBYTE_LINES, and the first emoji of MULTIBYTE_EMOJIS (ZWJ written out).
MULTIBYTE_LINES = [
    "Blåbærsyltetøy må da være mulig å oppdrive?",
    "በእርግጥ አንድ ሰው ብሉቤሪ ጃምን መግዛት መቻል አለበት?",
    "بالتأكيد يجب أن يكون المرء قادرا على شراء مربى التوت؟",
    "一定能买到蓝莓果酱吗？",  # noqa: RUF001 - the fixture's full-width question mark
    "ચોક્કસ એક બ્લુબેરી જામ મેળવવા માટે સમર્થ હોવા જ જોઈએ?",
    "בטח אפשר להשיג ריבת אוכמניות?",
    "निश्चित रूप से किसी को ब्लूबेरी जैम खरीदने में सक्षम होना चाहिए?",
    "Bê guman pêdivî ye ku meriv karibe jama şînê peyda bike?",
    "ប្រាកដណាស់ មនុស្សម្នាក់ត្រូវតែអាចទិញយៈសាពូនមី blueberry បានទេ?",
    "ಖಂಡಿತವಾಗಿಯೂ ಒಬ್ಬರು ಬ್ಲೂಬೆರ್ರಿ ಜಾಮ್ ಅನ್ನು ಸಂಗ್ರಹಿಸಲು ಶಕ್ತರಾಗಿರಬೇಕು?",
    "確かにブルーベリージャムを調達できなければなりませんか？",  # noqa: RUF001
    "Невже треба вміти добути варення з чорниці?",
    "แน่นอนว่าจะต้องสามารถจัดหาแยมบลูเบอร์รี่ได้?",
    "Сигурно некој мора да може да набави џем од боровинки?",
]
MULTIBYTE_EMOJIS = [
    "\U0001f636\u200d\U0001f32b\ufe0f",
    "\U0001f62e\u200d\U0001f4a8",
    "\U0001f635\u200d\U0001f4ab",
    "\u2764\ufe0f\u200d\U0001f525",
    "\U0001f9d4\U0001f3fb\u200d\u2642\ufe0f",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
]


def _multibyte_fixture() -> tuple[Body, list[E]]:
    # getMultibyteFixtureStream: per line i, `id: i`, then the line plus emojis as one data line,
    # or (even i) as two data lines split after 5 characters.
    per = -(-len(MULTIBYTE_EMOJIS) // len(MULTIBYTE_LINES))
    chunks: list[str] = []
    expected: list[E] = []
    for i, text in enumerate(MULTIBYTE_LINES):
        line = text + " " + " ".join(MULTIBYTE_EMOJIS[per * i : per * i + per])
        chunks.append(f"id: {i}\n")
        if i % 2 == 0:
            chunks += [f"data:{line[:5]}\n", f"data:{line[5:]}\n\n"]
            expected.append(E(line[:5] + "\n" + line[5:], id=str(i)))
        else:
            chunks.append(f"data:{line}\n\n")
            expected.append(E(line, id=str(i)))
    chunks.append(DONE)
    expected.append(E("✔", event="done", id=str(len(MULTIBYTE_LINES) - 1)))
    return body(*chunks), expected


_MB_BODY, _MB_EXPECTED = _multibyte_fixture()
_JSON_ERROR = (
    '{"error":"Internal Server Error","message":"The server could not process your request"}'
)

EVENTSOURCE_PARSER_CASES: list[Case] = [
    # fixtures.ts getBasicFixtureStream
    case(
        "ep-basic",
        FIXTURES,
        body(*(f"data: {i}\n\n" for i in range(5)), DONE),
        [E("0"), E("1"), E("2"), E("3"), E("4"), E("✔", event="done")],
    ),
    # getTimeFixtureStreamChunked: each event split in two (fixed times and ids stand in for
    # the fixture's clock and random ids)
    case(
        "ep-time-unbalanced-chunks",
        FIXTURES,
        body(
            "id: 51234\nevent: ti",
            "me\ndata: 2024-05-01T10:00:00.000Z\n\n",
            "id: 8",
            "\nevent: time\ndata: 2024-05-01T10:00:00.250Z\n\n",
        ),
        [
            E("2024-05-01T10:00:00.000Z", event="time", id="51234"),
            E("2024-05-01T10:00:00.250Z", event="time", id="8"),
        ],
        last_event_id="8",
    ),
    # getIdentifiedFixtureStream(1337)
    case(
        "ep-identified-with-retry",
        FIXTURES,
        body(
            "event: tick\nretry: 50\nid: 1337\ndata: 1337\n\n",
            "event: tick\nretry: 50\nid: 1338\ndata: 1338\n\n",
        ),
        [E("1337", "tick", "1337", 50), E("1338", "tick", "1338", 50)],
        last_event_id="1338",
        retry=50,
    ),
    # getHeartbeatsFixtureStream
    case(
        "ep-heartbeats",
        FIXTURES,
        body(*(s for c in "ABCDE" for s in (": ♥\n\n", f"data: {c}\n\n")), DONE),
        [E("A"), E("B"), E("C"), E("D"), E("E"), E("✔", event="done")],
    ),
    # getMultilineFixtureStream
    case(
        "ep-multiline",
        FIXTURES,
        body(
            "event: stock\n",
            "data: YHOO\n",
            "data: +2\n",
            "data: 10\n\n",
            "event: stock\n",
            "data: GOOG\n",
            "data: -8\n",
            "data: 1881\n\n",
            DONE,
        ),
        [E("YHOO\n+2\n10", "stock"), E("GOOG\n-8\n1881", "stock"), E("✔", "done")],
    ),
    # getMultibyteFixtureStream (with a subset of the emoji list)
    case("ep-multibyte", FIXTURES, _MB_BODY, _MB_EXPECTED, last_event_id="13"),
    # getMultibyteEmptyLineFixtureStream
    case(
        "ep-multibyte-empty-lines",
        FIXTURES,
        body("\n\n\n\nid: 1\ndata: 我現在都看實況不玩遊戲\n\n", DONE),
        [E("我現在都看實況不玩遊戲", id="1"), E("✔", "done", "1")],
        last_event_id="1",
    ),
    # parse.test.ts 'stream of leading bom'
    case(
        "ep-leading-bom",
        FIXTURES,
        body(BOM + b"data: bomful 1\n\n", "data: bomless 2\n\n", DONE),
        [E("bomful 1"), E("bomless 2"), E("✔", "done")],
    ),
    # getInvalidBomFixtureStream / getBomFixtureStream: a decoded U+FEFF and the raw BOM are the
    # same bytes on the wire
    case(
        "ep-multi-bom",
        FIXTURES,
        body(BOM + b"data: bomful 1\n\n", BOM + b"data: bomful 2\n\n", "data: bomless 3\n\n", DONE),
        [E("bomful 1"), E("bomless 3"), E("✔", "done")],
    ),
    # parse.test.ts 'UTF-8 BOM is stripped ...' and 'a decoded U+FEFF (from an ignoreBOM decoder)'
    case("ep-bom-hello", PARSE_TEST, body(BOM + b"data: hello\n\n"), [E("hello")]),
    case(
        "ep-bom-first-line",
        PARSE_TEST,
        body(BOM + b"data: first\ndata: second\n\n"),
        [E("first\nsecond")],
    ),
    # getCarriageReturnFixtureStream / getLineFeedFixtureStream / ...CarriageReturnLineFeed...
    case(
        "ep-carriage-returns",
        FIXTURES,
        body("data: dog\r", "data: bark\r\r", "data: cat\r", "data: meow\r\r", DONE),
        [E("dog\nbark"), E("cat\nmeow"), E("✔", "done")],
    ),
    case(
        "ep-line-feeds",
        FIXTURES,
        body("data: cow\n", "data: moo\n\n", "data: horse\n", "data: neigh\n\n", DONE),
        [E("cow\nmoo"), E("horse\nneigh"), E("✔", "done")],
    ),
    case(
        "ep-crlf",
        FIXTURES,
        body("data: sheep\r\n", "data: bleat\r\n\r\n", "data: pig\r\n", "data: oink\r\n\r\n", DONE),
        [E("sheep\nbleat"), E("pig\noink"), E("✔", "done")],
    ),
    # getCommentsFixtureStream
    case(
        "ep-comments",
        FIXTURES,
        body(
            ": Hello\n\n",
            ":" * 300,
            "\n",
            "data: First\n\n",
            ": Первый",
            ": 第二",
            "\n",
            "data: Second\n\n",
            *([": Moop \n"] * 10),
            ": ثالث",
            "\n",
            "data: Third\n\n",
            ":നാലാമത്തെ",
            "\n",
            "data: Fourth\n\n",
            ": " + " ".join(MULTIBYTE_EMOJIS) + " :",
            "\n",
            "data: Fifth\n\n",
            DONE,
        ),
        [E("First"), E("Second"), E("Third"), E("Fourth"), E("Fifth"), E("✔", "done")],
    ),
    # getMixedCommentsFixtureStream: `data:5` has no line end, so it never fires
    case(
        "ep-mixed-comments",
        FIXTURES,
        body(
            "data:1\r\r:\0\n:\r\ndata:2\n\n:",
            "x" * (2 * 1024 + 1),
            "\rdata:3\n\n:data:fail\r:",
            "x" * (2 * 1024 + 1),
            "\ndata:4\n\n",
            "data:5",
        ),
        [E("1"), E("2"), E("3"), E("4")],
    ),
    # getEmptyEventsFixtureStream
    case(
        "ep-empty-event-field",
        FIXTURES,
        body("event:\ndata: Hello 1\n\n", "event:\n\n", DONE),
        [E("Hello 1"), E("✔", "done")],
    ),
    # getEmptyRetryFixtureStream(0, 1, 2)
    case(
        "ep-empty-retry",
        FIXTURES,
        body("retry: 500\nid: 1\ndata: 🥌\n\n", "id:2\nretry:\ndata:🧹\n\n", "id: 3\ndata: ✅\n\n"),
        [E("🥌", id="1", retry=500), E("🧹", id="2"), E("✅", id="3")],
        last_event_id="3",
        retry=500,
    ),
    # getDataFieldParsingFixtureStream
    case(
        "ep-data-field-parsing",
        FIXTURES,
        body("data:\n\ndata\ndata\n\ndata:test\n\n", DONE),
        [E(""), E("\n"), E("test"), E("✔", "done")],
    ),
    # getInvalidRetryFixtureStream
    case(
        "ep-invalid-retry",
        FIXTURES,
        body("retry:1000\nretry:2000x\ndata:x\n\n"),
        [E("x", retry=1000)],
        retry=1000,
    ),
    # getUnknownFieldsFixtureStream
    case(
        "ep-unknown-fields",
        FIXTURES,
        body(
            "data:abc\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:123\n\n",
            DONE,
        ),
        [E("abc\n\n123"), E("✔", "done")],
    ),
    # parse.test.ts 'stream with cr separating chunks of same event' (issue #17)
    case(
        "ep-cr-separating-chunks",
        PARSE_TEST,
        body("data: A\r\n", "data: B\r", "\n", "data: C\r\n", "\n"),
        [E("A\nB\nC")],
    ),
    # 'stream with `id` field containing a NULL character'
    case(
        "ep-id-with-null",
        PARSE_TEST,
        body("id: 123\nid: bad\0id\ndata: hello\n\n"),
        [E("hello", id="123")],
        last_event_id="123",
    ),
    # 'reports an `id` from a block without data when the block is dispatched', step by step
    case("ep-id-without-data", PARSE_TEST, body("id: 42\n", "\n"), [], last_event_id="42"),
    case(
        "ep-id-without-data-then-null-id",
        PARSE_TEST,
        body("id: 42\n", "\n", "id: bad\0id\n\n"),
        [],
        last_event_id="42",
    ),
    case(
        "ep-id-without-data-then-empty-id",
        PARSE_TEST,
        body("id: 42\n", "\n", "id: bad\0id\n\n", "id:\n\n"),
        [],
        last_event_id="",
    ),
    # 'reports an `id` before dispatching an event from the same block'
    case(
        "ep-id-and-data-same-block",
        PARSE_TEST,
        body("id: 42\ndata: hello\n\n"),
        [E("hello", id="42")],
        last_event_id="42",
    ),
    # 'reports an `id` from a block using CR / CRLF line endings'
    case("ep-id-block-cr", PARSE_TEST, body("id: 42\r\r"), [], last_event_id="42"),
    case("ep-id-block-crlf", PARSE_TEST, body("id: 42\r\n\r\n"), [], last_event_id="42"),
    # 'stream with incorrect retry fields'
    case(
        "ep-incorrect-retry-fields",
        PARSE_TEST,
        body("\nretry: 500\n\ndata: first\n\nretry: 50x\n\ndata: second\n\n"),
        [E("first"), E("second")],
        retry=500,
    ),
    # 'skips onError when the stream is invalid but not newline-terminated'
    case("ep-json-unterminated", PARSE_TEST, body(_JSON_ERROR), []),
    # 'calls onError when the stream is invalid (through newline)': an unknown field, no event
    case("ep-json-line", PARSE_TEST, body(_JSON_ERROR + "\n"), []),
    # 'calls onError when the stream is invalid (no field separator)'
    case("ep-no-field-separator", PARSE_TEST, body("Well, this is not what I expected\n"), []),
    # The maxBufferSize tests, for their byte format (this parser has no size limit)
    case(
        "ep-unknown-field-split",
        PARSE_TEST,
        body(
            "unknown-field",
            ": this content is ignored even without a terminator",
            "\ndata: ok\n\n",
        ),
        [E("ok")],
    ),
    case(
        "ep-datax-field-split",
        PARSE_TEST,
        body("datax", ": this started like data, but is not a valid field", "\ndata: ok\n\n"),
        [E("ok")],
    ),
    case("ep-split-field-name", PARSE_TEST, body("da", "ta\n\n"), [E("")]),
    case("ep-pending-fragment", PARSE_TEST, body("data: short", " and now too long"), []),
    case(
        "ep-long-comment-split",
        PARSE_TEST,
        body(":" * 64, "this content is ignored even without a terminator", "\ndata: ok\n\n"),
        [E("ok")],
    ),
    case(
        "ep-comment-crlf",
        PARSE_TEST,
        body("data: one\n:", "ignored\r\ndata: two\n\n"),
        [E("one\ntwo")],
    ),
    case(
        "ep-comment-crlf-split",
        PARSE_TEST,
        body("data: one\n:", "ignored\r", "\ndata: two\n\n"),
        [E("one\ntwo")],
    ),
    case(
        "ep-comment-bare-cr-at-boundary",
        PARSE_TEST,
        body("data: one\n:", "ignored\r", "data: two\n\n"),
        [E("one\ntwo")],
    ),
    case(
        "ep-comment-with-own-bare-cr",
        PARSE_TEST,
        body("data: one\n:ignored\r", "data: two\n\n"),
        [E("one\ntwo")],
    ),
    case(
        "ep-comment-trailing-cr-then-lf",
        PARSE_TEST,
        body("data: one\n:ignored\r", "\ndata: two\n\n"),
        [E("one\ntwo")],
    ),
    case(
        "ep-bare-data-cr-at-boundary",
        PARSE_TEST,
        body("data: one\ndata\r", "\ndata: two\n\n"),
        [E("one\n\ntwo")],
    ),
    case("ep-garbage-cr", PARSE_TEST, body("garbage\r", "data: ok\n\n"), [E("ok")]),
    case("ep-blank-cr-line-split", PARSE_TEST, body("data: one\r", "\r", "\n"), [E("one")]),
    case("ep-comment-in-pieces", PARSE_TEST, body(":", "preserved", "\n"), []),
    case(
        "ep-data-without-blank-line",
        PARSE_TEST,
        body(*(f"data: chunk-{i}\n" for i in range(50))),
        [],
    ),
    case(
        "ep-many-small-events",
        PARSE_TEST,
        body(*(f"data: {i}\n\n" for i in range(100))),
        [E(str(i)) for i in range(100)],
    ),
    # 'maxBufferSize: undefined option means unbounded'
    case("ep-unbounded-unterminated", PARSE_TEST, body("data: " + "x" * 1_000_000), []),
    # stream.test.ts 'can use `EventSourceParserStream`'
    case(
        "ep-parser-stream",
        EP + "test/stream.test.ts",
        body(*(f"event: foo\nid: evt-{i}\ndata: Hello {i}\n\n" for i in range(10))),
        [E(f"Hello {i}", "foo", f"evt-{i}") for i in range(10)],
        last_event_id="evt-9",
    ),
]

ALL_CASES: list[Case] = WPT_CASES + EVENTSOURCE_PARSER_CASES
