"""Lazily created boto3 clients.

Nothing here runs at import time: a client is built on first use from the settings it is given, so
tests and the local server choose the endpoint before any client exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from jobstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient

# Throttling and transient 5xx are retried with exponential backoff by botocore itself; "standard"
# mode also retries the DynamoDB-specific throttling codes (TransactionConflict is not retried: the
# store handles it). See the botocore retries guide.
_RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, tcp_keepalive=True)


def dynamodb_client(settings: Settings) -> DynamoDBClient:
    return boto3.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=_RETRY_CONFIG,
    )


def lambda_client(settings: Settings) -> LambdaClient:
    return boto3.client("lambda", region_name=settings.region, config=_RETRY_CONFIG)
