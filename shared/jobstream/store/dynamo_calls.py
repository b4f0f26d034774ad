"""One DynamoDB request, its errors translated by CODE (never by message), and conflict retries.

botocore (standard retry mode, see jobstream/aws_clients.py) already retries throttling and
transient 5xx with backoff. What it does not retry is a transaction cancelled because another
transaction touched the same item at the same moment (TransactionConflict): that is retried here,
a few times with jittered backoff, each time as a fresh attempt built by the caller.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar, cast

from botocore.exceptions import BotoCoreError, ClientError

from jobstream.errors import JobstreamError
from jobstream.store.errors import StoreRequestFailed

T = TypeVar("T")

CONDITION_FAILED: Final = "ConditionalCheckFailedException"
TRANSACTION_CANCELED: Final = "TransactionCanceledException"
# A plain write that collided with an in-flight transaction on the same item.
TRANSACTION_CONFLICT: Final = "TransactionConflictException"
# Cancellation reason codes (TransactWriteItems API reference, "CancellationReasons").
REASON_CONDITION_FAILED: Final = "ConditionalCheckFailed"
REASON_NONE: Final = "None"
# Reasons that say "try again": nothing about the request itself was wrong.
RETRYABLE_REASONS: Final = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)

CONFLICT_ATTEMPTS: Final = 5
CONFLICT_BASE_DELAY_S: Final = 0.025

OldItem = Mapping[str, Any] | None


class ConditionFailed(JobstreamError):
    """A condition of the request was false. ``old_items`` holds, per action of the request (one for
    a plain write), the item as it was when ReturnValuesOnConditionCheckFailure=ALL_OLD returned it,
    or None; ``failed`` says which actions' conditions failed."""

    def __init__(self, old_items: Sequence[OldItem], failed: Sequence[bool]) -> None:
        super().__init__("condition failed")
        self.old_items = list(old_items)
        self.failed = list(failed)


class _Retryable(JobstreamError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def call(operation: str, request: Callable[[], T]) -> T:
    """Run one request: ConditionFailed, _Retryable or StoreRequestFailed, never botocore's."""
    try:
        return request()
    except ClientError as exc:
        code = error_code(exc)
        if code == CONDITION_FAILED:
            # The old item is there when the request asked for ReturnValuesOnConditionCheckFailure.
            item = cast("OldItem", exc.response.get("Item"))
            raise ConditionFailed([item], [True]) from exc
        if code == TRANSACTION_CANCELED:
            _raise_cancellation(operation, exc)
        if code == TRANSACTION_CONFLICT:
            raise _Retryable(code) from exc
        raise StoreRequestFailed(operation, code) from exc
    except BotoCoreError as exc:
        raise StoreRequestFailed(operation, type(exc).__name__) from exc


def _raise_cancellation(operation: str, exc: ClientError) -> None:
    reasons: list[Mapping[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
    codes = [str(r.get("Code", REASON_NONE)) for r in reasons]
    if REASON_CONDITION_FAILED in codes:
        raise ConditionFailed(
            [r.get("Item") for r in reasons], [c == REASON_CONDITION_FAILED for c in codes]
        ) from exc
    problems = {c for c in codes if c != REASON_NONE}
    if problems and problems <= RETRYABLE_REASONS:
        raise _Retryable(sorted(problems)[0]) from exc
    raise StoreRequestFailed(operation, "TransactionCanceled:" + ",".join(codes)) from exc


def with_retries(
    operation: str,
    attempt: Callable[[], T],
    *,
    sleep: Callable[[float], None],
    attempts: int = CONFLICT_ATTEMPTS,
) -> T:
    """Call ``attempt`` until it does not conflict; each call must build a fresh request."""
    for number in range(attempts):
        try:
            return attempt()
        except _Retryable as exc:
            if number == attempts - 1:
                raise StoreRequestFailed(operation, exc.code) from exc
            # Full jitter: colliding writers spread out instead of colliding again in step.
            sleep(random.uniform(0, CONFLICT_BASE_DELAY_S * 2**number))
    raise AssertionError("unreachable")  # pragma: no cover
