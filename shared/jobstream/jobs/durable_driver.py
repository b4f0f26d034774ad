"""DurableDriver: a job driven by one Lambda durable execution instead of a chain of invocations.

The same job types run unchanged; only what drives their steps differs. One durable execution per
job (its name is the job id, so a repeated start returns the same execution):

1. ``claim``: a durable step recording the execution on the job (``JobStore.claim_execution``);
   a second execution of the same job finds the first one's id there and ends without touching it;
2. ``chunk-<n>``: durable steps, each running job steps with the same ChunkRunner as the chain
   (cancel checks, step retries, terminal events, batched fenced appends) under the job's lease,
   for up to ``durable_step_seconds`` (0: one job step per durable step);
3. between chunks, durable waits: a ``ctx.sleep()`` of at least ``durable_wait_min_seconds`` ends
   the chunk before that job step (rolled back, nothing written) and becomes a wait; after it the
   step re-runs and that sleep returns at once. A backoff between failed attempts of a step is a
   wait too. When the invocation's time runs short, a 1 s wait moves the job to a fresh invocation
   (Lambda's own continuation: no self-invocation, no recursion guard, no hop budget).

Exactly-once events under replay. Lambda may run a durable step again (the invocation died after
the step's work and before Lambda recorded its result). The log, not Lambda, is the truth: a chunk
reads the job's checkpoint when it starts, and every append is the chain's fenced conditional one
(``last_event_id == after_id``, lease owner). So a replayed chunk starts after everything its
first run appended, finds the job finished if its first run finished it, and writes nothing twice.
Its lease owner is fixed per durable step (``durable:<execution>:<step>``) so that a replay may
re-take the lease its crashed first run left behind instead of waiting for it to expire.

Every decision of the orchestrating code comes from step results, which Lambda replays as they
were recorded: the sequence of durable operations is the same in every replay, as the SDK needs.
``DurableOps`` is what this module needs of a durable execution; ``jobs/durable_sdk.py`` adapts the
SDK's DurableContext to it, so nothing here imports the SDK.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import JobstreamError
from jobstream.jobs import events
from jobstream.jobs.budget import ChunkBudget
from jobstream.jobs.invokers import WorkerInvoker
from jobstream.jobs.registry import JobRegistry
from jobstream.jobs.runner import ChunkEnd, ChunkResult, ChunkRunner, SleepDeferred
from jobstream.jobs.unattended import kick, leased, stalled
from jobstream.settings import Settings
from jobstream.store.errors import JobFinished, JobNotFound, LeaseHeld
from jobstream.store.job_store import JobStore
from jobstream.store.models import Job, JobStatus, JSONObject, Lease, NewEvent

logger = logging.getLogger(__name__)

# What a client sees when the infrastructure (not the job) kept failing; details go to the log.
GAVE_UP_MESSAGE = (
    "The job failed: it could not be continued after repeated errors outside the job. "
    "The details are in the server log."
)
# What a client sees when the job's durable execution outlived DurableExecutionTimeout: Lambda
# stopped it, and nothing inside the execution could say so.
TIMED_OUT_MESSAGE = (
    "The job failed: it ran longer than its durable execution may (DurableExecutionTimeout)."
)
# How long after DurableExecutionTimeout (counted from the job's creation) a job still unfinished
# is taken for stopped by Lambda.
DURABLE_TIMEOUT_GRACE_S = 300
# A durable wait is whole seconds, at least one.
MIN_WAIT_S = 1


class DurableStepFailed(JobstreamError):
    """A durable step failed on every attempt its retry strategy allowed (raised by DurableOps)."""


class RetryLater(JobstreamError):
    """Raised inside a durable step: retry it after ``delay_s`` without counting an attempt
    (the job's lease is held by someone else; it expires or is released in that time)."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(f"retry in {delay_s:.0f} s")
        self.delay_s = delay_s


StepFunction = Callable[[int], JSONObject]


class DurableOps(Protocol):
    """The operations of one durable execution, as the driver uses them."""

    @property
    def execution_id(self) -> str: ...

    def step(self, name: str, function: StepFunction) -> JSONObject:
        """Run ``function(attempt)`` once, durably: on replay its recorded result is returned.

        Retries it (a RetryLater after its delay, uncounted; anything else with backoff up to
        Settings.durable_step_max_attempts), then raises DurableStepFailed (on replay too)."""
        ...

    def wait(self, name: str, seconds: int) -> None:
        """A durable wait: no compute runs until it is over (a replay passes a finished one)."""
        ...

    def remaining_s(self) -> float:
        """Seconds left in the current invocation."""
        ...


class DeferringClock:
    """The clock a job step sees under the durable driver: long sleeps become durable waits.

    ``credit``: the seconds of a wait the driver has just done for the step being re-run; the
    step's first long sleep that fits in it returns at once.
    """

    def __init__(self, base: Clock, *, min_wait_s: float, credit_s: float = 0.0) -> None:
        self._base = base
        self._min_wait_s = min_wait_s
        self._credit_s = credit_s

    def time(self) -> float:
        return self._base.time()

    def monotonic(self) -> float:
        return self._base.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds < self._min_wait_s:
            self._base.sleep(seconds)
            return
        if 0 < seconds <= self._credit_s:
            self._credit_s = 0.0
            return
        raise SleepDeferred(seconds)


@dataclass(frozen=True, slots=True)
class DurableRunResult:
    """What one durable execution did (its handler's return value, as JSON)."""

    outcome: str  # "finished" | "skipped"
    reason: str = ""
    status: str | None = None
    chunks: int = 0

    def to_json(self) -> JSONObject:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "status": self.status,
            "chunks": self.chunks,
        }


