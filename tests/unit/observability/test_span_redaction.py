"""The span processor that keeps credentials in URLs and headers out of spans, on the real SDK.

Spans are exported as they end (SimpleSpanProcessor, added before the redactor, as the ADOT
layer's configurator adds its exporter first), so what a test reads is what would leave the
function. The Lambda instrumentation itself, over the deployed handlers: tests/functional/
observability/test_trace_redaction.py.
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util.types import Attributes

from jobstream.observability.span_redaction import QueryStringRedactor, redacted_attribute

TOKEN = "v1.1796929707.ICHO2PYCq_rn0FcGb31mPzjskWrHpQbiO4dJtK9ts9U"


def _exported(
    start: Attributes, later: Attributes = None, *, one_by_one: bool = False
) -> ReadableSpan:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.add_span_processor(QueryStringRedactor())
    with provider.get_tracer("test").start_as_current_span("request", attributes=start) as span:
        if later and one_by_one:
            for key, value in later.items():
                span.set_attribute(key, value)
        elif later:
            span.set_attributes(later)
    (exported,) = exporter.get_finished_spans()
    return exported


def test_the_query_given_at_the_start_is_redacted() -> None:
    # opentelemetry-instrumentation-aws-lambda >= 0.65b0 passes the attributes to start_span.
    span = _exported(
        {"http.target": f"/jobs/1/events?token={TOKEN}&viewer=tab-1", "faas.trigger": "http"}
    )
    assert span.attributes == {
        "http.target": "/jobs/1/events?token=REDACTED&viewer=REDACTED",
        "faas.trigger": "http",
    }


@pytest.mark.parametrize("one_by_one", [True, False], ids=["set_attribute", "set_attributes"])
def test_a_query_set_after_the_start_is_redacted(one_by_one: bool) -> None:
    # Releases before 0.65b0 (the ADOT layer ver-1-32-0 runs 0.53b0) set them after the start.
    span = _exported(
        {"faas.trigger": "http"},
        {"http.target": f"/jobs/1?token={TOKEN}", "http.method": "GET"},
        one_by_one=one_by_one,
    )
    assert span.attributes == {
        "faas.trigger": "http",
        "http.target": "/jobs/1?token=REDACTED",
        "http.method": "GET",
    }


@pytest.mark.parametrize(
    ("key", "value", "recorded"),
    [
        (
            "url.full",
            f"https://x.on.aws/jobs/1/events?token={TOKEN}#f",
            "https://x.on.aws/jobs/1/events?token=REDACTED",
        ),
        (
            "http.url",
            f"https://x.on.aws/jobs/1?viewer=v&token={TOKEN}",
            "https://x.on.aws/jobs/1?viewer=REDACTED&token=REDACTED",
        ),
        ("url.query", f"token={TOKEN}&after=3", "token=REDACTED&after=REDACTED"),
        ("http.target", "/jobs/1/events", "/jobs/1/events"),
        ("http.target", "/jobs/1/events?", "/jobs/1/events?"),
        ("url.full", "https://x.on.aws/jobs/1", "https://x.on.aws/jobs/1"),
        ("http.request.header.authorization", (f"Bearer {TOKEN}",), "REDACTED"),
        ("http.request.header.viewer_id", "tab-1", "REDACTED"),
        ("http.request.header.idempotency-key", "k", "REDACTED"),
        ("http.request.header.accept", ("text/event-stream",), ("text/event-stream",)),
        ("http.route", "/jobs/1/events", "/jobs/1/events"),
        ("http.status_code", 200, 200),
    ],
)
def test_what_each_attribute_may_record(key: str, value: object, recorded: object) -> None:
    assert redacted_attribute(key, value) == recorded  # type: ignore[arg-type]
    exported = _exported({}, {key: value})  # type: ignore[dict-item]
    assert (exported.attributes or {})[key] == recorded


def test_parameters_without_a_value_keep_their_names() -> None:
    assert redacted_attribute("url.query", "token&viewer=") == "token=REDACTED&viewer=REDACTED"
