"""CloudWatch metrics through Powertools' EMF provider: one sink per process, safe across threads.

Why a wrapper around ``Metrics``: jobstream records metrics from helper threads (the step
committer's timer, the stream's inline driver) while the invocation's thread may flush, and
Powertools' metric set is a plain shared dict. And Powertools warns when asked to flush an empty
set, which is legitimate here (a stream refused with a 4xx, an invocation that wrote nothing).
"""

from __future__ import annotations

import os
import threading
from enum import StrEnum
from functools import cache

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

DEFAULT_NAMESPACE = "jobstream"
SERVICE = "jobstream"
# Set by template.yaml from its Stage parameter: one stack per stage shares the namespace.
STAGE_ENV = "JOBSTREAM_STAGE"
NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"


class MetricName(StrEnum):
    # Event log writes (AppendMetrics)
    EVENTS_EMITTED = "EventsEmitted"
    EVENT_LOG_WRITES = "EventLogWrites"
    EVENTS_PER_WRITE = "EventsPerWrite"
    # Worker chunks (observe_worker)
    WORKER_HOPS = "WorkerHops"
    WORKER_EVENTS_REJECTED = "WorkerEventsRejected"
    CHUNK_DURATION = "ChunkDuration"
    CHUNK_STEPS = "ChunkSteps"
    # Streams (StreamMetrics)
    STREAMS = "Streams"
    RECONNECTS = "Reconnects"
    EVENTS_STREAMED = "EventsStreamed"
    EVENTS_REPLAYED = "EventsReplayed"
    STREAM_POLLS = "StreamPolls"
    HEARTBEATS = "Heartbeats"


class MetricsSink:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._lock = threading.Lock()
        self._pending = False

    def count(self, name: MetricName, value: float = 1) -> None:
        self._add(name, MetricUnit.Count, value)

    def milliseconds(self, name: MetricName, value: float) -> None:
        self._add(name, MetricUnit.Milliseconds, value)

    def flush(self) -> None:
        """Publish what was recorded (one EMF line on stdout); nothing at all if nothing was."""
        with self._lock:
            if not self._pending:
                return
            self._pending = False
            self._metrics.flush_metrics()

    def _add(self, name: MetricName, unit: MetricUnit, value: float) -> None:
        with self._lock:
            self._metrics.add_metric(name=name.value, unit=unit, value=value)
            self._pending = True


def _namespace() -> str:
    return os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE


@cache
def metrics_sink() -> MetricsSink:
    """The process's sink (Powertools shares one metric set per process anyway)."""
    metrics = Metrics(namespace=_namespace(), service=SERVICE)
    stage = os.environ.get(STAGE_ENV)
    if stage:
        metrics.set_default_dimensions(stage=stage)
    return MetricsSink(metrics)
