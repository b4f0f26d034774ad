"""An owner's quota items: the set of its unfinished jobs (``ACTIVE``) and its create rate
(``RATE``), written in the same transactions as the job items they count.

A create within quota takes the job's slot in the transaction that puts the job (two racing
creates never share a slot); the append that ends the job frees it in the append's transaction
(the job ends once, so the slot is freed once).

The create rate is a token bucket: a burst of up to ``max_creates``, refilled at ``max_creates``
per ``window_seconds``, so no interval of t seconds holds more than ``max_creates`` plus what t
refills. It replaced fixed windows, which let a caller create twice the limit within a second
across a window boundary (issue 22). Kept as GCRA (the generic cell rate algorithm, RFC 2697's
relative): one number per owner, its theoretical arrival time ``tat`` (milliseconds), and a create
at ``now`` conforms if ``tat - now <= (max_creates - 1) * interval``, then moves ``tat`` to
``max(tat, now) + interval``. DynamoDB's update expressions have no max(), so each create writes
one of two conditional updates: *fresh* (``tat <= now``: ``tat = now + interval``) or *busy*
(``now < tat <= now + tolerance``: ``tat = tat + interval``, added by DynamoDB itself, so racing
creates each add theirs). A failed condition returns the item as it is (ALL_OLD), which says which
update applies now, or how long until the next create conforms (Retry-After, exact).
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
# The rate item outlives the moment its bucket is full again by this much before TTL may delete
# it (a missing item is a full bucket, so deleting it late or early changes nothing).
RATE_ITEM_SLACK_SECONDS = 60
# Conditional attempts of one create against its rate item before it gives up as refused: each
# lost attempt means another create of the same owner moved the bucket meanwhile.
RATE_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class CreateRate:
    """The token bucket of one owner's creates at one moment ``now_ms``, and the update to try."""

    max_creates: int
    window_seconds: int
    now_ms: int
    # None: the bucket is full (or the item is missing): try the fresh update. Else the ``tat``
    # the item held when a condition last failed.
    seen_tat_ms: int | None = None

    @classmethod
    def at(cls, now: float, quota: CallerQuota) -> CreateRate:
        return cls(quota.max_creates, quota.window_seconds, math.floor(now * 1000))

    @property
    def interval_ms(self) -> int:
        """One create's share of the window (rounded up: never faster than the limit)."""
        return max(1, math.ceil(self.window_seconds * 1000 / self.max_creates))

    @property
    def tolerance_ms(self) -> int:
        """How far ahead of now ``tat`` may be for a create to conform: a burst of max_creates."""
        return (self.max_creates - 1) * self.interval_ms

    def after_failure(self, old: Mapping[str, Any] | None) -> CreateRate | None:
        """The attempt to make after the rate condition failed with ``old`` as the item, or None
        if the bucket is empty (refuse; ``retry_after`` says for how long)."""
        tat = av.get_int(old or {}, schema.RATE_TAT)
        if tat is not None and tat - self.now_ms > self.tolerance_ms:
            return None
        return CreateRate(self.max_creates, self.window_seconds, self.now_ms, tat)

    def retry_after(self, old: Mapping[str, Any] | None) -> int:
        """Whole seconds until a create conforms, at least one."""
        tat = av.get_int(old or {}, schema.RATE_TAT) or self.now_ms
        return max(1, math.ceil((tat - self.tolerance_ms - self.now_ms) / 1000))

    def update(self, table: str, owner: str) -> UpdateTypeDef:
        """The conditional update of ``owner``'s rate item that counts one create."""
        rate = Expression()
        tat = rate.name(schema.RATE_TAT)
        now = rate.value(av.n(self.now_ms))
        if self.seen_tat_ms is None or self.seen_tat_ms <= self.now_ms:
            rate.set(schema.RATE_TAT, av.n(self.now_ms + self.interval_ms))
            rate.require(f"attribute_not_exists({tat}) OR {tat} <= {now}")
        else:
            step = rate.value(av.n(self.interval_ms))
            rate.set_expression(f"{tat} = {tat} + {step}")
            rate.require(f"{tat} > {now}")
            rate.require(f"{tat} <= {rate.value(av.n(self.now_ms + self.tolerance_ms))}")
        # The bucket is full again by now + tolerance + interval at the latest.
        full_at = (self.now_ms + self.tolerance_ms + self.interval_ms) / 1000
        rate.set(schema.EXPIRES_AT, av.ttl(full_at + RATE_ITEM_SLACK_SECONDS))
        return write_items.update(
            table, write_items.key(schema.caller_pk(owner), schema.RATE_SK), rate
        )


def take_slot(
    table: str, owner: str, job: Job, quota: CallerQuota, rate: CreateRate
) -> list[TransactWriteItemTypeDef]:
    """The two actions that go with the job's put: take a slot among the owner's unfinished jobs
    and count the create in its rate, each conditional on room being left."""
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
        {"Update": rate.update(table, owner)},
    ]


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


def rate_limit_reached(rate: CreateRate, old: Mapping[str, Any] | None) -> QuotaExceeded:
    return QuotaExceeded(
        "create_rate",
        rate.max_creates,
        rate.retry_after(old),
        f"you created jobs faster than {rate.max_creates} per {rate.window_seconds} s (in "
        f"bursts of up to {rate.max_creates}), the most allowed",
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
