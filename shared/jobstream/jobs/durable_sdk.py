"""The durable driver on AWS's Durable Execution SDK: the only module that imports it.

``durable_handler`` is the worker function's handler when JOBSTREAM_DRIVER=durable: Lambda calls it
(through the SDK's ``durable_execution`` wrapper, which replays recorded operations) with the event
``{"job_id"}`` the API started the execution with. ``SdkDurableOps`` adapts the SDK's
DurableContext to the driver's DurableOps (jobs/durable_driver.py). The local stack and the tests
run the same handler under the SDK's pinned local runner (aws-durable-execution-sdk-python-testing).

Step semantics: at least once per retry (the SDK's default). A durable step's work is idempotent by
construction (see durable_driver.py), so "at most once" would only turn a crash into a failed
attempt without making anything safer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, StepError
from aws_durable_execution_sdk_python import durable_execution as _durable_execution
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryDecision
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobstream.jobs.durable_driver import DurableStepFailed, RetryLater, StepFunction
from jobstream.jobs.service import JobService
from jobstream.settings import Settings
from jobstream.store.models import JSONObject

# Backoff of a durable step that failed for a reason outside the job: 2, 4, 8, ... s, at most 60.
RETRY_BASE_S = 2
RETRY_MAX_S = 60


class DurableRequest(BaseModel):
    """The durable execution's input. No hop number: a repeated start with the same payload and
    name (the job id) returns the existing execution instead of starting a second one."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: str = Field(min_length=1, max_length=256)


def retry_strategy(settings: Settings) -> Callable[[Exception, int], RetryDecision]:
    def decide(error: Exception, attempts_made: int) -> RetryDecision:
        if isinstance(error, RetryLater):
            # Not a failure: the job's lease is someone else's for this long.
            return RetryDecision.retry(Duration(seconds=max(1, math.ceil(error.delay_s))))
        if attempts_made >= settings.durable_step_max_attempts:
            return RetryDecision.no_retry()
        delay = min(RETRY_BASE_S * 2 ** (attempts_made - 1), RETRY_MAX_S)
        return RetryDecision.retry(Duration(seconds=delay))

    return decide


class SdkDurableOps:
    """DurableOps on the SDK's DurableContext."""

    def __init__(self, context: DurableContext, settings: Settings) -> None:
        self._context = context
        self._config = StepConfig(retry_strategy=retry_strategy(settings))

    @property
    def execution_id(self) -> str:
        return self._context.state.durable_execution_arn

    def step(self, name: str, function: StepFunction) -> JSONObject:
        def run(step_context: StepContext) -> JSONObject:
            return function(step_context.attempt)

        try:
            result: JSONObject = self._context.step(run, name=name, config=self._config)
        except StepError as exc:
            raise DurableStepFailed(f"durable step {name} failed: {exc}") from exc
        return result

    def wait(self, name: str, seconds: int) -> None:
        self._context.wait(Duration(seconds=max(1, seconds)), name=name)

    def remaining_s(self) -> float:
        lambda_context = self._context.lambda_context
        if lambda_context is None:
            return float("inf")
        return float(lambda_context.get_remaining_time_in_millis()) / 1000


def durable_handler(service: Callable[[], JobService]) -> Callable[[Any, Any], Any]:
    """The durable worker handler; ``service()`` returns the container's JobService."""

    @_durable_execution
    def handler(event: Any, context: DurableContext) -> JSONObject:
        try:
            request = DurableRequest.model_validate(event)
        except ValidationError:
            # Returned, not raised: an execution that can never work ends at once.
            return {"outcome": "rejected", "reason": "not a durable worker request"}
        jobs = service()
        ops = SdkDurableOps(context, jobs.settings)
        return jobs.run_durable(request.job_id, ops).to_json()

    return handler
