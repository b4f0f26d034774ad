"""The sweep's index: unfinished jobs by when to look at them next (``SweepIndex``, a sparse GSI).

A job nobody drives any more never ends by itself: an inline job nobody opened, a durable execution
Lambda stopped at its timeout, a chain whose worker died and whose continuation was lost. A status
read notices some of them, but only when someone reads; until then the job holds its owner's quota
slot and its viewers wait. The scheduled sweep (jobstream.jobs.sweep) finds them without scanning
the table:

- every job item is created with ``SWEEP_SHARD`` (one of ``SWEEP_SHARDS``) and ``SWEEP_AT`` (when
  it could first count as abandoned), which put it in ``SweepIndex`` (keys only);
- the append that ends a job removes both (event_log.py), so the index holds unfinished jobs only;
- a sweep Queries each shard for ``SWEEP_AT <= now``, oldest first; a job it finds alive gets the
  next time it could be abandoned (one conditional UpdateItem), one it finds finished or expired
  leaves the index.

Index writes: two per job that ends before its first look (its create and its end), one more per
look at a longer one; appends do not touch the index (no projected attribute changes). The shards
spread creates over several index partitions (DynamoDB gives one about 1,000 writes/s).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from jobstream.store import attribute_values as av
from jobstream.store import schema, write_items
from jobstream.store.dynamo_calls import ConditionFailed
from jobstream.store.expressions import Expression
from jobstream.store.table_access import TableAccess

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

# Items per Query page: one sweep reads the due jobs a page at a time and may stop between pages.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class DueJob:
    """A job the index says is due for a look (the index lags the item: read the job first)."""

    job_id: str
    sweep_at: float


class SweepIndex(TableAccess):
    def due_jobs(self, *, now: float) -> Iterator[DueJob]:
        """Every job due for a look at ``now``, shard by shard, oldest first (lazily, a Query page
        at a time: a caller may stop whenever its time runs short)."""
        for shard in range(schema.SWEEP_SHARDS):
            yield from self._due_in_shard(schema.sweep_shard_key(shard), now)

    def _due_in_shard(self, shard: str, now: float) -> Iterator[DueJob]:
        expression = Expression()
        condition = (
            f"{expression.name(schema.SWEEP_SHARD)} = {expression.value(av.s(shard))} AND "
            f"{expression.name(schema.SWEEP_AT)} <= {expression.value(av.n(now))}"
        )
        request: QueryInputTypeDef = {
            "TableName": self._settings.table,
            "IndexName": schema.SWEEP_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": expression.names,
            "ExpressionAttributeValues": expression.values,
            "Limit": PAGE_SIZE,
        }
        while True:
            page = self._request("Query", partial(self.client.query, **request))
            for item in page.get("Items", []):
                due = _due_job(item)
                if due is not None:
                    yield due
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return
            request["ExclusiveStartKey"] = start_key

    def reschedule(self, job_id: str, *, at: float) -> bool:
        """Look at the job again at ``at``. False if it has left the index meanwhile (it ended, or
        expired): then it stays out."""
        expression = Expression()
        expression.set(schema.SWEEP_AT, av.n(at))
        expression.require(f"attribute_exists({expression.name(schema.SWEEP_AT)})")
        return self._update_quietly(job_id, expression)

    def unlist(self, job_id: str) -> bool:
        """Take a finished or expired job out of the index. False if it was not in it."""
        expression = Expression()
        expression.remove(schema.SWEEP_AT)
        expression.remove(schema.SWEEP_SHARD)
        expression.require(f"attribute_exists({expression.name(schema.SWEEP_AT)})")
        return self._update_quietly(job_id, expression)

    def _update_quietly(self, job_id: str, expression: Expression) -> bool:
        update = write_items.update(
            self._settings.table, write_items.job_key(job_id), expression, return_old=False
        )
        try:
            self._request("UpdateItem", partial(self.client.update_item, **update))
        except ConditionFailed:
            return False
        return True


def _due_job(item: dict[str, Any]) -> DueJob | None:
    pk = av.get_s(item, schema.PK) or ""
    sweep_at = av.get_n(item, schema.SWEEP_AT)
    if not pk.startswith(schema.JOB_PK_PREFIX) or sweep_at is None:
        return None
    return DueJob(job_id=pk.removeprefix(schema.JOB_PK_PREFIX), sweep_at=sweep_at)
