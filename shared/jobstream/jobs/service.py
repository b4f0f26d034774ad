"""JobService: what handlers call. Create, read and cancel jobs; run worker hops; drive inline."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.errors import InvalidParams, WorkerFunctionNotConfigured
from jobstream.jobs.budget import remaining_until
from jobstream.jobs.driver import INLINE_MARGIN_S, DriveResult, JobDriver
from jobstream.jobs.drivers import chosen_driver
from jobstream.jobs.durable_driver import DurableDriver, DurableOps, DurableRunResult
from jobstream.jobs.invokers import WorkerInvoker
from jobstream.jobs.registry import JobRegistry, load_registry
from jobstream.jobs.unattended import kick, leased
from jobstream.settings import Settings
from jobstream.store.errors import JobNotFound, PayloadTooLarge
from jobstream.store.event_codec import dump_json, utf8_len
from jobstream.store.job_store import JobStore
from jobstream.store.models import CallerQuota, Job, JobMode, JobPage, JSONObject

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger(__name__)

_NOT_JSON: dict[str, Any] = {
    "loc": [],
    "msg": (
        "params must be plain JSON: NaN, Infinity, out-of-range numbers and unpaired "
        "surrogates are not"
    ),
    "type": "json_invalid",
}


def new_job_id() -> str:
    # Unguessable as well as unique: a job id appears in URLs (its token is what authorises).
    return uuid.uuid4().hex


class JobService:
    def __init__(
        self,
        *,
        store: JobStore,
        registry: JobRegistry,
        invoker: WorkerInvoker,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        background_flush: bool = True,
        id_factory: Callable[[], str] = new_job_id,
    ) -> None:
        self._store = store
        self._registry = registry
        self._invoker = invoker
        self._settings = settings
        self._clock = clock
        self._id_factory = id_factory
        # The chain's JobDriver drives inline jobs under every worker driver, and background
        # jobs under "chain"; the driver chosen by Settings.driver drives background jobs.
        self._chain = JobDriver(
            store=store,
            registry=registry,
            invoker=invoker,
            settings=settings,
            clock=clock,
            background_flush=background_flush,
        )
        self._driver = chosen_driver(settings).background(
            chain=self._chain,
            store=store,
            registry=registry,
            invoker=invoker,
            settings=settings,
            clock=clock,
            background_flush=background_flush,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        invoker: WorkerInvoker,
        store: JobStore | None = None,
        registry: JobRegistry | None = None,
    ) -> JobService:
        """A store on ``settings`` and the registry named by Settings.job_registry; ``invoker``
        starts worker chunks (jobstream.composition picks it: Lambda or a local thread)."""
        return cls(
            store=store or JobStore(settings),
            registry=registry or load_registry(settings.job_registry),
            invoker=invoker,
            settings=settings,
        )

    @classmethod
    def on_lambda(
        cls,
        settings: Settings,
        *,
        worker_function: str | None = None,
        store: JobStore | None = None,
        dynamodb: DynamoDBClient | None = None,
    ) -> JobService:
        """On Lambda: background jobs start on ``worker_function`` (name or ARN; default
        Settings.worker_function) as the chosen driver starts them (jobs/drivers.py). ``store``
        (or else ``dynamodb``, the store's client) is made lazily if absent. Raises
        WorkerFunctionNotConfigured if there is no worker function."""
        function = worker_function or settings.worker_function
        if not function:
            raise WorkerFunctionNotConfigured()
        store = store if store is not None else JobStore(settings, client=dynamodb)
        invoker = chosen_driver(settings).lambda_invoker(function, settings, store)
        return cls.from_settings(settings, invoker=invoker, store=store)

    @property
    def registry(self) -> JobRegistry:
        return self._registry

    @property
    def invoker(self) -> WorkerInvoker:
        return self._invoker

    @property
    def store(self) -> JobStore:
        return self._store

    @property
    def settings(self) -> Settings:
        return self._settings

    def create(
        self,
        type: str,
        params: JSONObject,
        *,
        owner: str | None = None,
        address: str | None = None,
    ) -> Job:
        """Validate, store and start a job.

        ``owner``: the caller creating it (None: nobody in particular, as under no caller
        authentication); an owned job is held to the owner's quotas (QuotaExceeded) and listed
        by list_jobs. ``address``: where the request came from; a create without an owner counts
        against that address's create rate (max_creates_per_address, QuotaExceeded).

        UnknownJobType, InvalidParams (pydantic's errors, JSON-safe), PayloadTooLarge. The params
        are stored as the model dumps them (defaults filled in), so every run sees the same values.
        A background job's worker is started here; an inline job waits for its viewer (or for
        status() to hand it to the worker once it has sat unclaimed for stall_after_seconds).
        """
        try:
            size = utf8_len(dump_json(params, "params"))
        except ValueError:
            # Python's json reads NaN, Infinity and 1e400 (as inf), and lone surrogates ("\ud800"),
            # which no JSON encoder or store accepts: the client's mistake, not a 500.
            raise InvalidParams(type, [_NOT_JSON]) from None
        if size > self._settings.max_params_bytes:
            raise PayloadTooLarge("params", size, self._settings.max_params_bytes)
        job_type = self._registry.get(type)
        model = job_type.parse_params(params)
        mode = job_type.mode if self._settings.mode_inline_enabled else JobMode.BACKGROUND
        if owner is None and address and self._settings.max_creates_per_address:
            # Counted before the job is written: a create refused later (a lost race on the id)
            # still counts, which errs on the side of the bound.
            self._store.count_address_create(
                address,
                max_creates=self._settings.max_creates_per_address,
                window_seconds=self._settings.create_rate_window_seconds,
            )
        job = self._store.create_job(
            job_id=self._id_factory(),
            type=job_type.name,
            params=model.model_dump(mode="json"),
            mode=mode,
            owner=owner,
            quota=None if owner is None else self._quota(),
        )
        if mode is JobMode.BACKGROUND:
            kick(self._invoker, job, "start")
        return job

    def status(
        self, job_id: str, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job:
        """The job as stored (JobNotFound); re-starts it if it stalled. With ``owner``, another
        owner's job is JobNotFound as well: whether it exists is not the caller's to know.
        ``former_owner``: the name the same owner's older jobs were stored under, theirs too."""
        job = self._store.get_job(job_id)
        if owner is not None and job.owner not in (owner, former_owner or owner):
            raise JobNotFound(job_id)
        if job.status.is_terminal:
            return job
        return self._driver.look_after(job)

    def cancel(
        self, job_id: str, *, owner: str | None = None, former_owner: str | None = None
    ) -> Job:
        """Ask the job to stop at its next step boundary (JobNotFound; idempotent).

        A finished job is returned as it is. A job nobody is driving gets a worker to write its
        ``cancelled`` event; a running driver sees the request within cancel_check_seconds. With
        ``owner``, another owner's job is JobNotFound (``former_owner`` as in status).
        """
        job = self._store.request_cancel(job_id, owner=owner, former_owner=former_owner)
        if not job.status.is_terminal and not leased(job, self._store.now()):
            return self._driver.cancel_unattended(job)
        return job

    def list_jobs(
        self,
        owner: str,
        *,
        limit: int,
        cursor: str | None = None,
        former_owner: str | None = None,
    ) -> JobPage:
        """``owner``'s jobs, newest first, then those stored under ``former_owner`` (InvalidCursor
        for a cursor list_jobs did not return)."""
        return self._store.list_jobs(owner, limit=limit, cursor=cursor, former_owner=former_owner)

    def _quota(self) -> CallerQuota:
        return CallerQuota(
            max_active=self._settings.max_active_jobs_per_caller,
            max_creates=self._settings.max_creates_per_caller,
            window_seconds=self._settings.create_rate_window_seconds,
        )

    # --- entry points of the worker and stream functions ------------------------------------------
    def run_hop(self, job_id: str, *, hop: int, remaining_s: Callable[[], float]) -> DriveResult:
        """The chain's worker function's whole job: see JobDriver.run_hop."""
        return self._chain.run_hop(job_id, hop=hop, remaining_s=remaining_s)

    def run_durable(self, job_id: str, ops: DurableOps) -> DurableRunResult:
        """The durable worker's whole job (one durable execution): see DurableDriver.run."""
        if not isinstance(self._driver, DurableDriver):
            raise RuntimeError("a durable execution needs the durable driver: JOBSTREAM_DRIVER")
        return self._driver.run(job_id, ops)

    def drive_inline(
        self,
        job_id: str,
        *,
        deadline: float | None = None,
        seconds_left: Callable[[], float] | None = None,
        stop: threading.Event | None = None,
        margin_s: float = INLINE_MARGIN_S,
    ) -> DriveResult:
        """For the stream function: drive an inline job until ``deadline`` (epoch seconds on the
        service's clock) or while ``seconds_left()`` > 0 (give exactly one); see
        JobDriver.drive_inline."""
        if seconds_left is None:
            if deadline is None:
                raise ValueError("give deadline or seconds_left")
            seconds_left = remaining_until(deadline, self._clock)
        elif deadline is not None:
            raise ValueError("give deadline or seconds_left, not both")
        return self._chain.drive_inline(
            job_id, remaining_s=seconds_left, stop=stop, margin_s=margin_s
        )

    def drive_for_stream(
        self, job: Job, *, stop: threading.Event, seconds_left: Callable[[], float]
    ) -> None:
        """The stream service's InlineDriver (jobstream.tail.service): pass this bound method.

        Runs in the stream's helper thread, so failures are logged here rather than raised.
        """
        try:
            self.drive_inline(job.job_id, seconds_left=seconds_left, stop=stop)
        except Exception:
            logger.exception(
                "job %s: inline drive failed", job.job_id, extra={"job_id": job.job_id}
            )
