"""The deployed handlers (functions/*/app.py) configured from the environment, as template.yaml
configures them, over a moto table; event files from events/ with their placeholders filled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.api.log import logger as powertools_logger
from jobstream.examples.demo import registry
from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_local.invoke import SeededJob, fill_placeholders, seed_job
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import REPO_ROOT

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EVENTS = REPO_ROOT / "events"
TOKEN_KEY = "deploy-test-signing-key-0123456789abcdef"
STREAM_BASE_URL = "https://streamstreamstreamstreamstream0.lambda-url.us-east-1.on.aws/"
# Small and instant: a seeded job runs to its end in one hop, in milliseconds.
SMALL_JOB = {"n": 5, "interval_ms": 0}


@pytest.fixture
def deployed_settings(
    settings: Settings, ddb: DynamoDBClient, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The environment template.yaml gives the functions (key from a secret there, inline here)."""
    env = {
        "JOBSTREAM_TABLE": settings.table,
        "JOBSTREAM_REGION": settings.region,
        "JOBSTREAM_TOKEN_KEY": TOKEN_KEY,
        "JOBSTREAM_WORKER_FUNCTION": "jobstream-test-worker",
        "JOBSTREAM_STREAM_BASE_URL": STREAM_BASE_URL,
        "JOBSTREAM_CORS_ALLOWED_ORIGINS": "https://app.example.com",
        "POWERTOOLS_SERVICE_NAME": "jobstream",
        "POWERTOOLS_METRICS_NAMESPACE": "jobstream-test",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def store(deployed_settings: Settings, ddb: DynamoDBClient) -> JobStore:
    return JobStore(deployed_settings, client=ddb)


@pytest.fixture
def queued_job(deployed_settings: Settings, store: JobStore) -> SeededJob:
    return seed_job(deployed_settings, params=SMALL_JOB, store=store)


@pytest.fixture
def finished_job(deployed_settings: Settings, store: JobStore, queued_job: SeededJob) -> SeededJob:
    service = JobService(
        store=store, registry=registry(), invoker=RecordingInvoker(), settings=deployed_settings
    )
    service.run_hop(queued_job.job_id, hop=0, remaining_s=lambda: 60.0)
    return queued_job


@pytest.fixture(autouse=True)
def event_loop_for_mangum() -> Iterator[asyncio.AbstractEventLoop]:
    """Mangum runs each invocation on the thread's current event loop (creating one, as on Lambda,
    if there is none, and keeping it). Give it one the test closes."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def load_event(name: str, job: SeededJob | None = None) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text())
    if job is not None:
        event = fill_placeholders(event, job.placeholders())
    assert isinstance(event, dict)
    return event


def event_files() -> list[Path]:
    return sorted(EVENTS.glob("*.json"))


@pytest.fixture(autouse=True)
def _no_log_keys_left_behind() -> Iterator[None]:
    """The handlers append keys (job_id, hop, the Lambda context) to the process-wide Powertools
    formatter, and a Lambda process would clear them at its next invocation; clear them after each
    test so that no other test sees this one's job_id."""
    yield
    powertools_logger.clear_state()
