"""The job items: create (within the owner's quota, quotas.py), read, list an owner's, cancel."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

from jobstream.store import attribute_values as av
from jobstream.store import quotas, schema, write_items
from jobstream.store.dynamo_calls import ConditionFailed
from jobstream.store.errors import InvalidCursor, JobAlreadyExists, JobNotFound
from jobstream.store.event_codec import utf8_len
from jobstream.store.expressions import Expression
from jobstream.store.job_codec import (
    check_job_id,
    encode_limited,
    is_expired,
    job_from_item,
    new_job_item,
)
from jobstream.store.list_cursor import (
    ListPosition,
    encode_cursor,
    former_start_cursor,
    read_cursor,
)
from jobstream.store.models import (
    CallerQuota,
    Job,
    JobMode,
    JobPage,
    JobStatus,
    JobSummary,
    JSONObject,
)
from jobstream.store.table_access import TableAccess, require_live_job

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        PutTypeDef,
        TransactWriteItemTypeDef,
    )


class Jobs(TableAccess):
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
        now = self._clock.time()
        item = new_job_item(
            job_id=job_id,
            job_type=type,
            params_json=params_json,
            mode=JobMode(mode),
            now=now,
            expires_at=self._expires_at(now),
            sweep_at=now + self._settings.abandon_after_seconds,
            owner=owner,
        )
        if quota is not None and owner is not None:
            return self._create_within_quota(item, owner=owner, quota=quota, now=now)
        job = job_from_item(item)
        try:
            self._request("PutItem", lambda: self.client.put_item(**self._put_new_job(item)))
        except ConditionFailed as failed:
            old = failed.old_items[0] if failed.old_items else None
            # botocore retried a put whose reply was lost after it was applied: the item found is
            # the one this call wrote (same type, params and creation time to the microsecond).
            if old and job_from_item(old) == job:
                return job
            raise JobAlreadyExists(job_id) from None
        return job

    def _put_new_job(self, item: dict[str, AttributeValueTypeDef]) -> PutTypeDef:
        expression = Expression()
        # Even an expired job's id stays taken: its event items may still exist until TTL deletes
        # them, and new events must never land beside (or be refused by) old ones.
        expression.require(f"attribute_not_exists({expression.name(schema.PK)})")
        return write_items.put(self._settings.table, item, expression)

    def _create_within_quota(
        self,
        item: dict[str, AttributeValueTypeDef],
        *,
        owner: str,
        quota: CallerQuota,
        now: float,
    ) -> Job:
        job = job_from_item(item)
        rate = quotas.CreateRate.at(now, quota)
        table = self._settings.table
        pruned = False
        for _ in range(quotas.RATE_ATTEMPTS):
            actions: list[TransactWriteItemTypeDef] = [
                {"Put": self._put_new_job(item)},
                *quotas.take_slot(table, owner, job, quota, rate),
            ]
            try:
                self._transact(actions)
                return job
            except ConditionFailed as failed:
                old_job, old_active = failed.old_items[0], failed.old_items[1]
                if failed.failed[0]:
                    # Same reasoning as create_job: our own write whose reply was lost.
                    if old_job and job_from_item(old_job) == job:
                        return job
                    raise JobAlreadyExists(job.job_id) from None
                if failed.failed[1]:
                    prune = None if pruned else quotas.prune_expired(table, owner, old_active, now)
                    if prune is not None:
                        self._request("UpdateItem", partial(self.client.update_item, **prune))
                        pruned = True
                        continue
                    raise quotas.active_limit_reached(quota) from None
                old_rate = failed.old_items[2]
                retry = rate.after_failure(old_rate)
                if retry is None:
                    raise quotas.rate_limit_reached(rate, old_rate) from None
                # Another create of this owner moved the bucket: try the update it now needs.
                rate = retry
        raise quotas.rate_limit_reached(rate, None)

    def _transact(self, actions: list[TransactWriteItemTypeDef]) -> None:
        self._request(
            "TransactWriteItems",
            lambda: self.client.transact_write_items(
                TransactItems=actions, ClientRequestToken=str(uuid.uuid4())
            ),
        )

    def count_address_create(self, address: str, *, max_creates: int, window_seconds: int) -> None:
        """Count a create from source ``address`` in its rate window (one conditional UpdateItem);
        QuotaExceeded("create_rate") when the window already holds ``max_creates``. What bounds job
        creation where there are no callers (ApiAuth=none) and anyone can get a fresh job token."""
        now = self._clock.time()
        quota = CallerQuota(max_active=0, max_creates=max_creates, window_seconds=window_seconds)
        rate = quotas.CreateRate.at(now, quota)
        for _ in range(quotas.RATE_ATTEMPTS):
            update = rate.update(self._settings.table, quotas.address_owner(address))
            try:
                self._request("UpdateItem", partial(self.client.update_item, **update))
            except ConditionFailed as failed:
                old = failed.old_items[0] if failed.old_items else None
                retry = rate.after_failure(old)
                if retry is None:
                    raise quotas.rate_limit_reached(rate, old) from None
                rate = retry
                continue
            return
        raise quotas.rate_limit_reached(rate, None)

    def list_jobs(
        self,
        owner: str,
        *,
        limit: int,
        cursor: str | None = None,
        former_owner: str | None = None,
    ) -> JobPage:
        """``owner``'s jobs, newest first, at most ``limit`` (InvalidCursor for a bad cursor);
        then, with ``former_owner``, the jobs stored under that name (the owner's before it had
        this one: older than all of its own, so the order holds).

        From the owner index, so a job's status may lag its item by a moment (the index is
        eventually consistent); expired jobs are left out, so a page may hold fewer than ``limit``
        while ``cursor`` still says more may follow.
        """
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be 1..1000")
        position = read_cursor(cursor) if cursor is not None else ListPosition(False, None)
        if position.former and former_owner is None:
            raise InvalidCursor()
        jobs: list[JobSummary] = []
        if not position.former:
            items, last_key = self._owner_page(owner, limit, position)
            jobs = self._listed(items)
            if last_key:
                return JobPage(jobs=jobs, cursor=encode_cursor(last_key))
            if former_owner is None:
                return JobPage(jobs=jobs, cursor=None)
            # The own jobs are done: the rest of the page comes from the former name's.
            limit -= len(items)
            position = ListPosition(former=True, after=None)
            if limit == 0:
                return JobPage(jobs=jobs, cursor=former_start_cursor())
        assert former_owner is not None
        items, last_key = self._owner_page(former_owner, limit, position)
        jobs += self._listed(items)
        cursor = encode_cursor(last_key, former=True) if last_key else None
        return JobPage(jobs=jobs, cursor=cursor)

    def _owner_page(
        self, owner: str, limit: int, position: ListPosition
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query of the owner index: the items and the LastEvaluatedKey."""
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
        start = position.start_key(owner)
        if start is not None:
            request["ExclusiveStartKey"] = start
        page = self._request("Query", partial(self.client.query, **request))
        return list(page.get("Items", [])), page.get("LastEvaluatedKey") or None

    def _listed(self, items: list[dict[str, Any]]) -> list[JobSummary]:
        now = self._clock.time()
        return [
            JobSummary(
                job_id=av.require_s(item, schema.JOB_ID),
                type=av.get_s(item, schema.JOB_TYPE) or "",
                status=JobStatus(av.require_s(item, schema.STATUS)),
                created_at=av.get_n(item, schema.CREATED_AT) or 0.0,
            )
            for item in items
            if not is_expired(item, now)
        ]

    def get_job(self, job_id: str) -> Job:
        reply = self._request(
            "GetItem",
            lambda: self.client.get_item(
                TableName=self._settings.table,
                Key=write_items.job_key(job_id),
                ConsistentRead=True,
            ),
        )
        item = reply.get("Item")
        if not item or is_expired(item, self._clock.time()):
            raise JobNotFound(job_id)
        return job_from_item(item)

    def request_cancel(
        self, job_id: str, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job:
        """Mark the job for cancellation (JobNotFound). With ``owner``, another owner's job is
        JobNotFound too, decided by the write's own condition; one stored under ``former_owner``
        (the owner's former name) is the owner's."""
        now = self._clock.time()
        expression = Expression()
        expression.set(schema.CANCEL_REQUESTED, av.boolean(True))
        expression.set(schema.UPDATED_AT, av.n(now))
        require_live_job(expression, now)
        if owner is not None:
            owned = f"{expression.name(schema.OWNER)} = {expression.value(av.s(owner))}"
            if former_owner is not None:
                former = expression.value(av.s(former_owner))
                # require() parenthesizes each clause (DynamoDB refuses redundant parentheses).
                owned = f"{owned} OR {expression.name(schema.OWNER)} = {former}"
            expression.require(owned)
        try:
            item = self._update_job("UpdateItem", job_id, expression, return_new=True)
        except ConditionFailed:
            raise JobNotFound(job_id) from None
        assert item is not None
        return job_from_item(item)
