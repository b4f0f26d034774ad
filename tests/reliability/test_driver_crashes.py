"""The driver killed at random points, and at every point: the job still completes with events
exactly 1..N. Both drivers (the chain, and the durable driver under AWS's local runner).

Two ways to die:

- in process: ``Killed`` (a BaseException, so nothing on the way catches it) raised at random
  before or after any store call (a request lost, or a reply lost after the write committed) and
  inside steps; every delivery runs on a fresh JobService, as a fresh Lambda container would;
- a real worker process SIGKILLed at random moments against a moto server.

Recovery is what production has: Lambda's retries of the failed invocation (same hop), and
``JobService.status()`` restarting a job whose lease expired with its holder.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

from jobstream.jobs import JobService
from jobstream.jobs.durable_driver import StepFunction
from jobstream.jobs.durable_sdk import SdkDurableOps
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore, StoredEvent
from jobstream.store.models import JSONObject
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import REPO_ROOT
from tests.functional.jobs.drivers import each_driver
from tests.integration.jobs.crash_child import JOB_TYPE, crash_registry
from tests.unit.jobs.fakes import FakeClock, FakeInvocation, assert_clean_log, progress_done

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LAMBDA_RETRIES = 2


class Killed(BaseException):
    """The process running the driver died here."""


class Reaper:
    """Decides where the driver dies: at a few points chosen up front (so every run has kills),
    then at random with probability ``p``, at most ``budget`` times in all (so the job ends)."""

    def __init__(self, rng: random.Random, *, p: float, budget: int, first: int) -> None:
        self._rng = rng
        self._p = p
        self._forced = set(rng.sample(range(1, first + 1), 2))
        self.budget = budget
        self.points = 0
        self.kills: list[str] = []

    def maybe_die(self, where: str) -> None:
        self.points += 1
        if self.budget <= 0:
            return
        if self.points in self._forced or self._rng.random() < self._p:
            self.budget -= 1
            self.kills.append(where)
            raise Killed(where)


class KillingStore(JobStore):
    """A JobStore whose calls die: before the request (lost) or after its reply (committed)."""

    def __init__(self, *args: Any, reaper: Reaper | KillAt, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reaper = reaper

    def _around(self, name: str, call: Any) -> Any:
        self._reaper.maybe_die(f"before {name}")
        result = call()
        self._reaper.maybe_die(f"after {name}")
        return result

    def get_job(self, job_id: str) -> Any:
        return self._around("get_job", lambda: super(KillingStore, self).get_job(job_id))

    def acquire_lease(self, job_id: str, *, duration_s: float, owner: str | None = None) -> Any:
        return self._around(
            "acquire_lease",
            lambda: super(KillingStore, self).acquire_lease(
                job_id, duration_s=duration_s, owner=owner
            ),
        )

    def claim_execution(self, job_id: str, execution_id: str) -> Any:
        return self._around(
            "claim_execution",
            lambda: super(KillingStore, self).claim_execution(job_id, execution_id),
        )

    def renew_lease(self, lease: Any, *, duration_s: float) -> Any:
        return self._around(
            "renew_lease",
            lambda: super(KillingStore, self).renew_lease(lease, duration_s=duration_s),
        )

    def release_lease(self, lease: Any) -> None:
        self._around("release_lease", lambda: super(KillingStore, self).release_lease(lease))

    def append(self, *args: Any, **kwargs: Any) -> list[StoredEvent]:
        result: list[StoredEvent] = self._around(
            "append", lambda: super(KillingStore, self).append(*args, **kwargs)
        )
        return result


STEPS = 40


class StepDied(Exception):
    """What the local durable runner is told when the process died inside a durable step.

    The runner cannot lose a thread the way Lambda loses a process, so the death becomes a failed
    attempt of that durable step: nothing of it is recorded as done and Lambda runs it again (a
    replay), which is the case exactly-once events must survive.
    """


class DyingOps:
    """The SDK's DurableOps with deaths inside steps turned into StepDied, and one more point of
    death: after a step's work is done (its append written) and before Lambda records it."""

    def __init__(self, ops: SdkDurableOps, reaper: Reaper | KillAt) -> None:
        self._ops = ops
        self._reaper = reaper

    @property
    def execution_id(self) -> str:
        return self._ops.execution_id

    def step(self, name: str, function: StepFunction) -> JSONObject:
        def dying(attempt: int) -> JSONObject:
            try:
                result = function(attempt)
                self._reaper.maybe_die(f"after durable step {name}, before Lambda records it")
            except Killed as killed:
                raise StepDied(str(killed)) from None
            return result

        return self._ops.step(name, dying)

    def wait(self, name: str, seconds: int) -> None:
        self._ops.wait(name, seconds)

    def remaining_s(self) -> float:
        return self._ops.remaining_s()


