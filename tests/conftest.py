"""Fixtures every tier shares: fake AWS credentials, a moto table built from template.yaml."""

from __future__ import annotations

import importlib.util
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from hypothesis import settings as hypothesis_settings

from jobstream.settings import Settings
from jobstream_local.cost.capacity import WRITE_OPERATIONS
from jobstream_local.template_table import create_table_from_template

if TYPE_CHECKING:
    from types import TracebackType

    from botocore.model import OperationModel
    from mypy_boto3_dynamodb import DynamoDBClient

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = REPO_ROOT / "template.yaml"
TESTS = Path(__file__).resolve().parent

# Property tests take their example budget from a profile: `gate` (`make test`, and the default)
# tries 1,000 examples each, `check` (`make check`, the loop while editing) 100. No deadline: a
# shared machine would turn one slow example into a failure, and timing goals live in `make bench`.
hypothesis_settings.register_profile("gate", max_examples=1000, deadline=None)
hypothesis_settings.register_profile("check", max_examples=100, deadline=None)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "gate")
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_report_header() -> str:
    examples = hypothesis_settings.get_profile(HYPOTHESIS_PROFILE).max_examples
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} ({examples} examples per property)"


# A test's tier is the folder it lives in (tests/<tier>/...), marked here, so that `-m unit` and
# friends select by folder and no file repeats its tier. Registered in pyproject.toml.
TIERS = ("unit", "functional", "integration", "browser", "reliability")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.resolve().relative_to(TESTS).parts
        tier = parts[0] if len(parts) > 1 else None
        if tier not in TIERS:
            raise pytest.UsageError(
                f"{item.nodeid}: a test lives in one of tests/{{{','.join(TIERS)}}}"
            )
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test reach real AWS: fake keys, a fixed region, no profile."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(autouse=True, scope="session")
def _open_api_unless_a_test_says_otherwise() -> Iterator[None]:
    """The settings have no default auth mode (JOBSTREAM_API_AUTH is required): tests run under
    none, as `make run` does, unless they pass ``api_auth`` or clear the variable themselves.
    Session-wide, so that module-scoped fixtures building settings see it too."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JOBSTREAM_API_AUTH", "none")
        yield


@pytest.fixture(autouse=True)
def _job_tokens_kept_per_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The `jobstream` command keeps job tokens (jobstream_client.token_store): in the test's own
    folder, never the user's home, and never shared between tests."""
    monkeypatch.setenv("JOBSTREAM_TOKEN_DIR", str(tmp_path / "job-tokens"))


@pytest.fixture(autouse=True)
def _handler_log_keys_do_not_outlive_their_test() -> Iterator[None]:
    """A handler's ``logger.append_keys(job_id=...)`` stays on the process's "jobstream" Powertools
    logger until its next invocation clears it (each Lambda container runs one function, so that
    is right there). Tests run every handler in one process: clear the keys after each test, or a
    stream test's job id shows up in a later API test's log lines."""
    yield
    Logger(service="jobstream").clear_state()


@pytest.fixture
def settings() -> Settings:
    return Settings(table=f"jobstream-test-{uuid.uuid4().hex[:8]}", region="us-east-1")


@pytest.fixture
def ddb(settings: Settings) -> Iterator[DynamoDBClient]:
    """A moto DynamoDB client with the template's table already created."""
    # Imported here, not at the top: the unit tier runs without moto (tests/unit/conftest.py).
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name=settings.region)
        create_table_from_template(client, settings.table, TEMPLATE)
        yield client


class RequestCounter:
    """Counts a client's API calls by operation from botocore's own ``before-call`` events (one per
    call; botocore's retries are not counted). Only counts: what the calls would cost is the dev
    tooling's CapacityMeter (jobstream_local/cost/capacity.py), whose operation sets it shares."""

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client
        self._id = f"request-counter-{uuid.uuid4().hex}"
        self.calls: Counter[str] = Counter()

    def __enter__(self) -> RequestCounter:
        self._client.meta.events.register("before-call.dynamodb", self._count, unique_id=self._id)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.meta.events.unregister("before-call.dynamodb", unique_id=self._id)

    def _count(self, model: OperationModel, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)


@pytest.fixture
def requests(ddb: DynamoDBClient) -> Iterator[RequestCounter]:
    """Every request the tests' moto client makes, counted by operation."""
    with RequestCounter(ddb) as counter:
        yield counter


def load_handler_module(function_name: str) -> ModuleType:
    """Import functions/<name>/app.py as its own module (every function's file is named app.py)."""
    path = REPO_ROOT / "functions" / function_name / "app.py"
    spec = importlib.util.spec_from_file_location(f"functions_{function_name}_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SerializedClient:
    """moto's in-memory table is not safe for a Query racing a write from another thread (it
    iterates a dict the write grows); real DynamoDB is. Serialising calls keeps the test about
    the stream's ordering, not moto's."""

    def __init__(self, client: DynamoDBClient, lock: threading.Lock) -> None:
        self._client = client
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call
