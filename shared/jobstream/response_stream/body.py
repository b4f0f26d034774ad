"""Pull a response body one chunk at a time, and always close it.

Both writers of a streaming response (the Runtime API loop and the local Function URL server) pull
chunks through this one class, so they agree on what counts as a chunk and on closing the body's
generator (which runs its ``finally`` blocks: the stream's own clean-up) exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

logger = logging.getLogger(__name__)


class ResponseBody:
    def __init__(self, body: Iterable[bytes]) -> None:
        self._source = body
        self._iterator: Iterator[bytes] | None = None
        self._closed = False

    def next_chunk(self) -> bytes | None:
        """The next non-empty chunk, or None at the end. Raises whatever the body raises.

        Empty chunks are skipped: in chunked transfer encoding a zero-length chunk ends the body.
        A LastChunk (jobstream.response_stream.response) comes back as one: the writer ends the
        body after it.
        """
        if self._closed:
            return None
        if self._iterator is None:
            self._iterator = iter(self._source)
        for chunk in self._iterator:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise TypeError(f"response body chunks must be bytes, not {type(chunk).__name__}")
            if chunk:
                return chunk if isinstance(chunk, bytes) else bytes(chunk)
        return None

    def close(self) -> None:
        """Close the body's generator (if it is one); idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        target = self._iterator if self._iterator is not None else self._source
        close = getattr(target, "close", None)
        if not callable(close):
            return
        try:
            close()
        except Exception:
            logger.exception("Response body raised while closing")
