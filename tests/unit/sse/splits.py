"""Ways to cut a body into network chunks, and a runner that feeds a case through the parser."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence

from jobstream_client.sse import ServerSentEvent, SSEParser

Splitter = Callable[[Sequence[bytes]], list[bytes]]


def as_sent(chunks: Sequence[bytes]) -> list[bytes]:
    return list(chunks)


def whole(chunks: Sequence[bytes]) -> list[bytes]:
    return [b"".join(chunks)]


def bytewise(chunks: Sequence[bytes]) -> list[bytes]:
    data = b"".join(chunks)
    return [data[i : i + 1] for i in range(len(data))]


def random_splitter(seed: str) -> Splitter:
    """Cuts at random places (inside UTF-8 sequences and CRLF pairs too), reproducibly."""
    rng = random.Random(seed)

    def split(chunks: Sequence[bytes]) -> list[bytes]:
        data = b"".join(chunks)
        if len(data) < 2:
            return [data]
        count = rng.randint(1, min(len(data) - 1, 40))
        cuts = sorted(rng.sample(range(1, len(data)), count))
        return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]

    return split


def parse_bodies(
    bodies: Iterable[Sequence[bytes]], split: Splitter, parser: SSEParser | None = None
) -> tuple[list[ServerSentEvent], SSEParser]:
    """Feeds each body in turn to one parser, ending it after each (a reconnect in between)."""
    parser = parser or SSEParser()
    events: list[ServerSentEvent] = []
    for chunks in bodies:
        for chunk in split(chunks):
            events += parser.feed(chunk)
        events += parser.end()
    return events, parser
