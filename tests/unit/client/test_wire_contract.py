"""The Python client is its own distribution and cannot import the layer, so it keeps its own copy
of the wire contract's terminal event types; this keeps the copy equal to the layer's one rule."""

from __future__ import annotations

from jobstream.store.models import TERMINAL_EVENT_TYPES
from jobstream_client import TERMINAL_EVENT_TYPES as CLIENT_TERMINAL_EVENT_TYPES


def test_the_client_ends_on_exactly_the_layers_terminal_event_types() -> None:
    assert CLIENT_TERMINAL_EVENT_TYPES == TERMINAL_EVENT_TYPES
