"""A worker "function" in a process of its own, for test_driver_crashes.py to SIGKILL.

Run as ``python -m tests.reliability.worker_process`` with the JOBSTREAM_* settings of a moto server
and JOB_ID in the environment. It plays one worker invocation: the hop the job is at, with an hour
to run (so one invocation can finish the job). It prints ``RUNNING`` once its imports are done and
it is about to drive the job, and exits 0 when the invocation returns.
"""

from __future__ import annotations

import os
import sys

from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream_sandbox.invokers import RecordingInvoker
from tests.integration.jobs.crash_child import crash_registry


def main() -> None:
    job_id = os.environ["JOB_ID"]
    settings = Settings()
    store = JobStore(settings)
    service = JobService(
        store=store,
        registry=crash_registry(),
        invoker=RecordingInvoker(),
        settings=settings,
        background_flush=True,
    )
    hop = store.get_job(job_id).hops
    sys.stdout.write("RUNNING\n")
    sys.stdout.flush()
    result = service.run_hop(job_id, hop=hop, remaining_s=lambda: 3_600.0)
    sys.stdout.write(f"DONE {result.outcome.value} {result.reason}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
