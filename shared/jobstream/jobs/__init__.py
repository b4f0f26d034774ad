"""Long work: job types, deadline-aware chunks with checkpoints, the worker chain, the job service.

A job type is a function and a pydantic model for its params::

    registry = JobRegistry()          # name it in Settings.job_registry ("mymodule:registry")

    class Resize(BaseModel):
        urls: list[str] = Field(min_length=1, max_length=1_000)

    @registry.job("images.resize", params=Resize)
    def resize(ctx: JobContext[Resize]) -> Iterator[None]:
        urls = ctx.params.urls
        for i in range(ctx.cursor or 0, len(urls)):      # resumes after the last finished step
            ok = shrink(urls[i])
            ctx.item(urls[i], ok=ok, reason=None if ok else "not an image")
            ctx.progress(i + 1, len(urls))
            ctx.advance(i + 1)                             # where a re-run continues
            yield                                          # step boundary
        ctx.complete({"resized": ctx.succeeded, "failed": ctx.failed})

A step function (``def step(ctx) -> None``, called once per step) works the same way without the
loop. A step's events reach the log together with its checkpoint, so a step may run again after a
crash (keep its side effects idempotent) but its events are never stored twice.

Reading order: registry.py (a job type) -> context.py (what a job sees, one step) -> commit.py
(steps + checkpoint, atomically) -> runner.py (one chunk) -> driver.py (the chain: worker hops,
inline drives) -> durable_driver.py (one durable execution per job) -> drivers.py (the two by
name, chosen once) -> service.py (what the handlers call). ``jobstream.examples.demo`` has one
example job type per way of reporting progress.
"""

from jobstream.clock import SYSTEM_CLOCK, Clock, SystemClock
from jobstream.errors import InvalidParams, UnknownJobType
from jobstream.jobs.budget import ChunkBudget, remaining_from_context, remaining_until
from jobstream.jobs.context import JobContext
from jobstream.jobs.driver import DriveOutcome, DriveResult, JobDriver
from jobstream.jobs.errors import JobError, RegistryNotFound, StepContractError
from jobstream.jobs.invokers import (
    LambdaDurableInvoker,
    LambdaWorkerInvoker,
    ThreadWorkerInvoker,
    WorkerInvoker,
    WorkerRequest,
)
from jobstream.jobs.registry import JobRegistry, JobType, load_registry
from jobstream.jobs.runner import ChunkEnd, ChunkResult, ChunkRunner
from jobstream.jobs.service import JobService

__all__ = [
    "SYSTEM_CLOCK",
    "ChunkBudget",
    "ChunkEnd",
    "ChunkResult",
    "ChunkRunner",
    "Clock",
    "DriveOutcome",
    "DriveResult",
    "InvalidParams",
    "JobContext",
    "JobDriver",
    "JobError",
    "JobRegistry",
    "JobService",
    "JobType",
    "LambdaDurableInvoker",
    "LambdaWorkerInvoker",
    "RegistryNotFound",
    "StepContractError",
    "SystemClock",
    "ThreadWorkerInvoker",
    "UnknownJobType",
    "WorkerInvoker",
    "WorkerRequest",
    "load_registry",
    "remaining_from_context",
    "remaining_until",
]
