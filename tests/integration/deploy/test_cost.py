"""jobstream_local.cost: one small job measured end to end against the embedded DynamoDB (the
capacity rules: tests/unit/local/test_cost_units.py, tests/functional/deploy/test_cost_meter.py)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest

from jobstream.settings import Settings
from jobstream_local.cost import (
    Deployment,
    PriceList,
    cost_of,
    measure_job,
    render,
)
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from tests.conftest import TEMPLATE


@pytest.fixture
def local_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    table = f"cost-{uuid.uuid4().hex[:8]}"
    with EmbeddedDynamoDB(table=table, template_path=TEMPLATE) as database:
        yield Settings(
            table=table,
            dynamodb_endpoint_url=database.endpoint_url,
            token_key=secrets.token_urlsafe(48),
        )


def test_one_job_end_to_end_is_metered_per_function(local_settings: Settings) -> None:
    events = 30
    measurement = measure_job(
        local_settings, events=events, interval_ms=5, worker_timeout_s=60, stream_timeout_s=60
    )

    assert measurement.streamed_events == events + 1  # n progress events + complete
    assert (measurement.api.count, measurement.worker.count, measurement.stream.count) == (1, 1, 1)
    api, worker, stream = (measurement.dynamodb[r] for r in ("api", "worker", "stream"))
    assert api.requests == {"PutItem": 1}
    # Every event reached the log through transactions, never more than one per event.
    assert 1 <= worker.requests["TransactWriteItems"] <= events + 1
    assert worker.event_bytes_written > 0
    # The stream only reads.
    assert set(stream.requests) == {"GetItem", "Query"}
    assert stream.write_units == 0
    assert stream.read_units >= stream.requests["Query"]

    deployment = Deployment.from_template(TEMPLATE)
    cost = cost_of(measurement, deployment, PriceList())
    assert cost.total > 0
    assert cost.dynamodb_writes == pytest.approx(
        measurement.total_dynamodb.write_units * PriceList().dynamodb_per_write_unit
    )
    table = render([measurement], deployment, PriceList())
    assert "**$ per 1,000 jobs: total**" in table
    assert "as of 2025-06-01" in table
