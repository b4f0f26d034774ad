"""The sweep: ends jobs nobody will ever finish, so their viewers stop waiting and their owners'
quota slots come free.

Run on a schedule (the template's SweepFunction, every few minutes). It reads only the jobs the
store's ``SweepIndex`` says are due (jobstream.store.sweep_index: no table scan), reads each job
consistently and judges it (``judge``, a pure function of the job and the time):

- a live driver holds it, or it moved within ``abandon_after_seconds``: alive, look again later;
- a durable execution drives it: alive until DurableExecutionTimeout (plus the grace the status
  read gives it) has passed since its creation; then Lambda has stopped it, and nothing inside it
  can write its end;
- otherwise nothing has driven it for ``abandon_after_seconds`` (an inline job nobody opened, a
  chain whose worker died and whose continuation was lost): abandoned.

An abandoned job ends the way every job ends: under a lease, through the fenced append that writes
its terminal ``error`` event, sets its status and frees its owner's quota slot in one transaction
(runner.end_job). The lease is taken only if the job is still exactly as judged (its
``updated_at``): a worker that took or released it since, or finished it, wins, and the sweep
leaves it alone. Running twice, or twice at once, ends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.jobs import events
from jobstream.jobs.durable_driver import DURABLE_TIMEOUT_GRACE_S, TIMED_OUT_MESSAGE
from jobstream.jobs.runner import ChunkEnd, end_job
from jobstream.jobs.unattended import leased
from jobstream.settings import Settings
from jobstream.store.errors import JobFinished, JobNotFound, LeaseHeld
from jobstream.store.job_store import JobStore
from jobstream.store.models import Job, JobMode, JobStatus

logger = logging.getLogger(__name__)

# Stop looking at more jobs when the invocation has less than this left: ending one job is a few
# requests, well within it.
STOP_MARGIN_S = 5.0


def never_opened_message(seconds: float) -> str:
    return f"The job failed: nobody opened its event stream within {seconds:g} s, so it never ran."


def abandoned_message(seconds: float) -> str:
    return (
        f"The job failed: nothing has run it for {seconds:g} s (its worker stopped and was not "
        "restarted)."
    )


@dataclass(frozen=True, slots=True)
class Alive:
    """Leave the job; look again at ``look_again_at`` (epoch seconds)."""

    look_again_at: float


@dataclass(frozen=True, slots=True)
class Abandoned:
    """End the job with this client-facing message."""

    message: str


def judge(job: Job, *, now: float, settings: Settings) -> Alive | Abandoned:
    """What the sweep does with an unfinished job at ``now``."""
    abandon_after = settings.abandon_after_seconds
    if leased(job, now):
        return Alive(now + abandon_after)
    if job.execution_id is not None:
        # A durable execution may wait (unleased, unchanged) for as long as it may live.
        deadline = job.created_at + settings.durable_execution_timeout_seconds
        deadline += DURABLE_TIMEOUT_GRACE_S
        return Alive(deadline) if now < deadline else Abandoned(TIMED_OUT_MESSAGE)
    # An expired lease counts as the last sign of life: its driver was alive until then.
    idle_since = max(job.updated_at, job.lease_expires_at or 0.0)
    if now < idle_since + abandon_after:
        return Alive(idle_since + abandon_after)
    never_ran = job.mode is JobMode.INLINE and job.hops == 0 and job.last_event_id == 0
    if never_ran:
        return Abandoned(never_opened_message(abandon_after))
    return Abandoned(abandoned_message(abandon_after))


@dataclass(slots=True)
class SweepReport:
    """What one run did (logged, and the handler's answer)."""

    looked_at: int = 0
    ended: list[str] = field(default_factory=list)
    rescheduled: int = 0
    unlisted: int = 0
    # Left for a later run: a driver took, moved or finished the job while the sweep looked.
    skipped: int = 0
    # Stopped before the last due job (the invocation's time ran short).
    stopped_early: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "looked_at": self.looked_at,
            "ended": len(self.ended),
            "rescheduled": self.rescheduled,
            "unlisted": self.unlisted,
            "skipped": self.skipped,
            "stopped_early": self.stopped_early,
        }


class Sweeper:
    def __init__(self, *, store: JobStore, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock

    def run(self, *, remaining_s: Callable[[], float]) -> SweepReport:
        """Look at every job due now, while more than STOP_MARGIN_S of the invocation is left."""
        report = SweepReport()
        for due in self._store.due_jobs(now=self._store.now()):
            if remaining_s() < STOP_MARGIN_S:
                report.stopped_early = True
                break
            report.looked_at += 1
            self._look_at(due.job_id, report)
        logger.info("sweep done", extra=report.as_dict())
        return report

    def _look_at(self, job_id: str, report: SweepReport) -> None:
        try:
            job = self._store.get_job(job_id)
        except JobNotFound:
            # Expired (TTL deletes lazily): nothing to end, and nobody can read it any more.
            report.unlisted += self._store.unlist(job_id)
            return
        if job.status.is_terminal:
            report.unlisted += self._store.unlist(job_id)
            return
        verdict = judge(job, now=self._store.now(), settings=self._settings)
        if isinstance(verdict, Alive):
            report.rescheduled += self._store.reschedule(job_id, at=verdict.look_again_at)
            return
        if self._end(job, verdict.message):
            report.ended.append(job_id)
            logger.warning(
                "job %s: ended by the sweep: %s", job_id, verdict.message, extra={"job_id": job_id}
            )
        else:
            report.skipped += 1

    def _end(self, job: Job, message: str) -> bool:
        try:
            lease, held = self._store.acquire_lease(
                job.job_id,
                duration_s=self._settings.lease_seconds,
                unchanged_since=job.updated_at,
            )
        except (LeaseHeld, JobFinished, JobNotFound):
            return False
        chunk = end_job(
            self._store,
            lease,
            held,
            events.error(message=message),
            JobStatus.FAILED,
            error=message,
            settings=self._settings,
            clock=self._clock,
        )
        return chunk.end is ChunkEnd.FINISHED
