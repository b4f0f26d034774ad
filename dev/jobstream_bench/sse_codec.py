"""SSE encode and parse throughput: ours against sse-starlette's encoder and httpx-sse's parser.

The same events go through both sides: the frames a stream sends for a job's log (compact JSON
data, an integer id, a type). Encoders get the same (id, type, data) triples; parsers get the same
bytes, cut into the same network-sized chunks, and must return the same events (checked, so the
comparison is between parsers that agree on this input).

httpx-sse has no byte-level entry point: its ``EventSource.iter_sse`` decodes the body to text
(httpx's incremental UTF-8 decoder), splits lines with ``SSELineDecoder`` and feeds each line,
stripped of its newline, to ``SSEDecoder``. That pipeline is reproduced here line for line on the
same chunks, without an HTTP response around it (which would add the same cost to both sides).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from jobstream.sse.encode import encode_event
from jobstream_bench.stats import Summary, interleaved, rate
from jobstream_client.sse import SSEParser

# A little over the stream's own write size (tail/service.py writes ~32 KiB chunks), cut at
# arbitrary points, so lines and events straddle chunk boundaries as they do on the network.
CHUNK_BYTES = 16 * 1024

Triple = tuple[int, str, str]


@dataclass(frozen=True, slots=True)
class CodecResult:
    events: int
    payload_bytes: int
    rounds: int
    # events/s per contender, keyed "encode/ours", "encode/sse-starlette", "parse/ours", ...
    figures: dict[str, Summary]

    def ratio(self, operation: str, other: str) -> float:
        """Our median throughput over ``other``'s for ``operation`` (encode, parse, round trip)."""
        return (
            self.figures[f"{operation}/ours"].median / self.figures[f"{operation}/{other}"].median
        )


def sample_events(count: int) -> list[Triple]:
    """What a job's log looks like on the wire: mostly progress, some log lines and items."""
    triples: list[Triple] = []
    for number in range(1, count + 1):
        if number % 10 == 0:
            data: dict[str, object] = {"message": f"finished task {number}", "level": "info"}
            kind = "log"
        elif number % 7 == 0:
            data = {"key": f"item-{number}", "ok": True, "reason": None, "succeeded": number}
            kind = "item"
        else:
            data = {
                "done": number,
                "total": count,
                "percent": round(100 * number / count, 2),
                "phase": "process",
            }
            kind = "progress"
        triples.append((number, kind, json.dumps(data, separators=(",", ":"))))
    return triples


def encode_ours(triples: list[Triple]) -> list[bytes]:
    return [encode_event(id=i, event=kind, data=data) for i, kind, data in triples]


def encode_sse_starlette(triples: list[Triple]) -> list[bytes]:
    from sse_starlette.event import ServerSentEvent

    return [ServerSentEvent(data, event=kind, id=str(i)).encode() for i, kind, data in triples]


def chunked(payload: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    return [payload[start : start + size] for start in range(0, len(payload), size)]


def parse_ours(chunks: list[bytes]) -> list[tuple[str, str, str]]:
    parser = SSEParser()
    out: list[tuple[str, str, str]] = []
    for chunk in chunks:
        out.extend((e.id, e.event, e.data) for e in parser.feed(chunk))
    parser.end()
    return out


def parse_httpx_sse(chunks: list[bytes]) -> list[tuple[str, str, str]]:
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    # httpx.Response.iter_text: an incremental UTF-8 decoder, errors replaced.
    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    line_decoder = SSELineDecoder()
    decoder = SSEDecoder()
    out: list[tuple[str, str, str]] = []

    def lines() -> Iterator[str]:
        for chunk in chunks:
            text = text_decoder.decode(chunk)
            if text:
                yield from line_decoder.decode(text)
        yield from line_decoder.flush()

    for line in lines():
        sse = decoder.decode(line.rstrip("\n"))
        if sse is not None:
            out.append((sse.id, sse.event, sse.data))
    return out


def run(*, events: int = 20_000, rounds: int = 9) -> CodecResult:
    triples = sample_events(events)
    payload = b"".join(encode_ours(triples))
    chunks = chunked(payload)
    expected = [(str(i), kind, data) for i, kind, data in triples]
    # Same input, same output: otherwise the comparison would be meaningless.
    if parse_ours(chunks) != expected or parse_httpx_sse(chunks) != expected:
        raise AssertionError("the parsers disagree on the benchmark's input")
    if parse_ours(chunked(b"".join(encode_sse_starlette(triples)))) != expected:
        raise AssertionError("sse-starlette's frames do not parse back to the same events")

    def encoder(fn: Callable[[list[Triple]], list[bytes]]) -> Callable[[], float]:
        return lambda: rate(events, lambda: fn(triples))

    def parser(fn: Callable[[list[bytes]], object]) -> Callable[[], float]:
        return lambda: rate(events, lambda: fn(chunks))

    def round_trip(
        encode: Callable[[list[Triple]], list[bytes]],
        parse: Callable[[list[bytes]], object],
    ) -> Callable[[], float]:
        return lambda: rate(events, lambda: parse(chunked(b"".join(encode(triples)))))

    raw = interleaved(
        {
            "encode/ours": encoder(encode_ours),
            "encode/sse-starlette": encoder(encode_sse_starlette),
            "parse/ours": parser(parse_ours),
            "parse/httpx-sse": parser(parse_httpx_sse),
            "round trip/ours": round_trip(encode_ours, parse_ours),
            "round trip/sse-starlette + httpx-sse": round_trip(
                encode_sse_starlette, parse_httpx_sse
            ),
        },
        rounds=rounds,
    )
    return CodecResult(
        events=events,
        payload_bytes=len(payload),
        rounds=rounds,
        figures={name: Summary.of(values) for name, values in raw.items()},
    )
