"""Which DynamoDB the local stack uses: embedded (default), an endpoint such as DynamoDB Local, or
the real table (here: moto's mock standing in for AWS; nothing reaches AWS)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import httpx
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from jobstream.settings import Settings
from jobstream_client import EventStream
from jobstream_local.database import DatabaseChoice, DatabaseUnavailable, LocalDatabase
from jobstream_local.stack import LocalStack


@pytest.fixture
def table_settings() -> Settings:
    return Settings(table=f"jobstream-local-{uuid.uuid4().hex[:8]}", region="us-east-1")


@pytest.fixture
def dynamodb_local() -> Iterator[str]:
    """A DynamoDB-compatible server with no tables, as a fresh DynamoDB Local is."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_an_endpoint_gets_the_table_created_and_serves_a_whole_stack(
    dynamodb_local: str, table_settings: Settings
) -> None:
    choice = DatabaseChoice(endpoint_url=dynamodb_local)
    with LocalStack(function_timeout_s=5, settings=table_settings, database=choice) as stack:
        assert stack.settings.dynamodb_endpoint_url == dynamodb_local
        created = httpx.post(
            f"{stack.url}/jobs", json={"type": "demo.count", "params": {"n": 3, "interval_ms": 0}}
        ).json()
        with EventStream(created["events_url"], token=created["token"]) as stream:
            assert [e.event for e in stream][-1] == "complete"

    # The data outlives the stack: it is the endpoint's, not the stack's.
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=dynamodb_local)
    item = client.get_item(
        TableName=table_settings.table,
        Key={"pk": {"S": f"JOB#{created['job_id']}"}, "sk": {"S": "META"}},
    )
    assert "Item" in item


def test_the_real_table_must_exist_unless_asked_to_create_it(table_settings: Settings) -> None:
    with mock_aws():
        missing = LocalDatabase(DatabaseChoice(use_aws=True), settings=table_settings)
        with pytest.raises(DatabaseUnavailable, match="--create-table"):
            missing.start()

        created = LocalDatabase(
            DatabaseChoice(use_aws=True, create_table=True), settings=table_settings
        )
        client = created.start()

        table = client.describe_table(TableName=table_settings.table)["Table"]
        assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
        ttl = client.describe_time_to_live(TableName=table_settings.table)
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
        assert created.endpoint_url is None
        # And once it exists, it is used as it is.
        LocalDatabase(DatabaseChoice(use_aws=True), settings=table_settings).start()


def test_aws_and_an_endpoint_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        DatabaseChoice(use_aws=True, endpoint_url="http://127.0.0.1:8001")
