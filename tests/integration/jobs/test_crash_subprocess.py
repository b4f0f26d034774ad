"""A driver process killed (SIGKILL) between a step and its checkpoint: the job resumes elsewhere
with no event lost and none repeated, and the dead process's ids are not reused."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobstream.jobs import JobService
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import REPO_ROOT
from tests.integration.jobs.crash_child import JOB_TYPE, crash_registry
from tests.unit.jobs.fakes import FakeClock, assert_clean_log, progress_done, run_worker_chain

STEPS = 40


@pytest.fixture
def moto_settings() -> Iterator[Settings]:
    table = f"jobstream-crash-{uuid.uuid4().hex[:8]}"
    with EmbeddedDynamoDB(table=table) as dynamodb:
        yield Settings(
            table=table,
            region="us-east-1",
            dynamodb_endpoint_url=dynamodb.endpoint_url,
            flush_interval_ms=30,
            cancel_check_seconds=0.2,
        )


def run_child_until_ready(
    settings: Settings, job_id: str, block_at: int, background: bool, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "JOBSTREAM_TABLE": settings.table,
        "JOBSTREAM_REGION": settings.region,
        "JOBSTREAM_DYNAMODB_ENDPOINT_URL": str(settings.dynamodb_endpoint_url),
        # With the timer, finished steps are written while the child hangs; without it (and a
        # longer interval) the steps since the last write are lost with the process.
        "JOBSTREAM_FLUSH_INTERVAL_MS": str(settings.flush_interval_ms if background else 100),
        "BACKGROUND_FLUSH": "1" if background else "0",
        "JOBSTREAM_CANCEL_CHECK_SECONDS": str(settings.cancel_check_seconds),
        "JOB_ID": job_id,
        "BLOCK_AT": str(block_at),
    }
    stderr_path = tmp_path / "child.stderr"
    with (
        stderr_path.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.jobs.crash_child"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as child,
    ):
        stdout = child.stdout
        assert stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=120)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    assert line == "READY\n", stderr_path.read_text()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("block_at", "background"),
    [(1, True), (17, True), (17, False)],
    ids=["first-step", "with-timer", "without-timer"],
)
def test_a_killed_driver_loses_and_repeats_nothing(
    moto_settings: Settings, tmp_path: Path, block_at: int, background: bool
) -> None:
    store = JobStore(moto_settings)
    job_id = f"crash-{uuid.uuid4().hex[:8]}"
    store.create_job(job_id=job_id, type=JOB_TYPE, params={"n": STEPS})

    run_child_until_ready(moto_settings, job_id, block_at, background, tmp_path)

    dead = store.get_job(job_id)
    assert dead.lease_owner is not None  # died holding it
    assert dead.hops == 1
    # What the dead driver had stored: whole steps only, and never the step it died in.
    before = list(store.events_after(job_id, 0))
    assert_clean_log(before)
    assert dead.last_event_id == len(before)
    assert progress_done(before) == list(range(1, len(before) // 2 + 1))
    assert dead.checkpoint.cursor == (len(before) // 2 or None)
    assert len(before) < 2 * block_at

    # Another process, an hour later (its store's clock says so: the dead lease has expired).
    later = JobStore(moto_settings, clock=FakeClock(time.time() + 3_600))
    invoker = RecordingInvoker()
    service = JobService(
        store=later,
        registry=crash_registry(),
        invoker=invoker,
        settings=moto_settings,
        clock=FakeClock(),
        background_flush=False,
    )
    assert service.status(job_id).status is JobStatus.RUNNING
    assert invoker.calls == [(job_id, 1)]  # the abandoned job is restarted at its next hop
    run_worker_chain(service, invoker, FakeClock(), timeout_s=3_600)

    events = list(store.events_after(job_id, 0))
    assert_clean_log(events, terminal="complete")
    assert events[: len(before)] == before  # ids of the dead process's events are kept as they were
    assert progress_done(events) == list(range(1, STEPS + 1))
    assert [e.data["message"] for e in events if e.type == "log"] == [
        f"step {i}" for i in range(1, STEPS + 1)
    ]
    assert store.get_job(job_id).status is JobStatus.SUCCEEDED
