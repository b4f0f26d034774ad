"""Both worker drivers behind one call, for the tests of properties every driver must have.

``run_jobs`` plays Lambda for whatever the service started: the chain's hop invocations
(``fakes.run_worker_chain``) or, for the durable driver, one durable execution per job under AWS's
local runner (``durable_runs.run_durable_executions``).
"""

from __future__ import annotations

import pytest

from jobstream.jobs import JobService
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.durable_runs import DurableLog, run_durable_executions
from tests.unit.jobs.fakes import ChainLog, FakeClock, run_worker_chain

DRIVERS = ("chain", "durable")

# Apply to a test taking a ``driver`` argument: it runs once per driver.
each_driver = pytest.mark.parametrize("driver", DRIVERS)


def run_jobs(
    driver: str,
    service: JobService,
    invoker: RecordingInvoker,
    clock: FakeClock,
    *,
    timeout_s: float,
) -> ChainLog | DurableLog:
    """Run every job the service started to its end. ``timeout_s``: the chain's invocation
    timeout (a durable execution continues itself and has no such bound)."""
    assert service.settings.driver == driver
    if driver == "chain":
        return run_worker_chain(service, invoker, clock, timeout_s=timeout_s)
    return run_durable_executions(service, invoker)
