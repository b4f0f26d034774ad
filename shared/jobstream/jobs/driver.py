"""JobDriver: who may run a job's next chunk, and what happens after it.

Worker hops. The worker is started with ``{"job_id", "hop": n}``; ``job.hops`` counts the hops that
have started. Asynchronous invocation is at-least-once, so every invocation first proves it is the
one expected:

- finished job, unknown job -> exit;
- ``hop != job.hops`` -> a duplicate or late delivery of a hop that already ran -> exit. The one
  exception is an *abandoned* job (its lease expired while held: the driver died): any invocation
  may resume it, because no other chain of invocations is alive for it;
- the lease is held by another driver -> exit (a duplicate arriving while its twin runs);
- after taking the lease: if ``job.hops`` moved meanwhile -> release and exit; if it reached
  ``Settings.max_hops`` -> the job fails with a terminal ``error``; else ``hops + 1`` is written at
  once (so crash loops also spend the budget), the chunk runs, and if the job is not done the lease
  is released *before* the next hop is invoked (else that hop could find it still held).

So a duplicate never starts a second chain: each chain step needs ``hop == job.hops`` and moves it.

Inline drives. The stream function runs chunks while a viewer watches, under the same lease; when
its window ends it hands the job to the worker (``hop = job.hops``; inline chunks are not hops).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.jobs import events
from jobstream.jobs.budget import ChunkBudget
from jobstream.jobs.invokers import WorkerInvoker
from jobstream.jobs.registry import JobRegistry
from jobstream.jobs.runner import ChunkEnd, ChunkResult, ChunkRunner
from jobstream.jobs.unattended import kick, lease_abandoned, stalled
from jobstream.settings import Settings
from jobstream.store.errors import JobFinished, JobNotFound, LeaseHeld, LeaseLost
from jobstream.store.job_store import JobStore
from jobstream.store.models import Job, JobMode, JobStatus, Lease

logger = logging.getLogger(__name__)


# The inline window is the stream's, which itself ends before the invocation does
# (stream_deadline_margin_seconds), so the hand-off (one write, a release, an async invoke) needs
# little: unlike a worker hop, nothing kills the function at the end of this window.
INLINE_MARGIN_S = 1.0


def hop_budget_message(max_hops: int) -> str:
    return f"The job did not finish within its budget of {max_hops} worker invocations."


class DriveOutcome(StrEnum):
    FINISHED = "finished"  # the job ended during this call
    HANDED_OFF = "handed_off"  # the chunk ended in time; the worker continues the job
    SKIPPED = "skipped"  # nothing to do here (see DriveResult.reason)
    LEASE_LOST = "lease_lost"  # another driver took the job over mid-chunk


@dataclass(frozen=True, slots=True)
class DriveResult:
    outcome: DriveOutcome
    reason: str = ""
    steps: int = 0
    status: JobStatus | None = None


class JobDriver:
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
        self._invoker = invoker
        self._settings = settings
        self._clock = clock
        self._runner = ChunkRunner(
            store=store,
            registry=registry,
            settings=settings,
            clock=clock,
            background_flush=background_flush,
        )

    # --- worker -----------------------------------------------------------------------------------
    def run_hop(self, job_id: str, *, hop: int, remaining_s: Callable[[], float]) -> DriveResult:
        """One worker invocation: run a chunk of ``job_id`` if this hop is the one expected."""
        try:
            before = self._store.get_job(job_id)
        except JobNotFound:
            return self._skip(job_id, hop, "job not found")
        if before.status.is_terminal:
            return self._skip(job_id, hop, "job already finished")
        if hop != before.hops and not lease_abandoned(before, self._store.now()):
            return self._skip(job_id, hop, f"stale hop (job is at hop {before.hops})")
        taken = self._take(job_id)
        if isinstance(taken, DriveResult):
            return taken
        lease, job = taken
        if job.hops != before.hops:
            self._store.release_lease(lease)
            return self._skip(job_id, hop, "another invocation ran this hop meanwhile")
        if job.hops >= self._settings.max_hops:
            message = hop_budget_message(self._settings.max_hops)
            logger.error("job %s: hop budget of %d spent", job_id, self._settings.max_hops)
            chunk = self._runner.end_job(
                lease, job, events.error(message=message), JobStatus.FAILED, error=message
            )
            return self._after_chunk(lease, job, chunk)
        try:
            self._store.append(lease, [], after_id=job.last_event_id, hops=job.hops + 1)
        except (LeaseLost, JobFinished, JobNotFound):
            return DriveResult(DriveOutcome.LEASE_LOST, "lost the job before its first step")
        job = replace(job, hops=job.hops + 1)
        budget = ChunkBudget(remaining_s, margin_s=self._settings.chunk_safety_margin_seconds)
        chunk = self._runner.run(lease, job, budget, min_steps=1)
        return self._after_chunk(lease, job, chunk)

    # --- inline -----------------------------------------------------------------------------------
    def drive_inline(
        self,
        job_id: str,
        *,
        remaining_s: Callable[[], float],
        stop: threading.Event | None = None,
        margin_s: float = INLINE_MARGIN_S,
    ) -> DriveResult:
        """Drive an inline job from the stream function while ``remaining_s()`` stays positive.

        A step starts only if it should end ``margin_s`` before the window closes; ``stop`` set
        ends the drive at the next step boundary. Then the job is handed to the worker, so it
        finishes even if the viewer never comes back. SKIPPED when the job is not an inline job,
        is finished, or another driver holds it (the caller just streams the log). Raises only on
        store failures, after trying to hand the job to the worker.
        """
        if not self._settings.mode_inline_enabled:
            return self._skip(job_id, None, "inline mode is disabled")
        try:
            before = self._store.get_job(job_id)
        except JobNotFound:
            return self._skip(job_id, None, "job not found")
        if before.status.is_terminal:
            return self._skip(job_id, None, "job already finished")
        if before.mode is not JobMode.INLINE:
            return self._skip(job_id, None, "not an inline job")
        taken = self._take(job_id)
        if isinstance(taken, DriveResult):
            return taken
        lease, job = taken
        budget = ChunkBudget(remaining_s, margin_s=margin_s, stop=stop)
        try:
            chunk = self._runner.run(lease, job, budget)
        except Exception:
            logger.exception("job %s: inline chunk failed; handing the job to the worker", job_id)
            self._hand_off_after_failure(lease, job)
            raise
        return self._after_chunk(lease, job, chunk)

    # --- WorkerDriver (jobs/drivers.py): a job nobody drives ----------------------------------
    def look_after(self, job: Job) -> Job:
        if stalled(job, now=self._store.now(), stall_after_s=self._settings.stall_after_seconds):
            kick(self._invoker, job, "restart stalled")
        return job

    def cancel_unattended(self, job: Job) -> Job:
        # A worker hop finds the request at its first step boundary and writes the event.
        kick(self._invoker, job, "apply cancel")
        return job

    # --- shared ---
    def _take(self, job_id: str) -> tuple[Lease, Job] | DriveResult:
        try:
            return self._store.acquire_lease(job_id, duration_s=self._settings.lease_seconds)
        except LeaseHeld:
            return self._skip(job_id, None, "another driver holds the job")
        except JobFinished:
            return self._skip(job_id, None, "job already finished")
        except JobNotFound:
            return self._skip(job_id, None, "job not found")

    def _after_chunk(self, lease: Lease, job: Job, chunk: ChunkResult) -> DriveResult:
        if chunk.end is ChunkEnd.FINISHED:
            return DriveResult(DriveOutcome.FINISHED, steps=chunk.steps, status=chunk.status)
        if chunk.end is ChunkEnd.LEASE_LOST:
            return DriveResult(DriveOutcome.LEASE_LOST, "another driver owns the job", chunk.steps)
        # Released first: the next hop must find the job free.
        self._store.release_lease(lease)
        try:
            self._invoker.invoke(job.job_id, hop=job.hops)
        except Exception:
            # The job waits, unleased, until JobService.status() sees it stalled and restarts it.
            logger.exception("job %s: could not start hop %d", job.job_id, job.hops)
            return DriveResult(DriveOutcome.HANDED_OFF, "continuation invoke failed", chunk.steps)
        return DriveResult(DriveOutcome.HANDED_OFF, steps=chunk.steps)

    def _hand_off_after_failure(self, lease: Lease, job: Job) -> None:
        # Safe to release after a failed (maybe half-done) write: the next driver re-reads the job.
        try:
            self._store.release_lease(lease)
            self._invoker.invoke(job.job_id, hop=job.hops)
        except Exception:
            logger.exception("job %s: hand-off failed too; status() will re-start it", job.job_id)

    @staticmethod
    def _skip(job_id: str, hop: int | None, reason: str) -> DriveResult:
        logger.info("job %s%s: skipped, %s", job_id, "" if hop is None else f" hop {hop}", reason)
        return DriveResult(DriveOutcome.SKIPPED, reason)
