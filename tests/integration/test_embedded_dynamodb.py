"""The local stack's DynamoDB: a real moto server on loopback with the template's table."""

from __future__ import annotations

import boto3
import pytest

from jobstream.local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream.local.template_table import table_properties

from ..conftest import TEMPLATE

pytestmark = pytest.mark.integration


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