def drive_chain_until_done(
    job_id: str,
    fresh_service: Callable[[], JobService],
    invoker: RecordingInvoker,
    clock: FakeClock,
) -> None:
    """Lambda's retries of a failed invocation (same hop), and ``JobService.status()`` restarting
    a job whose lease expired with its holder."""
    settings = fresh_service().settings
    plain = JobStore(settings, client=fresh_service().store.client, clock=clock.no_sleeps())
    for _ in range(500):
        pending = invoker.take()
        for queued_job, hop in pending:
            for _attempt in range(1 + LAMBDA_RETRIES):
                try:
                    invocation = FakeInvocation(clock, timeout_s=0.2)
                    fresh_service().run_hop(queued_job, hop=hop, remaining_s=invocation.remaining_s)
                    break
                except Killed:
                    pass  # the invocation failed; Lambda delivers it again
        if plain.get_job(job_id).status.is_terminal:
            return
        if not pending:
            # Nobody is driving it: a lease may be held by the dead. Once it has expired, a status
            # read (the client's poll, or GET /jobs/{id}) restarts the job.
            clock.advance(settings.lease_seconds + 1)
            with contextlib.suppress(Killed):
                fresh_service().status(job_id)


def drive_durable_until_done(
    job_id: str, fresh_service: Callable[[], JobService], reaper: Reaper | KillAt
) -> None:
    """One durable execution under the local runner; every invocation is a fresh container."""

    @durable_execution
    def handler(event: Any, context: DurableContext) -> JSONObject:
        service = fresh_service()
        ops = DyingOps(SdkDurableOps(context, service.settings), reaper)
        return service.run_durable(event["job_id"], ops).to_json()

    runner = DurableFunctionTestRunner(handler=handler)
    try:
        arn = runner.run_async(input=json.dumps({"job_id": job_id}), execution_name=job_id)
        result = runner.wait_for_result(arn, timeout=120)
    finally:
        runner.close()
        runner._scheduler._loop.close()  # see tests/functional/jobs/durable_runs.py
    assert result.error is None, result.error


def killed_run(
    driver: str,
    settings: Settings,
    ddb: DynamoDBClient,
    reaper: Reaper | KillAt,
    *,
    steps: int,
    name: str,
    durable_step_seconds: float = 0.05,
) -> JobStore:
    """Create a crash.count job of ``steps`` steps and drive it to its end while ``reaper`` kills
    the driver; returns a plain store on the table."""
    clock = FakeClock()
    job_settings = settings.with_changes(
        {
            "cancel_check_seconds": 0.1,
            "chunk_safety_margin_seconds": 0.05,
            "driver": driver,
            # Small durable steps: more of them, so more replays.
            "durable_step_seconds": durable_step_seconds,
            # Every death is a failed attempt of a durable step under the local runner.
            "durable_step_max_attempts": 100,
        }
    )
    # Every step sleeps once on the clock: dying there is dying in the middle of a step.
    clock.on_sleep = lambda _now: reaper.maybe_die("inside a step")
    invoker = RecordingInvoker()

    def fresh_service() -> JobService:
        """A new container: nothing in memory survives, only the table."""
        store = KillingStore(job_settings, client=ddb, clock=clock.no_sleeps(), reaper=reaper)
        return JobService(
            store=store,
            registry=crash_registry(),
            invoker=invoker,
            settings=job_settings,
            clock=clock,
            background_flush=False,
        )

    plain = JobStore(job_settings, client=ddb, clock=clock.no_sleeps())
    plain.create_job(job_id=name, type=JOB_TYPE, params={"n": steps})
    if driver == "chain":
        invoker.invoke(name, hop=0)
        drive_chain_until_done(name, fresh_service, invoker, clock)
    else:
        drive_durable_until_done(name, fresh_service, reaper)
    return plain


def assert_exactly_once(plain: JobStore, job_id: str, steps: int, kills: list[str]) -> None:
    job = plain.get_job(job_id)
    assert job.status is JobStatus.SUCCEEDED, (job, kills)
    events = list(plain.events_after(job_id, 0))
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, steps + 1))
    assert [e.data["message"] for e in events if e.type == "log"] == [
        f"step {i}" for i in range(1, steps + 1)
    ]


@each_driver
@pytest.mark.parametrize("seed", range(8))
def test_a_driver_killed_in_process_at_random_points_loses_and_repeats_nothing(
    settings: Settings, ddb: DynamoDBClient, seed: int, driver: str
) -> None:
    reaper = Reaper(random.Random(seed), p=0.03, budget=8, first=40)
    job_id = f"killed-{seed}-{uuid.uuid4().hex[:6]}"
    plain = killed_run(driver, settings, ddb, reaper, steps=STEPS, name=job_id)
    assert len(reaper.kills) >= 2
    assert_exactly_once(plain, job_id, STEPS, reaper.kills)


