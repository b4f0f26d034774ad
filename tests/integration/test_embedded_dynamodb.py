"""The local stack's DynamoDB: a real moto server on loopback with the template's table."""

from __future__ import annotations

import threading
from typing import Any

import boto3

from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.template_table import table_properties

from ..conftest import TEMPLATE


def test_serves_the_template_table_over_http() -> None:
    with EmbeddedDynamoDB(table="local-jobs") as db:
        assert db.endpoint_url.startswith("http://127.0.0.1:")
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=db.endpoint_url)
        table = client.describe_table(TableName="local-jobs")["Table"]
        assert table["KeySchema"] == table_properties(TEMPLATE)["KeySchema"]
        client.put_item(TableName="local-jobs", Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
        item = client.get_item(
            TableName="local-jobs", Key={"pk": {"S": "a"}, "sk": {"S": "b"}}, ConsistentRead=True
        )
        assert item["Item"]["pk"] == {"S": "a"}


def test_a_failing_transaction_never_undoes_concurrent_writes() -> None:
    """Regression: moto restores a whole-table snapshot when a transaction fails; without our
    request lock, writes committed by others during that transaction vanished."""
    with EmbeddedDynamoDB(table="race") as db:

        def client() -> Any:
            return boto3.client(
                "dynamodb",
                region_name="us-east-1",
                endpoint_url=db.endpoint_url,
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )

        failing, writer = client(), client()
        stop = threading.Event()
        failures = 0

        def keep_failing() -> None:
            nonlocal failures
            while not stop.is_set():
                try:
                    failing.transact_write_items(
                        TransactItems=[
                            {
                                "Put": {
                                    "TableName": "race",
                                    "Item": {"pk": {"S": "f"}, "sk": {"S": "x"}},
                                }
                            },
                            {
                                "ConditionCheck": {
                                    "TableName": "race",
                                    "Key": {"pk": {"S": "none"}, "sk": {"S": "none"}},
                                    "ConditionExpression": "attribute_exists(pk)",
                                }
                            },
                        ]
                    )
                except failing.exceptions.TransactionCanceledException:
                    failures += 1

        thread = threading.Thread(target=keep_failing)
        thread.start()
        try:
            for i in range(300):
                writer.put_item(TableName="race", Item={"pk": {"S": "w"}, "sk": {"S": f"{i:05d}"}})
        finally:
            stop.set()
            thread.join()
        stored = writer.query(
            TableName="race",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "w"}},
            ConsistentRead=True,
            Select="COUNT",
        )["Count"]
        assert failures > 0
        assert stored == 300