class DurableDriver:
    def __init__(
        self,
        *,
        store: JobStore,
        registry: JobRegistry,
        invoker: WorkerInvoker,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        background_flush: bool = True,
    ) -> None:
        self._store = store
        self._registry = registry
        # Starts a job's execution (LambdaDurableInvoker): for a job whose start was lost.
        self._invoker = invoker
        self._settings = settings
        self._clock = clock
        self._background_flush = background_flush

    # --- the orchestration (replayed by Lambda: decisions only from step results) ---------------
    def run(self, job_id: str, ops: DurableOps) -> DurableRunResult:
        claim = ops.step("claim", lambda _attempt: self._claim(job_id, ops.execution_id))
        if not claim["drive"]:
            logger.info("job %s: execution skipped, %s", job_id, claim["reason"])
            return DurableRunResult("skipped", reason=str(claim["reason"]))
        credit_s = 0.0
        chunks = 0
        while True:
            chunks += 1
            name = f"chunk-{chunks}"
            try:
                chunk = ops.step(
                    name,
                    self._chunk_function(job_id, ops, name=name, credit_s=credit_s),
                )
            except DurableStepFailed:
                logger.error("job %s: %s failed on every attempt; the job fails", job_id, name)
                ended = ops.step("give-up", lambda _attempt: self._give_up(job_id, ops))
                return DurableRunResult("finished", status=ended.get("status"), chunks=chunks)
            end = chunk["end"]
            if end == "finished":
                return DurableRunResult("finished", status=chunk.get("status"), chunks=chunks)
            if end == "gone":
                return DurableRunResult("skipped", reason=str(chunk["reason"]), chunks=chunks)
            credit_s = 0.0
            wait_s = int(chunk.get("wait_s") or 0)
            if end == "waiting":
                ops.wait(f"sleep-{chunks}", wait_s)
                credit_s = wait_s
            elif wait_s:
                # A backoff before retrying a failed step, or a fresh invocation when this one's
                # time is short: either way the next chunk runs after a durable wait.
                ops.wait(f"pause-{chunks}", wait_s)

    # --- durable steps (each may run more than once) ----------------------------------------------
    def _claim(self, job_id: str, execution_id: str) -> JSONObject:
        try:
            job = self._store.claim_execution(job_id, execution_id)
        except JobNotFound:
            return {"drive": False, "reason": "job not found"}
        if job.execution_id != execution_id:
            return {"drive": False, "reason": "another durable execution drives this job"}
        if job.status.is_terminal:
            return {"drive": False, "reason": "job already finished"}
        return {"drive": True, "reason": ""}

    def _chunk_function(
        self, job_id: str, ops: DurableOps, *, name: str, credit_s: float
    ) -> StepFunction:
        def run_chunk(_attempt: int) -> JSONObject:
            return self._chunk(job_id, ops, name=name, credit_s=credit_s)

        return run_chunk

    def _take(self, job_id: str, ops: DurableOps, name: str) -> tuple[Lease, Job] | JSONObject:
        owner = f"durable:{ops.execution_id}:{name}"
        try:
            lease, job = self._store.acquire_lease(
                job_id, duration_s=self._settings.lease_seconds, owner=owner
            )
        except LeaseHeld as held:
            # An inline drive (or a chunk of an earlier invocation still running): it releases
            # the job at its end, or its lease expires.
            raise RetryLater(max(MIN_WAIT_S, (held.expires_at or 0) - self._store.now())) from None
        except JobFinished:
            job = self._store.get_job(job_id)
            return {"end": "finished", "status": job.status.value, "reason": "already finished"}
        except JobNotFound:
            return {"end": "gone", "reason": "job not found"}
        if job.execution_id not in (None, ops.execution_id):
            self._store.release_lease(lease)
            return {"end": "gone", "reason": "another durable execution drives this job"}
        return lease, job

    def _chunk(self, job_id: str, ops: DurableOps, *, name: str, credit_s: float) -> JSONObject:
        taken = self._take(job_id, ops, name)
        if isinstance(taken, dict):
            return taken
        lease, job = taken
        settings = self._settings
        runner = ChunkRunner(
            store=self._store,
            registry=self._registry,
            settings=settings,
            clock=self._clock,
            background_flush=self._background_flush,
            step_clock=DeferringClock(
                self._clock, min_wait_s=settings.durable_wait_min_seconds, credit_s=credit_s
            ),
        )
        margin_s = settings.chunk_safety_margin_seconds
        slice_end = self._clock.monotonic() + settings.durable_step_seconds
        budget: ChunkBudget

        def remaining_s() -> float:
            # The invocation's time, or the durable step's slice, whichever ends first.
            in_slice = margin_s + budget.expected_step_s + slice_end - self._clock.monotonic()
            return min(ops.remaining_s(), in_slice)

        budget = ChunkBudget(remaining_s, margin_s=margin_s)
        try:
            chunk = runner.run(lease, job, budget, min_steps=1)
        except BaseException:
            self._release_quietly(lease)
            raise
        if chunk.end is not ChunkEnd.FINISHED:
            self._store.release_lease(lease)
        return self._chunk_result(chunk, budget, ops)

    def _chunk_result(self, chunk: ChunkResult, budget: ChunkBudget, ops: DurableOps) -> JSONObject:
        result: dict[str, Any] = {
            "end": chunk.end.value,
            "steps": chunk.steps,
            "last_event_id": chunk.last_event_id,
            "status": None if chunk.status is None else chunk.status.value,
            "wait_s": 0,
        }
        if chunk.end is ChunkEnd.WAITING:
            result["wait_s"] = max(MIN_WAIT_S, math.ceil(chunk.wait_s))
        elif chunk.end is ChunkEnd.YIELDED:
            settings = self._settings
            if chunk.failed_attempts:
                backoff = min(
                    settings.step_retry_base_seconds * 2 ** (chunk.failed_attempts - 1),
                    settings.step_retry_max_seconds,
                )
                result["wait_s"] = max(MIN_WAIT_S, math.ceil(backoff)) if backoff > 0 else 0
            low = ops.remaining_s() - budget.expected_step_s <= settings.chunk_safety_margin_seconds
            if low and not result["wait_s"]:
                result["wait_s"] = MIN_WAIT_S
        elif chunk.end is ChunkEnd.LEASE_LOST:
            # Another driver took the job over; the next chunk waits for it (RetryLater) or ends.
            result["end"] = "yielded"
        return result

    def _give_up(self, job_id: str, ops: DurableOps) -> JSONObject:
        taken = self._take(job_id, ops, "give-up")
        if isinstance(taken, dict):
            return taken
        lease, job = taken
        runner = ChunkRunner(
            store=self._store,
            registry=self._registry,
            settings=self._settings,
            clock=self._clock,
            background_flush=False,
        )
        chunk = runner.end_job(
            lease,
            job,
            events.error(message=GAVE_UP_MESSAGE),
            JobStatus.FAILED,
            error=GAVE_UP_MESSAGE,
        )
        status = None if chunk.status is None else chunk.status.value
        return {"end": chunk.end.value, "status": status}

    # --- WorkerDriver (jobs/drivers.py): outside of any execution --------------------------------
    def look_after(self, job: Job) -> Job:
        now = self._store.now()
        if job.execution_id is None:
            # Its start was lost (or is on its way): start it, as the chain restarts a hop.
            if stalled(job, now=now, stall_after_s=self._settings.stall_after_seconds):
                kick(self._invoker, job, "restart stalled")
            return job
        # Its execution exists: Lambda resumes it (after a wait, a retry, a crash) by itself,
        # unless it outlived DurableExecutionTimeout. The execution may have started a little
        # after the job (a start retried by status()): the grace covers that, and a live
        # execution holding the lease is never ended.
        timed_out = (
            not job.status.is_terminal
            and not leased(job, now)
            and now - job.created_at
            >= self._settings.durable_execution_timeout_seconds + DURABLE_TIMEOUT_GRACE_S
        )
        if timed_out and self.end_timed_out(job.job_id):
            logger.warning(
                "job %s: its durable execution outlived DurableExecutionTimeout; failed it",
                job.job_id,
                extra={"job_id": job.job_id},
            )
            return self._store.get_job(job.job_id)
        return job

    def cancel_unattended(self, job: Job) -> Job:
        # Its execution may sit in a long durable wait: write the cancel now instead.
        if self.apply_cancel(job.job_id):
            return self._store.get_job(job.job_id)
        return job

    def apply_cancel(self, job_id: str) -> bool:
        """Write a cancel request's ``cancelled`` event now, if nobody drives the job.

        A durable execution may be in a wait for a long time; it finds the job finished when it
        wakes. False if another driver holds the job (it sees the request at its next step).
        """
        return self._end_unattended(job_id, events.cancelled(), JobStatus.CANCELLED, error=None)

    def end_timed_out(self, job_id: str) -> bool:
        """Fail a job whose execution Lambda stopped at DurableExecutionTimeout (its terminal
        ``error`` event, so viewers stop waiting), if nobody drives it."""
        return self._end_unattended(
            job_id,
            events.error(message=TIMED_OUT_MESSAGE),
            JobStatus.FAILED,
            error=TIMED_OUT_MESSAGE,
        )

    def _end_unattended(
        self, job_id: str, event: NewEvent, status: JobStatus, *, error: str | None
    ) -> bool:
        # Under a lease, through the same fenced append as every other end: if the execution is
        # alive after all and holds the job, this writes nothing.
        try:
            lease, job = self._store.acquire_lease(job_id, duration_s=self._settings.lease_seconds)
        except (LeaseHeld, JobFinished, JobNotFound):
            return False
        runner = ChunkRunner(
            store=self._store,
            registry=self._registry,
            settings=self._settings,
            clock=self._clock,
            background_flush=False,
        )
        chunk = runner.end_job(lease, job, event, status, error=error)
        return chunk.end is ChunkEnd.FINISHED

    def _release_quietly(self, lease: Lease) -> None:
        try:
            self._store.release_lease(lease)
        except Exception:
            logger.exception("job %s: could not release the lease after a failure", lease.job_id)
