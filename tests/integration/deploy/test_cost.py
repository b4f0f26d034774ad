"""jobstream_local.cost: the capacity model's rules, and one small job measured end to end."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from jobstream.settings import Settings
from jobstream_local.cost import (
    CapacityMeter,
    Deployment,
    PriceList,
    cost_of,
    item_size,
    measure_job,
    read_units,
    render,
    write_units,
)
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.integration


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert item_size({"pk": {"S": "JOB#1"}}) == 2 + 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes + 1
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert (write_units(1), write_units(1024), write_units(1025)) == (1, 1, 2)
    assert (read_units(0), read_units(4096), read_units(4097)) == (1, 1, 2)


def test_the_meter_models_units_per_operation() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        big = {"pk": {"S": "JOB#1"}, "sk": {"S": "EV#000000000001"}, "e": {"S": "x" * 1500}}
        with CapacityMeter(client) as meter:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": big}},
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}}},
                ]
            )
            client.query(
                TableName="t",
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "nothing here"}},
                ConsistentRead=True,
            )
            client.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
        usage = meter.usage()

    assert usage.requests == {"TransactWriteItems": 1, "Query": 1, "GetItem": 1}
    assert usage.write_units == 2 * (2 + 1)  # transactional: twice (2 KB item + 1 KB item)
    assert usage.read_units == 1 + 1  # an empty Query and a small GetItem: one unit each
    assert usage.event_bytes_written == item_size(big)


def test_the_meter_keeps_a_timeline_on_the_callers_clock_and_resets() -> None:
    """What the bench reads: requests binned by (simulated) time, reads and writes, a reset."""
    now = [100.0]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with CapacityMeter(client, clock=lambda: now[0]) as meter:
            client.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"S": "x" * 5000}})
            now[0] = 160.0
            client.scan(TableName="t")
            first = meter.usage()
            meter.reset()
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})
            after_reset = meter.usage()
            timeline = meter.timeline

    assert (first.writes, first.reads, first.total_requests) == (1, 1, 2)
    assert first.write_units == 5  # 5,004 bytes: five 1 KB units
    assert first.read_units == 2  # a Scan page is charged like a Query's: 5,004 bytes, two 4 KB
    assert after_reset.requests == {"GetItem": 1}
    assert after_reset.read_units == 2
    assert [(c.operation, c.at, c.read_units) for c in timeline] == [("GetItem", 160.0, 2)]


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
