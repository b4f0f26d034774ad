"""Jobs nobody drives right now: when one counts as stalled, and the kick that restarts it.

Both worker drivers use these for what status() and cancel() do about a job no driver holds
(jobs/drivers.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobstream.jobs.invokers import WorkerInvoker
    from jobstream.store.models import Job

logger = logging.getLogger(__name__)


def lease_abandoned(job: Job, now: float) -> bool:
    """Held by a driver whose lease ran out: it died (or hung) without releasing it."""
    return (
        job.lease_owner is not None
        and job.lease_expires_at is not None
        and job.lease_expires_at <= now
    )


def leased(job: Job, now: float) -> bool:
    """A live driver holds the job."""
    return job.lease_owner is not None and not lease_abandoned(job, now)


def stalled(job: Job, *, now: float, stall_after_s: float) -> bool:
    """Unfinished, and nobody drives it: its lease was abandoned, or none was taken for long."""
    if job.status.is_terminal or leased(job, now):
        return False
    if lease_abandoned(job, now):
        return True
    # Unleased and unfinished is normal for a moment between two hops; only a long pause means
    # the continuation was lost. A needless kick is harmless (same hop number: a duplicate).
    return now - job.updated_at >= stall_after_s


def kick(invoker: WorkerInvoker, job: Job, why: str) -> None:
    """Start the worker on ``job``'s current hop; a failure is logged, not raised."""
    try:
        invoker.invoke(job.job_id, hop=job.hops)
    except Exception:
        # The job exists; status() will try again once it counts as stalled.
        logger.exception(
            "job %s: could not invoke the worker (%s)",
            job.job_id,
            why,
            extra={"job_id": job.job_id},
        )
