"""The durable driver under AWS's pinned local runner (aws-durable-execution-sdk-python-testing).

``run_durable_executions`` plays the Lambda service for the starts a service recorded, the way
``fakes.run_worker_chain`` does for the chain's hops: each recorded start becomes a durable
execution of the worker's real durable handler (``jobs.durable_sdk.durable_handler``) in the local
runner, which checkpoints steps, replays, skips waits and retries failed steps as Lambda does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aws_durable_execution_sdk_python_testing.runner import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)

from jobstream.jobs import JobService
from jobstream.jobs.durable_sdk import durable_handler
from jobstream_sandbox.invokers import RecordingInvoker

# Real seconds a test waits for one execution (the local runner skips durable waits).
EXECUTION_TIMEOUT_S = 120


@dataclass
class DurableLog:
    results: list[DurableFunctionTestResult] = field(default_factory=list)
    # Parsed handler results (DurableRunResult.to_json()) of the executions that succeeded.
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)


def outcome_of(result: DurableFunctionTestResult) -> dict[str, Any]:
    assert result.result is not None, f"execution ended without a result: {result.error}"
    parsed: dict[str, Any] = json.loads(result.result)
    return parsed


@contextmanager
def local_runner(service: JobService) -> Iterator[DurableFunctionTestRunner]:
    runner = DurableFunctionTestRunner(handler=durable_handler(lambda: service))
    try:
        yield runner
    finally:
        runner.close()
        # The runner stops its scheduler's event loop (and joins its thread) but never closes it;
        # the unclosed loop's ResourceWarning would fail a later test (filterwarnings = error).
        runner._scheduler._loop.close()


def start(runner: DurableFunctionTestRunner, job_id: str) -> str:
    return runner.run_async(input=json.dumps({"job_id": job_id}), execution_name=job_id)


def run_durable_executions(
    service: JobService,
    invoker: RecordingInvoker,
    *,
    dedupe: bool = True,
) -> DurableLog:
    """Start one execution per recorded start and run each to its end, in order.

    ``dedupe``: as on Lambda, a start with a job's name and payload returns the job's existing
    execution (False: every start is a new execution, as a differing payload would make one).
    """
    log = DurableLog()
    started: set[str] = set()
    with local_runner(service) as runner:
        pending = invoker.take()
        while pending:
            job_id, _hop = pending.pop(0)
            if dedupe and job_id in started:
                pending.extend(invoker.take())
                continue
            started.add(job_id)
            arn = start(runner, job_id)
            log.executions.append(arn)
            result = runner.wait_for_result(arn, timeout=EXECUTION_TIMEOUT_S)
            log.results.append(result)
            if result.result is not None:
                log.outcomes.append(outcome_of(result))
            pending.extend(invoker.take())
    return log
