"""The metrics sink is process-wide (handler modules take it when loaded): a fresh one after each
test, so that no test reads another's metrics or namespace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobstream.observability import metrics_sink


@pytest.fixture(autouse=True)
def _fresh_metrics_sink() -> Iterator[None]:
    yield
    metrics_sink.cache_clear()
