"""jobstream_local.cost's CapacityMeter on moto's DynamoDB: units per operation as DynamoDB bills
them, and the timeline the bench reads (the size rules alone: tests/unit/local/test_cost_units.py).
"""

from __future__ import annotations

import boto3
from moto import mock_aws

from jobstream_local.cost import CapacityMeter, item_size
from tests.clock import FakeClock


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
    now = FakeClock(100.0)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with CapacityMeter(client, clock=now) as meter:
            client.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"S": "x" * 5000}})
            now.now = 160.0
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
