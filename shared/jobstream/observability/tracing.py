"""Keep credentials out of traces when OpenTelemetry runs in the process (the ADOT layer).

Every handler calls ``redact_credentials_in_traces()`` when it is imported. With the ADOT layer,
its wrapper has configured OpenTelemetry's SDK before any handler module loads (the SDK comes in
with the interpreter's start, the handler with ADOT's handler wrapper), so the SDK's tracer
provider is there to take our span processor (observability.span_redaction). Without it nothing
here imports OpenTelemetry: no tracing, no cost on a cold start (tests/integration/
test_handler_imports.py).
"""

from __future__ import annotations

import sys

# Tracer providers already given a redactor (by id): a handler module imported twice in one
# process (tests) adds no second one.
_installed: set[int] = set()


def redact_credentials_in_traces() -> bool:
    """Add the redacting span processor to the running SDK's tracer provider; True if there is
    one (now or from an earlier call), False when no OpenTelemetry SDK is configured."""
    if "opentelemetry.sdk.trace" not in sys.modules:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from jobstream.observability.span_redaction import QueryStringRedactor

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        # The SDK is imported but nobody configured it: spans are non-recording, nothing to do.
        return False
    if id(provider) not in _installed:
        provider.add_span_processor(QueryStringRedactor())
        _installed.add(id(provider))
    return True
