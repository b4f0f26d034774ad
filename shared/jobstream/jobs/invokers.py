"""WorkerInvoker: how a job's next chunk gets started. Fire-and-forget, at-least-once.

- ``LambdaWorkerInvoker``: an asynchronous Lambda invoke (``InvocationType=Event``) of the worker
  function; the worker continues itself on its own invoked ARN, the API and stream functions use
  ``Settings.worker_function``.
- ``ThreadWorkerInvoker``: the local stack's stand-in, running the worker in a background thread
  with a simulated function timeout (the thread cannot be killed at the timeout like a Lambda
  invocation; the driver's own deadline checks are what end its chunk).
- ``RecordingInvoker``: for tests; only records the invocations.

The payload is ``{"job_id": ..., "hop": n}``; ``WorkerRequest`` parses it back.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field

from jobstream.aws_clients import lambda_client
from jobstream.invocation_context import InvocationContext
from jobstream.jobs.budget import remaining_from_context
from jobstream.lazy import Lazy
from jobstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = logging.getLogger(__name__)


class WorkerInvoker(Protocol):
    def invoke(self, job_id: str, *, hop: int) -> None:
        """Start the worker for ``job_id``'s chunk number ``hop``; returns without waiting."""
        ...


class WorkerRequest(BaseModel):
    """The worker's event."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: str = Field(min_length=1, max_length=256)
    hop: int = Field(ge=0)

    def payload(self) -> bytes:
        return json.dumps({"job_id": self.job_id, "hop": self.hop}).encode()


class LambdaWorkerInvoker:
    def __init__(
        self, function_name: str, *, settings: Settings, client: LambdaClient | None = None
    ) -> None:
        self._function_name = function_name
        self._settings = settings
        self._client = Lazy(lambda: client if client is not None else lambda_client(settings))

    @property
    def client(self) -> LambdaClient:
        return self._client()

    def invoke(self, job_id: str, *, hop: int) -> None:
        self.client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            Payload=WorkerRequest(job_id=job_id, hop=hop).payload(),
        )


class LambdaDurableInvoker:
    """Starts a job's durable execution (the durable driver): an asynchronous invoke of
    the durable worker named by the job id, with the payload ``{"job_id"}`` only. Lambda returns
    the existing execution for a repeated start with the same name and payload, so a retried or
    duplicate start (status() restarting, cancel) never starts a second one. The execution's ARN
    from the reply is recorded on the job by ``record(job_id, arn)``. ``hop`` is not used: the
    execution continues itself."""

    def __init__(
        self,
        function_name: str,
        *,
        settings: Settings,
        record: Callable[[str, str], object],
        client: LambdaClient | None = None,
    ) -> None:
        self._function_name = function_name
        self._settings = settings
        self._record = record
        self._client = Lazy(lambda: client if client is not None else lambda_client(settings))

    @property
    def client(self) -> LambdaClient:
        return self._client()

    def invoke(self, job_id: str, *, hop: int) -> None:
        reply = self.client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            DurableExecutionName=job_id,
            Payload=json.dumps({"job_id": job_id}).encode(),
        )
        arn = reply.get("DurableExecutionArn")
        if arn:
            self._record(job_id, arn)


# What the ThreadWorkerInvoker calls: (job_id, hop, remaining seconds) -> anything.
WorkerTarget = Callable[[str, int, Callable[[], float]], object]


class ThreadWorkerInvoker:
    def __init__(self, *, timeout_s: float, target: WorkerTarget | None = None) -> None:
        self._timeout_s = timeout_s
        self._target = target
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._idle = threading.Condition(self._lock)
        self._closed = False

    def bind(self, target: WorkerTarget) -> None:
        """Set the worker entry point (the service that owns this invoker is built after it)."""
        self._target = target

    def invoke(self, job_id: str, *, hop: int) -> None:
        target = self._target
        if target is None:
            raise RuntimeError("ThreadWorkerInvoker.bind(target) was never called")
        with self._lock:
            if self._closed:
                logger.info("local worker is shut down; job %s hop %d not started", job_id, hop)
                return
            thread = threading.Thread(
                target=self._run,
                args=(target, job_id, hop),
                name=f"worker-{job_id}-{hop}",
                daemon=True,
            )
            self._threads.add(thread)
        thread.start()

    def _run(self, target: WorkerTarget, job_id: str, hop: int) -> None:
        context = InvocationContext.for_timeout(self._timeout_s, function_name="worker")
        try:
            target(job_id, hop, remaining_from_context(context))
        except Exception:
            # Lambda would retry; locally JobService.status() re-starts a stalled job instead.
            logger.exception("local worker for job %s hop %d failed", job_id, hop)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
                self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no worker thread runs (continuations included); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._threads, timeout=timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Start no new workers; wait for the running ones (they end by their simulated timeout)."""
        with self._lock:
            self._closed = True
        return self.wait_idle(timeout)
