"""Jobs fixtures: the moto table, a fake clock shared by store and jobs, a recording invoker."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import JobRegistry, JobService
from jobstream.settings import Settings
from jobstream.store import JobStore, StoredEvent
from jobstream_sandbox.invokers import RecordingInvoker
from tests.unit.jobs.fakes import FakeClock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def job_settings(settings: Settings) -> Settings:
    """Deterministic defaults: no real waiting anywhere, a cancel check at every step."""
    return settings.with_changes(
        {
            "cancel_check_seconds": 0.0,
            "chunk_safety_margin_seconds": 1.0,
            "step_retry_base_seconds": 0.5,
            "stall_after_seconds": 30.0,
        }
    )


@pytest.fixture
def store(job_settings: Settings, ddb: DynamoDBClient, clock: FakeClock) -> JobStore:
    return JobStore(job_settings, client=ddb, clock=clock.no_sleeps())


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def registry() -> JobRegistry:
    return demo_registry()


ServiceFactory = Callable[..., JobService]


@pytest.fixture
def make_service(
    store: JobStore,
    registry: JobRegistry,
    invoker: RecordingInvoker,
    job_settings: Settings,
    clock: FakeClock,
) -> ServiceFactory:
    """A JobService on the shared fakes; keyword overrides replace any of its parts or settings."""

    def make(**overrides: Any) -> JobService:
        settings_update = overrides.pop("settings", {})
        if isinstance(settings_update, Settings):
            settings, settings_update = settings_update, {}
        else:
            settings = job_settings.with_changes(settings_update)
        if settings_update:
            store_ = JobStore(settings, client=store.client, clock=clock.no_sleeps())
        else:
            store_ = store
        parts: dict[str, Any] = {
            "store": store_,
            "registry": registry,
            "invoker": invoker,
            "settings": settings,
            "clock": clock,
            "background_flush": False,
        }
        parts.update(overrides)
        return JobService(**parts)

    return make


@pytest.fixture
def service(make_service: ServiceFactory) -> JobService:
    return make_service()


def all_events(store: JobStore, job_id: str) -> list[StoredEvent]:
    return list(store.events_after(job_id, 0))
