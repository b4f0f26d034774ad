"""The stream service's ``on_close`` as metrics, published when the stream ends.

Published at the stream's end rather than by a handler decorator: the stream function's handler
returns before its body runs (the runtime streams the body afterwards), so a decorator would flush
before anything happened.
"""

from __future__ import annotations

from jobstream.observability.metrics import MetricName, MetricsSink
from jobstream.tail import StreamStats


class StreamMetrics:
    def __init__(self, sink: MetricsSink) -> None:
        self._sink = sink

    def closed(self, stats: StreamStats) -> None:
        sink = self._sink
        sink.count(MetricName.STREAMS)
        if stats.start_id > 0:
            # Opened with a Last-Event-ID (header or query): a client resuming.
            sink.count(MetricName.RECONNECTS)
        sink.count(MetricName.EVENTS_STREAMED, stats.events)
        sink.count(MetricName.EVENTS_REPLAYED, stats.replayed)
        sink.count(MetricName.STREAM_POLLS, stats.polls)
        sink.count(MetricName.HEARTBEATS, stats.heartbeats)
        # Also carries what an inline driver appended meanwhile (AppendMetrics on the same sink).
        sink.flush()
