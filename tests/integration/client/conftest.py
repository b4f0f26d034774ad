from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

from tests.integration.client.scripted_server import LogEvent, ScriptedServer

MakeServer = Callable[..., ScriptedServer]


@pytest.fixture
def make_server() -> Iterator[MakeServer]:
    """Start scripted servers on free loopback ports; all are stopped at teardown."""
    servers: list[ScriptedServer] = []

    def make(log: Sequence[LogEvent], **kwargs: Any) -> ScriptedServer:
        server = ScriptedServer(log, **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def http_client() -> Iterator[httpx.Client]:
    """One client per module: building one (its TLS context) costs ~0.1 s, a test's whole budget."""
    with httpx.Client() as client:
        yield client
