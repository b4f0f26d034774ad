"""The three handlers as deployed (configured from the environment) over the moto table."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from jobstream.api.log import logger as powertools_logger
from jobstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TOKEN_KEY = "observability-test-signing-key-0123456789"
NAMESPACE = "jobstream-observability-test"


@pytest.fixture
def deployed(settings: Settings, ddb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch) -> Settings:
    env = {
        "JOBSTREAM_TABLE": settings.table,
        "JOBSTREAM_REGION": settings.region,
        "JOBSTREAM_TOKEN_KEY": TOKEN_KEY,
        "JOBSTREAM_WORKER_FUNCTION": "jobstream-test-worker",
        "JOBSTREAM_STREAM_BASE_URL": "https://stream.example.com/",
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def event_loop_for_mangum() -> Iterator[asyncio.AbstractEventLoop]:
    """Mangum runs each invocation on the thread's current event loop (creating one, as on Lambda,
    if there is none, and keeping it). Give it one the test closes."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture(autouse=True)
def _no_log_keys_left_behind() -> Iterator[None]:
    """The handlers append keys (job_id, hop, the Lambda context) to the process-wide Powertools
    formatter, and a Lambda process would clear them at its next invocation; clear them after each
    test so that no other test sees this one's job_id."""
    yield
    powertools_logger.clear_state()