class KillAt:
    """Kills at exactly the ``at``-th point of death (once); counts every point."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.points = 0
        self.kills: list[str] = []

    def maybe_die(self, where: str) -> None:
        self.points += 1
        if self.points == self.at:
            self.kills.append(where)
            raise Killed(where)


EVERY_POINT_STEPS = 3


@each_driver
def test_a_driver_killed_at_every_point_of_a_job_loses_and_repeats_nothing(
    settings: Settings, ddb: DynamoDBClient, driver: str
) -> None:
    # Point k, for every k: before or after each store call, inside each step, and (durable)
    # after each durable step's work and before Lambda records it. The run with no kill left
    # (k past the last point) ends the sweep.
    at = 1
    places: set[str] = set()
    while True:
        reaper = KillAt(at)
        job_id = f"every-{at}-{uuid.uuid4().hex[:6]}"
        # One job step per durable step (durable_step_seconds=0): the most durable steps to die in.
        plain = killed_run(
            driver,
            settings,
            ddb,
            reaper,
            steps=EVERY_POINT_STEPS,
            name=job_id,
            durable_step_seconds=0,
        )
        assert_exactly_once(plain, job_id, EVERY_POINT_STEPS, reaper.kills)
        if not reaper.kills:
            break
        places.update(reaper.kills)
        at += 1
    print(f"{driver}: killed at each of {at - 1} points")
    assert at > 10  # the sweep went through every point of a real run
    assert {"before append", "after append", "inside a step"} <= places
    if driver == "durable":
        assert any(p.startswith("after durable step chunk-") for p in places), places


# --- SIGKILL of a worker process ---------------------------------------------------------------
PROCESS_STEPS = 300
KILLS = 3


@pytest.fixture
def moto_settings() -> Iterator[Settings]:
    table = f"jobstream-kill-{uuid.uuid4().hex[:8]}"
    with EmbeddedDynamoDB(table=table) as dynamodb:
        yield Settings(
            table=table,
            region="us-east-1",
            dynamodb_endpoint_url=dynamodb.endpoint_url,
            # A dead driver's lease frees the job within a second.
            lease_seconds=1.0,
            flush_interval_ms=30,
            cancel_check_seconds=0.2,
        )


def start_worker(settings: Settings, job_id: str, log: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "JOBSTREAM_TABLE": settings.table,
        "JOBSTREAM_REGION": settings.region,
        "JOBSTREAM_DYNAMODB_ENDPOINT_URL": str(settings.dynamodb_endpoint_url),
        "JOBSTREAM_LEASE_SECONDS": str(settings.lease_seconds),
        "JOBSTREAM_FLUSH_INTERVAL_MS": str(settings.flush_interval_ms),
        "JOBSTREAM_CANCEL_CHECK_SECONDS": str(settings.cancel_check_seconds),
        "JOB_ID": job_id,
    }
    with log.open("a") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.worker_process"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )


def wait_for_line(process: subprocess.Popen[str], timeout: float) -> str:
    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def wait_until_free(store: JobStore, job_id: str) -> None:
    """Until no live lease holds the job (the killed worker's has run out)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = store.get_job(job_id)
        if job.lease_expires_at is None or job.lease_expires_at <= time.time():
            return
        time.sleep(job.lease_expires_at - time.time() + 0.01)
    raise AssertionError("the dead worker's lease never expired")


def test_a_worker_process_sigkilled_at_random_moments_loses_and_repeats_nothing(
    moto_settings: Settings, tmp_path: Path
) -> None:
    rng = random.Random(7)
    store = JobStore(moto_settings)
    job_id = f"sigkill-{uuid.uuid4().hex[:8]}"
    store.create_job(job_id=job_id, type=JOB_TYPE, params={"n": PROCESS_STEPS})
    log = tmp_path / "workers.stderr"
    progress: list[int] = []

    for _ in range(KILLS):
        wait_until_free(store, job_id)
        with start_worker(moto_settings, job_id, log) as worker:
            try:
                assert wait_for_line(worker, timeout=120) == "RUNNING\n", log.read_text()
                time.sleep(rng.uniform(0.05, 0.6))
            finally:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        progress.append(store.get_job(job_id).last_event_id)

    wait_until_free(store, job_id)
    with start_worker(moto_settings, job_id, log) as last:
        assert wait_for_line(last, timeout=120) == "RUNNING\n", log.read_text()
        assert last.wait(timeout=120) == 0, log.read_text()

    job = store.get_job(job_id)
    assert job.status is JobStatus.SUCCEEDED
    # The kills interrupted real work: the job was part-way through when they struck.
    assert any(0 < done < 2 * PROCESS_STEPS for done in progress), progress
    events = list(store.events_after(job_id, 0))
    assert_clean_log(events, terminal="complete")
    assert progress_done(events) == list(range(1, PROCESS_STEPS + 1))
    assert [e.data["message"] for e in events if e.type == "log"] == [
        f"step {i}" for i in range(1, PROCESS_STEPS + 1)
    ]
