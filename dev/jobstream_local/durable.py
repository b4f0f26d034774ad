"""The local stack's durable worker (JOBSTREAM_DRIVER=durable): AWS's own local runner.

``LocalDurableInvoker`` stands in for Lambda's durable execution service: it starts one execution
per job of the worker's real durable handler (``jobstream.jobs.durable_sdk.durable_handler``) in
``aws-durable-execution-sdk-python-testing``'s DurableFunctionTestRunner, in real time (waits
last as long as they say). That runner is AWS's implementation of what the service does for a
durable function: checkpoints, replays from the start of the handler on every invocation, waits,
retries of failed steps, re-invocation after an invocation fails or times out. Running the same
runner as the tests (instead of an in-process imitation of our own) means `make run` exercises the
replays the durable driver must survive. Its executions live in memory: gone when the stack stops,
like the embedded database.

Each invocation sees a Lambda context whose remaining time is the simulated function timeout (the
runner's own context has no deadline) and that ends early when the stack shuts down, so running
chunks checkpoint and the execution suspends cleanly.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

from jobstream.jobs import JobService
from jobstream.jobs.durable_sdk import durable_handler

logger = logging.getLogger(__name__)

# The longest a local job may run, waits included (DurableExecutionTimeout on AWS).
EXECUTION_TIMEOUT_S = 24 * 3600
# The runner gives up on an invocation this long after its simulated timeout (it then re-invokes):
# our handler suspends before its deadline, so this only bounds a hung one.
_TIMEOUT_GRACE_S = 5


class _InvocationContext:
    """The runner's Lambda context with a deadline: ``timeout_s`` from now, or sooner if
    ``remaining`` (the stack's shutdown) says so."""

    def __init__(self, context: Any, timeout_s: float, remaining: Callable[[], float]) -> None:
        self._context = context
        self._deadline = time.monotonic() + timeout_s
        self._remaining = remaining

    def get_remaining_time_in_millis(self) -> int:
        left = min(self._deadline - time.monotonic(), self._remaining())
        return max(0, int(left * 1000))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class LocalDurableInvoker:
    """WorkerInvoker for the durable driver on the local stack (see the module docstring)."""

    def __init__(self, *, timeout_s: float, remaining: Callable[[], float]) -> None:
        self._timeout_s = timeout_s
        self._remaining = remaining
        self._lock = threading.Lock()
        self._runner: DurableFunctionTestRunner | None = None
        self._jobs: JobService | None = None
        # Job id -> execution ARN: Lambda returns a job's existing execution for a repeated start
        # with the same name and payload, and so does this.
        self._executions: dict[str, str] = {}
        self._closed = False

    def bind(self, jobs: JobService) -> None:
        """Set the service the durable handler runs (it is built after this invoker)."""
        durable = durable_handler(lambda: jobs)

        def handler(event: Any, context: Any) -> Any:
            return durable(event, _InvocationContext(context, self._timeout_s, self._remaining))

        self._jobs = jobs
        self._runner = DurableFunctionTestRunner(
            handler=handler,
            skip_time=False,
            invocation_timeout=int(self._timeout_s) + _TIMEOUT_GRACE_S,
            execution_timeout=EXECUTION_TIMEOUT_S,
        )

    def invoke(self, job_id: str, *, hop: int) -> None:
        runner, jobs = self._runner, self._jobs
        if runner is None or jobs is None:
            raise RuntimeError("LocalDurableInvoker.bind(jobs) was never called")
        with self._lock:
            if self._closed:
                logger.info("local durable worker is shut down; job %s not started", job_id)
                return
            if job_id in self._executions:
                return
            arn = runner.run_async(
                input=json.dumps({"job_id": job_id}),
                execution_name=job_id,
                function_name="worker",
                execution_timeout=EXECUTION_TIMEOUT_S,
            )
            self._executions[job_id] = arn
        jobs.store.claim_execution(job_id, arn)

    def close(self) -> None:
        """Start nothing more and stop the runner (running invocations have been told, through
        their context's remaining time, to suspend)."""
        with self._lock:
            self._closed = True
            runner, self._runner = self._runner, None
        if runner is None:
            return
        runner.close()  # type: ignore[no-untyped-call]
        # The runner stops its scheduler's event loop but never closes it.
        runner._scheduler._loop.close()
