"""A ResponseSink that prints: what a Function URL client would receive, as it is produced.

Streamed: ``HTTP <status>``, one ``name: value`` line per header (and ``set-cookie`` per cookie),
a blank line, then every body chunk written and flushed the moment the handler yields it. Buffered
(the API's Mangum result, the worker's reply): the result as indented JSON. A failed invocation
prints the error object Lambda would return, ``{"errorType", "errorMessage"}``.
"""

from __future__ import annotations

import json
from typing import BinaryIO, TextIO

from jobstream.response_stream.response import StreamingResponse


class PrintingSink:
    def __init__(self, out: BinaryIO, notes: TextIO) -> None:
        self._out = out
        self._notes = notes
        self.failed = False

    def send_result(self, result: object) -> None:
        self._write(json.dumps(result, indent=2, default=str).encode() + b"\n")

    def send_failure(self, error: Exception) -> None:
        self.failed = True
        report = {"errorType": type(error).__name__, "errorMessage": str(error)}
        self._write(json.dumps(report, indent=2).encode() + b"\n")
        self._note(f"invocation failed before the response began: {type(error).__name__}")

    def start_stream(self, response: StreamingResponse) -> bool:
        lines = [f"HTTP {response.status_code}"]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        lines += [f"set-cookie: {cookie}" for cookie in response.cookies]
        self._write(("\n".join(lines) + "\n\n").encode())
        return True

    def send_chunk(self, chunk: bytes) -> bool:
        try:
            self._write(chunk)
        except BrokenPipeError:
            # `make invoke ... | head`: the reader is gone, like a client that disconnected.
            return False
        return True

    def end_stream(self, error: Exception | None) -> None:
        if error is not None:
            self.failed = True
            self._note(f"the stream failed after it began: {type(error).__name__}")

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._out.flush()

    def _note(self, text: str) -> None:
        print(f"[invoke] {text}", file=self._notes, flush=True)
