"""Incremental Server-Sent Events parser following the WHATWG "event stream interpretation".

Hand-written because the parsers at hand each break a rule we rely on for resumption: httpx-sse
0.4.3 dispatches a phantom empty event for a blank line after a comment once an id was seen
(its issue #35), accepts ``retry: +5`` / ``retry: 5_0`` / non-ASCII digits (it calls ``int()``)
and delays a line ended by a lone CR until the next chunk arrives.

Speed: bytes are decoded by the codec machinery and lines split with ``str.replace``/``str.split``;
Python code runs once per line, never once per character, and a long line arriving in many small
chunks is kept as a list of pieces (joined once) so it costs linear, not quadratic, time.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["SSEParser", "ServerSentEvent"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event. ``id`` is the last event id in force when it fired (it persists
    across events that carry none); ``retry`` is the valid ``retry`` value sent in the same block,
    if any."""

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None


def _new_decoder() -> codecs.IncrementalDecoder:
    # utf-8-sig drops exactly one BOM and only at the very start (even when it arrives split
    # across chunks); a second BOM decodes to U+FEFF and makes its line an unknown field, as
    # the spec wants. errors="replace" is what browsers do with invalid UTF-8.
    return codecs.getincrementaldecoder("utf-8-sig")(errors="replace")


class SSEParser:
    """Feed it the body's bytes as they arrive; it returns the events completed by each chunk.

    ``last_event_id`` is the id a reconnect should send as ``Last-Event-ID``: it changes only
    when a block is dispatched (a blank line), never for a block cut off by the end of the body.
    ``retry`` is the last valid reconnection delay (ms) seen, applied as soon as its line ends.

    After ``end()`` the same parser can read the next connection's body: buffers start afresh
    but ``last_event_id`` and ``retry`` carry over, so events without an id keep the id the
    reconnect resumed from (what browsers do; pass ``last_event_id`` to start a parser that way).
    """

    __slots__ = (
        "_data",
        "_decoder",
        "_event",
        "_id_buffer",
        "_pending",
        "_retry_in_block",
        "_skip_lf",
        "last_event_id",
        "retry",
    )

    def __init__(self, *, last_event_id: str = "") -> None:
        self.last_event_id = last_event_id
        self.retry: int | None = None
        self._reset_stream()

    def _reset_stream(self) -> None:
        self._decoder = _new_decoder()
        # Text after the last line break, kept in pieces until its line ends.
        self._pending: list[str] = []
        # The previous chunk ended with CR: an LF starting the next one completes that CRLF.
        self._skip_lf = False
        self._data: list[str] = []
        self._event = ""
        # WHATWG "last event ID buffer": set by id lines, committed to last_event_id on dispatch.
        self._id_buffer = self.last_event_id
        self._retry_in_block: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            # A trailing CR ends its line now (dispatching without waiting for more bytes);
            # remember it so a following LF is not read as an extra, empty line.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        elif "\n" not in text:
            self._pending.append(text)
            return []
        lines = text.split("\n")
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = "".join(self._pending)
        last = lines.pop()
        self._pending = [last] if last else []
        return self._process(lines)

    def end(self) -> list[ServerSentEvent]:
        """The body ended. The spec discards a block not closed by a blank line (its id is not
        committed), so nothing is ever returned; the parser is then ready for the next body."""
        self._decoder.decode(b"", final=True)
        self._reset_stream()
        return []

    def _process(self, lines: list[str]) -> list[ServerSentEvent]:
        # Hot loop: block state lives in locals and is written back once per chunk.
        events: list[ServerSentEvent] = []
        data = self._data
        event_type = self._event
        id_buffer = self._id_buffer
        retry_in_block = self._retry_in_block
        for line in lines:
            if not line:
                # Dispatch. The id is committed even when no event fires.
                self.last_event_id = id_buffer
                if data:
                    events.append(
                        ServerSentEvent(
                            "\n".join(data), event_type or "message", id_buffer, retry_in_block
                        )
                    )
                    data.clear()
                event_type = ""
                retry_in_block = None
                continue
            name, _, value = line.partition(":")
            if not name:
                continue  # a comment: the line started with ':'
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event_type = value
            elif name == "id":
                if "\0" not in value:
                    id_buffer = value
            elif name == "retry" and value.isascii() and value.isdigit() and len(value) <= 4300:
                # isdigit() alone would accept "²" and int() alone "+5", " 5" or "5_0".
                # int() refuses more than 4300 digits; such a delay is meaningless anyway.
                self.retry = retry_in_block = int(value)
        self._event = event_type
        self._id_buffer = id_buffer
        self._retry_in_block = retry_in_block
        return events
