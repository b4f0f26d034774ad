"""Embedded DynamoDB for the local stack: moto's server on loopback, table from template.yaml.

moto's server speaks the real DynamoDB wire protocol, so the store talks to it through an ordinary
boto3 client with only ``endpoint_url`` changed: the same code path as on AWS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto.moto_server.threaded_moto_server import (  # type: ignore[attr-defined]
    MotoRequestHandler,
    ThreadedMotoServer,
)
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.serving import make_server

from jobstream_local.template_table import create_table_from_template, default_template_path

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _SerializedApp:
    """Runs one request at a time through moto.

    moto's in-memory backends are not thread-safe: a TransactWriteItems that fails restores a
    deep copy of the whole table taken when it started, undoing every write other requests
    committed in between (seen: committed events vanishing, then a LeaseLost for their writer).
    Real DynamoDB isolates transactions; one lock around each request is the cheapest faithful
    stand-in. The body is drained inside the lock so no response is built outside it.
    """

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class _SerializedMotoServer(ThreadedMotoServer):
    # Same as ThreadedMotoServer._server_entry (moto 5.2.5) with the app wrapped in the lock.
    def _server_entry(self) -> None:
        app = _SerializedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


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
        self._server = _SerializedMotoServer(ip_address=host, port=port, verbose=False)
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
