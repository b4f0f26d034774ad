"""What every part of the store shares: the table's settings, the DynamoDB client, the clock, the
conflict retries, the job item's conditional update and the conditions most writes carry.

Each part of ``JobStore`` (jobs.py, leases.py, event_log.py) is a ``TableAccess`` subclass holding
only its own methods; ``JobStore`` (job_store.py) is all of them in one class, built once with
these dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from jobstream.aws_clients import dynamodb_client
from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.lazy import Lazy
from jobstream.settings import Settings
from jobstream.store import attribute_values as av
from jobstream.store import schema, write_items
from jobstream.store.commit_feed import CommitFeed
from jobstream.store.dynamo_calls import call, with_retries
from jobstream.store.observer import AppendObserver

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from jobstream.store.expressions import Expression
    from jobstream.store.models import Lease

T = TypeVar("T")

SECONDS_PER_DAY = 86_400


class TableAccess:
    def __init__(
        self,
        settings: Settings,
        *,
        client: DynamoDBClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
        observer: AppendObserver | None = None,
        commit_feed: CommitFeed | None = None,
    ) -> None:
        self._settings = settings
        self._client = Lazy(lambda: client if client is not None else dynamodb_client(settings))
        # The wall clock judges lease and TTL expiry; conflict retries wait on it.
        self._clock = clock
        # Told about every successful append (metrics: events emitted, events per write).
        self._observer = observer
        # Committed events, handed to this process's streams (an inline job's own viewer).
        self._commit_feed = commit_feed if commit_feed is not None else CommitFeed()

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client; made on first use (standard retry mode) when none was injected."""
        return self._client()

    def now(self) -> float:
        """The store's wall clock (epoch seconds): lease and TTL expiry are judged by it."""
        return self._clock.time()

    def _expires_at(self, now: float) -> float:
        """When a job created ``now`` expires, with its whole log."""
        return now + self._settings.retention_days * SECONDS_PER_DAY

    def _request(self, operation: str, request: Callable[[], T]) -> T:
        return with_retries(operation, lambda: call(operation, request), sleep=self._clock.sleep)

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
                **write_items.update(self._settings.table, write_items.job_key(job_id), expression),
                ReturnValues="ALL_NEW" if return_new else "NONE",
            ),
        )
        return reply.get("Attributes")


def require_live_job(expression: Expression, now: float) -> None:
    """The job item exists and has not expired."""
    expression.require(f"attribute_exists({expression.name(schema.PK)})")
    expression.require(f"{expression.name(schema.EXPIRES_AT)} > {expression.value(av.n(now))}")


def require_lease_owner(expression: Expression, lease: Lease, now: float) -> None:
    """``lease`` still holds the job. A terminal job has no owner, so this also fences writes to
    finished jobs."""
    expression.require(
        f"{expression.name(schema.LEASE_OWNER)} = {expression.value(av.s(lease.owner))}"
    )
    expression.require(f"{expression.name(schema.EXPIRES_AT)} > {expression.value(av.n(now))}")
