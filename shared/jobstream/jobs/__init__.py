"""Long work: job types, deadline-aware chunks with checkpoints, the worker chain, the job service.

Reading order: registry.py (a job type) -> context.py (what a job sees, one step) -> commit.py
(steps + checkpoint, atomically) -> runner.py (one chunk) -> driver.py (worker hops, inline drives)
-> service.py (what the handlers call). demo.py has one job type per way of reporting progress.
"""

from jobstream.jobs.budget import ChunkBudget, remaining_from_context, remaining_until
from jobstream.jobs.clock import SYSTEM_CLOCK, Clock, SystemClock
from jobstream.jobs.context import JobContext
from jobstream.jobs.driver import DriveOutcome, DriveResult, JobDriver
from jobstream.jobs.errors import InvalidParams, JobError, StepContractError, UnknownJobType
from jobstream.jobs.invokers import (
    LambdaWorkerInvoker,
    RecordingInvoker,
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
    "LambdaWorkerInvoker",
    "RecordingInvoker",
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
