"""The remaining time of the current request, for Powertools Idempotency.

Powertools sizes an idempotency record's "in progress" window from the Lambda context's remaining
time (IdempotencyConfig.register_lambda_context); without one it warns and the window never expires
early. Under Mangum the real context is in the ASGI scope; under the local server there is none, so
a stand-in context with a deadline of Settings.api_timeout_seconds from the start of the request
takes its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from jobstream.invocation_context import InvocationContext, RemainingTime


def request_remaining_time(*, scope: Mapping[str, Any], timeout_seconds: float) -> RemainingTime:
    """The Lambda context Mangum put in the scope, else one ending ``timeout_seconds`` from now."""
    context = scope.get("aws.context")
    if callable(getattr(context, "get_remaining_time_in_millis", None)):
        return cast(RemainingTime, context)
    return InvocationContext.for_timeout(timeout_seconds, function_name="api")
