"""ChunkRunner: runs one job's steps under one lease until it ends, time runs out or the lease goes.

One chunk, step by step:

1. between steps: renew the lease when half of it is gone; every ``cancel_check_seconds`` re-read
   the job (a cancel request; a lease taken over by someone else); stop if the next step would not
   end before the invocation's safety margin (see budget.py);
2. run the step; its events and checkpoint go to the StepCommitter (written atomically together);
3. a step that raises is rolled back and retried with exponential backoff up to
   ``max_step_attempts`` times, then the job fails with a client-safe message (the stack trace goes
   to the log only); ``JobError`` fails it at once with the job's own message;
4. at the end of the chunk everything pending is written with the last checkpoint.

Every terminal event is written with its terminal status in the same append: the store refuses any
append to a finished job, so a job gets exactly one terminal event whoever races to write it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import InvalidParams, UnknownJobType
from jobstream.jobs import events
from jobstream.jobs.budget import ChunkBudget
from jobstream.jobs.commit import StepCommitter
from jobstream.jobs.context import JobContext, Position, StepRecorder
from jobstream.jobs.errors import JobError, StepContractError
from jobstream.jobs.registry import JobRegistry, JobType
from jobstream.settings import Settings
from jobstream.store.errors import JobFinished, JobNotFound, LeaseLost
from jobstream.store.job_store import JobStore
from jobstream.store.models import Job, JobStatus, Lease, NewEvent

logger = logging.getLogger(__name__)

# What a client sees when its job's type or params no longer pass this deployment's checks.
UNRUNNABLE_MESSAGE = "This job cannot run: its type or parameters are not accepted any more."


def step_failed_message(attempts: int) -> str:
    # Deliberately says nothing of the exception: its text may hold internal details.
    return (
        f"The job failed: a step raised an error {attempts} time(s) in a row. "
        "The details are in the server log."
    )


class ChunkEnd(StrEnum):
    FINISHED = "finished"  # this chunk wrote the job's terminal event
    YIELDED = "yielded"  # out of time (or asked to stop): progress saved, the job goes on elsewhere
    LEASE_LOST = "lease_lost"  # another driver owns the job, or it ended: nothing more was written
    # A step asked to sleep long enough for its driver to wait outside of any invocation (the
    # durable driver): progress saved, the step is re-run after ``ChunkResult.wait_s``.
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class ChunkResult:
    end: ChunkEnd
    steps: int = 0
    status: JobStatus | None = None
    last_event_id: int = 0
    wait_s: float = 0.0
    # YIELDED during retries: failed attempts at the next step so far (saved in the checkpoint).
    failed_attempts: int = 0


class SleepDeferred(BaseException):
    """Raised by a step's clock (``ChunkRunner(step_clock=...)``) instead of sleeping: the driver
    waits itself, then re-runs the step. A BaseException so that no ``except Exception`` in a job
    or in the runner mistakes it for the step failing; the runner rolls the step back."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"sleep of {seconds} s deferred to the driver")
        self.seconds = seconds


