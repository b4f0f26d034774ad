"""The remaining time of the current request, for Powertools Idempotency.

Powertools sizes an idempotency record's "in progress" window from the Lambda context's remaining
time (IdempotencyConfig.register_lambda_context); without one it warns and the window never expires
early. Under Mangum the real context is in the ASGI scope; under the local server there is none, so
a deadline of Settings.api_timeout_seconds from the start of the request stands in for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True, slots=True)
class LocalDeadline:
    deadline: float
    clock: Callable[[], float] = field(default=time.monotonic)

    @classmethod
    def after(cls, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> LocalDeadline:
        return cls(deadline=clock() + seconds, clock=clock)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock()) * 1000))


def request_remaining_time(*, scope: Mapping[str, Any], timeout_seconds: float) -> RemainingTime:
    """The Lambda context Mangum put in the scope, else a deadline ``timeout_seconds`` from now."""
    context = scope.get("aws.context")
    if callable(getattr(context, "get_remaining_time_in_millis", None)):
        return cast(RemainingTime, context)
    return LocalDeadline.after(timeout_seconds)
