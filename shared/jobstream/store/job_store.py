"""JobStore: jobs, leases and the append-only event log in one DynamoDB table (see schema.py).

Guarantees the rest of jobstream builds on:

- event ids are 1, 2, 3, ... per job, gap-free: every append is one transaction conditioned on the
  job's ``last_event_id`` being exactly the caller's ``after_id`` and on the caller still owning the
  lease (fencing), and every event item is put only if it does not exist: nothing is overwritten;
- readers see only what is durably stored, with strongly consistent reads;
- a job and its whole log expire together (``expires_at`` fixed at creation) and expired items are
  never returned, although DynamoDB may keep them for days.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from jobstream.aws_clients import dynamodb_client
from jobstream.lazy import Lazy
from jobstream.settings import Settings
from jobstream.store import attribute_values as av
from jobstream.store import schema
from jobstream.store.commit_feed import CommitFeed
from jobstream.store.dynamo_calls import ConditionFailed, call, with_retries
from jobstream.store.errors import (
    JobAlreadyExists,
    JobFinished,
    JobNotFound,
    LeaseHeld,
    LeaseLost,
    PayloadTooLarge,
    QuotaExceeded,
)
from jobstream.store.event_codec import (
    EncodedEvent,
    EventItemBody,
    decode_events,
    encode_event,
    pack_items,
    utf8_len,
)
from jobstream.store.expressions import Expression
from jobstream.store.job_codec import (
    check_job_id,
    encode_checkpoint,
    encode_limited,
    is_expired,
    job_from_item,
    new_job_item,
)
from jobstream.store.list_cursor import encode_cursor, start_key
from jobstream.store.models import (
    JSON,
    PROGRESS_EVENT_TYPE,
    TERMINAL_STATUSES,
    UNSET,
    CallerQuota,
    Checkpoint,
    Job,
    JobMode,
    JobPage,
    JobStatus,
    JobSummary,
    JSONObject,
    Lease,
    NewEvent,
    StoredEvent,
)
from jobstream.store.observer import AppendObserver

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

T = TypeVar("T")

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
# When a caller at its active-jobs limit may try again: no one knows when a job will end, so this is
# a polling interval, not a promise.
ACTIVE_LIMIT_RETRY_AFTER_SECONDS = 5
# A rate window's counter outlives its window by this much before TTL may delete it.
RATE_ITEM_SLACK_SECONDS = 60


class JobStore:
    def __init__(
        self,
        settings: Settings,
        *,
        client: DynamoDBClient | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        observer: AppendObserver | None = None,
        commit_feed: CommitFeed | None = None,
    ) -> None:
        self._settings = settings
        self._client = Lazy(lambda: client if client is not None else dynamodb_client(settings))
        self._clock = clock
        self._sleep = sleep
        # Told about every successful append (metrics: events emitted, events per write).
        self._observer = observer
        # Committed events, handed to this process's streams (an inline job's own viewer).
        self._commit_feed = commit_feed if commit_feed is not None else CommitFeed()

    # --- plumbing ---------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client; made on first use (standard retry mode) when none was injected."""
        return self._client()

    @property
    def commit_feed(self) -> CommitFeed:
        """Every successful append's events, published in-process as each transaction commits."""
        return self._commit_feed

    def now(self) -> float:
        """The store's wall clock (epoch seconds): lease and TTL expiry are judged by it."""
        return self._clock()

    def _request(self, operation: str, request: Callable[[], T]) -> T:
        return with_retries(operation, lambda: call(operation, request), sleep=self._sleep)

    def _key(self, job_id: str) -> dict[str, AttributeValueTypeDef]:
        return {schema.PK: av.s(schema.job_pk(job_id)), schema.SK: av.s(schema.JOB_SK)}

    def _update_job(
        self,
        operation: str,
        job_id: str,
        expression: Expression,
        *,
        return_new: bool,
    ) -> Mapping[str, Any] | None:
        """One conditional UpdateItem of the job item (ConditionFailed carries the old item)."""

        reply = self._request(
            operation,
            lambda: self.client.update_item(
                TableName=self._settings.table,
                Key=self._key(job_id),
                UpdateExpression=expression.update,
                ConditionExpression=expression.condition,
                ExpressionAttributeNames=expression.names,
                ExpressionAttributeValues=expression.values,
                ReturnValues="ALL_NEW" if return_new else "NONE",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        )
        return reply.get("Attributes")

    def _require_live_job(self, expression: Expression, now: float) -> None:
        expression.require(f"attribute_exists({expression.name(schema.PK)})")
        expression.require(f"{expression.name(schema.EXPIRES_AT)} > {expression.value(av.n(now))}")

    # --- jobs -------------------------------------------------------------------------------------
    def create_job(
        self,
        *,
        job_id: str,
        type: str,
        params: JSONObject,
        mode: JobMode = JobMode.BACKGROUND,
        owner: str | None = None,
        quota: CallerQuota | None = None,
    ) -> Job:
        """Put a new job item. With ``owner`` the job is listed in the owner's jobs; with ``quota``
        too, it is created only if the owner is within its limits (QuotaExceeded otherwise), in
        one transaction that also takes the job's slot: two racing creates never share a slot."""
        check_job_id(job_id)
        if owner is not None and (not owner or utf8_len(owner) > schema.OWNER_MAX_BYTES):
            raise ValueError(f"owner must be 1..{schema.OWNER_MAX_BYTES} bytes")
        if quota is not None and owner is None:
            raise ValueError("a quota applies to an owner's jobs only")
        if not type or utf8_len(type) > schema.JOB_TYPE_MAX_BYTES:
            raise ValueError(f"job type must be 1..{schema.JOB_TYPE_MAX_BYTES} bytes")
        if not isinstance(params, dict):
            raise TypeError("params must be a JSON object")
        limit = min(self._settings.max_params_bytes, schema.PARAMS_MAX_BYTES)
        params_json = encode_limited("params", params, limit)
        now = self._clock()
        item = new_job_item(
            job_id=job_id,
            job_type=type,
            params_json=params_json,
            mode=JobMode(mode),
            now=now,
            expires_at=now + self._settings.retention_days * SECONDS_PER_DAY,
            owner=owner,
        )
        if quota is not None and owner is not None:
            return self._create_within_quota(item, owner=owner, quota=quota, now=now)
        expression = Expression()
        # Even an expired job's id stays taken: its event items may still exist until TTL deletes
        # them, and new events must never land beside (or be refused by) old ones.
        expression.require(f"attribute_not_exists({expression.name(schema.PK)})")
        job = job_from_item(item)
        try:
            self._request(
                "PutItem",
                lambda: self.client.put_item(
                    TableName=self._settings.table,
                    Item=item,
                    ConditionExpression=expression.condition,
                    ExpressionAttributeNames=expression.names,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
            )
        except ConditionFailed as failed:
            old = failed.old_items[0] if failed.old_items else None
            # botocore retried a put whose reply was lost after it was applied: the item found is
            # the one this call wrote (same type, params and creation time to the microsecond).
            if old and job_from_item(old) == job:
                return job
            raise JobAlreadyExists(job_id) from None
        return job

    def _create_within_quota(
        self,
        item: dict[str, AttributeValueTypeDef],
        *,
        owner: str,
        quota: CallerQuota,
        now: float,
    ) -> Job:
        job = job_from_item(item)
        entry = schema.active_entry(job.job_id, job.expires_at)
        window_start = int(now // quota.window_seconds) * quota.window_seconds
        window_end = window_start + quota.window_seconds
        table = self._settings.table
        pk = schema.caller_pk(owner)

        put = Expression()
        put.require(f"attribute_not_exists({put.name(schema.PK)})")
        active = Expression()
        active.add(schema.ACTIVE_JOBS, av.string_set([entry]))
        # The newest job expires last (retention is one setting), so the set lives as long as its
        # last entry can matter.
        active.set(schema.EXPIRES_AT, av.ttl(job.expires_at))
        slots = active.name(schema.ACTIVE_JOBS)
        room = active.value(av.n(quota.max_active))
        active.require(f"attribute_not_exists({slots}) OR size({slots}) < {room}")
        rate = Expression()
        rate.add(schema.CREATES, av.n(1))
        rate.set(schema.EXPIRES_AT, av.ttl(window_end + RATE_ITEM_SLACK_SECONDS))
        creates = rate.name(schema.CREATES)
        rate.require(
            f"attribute_not_exists({creates}) OR {creates} < {rate.value(av.n(quota.max_creates))}"
        )

        def update(sk: str, expression: Expression) -> TransactWriteItemTypeDef:
            return {
                "Update": {
                    "TableName": table,
                    "Key": {schema.PK: av.s(pk), schema.SK: av.s(sk)},
                    "UpdateExpression": expression.update,
                    "ConditionExpression": expression.condition,
                    "ExpressionAttributeNames": expression.names,
                    "ExpressionAttributeValues": expression.values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }

        actions: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": item,
                    "ConditionExpression": put.condition,
                    "ExpressionAttributeNames": put.names,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            update(schema.ACTIVE_SK, active),
            update(schema.rate_sk(window_start), rate),
        ]
        pruned = False
        while True:
            try:
                self._request(
                    "TransactWriteItems",
                    lambda: self.client.transact_write_items(
                        TransactItems=actions, ClientRequestToken=str(uuid.uuid4())
                    ),
                )
                return job
            except ConditionFailed as failed:
                old_job, old_active = failed.old_items[0], failed.old_items[1]
                if failed.failed[0]:
                    # Same reasoning as create_job: our own write whose reply was lost.
                    if old_job and job_from_item(old_job) == job:
                        return job
                    raise JobAlreadyExists(job.job_id) from None
                if failed.failed[1]:
                    if not pruned and self._prune_expired_entries(pk, old_active, now):
                        pruned = True
                        continue
                    raise QuotaExceeded(
                        "active_jobs",
                        quota.max_active,
                        ACTIVE_LIMIT_RETRY_AFTER_SECONDS,
                        f"you have {quota.max_active} unfinished jobs, the most allowed: wait "
                        "for one to end (or cancel one) before creating another",
                    ) from None
                raise QuotaExceeded(
                    "create_rate",
                    quota.max_creates,
                    max(1, math.ceil(window_end - now)),
                    f"you created {quota.max_creates} jobs in the last "
                    f"{quota.window_seconds} s window, the most allowed",
                ) from None

    def _prune_expired_entries(self, pk: str, old: Mapping[str, Any] | None, now: float) -> bool:
        """Drop the entries of jobs that expired unfinished (they never end, so nothing else frees
        their slots); True if any were dropped."""
        expired = [
            entry
            for entry in av.get_ss(old or {}, schema.ACTIVE_JOBS)
            if (expires_at := schema.active_entry_expires_at(entry)) is not None
            and expires_at <= now
        ]
        if not expired:
            return False
        expression = Expression()
        expression.delete(schema.ACTIVE_JOBS, av.string_set(expired))
        self._request(
            "UpdateItem",
            lambda: self.client.update_item(
                TableName=self._settings.table,
                Key={schema.PK: av.s(pk), schema.SK: av.s(schema.ACTIVE_SK)},
                UpdateExpression=expression.update,
                ExpressionAttributeNames=expression.names,
                ExpressionAttributeValues=expression.values,
            ),
        )
        return True

    def list_jobs(self, owner: str, *, limit: int, cursor: str | None = None) -> JobPage:
        """``owner``'s jobs, newest first, at most ``limit`` (InvalidCursor for a bad cursor).

        From the owner index, so a job's status may lag its item by a moment (the index is
        eventually consistent); expired jobs are left out, so a page may hold fewer than ``limit``
        while ``cursor`` still says more may follow.
        """
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be 1..1000")
        expression = Expression()
        request: dict[str, Any] = {
            "TableName": self._settings.table,
            "IndexName": schema.OWNER_INDEX,
            "KeyConditionExpression": (
                f"{expression.name(schema.OWNER)} = {expression.value(av.s(owner))}"
            ),
            "ExpressionAttributeNames": expression.names,
            "ExpressionAttributeValues": expression.values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            request["ExclusiveStartKey"] = start_key(cursor, owner)
        page = self._request("Query", partial(self.client.query, **request))
        now = self._clock()
        jobs = [
            JobSummary(
                job_id=av.require_s(item, schema.JOB_ID),
                type=av.get_s(item, schema.JOB_TYPE) or "",
                status=JobStatus(av.require_s(item, schema.STATUS)),
                created_at=av.get_n(item, schema.CREATED_AT) or 0.0,
            )
            for item in page.get("Items", [])
            if not is_expired(item, now)
        ]
        last_key = page.get("LastEvaluatedKey")
        return JobPage(jobs=jobs, cursor=None if not last_key else encode_cursor(last_key))

    def get_job(self, job_id: str) -> Job:
        reply = self._request(
            "GetItem",
            lambda: self.client.get_item(
                TableName=self._settings.table, Key=self._key(job_id), ConsistentRead=True
            ),
        )
        item = reply.get("Item")
        if not item or is_expired(item, self._clock()):
            raise JobNotFound(job_id)
        return job_from_item(item)

    def request_cancel(self, job_id: str, *, owner: str | None = None) -> Job:
        """Mark the job for cancellation (JobNotFound). With ``owner``, another owner's job is
        JobNotFound too, decided by the write's own condition."""
        now = self._clock()
        expression = Expression()
        expression.set(schema.CANCEL_REQUESTED, av.boolean(True))
        expression.set(schema.UPDATED_AT, av.n(now))
        self._require_live_job(expression, now)
        if owner is not None:
            expression.require(f"{expression.name(schema.OWNER)} = {expression.value(av.s(owner))}")
        try:
            item = self._update_job("UpdateItem", job_id, expression, return_new=True)
        except ConditionFailed:
            raise JobNotFound(job_id) from None
        assert item is not None
        return job_from_item(item)

    # --- leases -----------------------------------------------------------------------------------
    def acquire_lease(
        self, job_id: str, *, duration_s: float, owner: str | None = None
    ) -> tuple[Lease, Job]:
        """Take the job if nobody holds it (or the holder's lease expired).

        ``owner``: a caller-chosen, stable owner (the durable driver's: one per durable step) that
        may also re-take a lease it already holds: a replayed durable step is the same owner as its
        crashed first run, and must not wait for that run's lease to expire. None: a fresh uuid.
        """
        if duration_s <= 0:
            raise ValueError("lease duration must be positive")
        now = self._clock()
        reentrant = owner is not None
        owner = owner if owner is not None else str(uuid.uuid4())
        expires_at = now + duration_s
        expression = Expression()
        expression.set(schema.LEASE_OWNER, av.s(owner))
        expression.set(schema.LEASE_EXPIRES_AT, av.n(expires_at))
        # The condition below excludes terminal jobs, so this only ever moves QUEUED -> RUNNING.
        expression.set(schema.STATUS, av.s(JobStatus.RUNNING.value))
        expression.set(schema.UPDATED_AT, av.n(now))
        self._require_live_job(expression, now)
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
        now = self._clock()
        expression = Expression()
        expression.set(schema.EXECUTION_ID, av.s(execution_id))
        self._require_live_job(expression, now)
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
        now = self._clock()
        expires_at = now + duration_s
        expression = Expression()
        expression.set(schema.LEASE_EXPIRES_AT, av.n(expires_at))
        self._require_owner(expression, lease, now)
        try:
            self._update_job("UpdateItem", lease.job_id, expression, return_new=False)
        except ConditionFailed:
            raise LeaseLost(lease.job_id, lease.owner) from None
        return replace(lease, expires_at=expires_at)

    def release_lease(self, lease: Lease) -> None:
        now = self._clock()
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

    def _require_owner(self, expression: Expression, lease: Lease, now: float) -> None:
        # A terminal job has no owner, so this also fences writes to finished jobs.
        expression.require(
            f"{expression.name(schema.LEASE_OWNER)} = {expression.value(av.s(lease.owner))}"
        )
        expression.require(f"{expression.name(schema.EXPIRES_AT)} > {expression.value(av.n(now))}")

    # --- the event log ----------------------------------------------------------------------------
    def append(
        self,
        lease: Lease,
        events: Sequence[NewEvent | EncodedEvent],
        *,
        after_id: int,
        checkpoint: Checkpoint | None = None,
        status: JobStatus | None = None,
        result: JSON = UNSET,
        error: str | None = None,
        hops: int | None = None,
    ) -> list[StoredEvent]:
        """Append ``events`` as ids after_id+1, ... and apply the job-item changes, atomically.

        One TransactWriteItems normally; a batch beyond one transaction's limits (100 actions,
        4 MB) is written as several, each fenced the same way, the job-item changes in the last.
        An ``EncodedEvent`` (checked and encoded when the job emitted it) is written as it is; a
        ``NewEvent`` is checked and encoded here by the same rules, stamped now if it has no time.
        """
        if after_id < 0:
            raise ValueError("after_id must be >= 0")
        now = self._clock()
        # Everything is encoded and size-checked before the first request.
        encoded = [_encoded(e, now) for e in events]
        changes = _JobChanges(
            checkpoint=None if checkpoint is None else encode_checkpoint(checkpoint),
            status=status,
            result=(
                None
                if result is UNSET
                else encode_limited("result", result, schema.RESULT_MAX_BYTES)
            ),
            error=error,
            hops=hops,
        )
        if error is not None and utf8_len(error) > schema.ERROR_MAX_BYTES:
            raise PayloadTooLarge("error message", utf8_len(error), schema.ERROR_MAX_BYTES)
        if after_id + len(encoded) > schema.MAX_EVENT_ID:
            raise ValueError("event id space of this job is exhausted")

        bodies = pack_items(
            lease.job_id, after_id + 1, encoded, max_events=schema.MAX_EVENTS_PER_ITEM
        )
        transactions = _group_transactions(bodies)
        stored: list[StoredEvent] = []
        current = after_id
        for number, chunk in enumerate(transactions):
            last_in_chunk = chunk[-1].last_id if chunk else current
            chunk_events = encoded[current - after_id : last_in_chunk - after_id]
            self._write_chunk(
                lease,
                chunk,
                chunk_events,
                after_id=current,
                now=now,
                changes=changes if number == len(transactions) - 1 else None,
            )
            committed = [
                StoredEvent(id=current + 1 + i, type=e.type, data=e.data, created_at=e.created_at)
                for i, e in enumerate(chunk_events)
            ]
            # Published per transaction: each one is durable on its own, even if a later one fails.
            self._commit_feed.publish(lease.job_id, committed)
            stored.extend(committed)
            current = last_in_chunk
        self._notify_appended(lease.job_id, events=len(stored), writes=len(transactions))
        return stored

    def _notify_appended(self, job_id: str, *, events: int, writes: int) -> None:
        if self._observer is None:
            return
        try:
            self._observer.appended(job_id, events=events, writes=writes)
        except Exception:
            # The events are stored: a failing observer (metrics) must not make the append look
            # failed, which would make the caller retry or give up its lease.
            logger.exception("append observer failed")

    def _write_chunk(
        self,
        lease: Lease,
        bodies: Sequence[EventItemBody],
        events: Sequence[EncodedEvent],
        *,
        after_id: int,
        now: float,
        changes: _JobChanges | None,
    ) -> None:
        table = self._settings.table
        job_expires_at = (
            lease.job_expires_at
            if lease.job_expires_at is not None
            else now + self._settings.retention_days * SECONDS_PER_DAY
        )
        new_last_id = bodies[-1].last_id if bodies else after_id
        progress = next(
            (e.data_json for e in reversed(events) if e.type == PROGRESS_EVENT_TYPE), None
        )
        puts: list[TransactWriteItemTypeDef] = []
        for body in bodies:
            put_condition = Expression()
            put_condition.require(f"attribute_not_exists({put_condition.name(schema.PK)})")
            puts.append(
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            schema.PK: av.s(schema.job_pk(lease.job_id)),
                            schema.SK: av.s(schema.event_sk(body.last_id)),
                            schema.FIRST_EVENT_ID: av.n(body.first_id),
                            schema.EVENTS: av.s(body.events_json),
                            schema.EXPIRES_AT: av.ttl(job_expires_at),
                        },
                        "ConditionExpression": put_condition.condition,
                        "ExpressionAttributeNames": put_condition.names,
                    }
                }
            )

        # The append that ends an owned job frees its slot in the owner's quota, in the same
        # transaction: the job ends once (the append is fenced), so the slot is freed once.
        if changes is not None and changes.ends_job and lease.job_owner is not None:
            puts.append(self._release_slot(lease, job_expires_at))

        def attempt() -> None:
            # A fresh token per attempt: DynamoDB answers a botocore retry of a committed request
            # with success (ClientRequestToken), and the token on the job item lets us recognise our
            # own committed write where that is not available (DynamoDB Local, moto).
            token = str(uuid.uuid4())
            expression = self._append_expression(
                lease,
                after_id=after_id,
                new_last_id=new_last_id,
                token=token,
                now=now,
                progress=progress,
                changes=changes,
            )
            try:
                if puts:
                    call(
                        "TransactWriteItems",
                        lambda: self.client.transact_write_items(
                            TransactItems=[
                                {
                                    "Update": {
                                        "TableName": table,
                                        "Key": self._key(lease.job_id),
                                        "UpdateExpression": expression.update,
                                        "ConditionExpression": expression.condition,
                                        "ExpressionAttributeNames": expression.names,
                                        "ExpressionAttributeValues": expression.values,
                                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                                    }
                                },
                                *puts,
                            ],
                            ClientRequestToken=token,
                        ),
                    )
                else:
                    call(
                        "UpdateItem",
                        lambda: self.client.update_item(
                            TableName=table,
                            Key=self._key(lease.job_id),
                            UpdateExpression=expression.update,
                            ConditionExpression=expression.condition,
                            ExpressionAttributeNames=expression.names,
                            ExpressionAttributeValues=expression.values,
                            ReturnValuesOnConditionCheckFailure="ALL_OLD",
                        ),
                    )
            except ConditionFailed as failed:
                self._explain_append_failure(lease, failed, token=token, now=now)

        with_retries("append", attempt, sleep=self._sleep)

    def _release_slot(self, lease: Lease, job_expires_at: float) -> TransactWriteItemTypeDef:
        assert lease.job_owner is not None
        expression = Expression()
        expression.delete(
            schema.ACTIVE_JOBS,
            av.string_set([schema.active_entry(lease.job_id, math.ceil(job_expires_at))]),
        )
        # Unconditional (a failed condition would cancel the append). Should TTL have removed the
        # owner's item already, this update re-creates it keys-only: give it an expiry.
        expires = expression.name(schema.EXPIRES_AT)
        expression.set_expression(
            f"{expires} = if_not_exists({expires}, {expression.value(av.ttl(job_expires_at))})"
        )
        return {
            "Update": {
                "TableName": self._settings.table,
                "Key": {
                    schema.PK: av.s(schema.caller_pk(lease.job_owner)),
                    schema.SK: av.s(schema.ACTIVE_SK),
                },
                "UpdateExpression": expression.update,
                "ExpressionAttributeNames": expression.names,
                "ExpressionAttributeValues": expression.values,
            }
        }

    def _append_expression(
        self,
        lease: Lease,
        *,
        after_id: int,
        new_last_id: int,
        token: str,
        now: float,
        progress: str | None,
        changes: _JobChanges | None,
    ) -> Expression:
        expression = Expression()
        expression.set(schema.LAST_EVENT_ID, av.n(new_last_id))
        expression.set(schema.UPDATED_AT, av.n(now))
        expression.set(schema.APPEND_TOKEN, av.s(token))
        if progress is not None:
            expression.set(schema.PROGRESS, av.s(progress))
        if changes is not None:
            changes.apply(expression)
        self._require_owner(expression, lease, now)
        expression.require(
            f"{expression.name(schema.LAST_EVENT_ID)} = {expression.value(av.n(after_id))}"
        )
        return expression

    def _explain_append_failure(
        self, lease: Lease, failed: ConditionFailed, *, token: str, now: float
    ) -> None:
        """Turn a failed append condition into success (our own write, reply lost) or the reason."""
        old = failed.old_items[0] if failed.old_items else None
        if not failed.failed[0]:
            # The job item was as expected but an event item already existed: the log is not what
            # this writer believes, so it must not write anything more.
            raise LeaseLost(lease.job_id, lease.owner) from None
        if old and av.get_s(old, schema.APPEND_TOKEN) == token:
            return
        if not old or is_expired(old, now):
            raise JobNotFound(lease.job_id) from None
        if JobStatus(av.require_s(old, schema.STATUS)).is_terminal:
            raise JobFinished(lease.job_id) from None
        raise LeaseLost(lease.job_id, lease.owner) from None

    def events_after(
        self, job_id: str, last_id: int, *, consistent: bool = True
    ) -> Iterator[StoredEvent]:
        """Exactly the stored events with id > last_id, in id order (lazy, page by page).

        The query starts at the item holding event last_id+1 (its sk, EV#<item's last id>, is the
        first >= EV#<last_id+1>), so a replay reads what was missed, never the log before it.

        ``consistent=False`` reads eventually consistently (half the read units). That is safe
        for this log because an event item is written once (attribute_not_exists), never updated,
        and holds whole appends: a replica that lags can only lack the newest items, so such a
        read yields a prefix of the events after last_id, each complete and final, never a
        changed or repeated one. A lagging replica is not documented to lag in commit order, so a
        gap (an item not starting at the next id) is not trusted: the read goes on from the gap
        strongly consistently. What an eventual read may cost is only delay (the newest items
        come with the next poll); it must not be used where "everything up to id N" is needed.
        """
        if last_id < 0:
            raise ValueError("last_id must be >= 0")
        if last_id >= schema.MAX_EVENT_ID:
            return
        expression = Expression()
        pk, sk = expression.name(schema.PK), expression.name(schema.SK)
        key_condition = (
            f"{pk} = {expression.value(av.s(schema.job_pk(job_id)))} AND {sk} BETWEEN "
            f"{expression.value(av.s(schema.event_sk(last_id + 1)))} AND "
            f"{expression.value(av.s(schema.event_sk(schema.MAX_EVENT_ID)))}"
        )
        request: dict[str, Any] = {
            "TableName": self._settings.table,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeNames": expression.names,
            "ExpressionAttributeValues": expression.values,
            "ConsistentRead": consistent,
        }
        next_id = last_id + 1
        while True:
            page = self._request("Query", partial(self.client.query, **request))
            now = self._clock()
            for item in page.get("Items", []):
                if is_expired(item, now):
                    continue
                first = av.get_int(item, schema.FIRST_EVENT_ID)
                events_json = av.get_s(item, schema.EVENTS)
                if first is None or events_json is None:
                    continue
                if not consistent and first > next_id:
                    yield from self.events_after(job_id, next_id - 1)
                    return
                for event in decode_events(first, events_json, after_id=next_id - 1):
                    next_id = event.id + 1
                    yield event
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return
            request["ExclusiveStartKey"] = start_key


@dataclass(frozen=True, slots=True)
class _JobChanges:
    """The job-item changes of one append besides the log position and progress (JSON encoded)."""

    checkpoint: str | None
    status: JobStatus | None
    result: str | None  # None: leave as is ("null" is the JSON null result)
    error: str | None
    hops: int | None

    @property
    def ends_job(self) -> bool:
        return self.status is not None and JobStatus(self.status).is_terminal

    def apply(self, expression: Expression) -> None:
        if self.checkpoint is not None:
            expression.set(schema.CHECKPOINT, av.s(self.checkpoint))
        if self.result is not None:
            expression.set(schema.RESULT, av.s(self.result))
        if self.error is not None:
            expression.set(schema.ERROR, av.s(self.error))
        if self.hops is not None:
            expression.set(schema.HOPS, av.n(self.hops))
        if self.status is not None:
            status = JobStatus(self.status)
            expression.set(schema.STATUS, av.s(status.value))
            if status.is_terminal:
                expression.remove(schema.LEASE_OWNER)
                expression.remove(schema.LEASE_EXPIRES_AT)


def _encoded(event: NewEvent | EncodedEvent, now: float) -> EncodedEvent:
    if isinstance(event, EncodedEvent):
        return event
    return encode_event(
        event.type, event.data, now if event.created_at is None else event.created_at
    )


def _group_transactions(bodies: Sequence[EventItemBody]) -> list[list[EventItemBody]]:
    """Group event items into transactions within TransactWriteItems' action and size limits."""
    groups: list[list[EventItemBody]] = [[]]
    size = 0
    for body in bodies:
        group = groups[-1]
        if group and (
            # Room for the job item's update and the quota release of a final append.
            len(group) >= schema.TRANSACTION_MAX_ACTIONS - 2
            or size + body.size > schema.TRANSACTION_EVENT_BYTES
        ):
            groups.append([])
            group = groups[-1]
            size = 0
        group.append(body)
        size += body.size
    return groups