class _Stepper:
    """Runs one step of a step function or a generator function (one ``yield`` = one step)."""

    def __init__(self, job_type: JobType[Any], ctx: JobContext[Any], recorder: StepRecorder):
        self._job_type = job_type
        self._ctx = ctx
        self._recorder = recorder
        self._generator: Iterator[object] | None = None

    def step(self) -> None:
        function = self._job_type.function
        if not self._job_type.is_generator:
            if function(self._ctx) is not None:
                raise StepContractError(
                    "a step function must return None (write a generator to yield steps)"
                )
            return
        if self._generator is None:
            # (Re)started from the last checkpoint: the generator reads ctx.cursor/ctx.state.
            generator = function(self._ctx)
            assert generator is not None
            self._generator = iter(generator)
        try:
            next(self._generator)
        except StopIteration as stop:
            self._generator = None
            if not self._recorder.completed:
                self._ctx.complete(stop.value)

    def close(self) -> None:
        """Drop the generator (after a failed step, or at the end of the chunk)."""
        generator, self._generator = self._generator, None
        close = getattr(generator, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:
            logger.exception("job %s: closing the job's generator raised", self._ctx.job_id)


class _Housekeeping:
    """Lease renewal and cancel checks between steps."""

    def __init__(self, store: JobStore, settings: Settings, clock: Clock, lease: Lease) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self.lease = lease
        self._last_check = clock.monotonic()

    def cancel_requested(self) -> bool:
        """Renew the lease if due; True if a cancel is requested; LeaseLost if not ours any more."""
        lease_s = self._settings.lease_seconds
        if self.lease.expires_at - self._store.now() < lease_s / 2:
            self.lease = self._store.renew_lease(self.lease, duration_s=lease_s)
        if self._clock.monotonic() - self._last_check < self._settings.cancel_check_seconds:
            return False
        job = self._store.get_job(self.lease.job_id)
        self._last_check = self._clock.monotonic()
        if job.lease_owner != self.lease.owner:
            # Found out between steps, before spending a step whose write would be refused.
            raise LeaseLost(self.lease.job_id, self.lease.owner)
        return job.cancel_requested


def end_job(
    store: JobStore,
    lease: Lease,
    job: Job,
    event: NewEvent,
    status: JobStatus,
    *,
    error: str | None,
    settings: Settings,
    clock: Clock,
    background_flush: bool = False,
) -> ChunkResult:
    """Write a job's terminal event under ``lease``, through the step committer's one fenced
    append (which also frees the owner's quota slot): what every end outside a step goes through,
    the runner's and the sweep's."""
    committer = StepCommitter(
        store,
        lease,
        last_event_id=job.last_event_id,
        flush_interval_s=settings.flush_interval_ms / 1000,
        clock=clock,
        background=background_flush,
    )
    try:
        committer.finish([event], status=status, error=error)
    except (LeaseLost, JobFinished, JobNotFound):
        return ChunkResult(ChunkEnd.LEASE_LOST, last_event_id=job.last_event_id)
    finally:
        committer.close()
    return ChunkResult(ChunkEnd.FINISHED, status=status, last_event_id=committer.durable_event_id)


class ChunkRunner:
    def __init__(
        self,
        *,
        store: JobStore,
        registry: JobRegistry,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        background_flush: bool = True,
        step_clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._background_flush = background_flush
        # What ctx.sleep() uses: the durable driver's raises SleepDeferred for long sleeps.
        self._step_clock = step_clock or clock

    def _committer(self, lease: Lease, job: Job) -> StepCommitter:
        return StepCommitter(
            self._store,
            lease,
            last_event_id=job.last_event_id,
            flush_interval_s=self._settings.flush_interval_ms / 1000,
            clock=self._clock,
            background=self._background_flush,
        )

    def end_job(
        self,
        lease: Lease,
        job: Job,
        event: NewEvent,
        status: JobStatus,
        *,
        error: str | None = None,
    ) -> ChunkResult:
        """Write a terminal event outside of any step (budget exhausted, cancelled before start)."""
        return end_job(
            self._store,
            lease,
            job,
            event,
            status,
            error=error,
            settings=self._settings,
            clock=self._clock,
            background_flush=self._background_flush,
        )

    def run(
        self, lease: Lease, job: Job, budget: ChunkBudget, *, min_steps: int = 0
    ) -> ChunkResult:
        """Drive ``job`` (as ``lease`` holds it) until it ends or ``budget`` runs out.

        ``min_steps``: steps to attempt whatever the budget says (a worker hop must make progress,
        or a too-short timeout would burn the hop budget doing nothing).
        """
        committer = self._committer(lease, job)
        stepper: _Stepper | None = None
        try:
            if job.cancel_requested:
                committer.finish([events.cancelled()], status=JobStatus.CANCELLED)
                return self._result(ChunkEnd.FINISHED, committer, status=JobStatus.CANCELLED)
            try:
                job_type = self._registry.get(job.type)
                params = job_type.parse_params(job.params)
            except (UnknownJobType, InvalidParams) as exc:
                logger.error("job %s cannot run: %s", job.job_id, exc)
                committer.finish(
                    [events.error(message=UNRUNNABLE_MESSAGE)],
                    status=JobStatus.FAILED,
                    error=UNRUNNABLE_MESSAGE,
                )
                return self._result(ChunkEnd.FINISHED, committer, status=JobStatus.FAILED)
            recorder = StepRecorder(
                position=Position.from_checkpoint(job.checkpoint),
                phases=job_type.phases,
                wall=self._clock.time,
            )
            ctx: JobContext[Any] = JobContext(
                job_id=job.job_id, params=params, recorder=recorder, clock=self._step_clock
            )
            stepper = _Stepper(job_type, ctx, recorder)
            return self._steps(lease, job, budget, committer, recorder, stepper, min_steps)
        except (LeaseLost, JobFinished, JobNotFound) as exc:
            logger.info("job %s: stopping, %s", job.job_id, type(exc).__name__)
            return self._result(ChunkEnd.LEASE_LOST, committer)
        finally:
            if stepper is not None:
                stepper.close()
            committer.close()

    def _steps(
        self,
        lease: Lease,
        job: Job,
        budget: ChunkBudget,
        committer: StepCommitter,
        recorder: StepRecorder,
        stepper: _Stepper,
        min_steps: int,
    ) -> ChunkResult:
        settings = self._settings
        keeper = _Housekeeping(self._store, settings, self._clock, lease)
        failed_attempts = recorder.committed.run.failed_attempts
        steps = 0
        wait_s = 0.0
        while True:
            committer.raise_failure()
            cancel = keeper.cancel_requested()
            committer.set_lease(keeper.lease)
            if cancel:
                committer.finish([events.cancelled()], status=JobStatus.CANCELLED)
                return self._result(ChunkEnd.FINISHED, committer, steps, JobStatus.CANCELLED)
            if steps + failed_attempts >= min_steps and not budget.fits():
                break
            recorder.begin(failed_attempts + 1)
            started = self._clock.monotonic()
            try:
                stepper.step()
                record = recorder.finish()
            except SleepDeferred as deferred:
                # Not a failure: the step is rolled back and re-run once its driver has waited.
                recorder.discard()
                stepper.close()
                wait_s = deferred.seconds
                break
            except JobError as exc:
                recorder.discard()
                logger.info("job %s failed on purpose at attempt %d", job.job_id, recorder.attempt)
                committer.finish(
                    [events.error(message=exc.message)], status=JobStatus.FAILED, error=exc.message
                )
                return self._result(ChunkEnd.FINISHED, committer, steps, JobStatus.FAILED)
            except Exception:
                budget.record(self._clock.monotonic() - started)
                recorder.discard()
                stepper.close()
                failed_attempts += 1
                logger.exception(
                    "job %s: step failed (attempt %d of %d)",
                    job.job_id,
                    failed_attempts,
                    settings.max_step_attempts,
                )
                if failed_attempts >= settings.max_step_attempts:
                    message = step_failed_message(failed_attempts)
                    committer.finish(
                        [events.error(message=message)], status=JobStatus.FAILED, error=message
                    )
                    return self._result(ChunkEnd.FINISHED, committer, steps, JobStatus.FAILED)
                delay = min(
                    settings.step_retry_base_seconds * 2 ** (failed_attempts - 1),
                    settings.step_retry_max_seconds,
                )
                if not budget.fits(extra_s=delay):
                    break
                self._clock.sleep(delay)
                continue
            budget.record(self._clock.monotonic() - started)
            failed_attempts = 0
            steps += 1
            if record.completed:
                run = record.position.run
                committer.finish(
                    [
                        *record.events,
                        events.complete(
                            result=record.result, succeeded=run.succeeded, failed=run.failed
                        ),
                    ],
                    checkpoint=record.position.to_checkpoint(),
                    status=JobStatus.SUCCEEDED,
                    result=record.result,
                )
                return self._result(ChunkEnd.FINISHED, committer, steps, JobStatus.SUCCEEDED)
            committer.add(record)
        # Out of time: save what is done (and how often the next step has failed already).
        checkpoint = None
        if failed_attempts:
            checkpoint = recorder.note_failed_attempts(failed_attempts).to_checkpoint()
        committer.finish(checkpoint=checkpoint)
        return ChunkResult(
            ChunkEnd.WAITING if wait_s else ChunkEnd.YIELDED,
            steps=steps,
            last_event_id=committer.durable_event_id,
            wait_s=wait_s,
            failed_attempts=failed_attempts,
        )

    @staticmethod
    def _result(
        end: ChunkEnd, committer: StepCommitter, steps: int = 0, status: JobStatus | None = None
    ) -> ChunkResult:
        return ChunkResult(
            end, steps=steps, status=status, last_event_id=committer.durable_event_id
        )
