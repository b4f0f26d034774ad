"""Child process of test_crash_subprocess.py: drives a job and hangs inside step BLOCK_AT.

Run as ``python -m tests.integration.jobs.crash_child`` with the JOBSTREAM_* settings of a moto
server and JOB_ID, BLOCK_AT and BACKGROUND_FLUSH ("1" or "0") in the environment. When step
BLOCK_AT has emitted its events and advanced its cursor -- but before it returns, so before its
checkpoint can be written -- it prints ``READY`` and waits to be killed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator

from pydantic import BaseModel, Field

from jobstream.jobs import JobContext, JobRegistry, JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker

JOB_TYPE = "crash.count"


class CountParams(BaseModel):
    n: int = Field(ge=1, le=1_000)


def crash_registry(before_return: Callable[[int], None] | None = None) -> JobRegistry:
    """``crash.count``: 10 ms steps, a log line and progress each; the hook ends each step."""
    registry = JobRegistry()

    @registry.job(JOB_TYPE, params=CountParams)
    def count(ctx: JobContext[CountParams]) -> Iterator[None]:
        done: int = ctx.cursor or 0
        while done < ctx.params.n:
            ctx.sleep(0.01)
            done += 1
            ctx.log(f"step {done}")
            ctx.progress(done, ctx.params.n)
            ctx.advance(done)
            if before_return is not None:
                before_return(done)
            yield
        ctx.complete({"count": done})

    return registry


def main() -> None:
    job_id = os.environ["JOB_ID"]
    block_at = int(os.environ["BLOCK_AT"])

    def hang_at_block(step: int) -> None:
        if step == block_at:
            sys.stdout.write("READY\n")
            sys.stdout.flush()
            threading.Event().wait()  # until SIGKILL

    settings = Settings()
    service = JobService(
        store=JobStore(settings),
        registry=crash_registry(hang_at_block),
        invoker=RecordingInvoker(),
        settings=settings,
        background_flush=os.environ["BACKGROUND_FLUSH"] == "1",
    )
    service.run_hop(job_id, hop=0, remaining_s=lambda: 3_600.0)


if __name__ == "__main__":
    main()
