"""Which DynamoDB the local stack uses, and the client it talks to it with.

Three choices, by precedence of how explicit they are:

- ``use_aws``: the real table named by ``Settings.table`` in ``Settings.region``, with the
  developer's own credentials; created from template.yaml only when ``create_table`` is given;
- ``endpoint_url`` (``JOBSTREAM_DYNAMODB_ENDPOINT_URL``): an already running DynamoDB-compatible
  server such as DynamoDB Local; the table is created there if it is missing;
- otherwise (the default): an embedded moto server on loopback, created and stopped with the stack,
  its table created from template.yaml. Nothing is kept after it stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from jobstream.aws_clients import dynamodb_client
from jobstream.settings import Settings
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.template_table import create_table_from_template, default_template_path

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A local server either answers at once or is not there: fail fast instead of backing off for long.
_LOCAL_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, tcp_keepalive=True)
# Any credentials do for moto and DynamoDB Local; these keep a developer's real ones out of them.
_FAKE_KEY = "local"


class DatabaseUnavailable(RuntimeError):
    """The chosen DynamoDB cannot be used; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class DatabaseChoice:
    use_aws: bool = False
    create_table: bool = False
    endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if self.use_aws and self.endpoint_url:
            raise ValueError(
                "choose one: --aws (the real table) or JOBSTREAM_DYNAMODB_ENDPOINT_URL (a local "
                "DynamoDB), not both"
            )


class LocalDatabase:
    def __init__(
        self, choice: DatabaseChoice, *, settings: Settings, template_path: Path | None = None
    ) -> None:
        self._choice = choice
        self._settings = settings
        self._template_path = template_path or default_template_path()
        self._embedded: EmbeddedDynamoDB | None = None
        # None: the real AWS endpoint.
        self.endpoint_url: str | None = None
        self.description = ""

    def start(self) -> DynamoDBClient:
        """Start (or reach) the database; return a client for it with the table in place."""
        settings = self._settings
        if self._choice.use_aws:
            client = dynamodb_client(settings.with_changes({"dynamodb_endpoint_url": None}))
            self.description = f"AWS DynamoDB, table {settings.table} in {settings.region}"
            self._ensure_table(client, create=self._choice.create_table)
            return client
        if self._choice.endpoint_url:
            self.endpoint_url = self._choice.endpoint_url
            client = _local_client(settings, self.endpoint_url, fake_credentials=_no_credentials())
            self.description = f"DynamoDB at {self.endpoint_url}, table {settings.table}"
            self._ensure_table(client, create=True)
            return client
        self._embedded = EmbeddedDynamoDB(
            table=settings.table, region=settings.region, template_path=self._template_path
        )
        self.endpoint_url = self._embedded.start()
        self.description = (
            f"embedded DynamoDB (moto) at {self.endpoint_url}, table {settings.table}; "
            "its data goes when the stack stops"
        )
        return _local_client(settings, self.endpoint_url, fake_credentials=True)

    def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None

    def _ensure_table(self, client: DynamoDBClient, *, create: bool) -> None:
        table = self._settings.table
        where = self.endpoint_url or f"AWS region {self._settings.region}"
        try:
            client.describe_table(TableName=table)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise DatabaseUnavailable(
                    f"cannot read table {table} at {where}: {_reason(error)}"
                ) from None
            if not create:
                raise DatabaseUnavailable(
                    f"table {table} does not exist in {where}; set JOBSTREAM_TABLE to an "
                    "existing table (e.g. the one `sam deploy` created) or pass --create-table"
                ) from None
            self._create_table(client)
        except NoCredentialsError:
            raise DatabaseUnavailable(
                "no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...) to "
                "use --aws"
            ) from None
        except BotoCoreError as error:
            raise DatabaseUnavailable(f"cannot reach DynamoDB at {where}: {error}") from None

    def _create_table(self, client: DynamoDBClient) -> None:
        try:
            create_table_from_template(client, self._settings.table, self._template_path)
        except (BotoCoreError, ClientError) as error:
            raise DatabaseUnavailable(
                f"cannot create table {self._settings.table}: {_reason(error)}"
            ) from None


def _local_client(
    settings: Settings, endpoint_url: str, *, fake_credentials: bool
) -> DynamoDBClient:
    if not fake_credentials:
        return boto3.client(
            "dynamodb",
            region_name=settings.region,
            endpoint_url=endpoint_url,
            config=_LOCAL_CLIENT_CONFIG,
        )
    return boto3.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=endpoint_url,
        aws_access_key_id=_FAKE_KEY,
        aws_secret_access_key=_FAKE_KEY,
        config=_LOCAL_CLIENT_CONFIG,
    )


def _no_credentials() -> bool:
    """True if the default chain finds no credentials (a fresh machine): DynamoDB Local still
    wants a signed request, so fake ones are used then."""
    return boto3.session.Session().get_credentials() is None


def _reason(error: BotoCoreError | ClientError) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
    return str(error)
