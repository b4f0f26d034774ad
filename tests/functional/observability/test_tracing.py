"""The handlers' X-Ray tracing: off locally, and never a token in a trace when on."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from jobstream.invocation_context import InvocationContext
from jobstream.observability import tracer
from jobstream.observability.tracing import PATCHED_MODULES
from jobstream.settings import Settings
from tests.conftest import REPO_ROOT, load_handler_module


class FakeSubsegment:
    def __init__(self, name: str, calls: list[tuple[str, Any]]) -> None:
        self.name = name
        self._calls = calls

    def put_metadata(self, key: str, value: Any, namespace: str = "") -> None:
        self._calls.append(("metadata", {"key": key, "value": value}))

    def put_annotation(self, key: str, value: Any) -> None:
        self._calls.append(("annotation", {key: value}))

    def add_exception(self, exception: BaseException, stack: Any = None) -> None:
        self._calls.append(("exception", repr(exception)))


class FakeProvider:
    """Stands in for the X-Ray recorder: records what the tracer would send."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def in_subsegment(self, name: str) -> Iterator[FakeSubsegment]:
        self.calls.append(("subsegment", name))
        yield FakeSubsegment(name, self.calls)

    def put_annotation(self, key: str, value: Any) -> None:
        self.calls.append(("annotation", {key: value}))

    def put_metadata(self, key: str, value: Any, namespace: str = "") -> None:
        self.calls.append(("metadata", {"key": key, "value": value}))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """The handlers' tracer switched on, sending to a fake recorder."""
    provider = FakeProvider()
    monkeypatch.setattr(tracer(), "provider", provider)
    monkeypatch.setattr(tracer(), "disabled", False)
    return provider


def test_tracing_is_off_outside_lambda_and_patches_only_botocore() -> None:
    assert tracer().disabled
    assert PATCHED_MODULES == ("botocore",)


def test_a_traced_create_never_puts_the_response_and_its_token_in_the_trace(
    deployed: Settings, recorded: FakeProvider, event_loop_for_mangum: object
) -> None:
    api = load_handler_module("api")
    event = json.loads((REPO_ROOT / "events" / "api_create_job.json").read_text())

    reply = api.handler(event, InvocationContext.for_timeout(10, function_name="stack-api"))

    token = json.loads(reply["body"])["token"]
    assert ("subsegment", "## handler") in recorded.calls
    assert token not in repr(recorded.calls)
    assert not [call for call in recorded.calls if call[0] == "metadata"]


def test_a_worker_trace_is_annotated_with_its_job(
    deployed: Settings, recorded: FakeProvider
) -> None:
    worker = load_handler_module("worker")

    worker.handler(
        {"job_id": "no-such-job", "hop": 0},
        InvocationContext.for_timeout(60, function_name="stack-worker"),
    )

    assert ("annotation", {"job_id": "no-such-job"}) in recorded.calls
