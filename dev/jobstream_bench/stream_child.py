"""The stream function in a process of its own, for stream_cpu: its CPU time is the function's.

Run as ``python -m jobstream_bench.stream_child <spec.json>`` with the stream function's folder as
the working directory (its task root): imports ``app`` as Lambda does, invokes its handler with the
Function URL event in the spec, reads the body for the spec's seconds and writes what it measured
(process CPU time of the import, of the open up to the first body bytes, and of the watching) to
the spec's result file. Its stdout is the function's log, so the figures go to a file.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    before_import = time.process_time()
    # The handler module of the working directory, as Lambda loads it.
    app = importlib.import_module("app")
    imported = time.process_time()
    # The bench's own imports, after the handler's: whatever they share is then the handler's.
    from jobstream.invocation_context import InvocationContext
    from jobstream_local.cost.capacity import CapacityMeter

    context = InvocationContext.for_timeout(900, function_name="bench-stream")
    invoked = time.process_time()
    started = time.perf_counter()
    response = app.handler(spec["event"], context)
    body = iter(response.body)
    first = next(body)
    opened = time.process_time()
    first_byte_s = time.perf_counter() - started
    events = first.count(b"\nevent: ")
    # The handler's own store (built by the open), metered from here on: reads while watching.
    meter = CapacityMeter(app._store().client)
    watch_started = time.monotonic()
    # CPU time of this process while a viewer watches: the stream's polls, heartbeats and frames
    # (the DynamoDB server is another process).
    watch_cpu_started = time.process_time()
    with meter:
        for chunk in body:
            events += chunk.count(b"event: ")
            if time.monotonic() - watch_started >= spec["seconds"]:
                break
        watched_s = time.monotonic() - watch_started
        watch_cpu = time.process_time() - watch_cpu_started
    close = getattr(body, "close", None)
    if close is not None:
        close()
    Path(spec["result"]).write_text(
        json.dumps(
            {
                "status": response.status_code,
                "startup_cpu_s": before_import,
                "import_cpu_s": imported - before_import,
                "open_cpu_s": opened - invoked,
                "first_byte_s": first_byte_s,
                "watched_s": watched_s,
                "watch_cpu_s": watch_cpu,
                "events": events,
                "queries": meter.usage().requests.get("Query", 0),
                "read_units": meter.usage().read_units,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
