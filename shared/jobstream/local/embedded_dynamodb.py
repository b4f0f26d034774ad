"""Embedded DynamoDB for the local stack: moto's server on loopback, table from template.yaml.

moto's server speaks the real DynamoDB wire protocol, so the store talks to it through an ordinary
boto3 client with only ``endpoint_url`` changed: the same code path as on AWS.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

import boto3
from moto.server import ThreadedMotoServer

from jobstream.local.template_table import create_table_from_template, default_template_path


class EmbeddedDynamoDB:
    def __init__(
        self,
        *,
        table: str,
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        port: int = 0,
        template_path: Path | None = None,
    ) -> None:
        self._table = table
        self._region = region
        self._template_path = template_path or default_template_path()
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.endpoint_url = ""

    def start(self) -> str:
        # werkzeug logs every request at INFO: a streaming tail polls many times a second.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        client = boto3.client(
            "dynamodb",
            region_name=self._region,
            endpoint_url=self.endpoint_url,
            # moto accepts any credentials; explicit fakes keep a developer's real ones out of it.
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - not a secret: moto ignores it
        )
        create_table_from_template(client, self._table, self._template_path)
        return self.endpoint_url

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> EmbeddedDynamoDB:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
