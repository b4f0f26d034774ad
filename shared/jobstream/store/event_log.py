"""The event log: each job's gap-free, append-only events, written with the job item's changes in
one fenced transaction and read back from any id; every committed transaction's events are
published to this process's commit feed (commit_feed.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from jobstream.store import attribute_values as av
from jobstream.store import quotas, schema, write_items
from jobstream.store.commit_feed import CommitFeed
from jobstream.store.dynamo_calls import ConditionFailed, call, with_retries
from jobstream.store.errors import JobFinished, JobNotFound, LeaseLost, PayloadTooLarge
from jobstream.store.event_codec import (
    EncodedEvent,
    EventItemBody,
    decode_events,
    encode_event,
    pack_items,
    utf8_len,
)
from jobstream.store.expressions import Expression
from jobstream.store.job_codec import encode_checkpoint, encode_limited, is_expired
from jobstream.store.models import (
    JSON,
    PROGRESS_EVENT_TYPE,
    UNSET,
    Checkpoint,
    JobStatus,
    Lease,
    NewEvent,
    StoredEvent,
)
from jobstream.store.stream_slots import LiveSlots
from jobstream.store.table_access import TableAccess, require_lease_owner

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

logger = logging.getLogger(__name__)


class EventLog(TableAccess):
    @property
    def commit_feed(self) -> CommitFeed:
        """Every successful append's events, published in-process as each transaction commits."""
        return self._commit_feed

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
        now = self._clock.time()
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
            lease.job_expires_at if lease.job_expires_at is not None else self._expires_at(now)
        )
        new_last_id = bodies[-1].last_id if bodies else after_id
        progress = next(
            (e.data_json for e in reversed(events) if e.type == PROGRESS_EVENT_TYPE), None
        )
        puts: list[TransactWriteItemTypeDef] = []
        for body in bodies:
            new_item = Expression()
            new_item.require(f"attribute_not_exists({new_item.name(schema.PK)})")
            item = {
                **write_items.key(schema.job_pk(lease.job_id), schema.event_sk(body.last_id)),
                schema.FIRST_EVENT_ID: av.n(body.first_id),
                schema.EVENTS: av.s(body.events_json),
                schema.EXPIRES_AT: av.ttl(job_expires_at),
            }
            puts.append({"Put": write_items.put(table, item, new_item, return_old=False)})

        # The append that ends an owned job frees its slot in the owner's quota, in the same
        # transaction: the job ends once (the append is fenced), so the slot is freed once.
        if changes is not None and changes.ends_job and lease.job_owner is not None:
            puts.append(quotas.release_slot(table, lease.job_owner, lease.job_id, job_expires_at))

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
            job_update = write_items.update(table, write_items.job_key(lease.job_id), expression)
            try:
                if puts:
                    call(
                        "TransactWriteItems",
                        lambda: self.client.transact_write_items(
                            TransactItems=[{"Update": job_update}, *puts],
                            ClientRequestToken=token,
                        ),
                    )
                else:
                    call("UpdateItem", lambda: self.client.update_item(**job_update))
            except ConditionFailed as failed:
                self._explain_append_failure(lease, failed, token=token, now=now)

        with_retries("append", attempt, sleep=self._clock.sleep)

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
        require_lease_owner(expression, lease, now)
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
        self,
        job_id: str,
        last_id: int,
        *,
        consistent: bool = True,
        live: LiveSlots | None = None,
    ) -> Iterator[StoredEvent]:
        """Exactly the stored events with id > last_id, in id order (lazy, page by page).

        With ``live``, the same Query goes on past the events to the job's stream slots up to
        ``live.through`` (their keys sort right after the events'), noted in ``live`` once the
        events are all read: a stream learns whether it was superseded without a request of its
        own (stream_slots.py).

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
        upper = (
            schema.live_sk(live.through)
            if live is not None
            else schema.event_sk(schema.MAX_EVENT_ID)
        )
        key_condition = (
            f"{pk} = {expression.value(av.s(schema.job_pk(job_id)))} AND {sk} BETWEEN "
            f"{expression.value(av.s(schema.event_sk(last_id + 1)))} AND "
            f"{expression.value(av.s(upper))}"
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
            now = self._clock.time()
            for item in page.get("Items", []):
                if is_expired(item, now):
                    continue
                first = av.get_int(item, schema.FIRST_EVENT_ID)
                events_json = av.get_s(item, schema.EVENTS)
                if first is None or events_json is None:
                    if live is not None:
                        live.note(item)
                    continue
                if not consistent and first > next_id:
                    yield from self.events_after(job_id, next_id - 1, live=live)
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
                # Out of the sweep's index: a finished job is nothing to look after.
                expression.remove(schema.SWEEP_SHARD)
                expression.remove(schema.SWEEP_AT)


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
