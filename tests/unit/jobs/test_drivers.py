"""The worker drivers' registry (jobstream.jobs.drivers): chosen once by name, and every place
that runs a worker (the Lambda worker function, the local stack) knows each driver in it."""

from __future__ import annotations

import pytest

from jobstream.jobs import JobService
from jobstream.jobs.driver import JobDriver
from jobstream.jobs.drivers import DRIVERS, chosen_driver
from jobstream.jobs.durable_driver import DurableDriver
from jobstream.jobs.registry import JobRegistry
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_local.stack import _LOCAL_WORKERS
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import load_handler_module


@pytest.mark.parametrize(("name", "background"), [("chain", JobDriver), ("durable", DurableDriver)])
def test_the_settings_name_the_driver_of_background_jobs(name: str, background: type) -> None:
    settings = Settings(table="t", driver=name)  # type: ignore[arg-type]
    service = JobService(
        store=JobStore(settings),
        registry=JobRegistry(),
        invoker=RecordingInvoker(),
        settings=settings,
    )
    assert chosen_driver(settings).name == name
    assert isinstance(service._driver, background)
    # Inline jobs are the chain's to drive under every driver.
    assert isinstance(service._chain, JobDriver)


def test_every_worker_runs_every_driver() -> None:
    worker = load_handler_module("worker")
    assert set(worker._WORKERS) == set(DRIVERS)
    assert set(_LOCAL_WORKERS) == set(DRIVERS)
