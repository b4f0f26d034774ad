"""The store's AppendObserver as metrics: how many events reach the log, in how many writes."""

from __future__ import annotations

from jobstream.observability.metrics import MetricName, MetricsSink


class AppendMetrics:
    """Pass as ``JobStore(..., observer=AppendMetrics(sink))``.

    ``EventsPerWrite`` is recorded per append that carries events: its average is the coalescing
    the step committer achieves (DynamoDB cost per event = 1 / EventsPerWrite transactions).
    """

    def __init__(self, sink: MetricsSink) -> None:
        self._sink = sink

    def appended(self, job_id: str, *, events: int, writes: int) -> None:
        self._sink.count(MetricName.EVENT_LOG_WRITES, writes)
        if events:
            self._sink.count(MetricName.EVENTS_EMITTED, events)
            self._sink.count(MetricName.EVENTS_PER_WRITE, events / max(writes, 1))
