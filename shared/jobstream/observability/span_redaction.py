"""A span processor that keeps credentials in URLs and headers out of OpenTelemetry spans.

With the ADOT layer (template parameter AdotLayerArn), OpenTelemetry's Lambda instrumentation puts
each Function URL request's path *and query string* on the invocation's span (``http.target``:
``/jobs/<id>/events?token=...``), and the layer exports it to X-Ray: a native EventSource's job
token and viewer id would sit in span attributes for X-Ray's 30 days. This processor replaces
the value of every query parameter in the URL attributes with ``REDACTED`` (the names stay, for
debugging), and any captured credential header whole. docs/deploy.md ("Sensitive headers and query
parameters") lists what counts as a credential.

Imported only when an OpenTelemetry SDK is already running in the process (observability.tracing):
the layer does not ship the SDK, the ADOT layer does.

Written here, not taken from a library: OpenTelemetry Python has no attribute-redaction processor,
and its HTTP instrumentations' query redaction (opentelemetry-util-http) only knows a fixed list of
cloud-signature parameters, none of them ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor
from opentelemetry.util.types import AnyValue

# The semantic conventions' literal for a redacted value (url.query's "Sensitive data" note).
REDACTED = "REDACTED"

# Whole URLs (scheme to query), as old and new HTTP semantic conventions name them.
URL_ATTRIBUTES = frozenset({"http.url", "url.full", "url.original"})
# Path and query (http.target: "/jobs/1/events?token=..."), or the query alone (url.query).
TARGET_ATTRIBUTES = frozenset({"http.target"})
QUERY_ATTRIBUTES = frozenset({"url.query"})
# Request headers an instrumentation captures when told to (http.request.header.<name>, lower case,
# and the old http.request.header.<name_with_underscores>): each carries a credential or lets its
# holder act for someone (docs/deploy.md, "Sensitive headers and query parameters").
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "viewer-id", "idempotency-key"})
_HEADER_PREFIX = "http.request.header."


def redacted_query(query: str) -> str:
    """``query`` with every parameter's value replaced, names and order kept."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, REDACTED) for name, _ in pairs], safe=REDACTED)


def _redacted_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query and not parts.fragment:
        return url
    return urlunsplit(parts._replace(query=redacted_query(parts.query), fragment=""))


def _redacted_target(target: str) -> str:
    path, mark, query = target.partition("?")
    return f"{path}?{redacted_query(query.partition('#')[0])}" if mark else target


def _is_sensitive_header(key: str) -> bool:
    if not key.startswith(_HEADER_PREFIX):
        return False
    return key.removeprefix(_HEADER_PREFIX).replace("_", "-") in SENSITIVE_HEADERS


def redacted_attribute(key: str, value: AnyValue) -> AnyValue:
    """What may be recorded for the attribute ``key``: ``value`` itself unless it is a URL, a
    query string or a credential header, which come back redacted."""
    if _is_sensitive_header(key):
        return REDACTED
    if not isinstance(value, str):
        return value
    if key in URL_ATTRIBUTES:
        return _redacted_url(value)
    if key in TARGET_ATTRIBUTES:
        return _redacted_target(value)
    if key in QUERY_ATTRIBUTES:
        return redacted_query(value)
    return value


def _redacted(attributes: Mapping[str, AnyValue]) -> dict[str, AnyValue]:
    return {key: redacted_attribute(key, value) for key, value in attributes.items()}


class QueryStringRedactor(SpanProcessor):
    """Redacts a span's URL and credential attributes at its start, and every one set later.

    Why both: since opentelemetry-instrumentation-aws-lambda 0.65b0 the Function URL's attributes
    are given to start_span, so on_start sees them; releases before it (0.53b0 is what the ADOT
    layer ver-1-32-0 runs) call span.set_attribute after the start. A processor cannot change an
    ended span (on_end gets a read-only copy, after the exporting processor already has it), so the
    later writes are redacted as they are made, by wrapping this span's two setters.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        del parent_context  # every span, whatever its parent
        recorded = dict(span.attributes or {})
        redacted = _redacted(recorded)
        if redacted != recorded:
            span.set_attributes(redacted)
        set_attribute: Callable[[str, AnyValue], None] = span.set_attribute
        set_attributes: Callable[[Mapping[str, AnyValue]], None] = span.set_attributes

        def redacting_set_attribute(key: str, value: AnyValue) -> None:
            set_attribute(key, redacted_attribute(key, value))

        def redacting_set_attributes(attributes: Mapping[str, AnyValue]) -> None:
            set_attributes(_redacted(attributes))

        # This span's own setters, not the class's: other spans and the SDK stay as they are.
        span.set_attribute = redacting_set_attribute  # type: ignore[method-assign]
        span.set_attributes = redacting_set_attributes  # type: ignore[method-assign]
