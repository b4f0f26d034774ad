"""Metrics for the Lambda handlers, with Powertools (logs are the handlers' own Logger).

- ``metrics.MetricsSink``: CloudWatch metrics as EMF log lines (namespace from
  ``POWERTOOLS_METRICS_NAMESPACE``), thread-safe, flushed only when there is something to publish;
- ``append_metrics.AppendMetrics``: the store's AppendObserver (events emitted, events per write);
- ``stream_metrics.StreamMetrics``: the stream's ``on_close`` (streams, reconnects, events streamed
  and replayed, polls, heartbeats);
- ``chunk_metrics.observe_worker``: the worker handler's decorator (chunk duration, steps, hops);
  ``observe_durable_worker`` the durable worker's (invocations as hops, duration);
- ``wire_logs.quiet_wire_logs``: no request/response bodies from botocore, even at DEBUG;
- ``tracing.redact_credentials_in_traces``: with the ADOT layer, no token or viewer id in a span
  (span_redaction.QueryStringRedactor, loaded only when an OpenTelemetry SDK runs).

Nothing below the handlers imports this package: the store and the streams only know their own
observer hooks. No tracing code of ours beyond that redaction: traces come from Lambda
(``Tracing: Active``) and, when deployed with the ADOT layer (template parameter AdotLayerArn),
from OpenTelemetry's own instrumentation, which its exec wrapper loads before our runtime loop
(docs/deploy.md, "Tracing").
"""

from jobstream.observability.append_metrics import AppendMetrics
from jobstream.observability.chunk_metrics import observe_durable_worker, observe_worker
from jobstream.observability.metrics import MetricName, MetricsSink, metrics_sink
from jobstream.observability.stream_metrics import StreamMetrics
from jobstream.observability.tracing import redact_credentials_in_traces
from jobstream.observability.wire_logs import quiet_wire_logs

__all__ = [
    "AppendMetrics",
    "MetricName",
    "MetricsSink",
    "StreamMetrics",
    "metrics_sink",
    "observe_durable_worker",
    "observe_worker",
    "quiet_wire_logs",
    "redact_credentials_in_traces",
]
