"""The worker drivers by name, chosen once where the container starts (Settings.driver, the
template's WorkerDriver), as Mangum picks its handler from ``HANDLERS``: nothing else compares a
driver's name.

Both drivers implement ``WorkerDriver``, what JobService asks of whoever drives background jobs
(status() and cancel() of a job nobody drives right now). Each also has its own worker entry,
which the worker function calls: ``JobDriver.run_hop`` (chain) and ``DurableDriver.run`` (durable).

Inline jobs are driven by the chain's code (``JobDriver.drive_inline``) under either driver: while
a viewer watches, the stream runs their chunks, then hands them to the worker through the
driver's invoker, which under ``durable`` starts the job's durable execution. ``DRIVERS`` names
that combination.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from jobstream.jobs.driver import JobDriver
from jobstream.jobs.durable_driver import DurableDriver
from jobstream.jobs.invokers import LambdaDurableInvoker, LambdaWorkerInvoker, WorkerInvoker

if TYPE_CHECKING:
    from jobstream.clock import Clock
    from jobstream.jobs.registry import JobRegistry
    from jobstream.settings import Settings
    from jobstream.store.job_store import JobStore
    from jobstream.store.models import Job


class WorkerDriver(Protocol):
    """What JobService asks of the driver of background jobs."""

    def look_after(self, job: Job) -> Job:
        """status() read ``job``, unfinished: restart it if its driving stopped (a lost
        continuation, a driver that died), end it if it can never finish; the job as it is now."""
        ...

    def cancel_unattended(self, job: Job) -> Job:
        """cancel() marked ``job``, unfinished and held by nobody: see that its ``cancelled``
        event gets written; the job as it is now."""
        ...


class DriverFactory(Protocol):
    def __call__(
        self,
        *,
        chain: JobDriver,
        store: JobStore,
        registry: JobRegistry,
        invoker: WorkerInvoker,
        settings: Settings,
        clock: Clock,
        background_flush: bool,
    ) -> WorkerDriver: ...


# Starts background jobs on Lambda: (worker function name or ARN, settings, store) -> invoker.
LambdaInvokerFactory = Callable[[str, "Settings", "JobStore"], "WorkerInvoker"]


@dataclass(frozen=True, slots=True)
class DriverChoice:
    """One worker driver: how background jobs are driven, and a line that says so."""

    name: str
    summary: str
    # Builds the driver of background jobs; ``chain`` is the service's JobDriver, which drives
    # inline jobs under every choice.
    background: DriverFactory
    # What starts a background job's driving on Lambda (jobstream.composition).
    lambda_invoker: LambdaInvokerFactory


def _chain(*, chain: JobDriver, **_: object) -> WorkerDriver:
    return chain


def _durable(
    *,
    chain: JobDriver,
    store: JobStore,
    registry: JobRegistry,
    invoker: WorkerInvoker,
    settings: Settings,
    clock: Clock,
    background_flush: bool,
) -> WorkerDriver:
    return DurableDriver(
        store=store,
        registry=registry,
        invoker=invoker,
        settings=settings,
        clock=clock,
        background_flush=background_flush,
    )


def _chain_invoker(function: str, settings: Settings, store: JobStore) -> WorkerInvoker:
    return LambdaWorkerInvoker(function, settings=settings)


def _durable_invoker(function: str, settings: Settings, store: JobStore) -> WorkerInvoker:
    # Starts a durable execution per job and records its ARN on the job.
    return LambdaDurableInvoker(function, settings=settings, record=store.claim_execution)


DRIVERS: Mapping[str, DriverChoice] = {
    "chain": DriverChoice("chain", "a chunk per invocation, then the next", _chain, _chain_invoker),
    # Background jobs: one durable execution each. Inline jobs: the chain's JobDriver while a
    # viewer watches, then the execution its hand-off starts.
    "durable": DriverChoice("durable", "one durable execution per job", _durable, _durable_invoker),
}


def chosen_driver(settings: Settings) -> DriverChoice:
    """The driver Settings.driver names (env_settings checks the name when it reads it)."""
    return DRIVERS[settings.driver]
