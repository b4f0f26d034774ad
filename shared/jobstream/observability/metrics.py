"""CloudWatch metrics through Powertools' EMF provider: one sink per process, safe across threads.

Why a wrapper around Powertools' EMF provider: jobstream records metrics from helper threads (the
step committer's timer, the stream's inline driver) while the invocation's thread may flush, and
Powertools' metric set is a plain shared dict. And Powertools warns when asked to flush an empty
set, which is legitimate here (a stream refused with a 4xx, an invocation that wrote nothing).
"""

from __future__ import annotations

import os
import threading
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

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
    """Powertools' EMF provider behind a lock. A provider of its own, not ``Metrics()``: every
    ``Metrics`` instance shares one class-level metric set, which would mix this sink's metrics
    with anyone else's (and a test's with the next test's)."""

    def __init__(self, provider: AmazonCloudWatchEMFProvider) -> None:
        self._provider = provider
        self._lock = threading.Lock()

    def count(self, name: MetricName, value: float = 1) -> None:
        self._add(name, MetricUnit.Count, value)

    def milliseconds(self, name: MetricName, value: float) -> None:
        self._add(name, MetricUnit.Milliseconds, value)

    def flush(self) -> None:
        """Publish what was recorded (one EMF line on stdout); nothing at all if nothing was."""
        with self._lock:
            # The provider's own set, not a flag of ours: Powertools also publishes by itself
            # (every 100 values of a metric) and empties the set when it does.
            if not self._provider.metric_set:
                return
            self._provider.flush_metrics()

    def _add(self, name: MetricName, unit: MetricUnit, value: float) -> None:
        with self._lock:
            self._provider.add_metric(name=name.value, unit=unit, value=value)


def _namespace() -> str:
    return os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE


def metrics_sink() -> MetricsSink:
    """A sink configured from the environment. Each handler module makes one when it is loaded
    (one function per container, so one per container); nothing here talks to AWS."""
    provider = AmazonCloudWatchEMFProvider(namespace=_namespace(), service=SERVICE)
    stage = os.environ.get(STAGE_ENV)
    if stage:
        provider.set_default_dimensions(stage=stage)
    return MetricsSink(provider)
