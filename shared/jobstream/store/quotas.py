"""An owner's quota items: the set of its unfinished jobs (``ACTIVE``) and a create counter per
rate window (``RATE#<start>``), written in the same transactions as the job items they count.

A create within quota takes the job's slot in the transaction that puts the job (two racing
creates never share a slot); the append that ends the job frees it in the append's transaction
(the job ends once, so the slot is freed once).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobstream.store import attribute_values as av
from jobstream.store import schema, write_items
from jobstream.store.errors import QuotaExceeded
from jobstream.store.expressions import Expression

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

    from jobstream.store.models import CallerQuota, Job

# When a caller at its active-jobs limit may try again: no one knows when a job will end, so this is
# a polling interval, not a promise.
ACTIVE_LIMIT_RETRY_AFTER_SECONDS = 5
# A rate window's counter outlives its window by this much before TTL may delete it.
RATE_ITEM_SLACK_SECONDS = 60


@dataclass(frozen=True, slots=True)
class QuotaWindow:
    """The rate window a create at ``now`` counts in."""

    start: int
    end: int

    @classmethod
    def at(cls, now: float, quota: CallerQuota) -> QuotaWindow:
        start = int(now // quota.window_seconds) * quota.window_seconds
        return cls(start=start, end=start + quota.window_seconds)


def take_slot(
    table: str, owner: str, job: Job, quota: CallerQuota, window: QuotaWindow
) -> list[TransactWriteItemTypeDef]:
    """The two actions that go with the job's put: take a slot among the owner's unfinished jobs
    and count the create in its window, each conditional on room being left."""
    pk = schema.caller_pk(owner)
    active = Expression()
    active.add(schema.ACTIVE_JOBS, av.string_set([schema.active_entry(job.job_id, job.expires_at)]))
    # The newest job expires last (retention is one setting), so the set lives as long as its
    # last entry can matter.
    active.set(schema.EXPIRES_AT, av.ttl(job.expires_at))
    slots = active.name(schema.ACTIVE_JOBS)
    room = active.value(av.n(quota.max_active))
    active.require(f"attribute_not_exists({slots}) OR size({slots}) < {room}")
    return [
        {"Update": write_items.update(table, write_items.key(pk, schema.ACTIVE_SK), active)},
        {"Update": count_create(table, owner, quota.max_creates, window)},
    ]


def count_create(table: str, owner: str, max_creates: int, window: QuotaWindow) -> UpdateTypeDef:
    """Count one create in ``owner``'s rate window, on condition that the window has room."""
    rate = Expression()
    rate.add(schema.CREATES, av.n(1))
    rate.set(schema.EXPIRES_AT, av.ttl(window.end + RATE_ITEM_SLACK_SECONDS))
    creates = rate.name(schema.CREATES)
    rate.require(f"attribute_not_exists({creates}) OR {creates} < {rate.value(av.n(max_creates))}")
    return write_items.update(
        table, write_items.key(schema.caller_pk(owner), schema.rate_sk(window.start)), rate
    )


def address_owner(address: str) -> str:
    """The rate key of creates from one source address (ApiAuth=none: no caller to count)."""
    return f"address:{address}"


def active_limit_reached(quota: CallerQuota) -> QuotaExceeded:
    return QuotaExceeded(
        "active_jobs",
        quota.max_active,
        ACTIVE_LIMIT_RETRY_AFTER_SECONDS,
        f"you have {quota.max_active} unfinished jobs, the most allowed: wait "
        "for one to end (or cancel one) before creating another",
    )


def rate_limit_reached(quota: CallerQuota, window: QuotaWindow, now: float) -> QuotaExceeded:
    return QuotaExceeded(
        "create_rate",
        quota.max_creates,
        max(1, math.ceil(window.end - now)),
        f"you created {quota.max_creates} jobs in the last "
        f"{quota.window_seconds} s window, the most allowed",
    )


def prune_expired(
    table: str, owner: str, old: Mapping[str, Any] | None, now: float
) -> UpdateTypeDef | None:
    """The update that drops the entries of jobs that expired unfinished (they never end, so
    nothing else frees their slots), from the ``ACTIVE`` item as a failed create saw it; None if
    none expired."""
    expired = [
        entry
        for entry in av.get_ss(old or {}, schema.ACTIVE_JOBS)
        if (expires_at := schema.active_entry_expires_at(entry)) is not None and expires_at <= now
    ]
    if not expired:
        return None
    expression = Expression()
    expression.delete(schema.ACTIVE_JOBS, av.string_set(expired))
    return write_items.update(
        table, write_items.key(schema.caller_pk(owner), schema.ACTIVE_SK), expression
    )


def release_slot(
    table: str, owner: str, job_id: str, job_expires_at: float
) -> TransactWriteItemTypeDef:
    """Free the job's slot: an action of the append that ends the job."""
    expression = Expression()
    expression.delete(
        schema.ACTIVE_JOBS,
        av.string_set([schema.active_entry(job_id, math.ceil(job_expires_at))]),
    )
    # Unconditional (a failed condition would cancel the append). Should TTL have removed the
    # owner's item already, this update re-creates it keys-only: give it an expiry.
    expires = expression.name(schema.EXPIRES_AT)
    expression.set_expression(
        f"{expires} = if_not_exists({expires}, {expression.value(av.ttl(job_expires_at))})"
    )
    return {
        "Update": write_items.update(
            table, write_items.key(schema.caller_pk(owner), schema.ACTIVE_SK), expression
        )
    }
