"""Leases: who drives a job. One driver at a time holds the job item's lease; every write it makes
is fenced by it (table_access.require_lease_owner), so a driver that lost its lease writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from jobstream.store import attribute_values as av
from jobstream.store import schema
from jobstream.store.dynamo_calls import ConditionFailed
from jobstream.store.errors import JobFinished, JobNotFound, LeaseHeld, LeaseLost
from jobstream.store.expressions import Expression
from jobstream.store.job_codec import is_expired, job_from_item
from jobstream.store.models import TERMINAL_STATUSES, Job, JobStatus, Lease
from jobstream.store.table_access import TableAccess, require_lease_owner, require_live_job


class Leases(TableAccess):
    def acquire_lease(
        self,
        job_id: str,
        *,
        duration_s: float,
        owner: str | None = None,
        unchanged_since: float | None = None,
    ) -> tuple[Lease, Job]:
        """Take the job if nobody holds it (or the holder's lease expired).

        ``owner``: a caller-chosen, stable owner (the durable driver's: one per durable step) that
        may also re-take a lease it already holds: a replayed durable step is the same owner as its
        crashed first run, and must not wait for that run's lease to expire. None: a fresh uuid.
        ``unchanged_since``: only if the job's ``updated_at`` is still exactly this (the sweep's
        judgement of a job holds only for the job it read); LeaseHeld if it moved.
        """
        if duration_s <= 0:
            raise ValueError("lease duration must be positive")
        now = self._clock.time()
        reentrant = owner is not None
        owner = owner if owner is not None else str(uuid.uuid4())
        expires_at = now + duration_s
        expression = Expression()
        expression.set(schema.LEASE_OWNER, av.s(owner))
        expression.set(schema.LEASE_EXPIRES_AT, av.n(expires_at))
        # The condition below excludes terminal jobs, so this only ever moves QUEUED -> RUNNING.
        expression.set(schema.STATUS, av.s(JobStatus.RUNNING.value))
        expression.set(schema.UPDATED_AT, av.n(now))
        require_live_job(expression, now)
        status = expression.name(schema.STATUS)
        terminal = ", ".join(expression.value(av.s(s.value)) for s in sorted(TERMINAL_STATUSES))
        expression.require(f"NOT {status} IN ({terminal})")
        lease_owner = expression.name(schema.LEASE_OWNER)
        lease_expires = expression.name(schema.LEASE_EXPIRES_AT)
        expired = f"{lease_expires} <= {expression.value(av.n(now))}"
        free = f"attribute_not_exists({lease_owner}) OR {expired}"
        if reentrant:
            free += f" OR {lease_owner} = {expression.value(av.s(owner))}"
        expression.require(free)
        if unchanged_since is not None:
            updated = expression.name(schema.UPDATED_AT)
            expression.require(f"{updated} = {expression.value(av.n(unchanged_since))}")
        try:
            item = self._update_job("UpdateItem", job_id, expression, return_new=True)
        except ConditionFailed as failed:
            old = failed.old_items[0]
            if old and av.get_s(old, schema.LEASE_OWNER) == owner:
                # botocore retried an update whose reply was lost after it was applied: the owner
                # is this call's own fresh uuid, so the lease is ours (else the job would stall,
                # held by nobody, until the lease expired and a status read restarted it).
                item = old
            elif not old or is_expired(old, now):
                raise JobNotFound(job_id) from None
            elif JobStatus(av.require_s(old, schema.STATUS)).is_terminal:
                raise JobFinished(job_id) from None
            else:
                raise LeaseHeld(job_id, av.get_n(old, schema.LEASE_EXPIRES_AT)) from None
        assert item is not None
        job = job_from_item(item)
        lease = Lease(
            job_id=job_id,
            owner=owner,
            expires_at=expires_at,
            job_expires_at=job.expires_at,
            job_owner=job.owner,
        )
        return lease, job

    def claim_execution(self, job_id: str, execution_id: str) -> Job:
        """Record ``execution_id`` as the durable execution driving the job, unless another is.

        Returns the job as stored: its ``execution_id`` is the caller's if the claim held (or was
        already made), another one's if not. JobNotFound for a missing or expired job.
        """
        now = self._clock.time()
        expression = Expression()
        expression.set(schema.EXECUTION_ID, av.s(execution_id))
        require_live_job(expression, now)
        name = expression.name(schema.EXECUTION_ID)
        expression.require(
            f"attribute_not_exists({name}) OR {name} = {expression.value(av.s(execution_id))}"
        )
        try:
            item = self._update_job("UpdateItem", job_id, expression, return_new=True)
        except ConditionFailed as failed:
            old = failed.old_items[0] if failed.old_items else None
            if not old or is_expired(old, now):
                raise JobNotFound(job_id) from None
            item = old
        assert item is not None
        return job_from_item(item)

    def renew_lease(self, lease: Lease, *, duration_s: float) -> Lease:
        """Extend ``lease``. Allowed after it expired as long as nobody else took the job."""
        if duration_s <= 0:
            raise ValueError("lease duration must be positive")
        now = self._clock.time()
        expires_at = now + duration_s
        expression = Expression()
        expression.set(schema.LEASE_EXPIRES_AT, av.n(expires_at))
        require_lease_owner(expression, lease, now)
        try:
            self._update_job("UpdateItem", lease.job_id, expression, return_new=False)
        except ConditionFailed:
            raise LeaseLost(lease.job_id, lease.owner) from None
        return replace(lease, expires_at=expires_at)

    def release_lease(self, lease: Lease) -> None:
        now = self._clock.time()
        expression = Expression()
        expression.remove(schema.LEASE_OWNER)
        expression.remove(schema.LEASE_EXPIRES_AT)
        expression.set(schema.UPDATED_AT, av.n(now))
        expression.require(
            f"{expression.name(schema.LEASE_OWNER)} = {expression.value(av.s(lease.owner))}"
        )
        try:
            self._update_job("UpdateItem", lease.job_id, expression, return_new=False)
        except ConditionFailed:
            return  # already lost or released: nothing of ours to give back
