"""With the ADOT layer, no job token or viewer id from a request's URL reaches a span.

The real OpenTelemetry SDK and the real Lambda instrumentation (opentelemetry-instrumentation-aws-
lambda, a dev dependency: the ADOT layer brings its own on Lambda) wrap the deployed handlers as
ADOT's handler wrapper does: the SDK is configured first (ADOT's wrapper does it as the interpreter
starts), then the handler module is imported (which adds our redactor), then AwsLambdaInstrumentor
wraps its ``handler``. The exporter is in memory, added before the redactor, as ADOT's configurator
adds its own; it exports each span as it ends, so a redaction made too late would show.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jobstream.invocation_context import InvocationContext
from jobstream.settings import Settings
from tests.conftest import REPO_ROOT, load_handler_module

# One tracer provider per process, as on Lambda: OpenTelemetry's global is set once.
_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def sdk() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    assert trace.get_tracer_provider() is provider
    return _EXPORTER


@pytest.fixture
def exported(sdk: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    sdk.clear()
    yield sdk
    sdk.clear()


def _instrumented(function: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/<function>/app.py imported after the SDK, its handler wrapped as ADOT wraps it
    (the instrumentation finds the handler by name in ORIG_HANDLER, as ADOT's wrapper sets it)."""
    module = load_handler_module(function)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    # It instruments only on Lambda (this variable set), the handler named as ADOT's wrapper names
    # it; neither is needed once the handler is wrapped.
    with monkeypatch.context() as lambda_like:
        lambda_like.setenv("AWS_LAMBDA_FUNCTION_NAME", f"stack-{function}")
        lambda_like.setenv("ORIG_HANDLER", f"{module.__name__}.handler")
        AwsLambdaInstrumentor().instrument()
    assert hasattr(module.handler, "__wrapped__"), "the instrumentation did not wrap it"
    return module


def _event(name: str, **replace: str) -> dict[str, Any]:
    text = (REPO_ROOT / "events" / name).read_text()
    for placeholder, value in replace.items():
        text = text.replace("{{" + placeholder + "}}", value)
    event: dict[str, Any] = json.loads(text)
    return event


def _context(function: str) -> InvocationContext:
    return InvocationContext.for_timeout(60, function_name=f"stack-{function}")


def _with_query(event: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """The event as a Function URL delivers a request with this query string and no header."""
    del event["headers"]["authorization"]
    event["rawQueryString"] = "&".join(f"{name}={value}" for name, value in query.items())
    event["queryStringParameters"] = dict(query)
    return event


def _every_value(span: ReadableSpan) -> list[str]:
    values = [str(value) for value in (span.attributes or {}).values()]
    for event in span.events:
        values += [event.name, *(str(value) for value in (event.attributes or {}).values())]
    return [span.name, *values]


def _server_spans(spans: tuple[ReadableSpan, ...], function: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == f"stack-{function}"]


def test_a_token_and_viewer_in_the_query_string_reach_no_span(
    deployed: Settings,
    exported: InMemorySpanExporter,
    event_loop_for_mangum: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = load_handler_module("api")
    create = _event("api_create_job.json")
    create["body"] = json.dumps({"type": "demo.count", "params": {"n": 2, "interval_ms": 0}})
    created = json.loads(api.handler(create, _context("api"))["body"])
    job_id, token = created["job_id"], created["token"]
    mac = token.rsplit(".", 1)[1]
    # The job runs to its end, so the stream below replays it and ends.
    assert load_handler_module("worker").handler({"job_id": job_id, "hop": 0}, _context("worker"))
    viewer = "tab-4f1c9a7e-secret-viewer"
    query = {"token": token, "viewer": viewer}

    stream = _instrumented("stream", monkeypatch)
    try:
        streamed = stream.handler(
            _with_query(_event("stream_from_start.json", job_id=job_id, token="-"), query),
            _context("stream"),
        )
        b"".join(streamed.body)
    finally:
        AwsLambdaInstrumentor().uninstrument()
    api = _instrumented("api", monkeypatch)
    try:
        status = api.handler(
            _with_query(_event("api_job_status.json", job_id=job_id, token="-"), {"token": token}),
            _context("api"),
        )
    finally:
        AwsLambdaInstrumentor().uninstrument()

    # The requests were served (the query's token opened them), and traced.
    assert streamed.status_code == 200
    assert status["statusCode"] == 200
    spans = exported.get_finished_spans()
    (stream_span,) = _server_spans(spans, "stream")
    (api_span,) = _server_spans(spans, "api")
    assert (stream_span.attributes or {}).get("faas.trigger") == "http"
    assert (stream_span.attributes or {}).get("http.target") == (
        f"/jobs/{job_id}/events?token=REDACTED&viewer=REDACTED"
    )
    assert (api_span.attributes or {}).get("http.target") == f"/jobs/{job_id}?token=REDACTED"
    everything = [value for span in spans for value in _every_value(span)]
    assert not [value for value in everything if mac in value or viewer in value]
