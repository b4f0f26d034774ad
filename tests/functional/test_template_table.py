"""The moto table is built from template.yaml: key schema and TTL must match the template."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobstream.settings import Settings
from jobstream_local.template_table import table_properties

from ..conftest import TEMPLATE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def test_table_matches_template(ddb: DynamoDBClient, settings: Settings) -> None:
    props = table_properties(TEMPLATE)
    described = ddb.describe_table(TableName=settings.table)["Table"]
    assert described["KeySchema"] == props["KeySchema"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=settings.table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
