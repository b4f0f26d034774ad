"""The demo job an event's placeholders point at: created in the table, with a valid token.

For a stream event the job is also run meanwhile (``BackgroundWorker``, the worker function's code
in a thread), so the invoked stream has events arriving while it is watched.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Final

from jobstream.auth.keys import token_signer
from jobstream.composition import job_service
from jobstream.settings import Settings
from jobstream.store.job_store import JobStore
from jobstream.store.models import JSONObject
from jobstream_sandbox.invokers import RecordingInvoker

logger = logging.getLogger(__name__)

DEFAULT_TYPE: Final = "demo.count"
# Long enough to watch (about 3 s), short enough for one worker invocation.
DEFAULT_PARAMS: Final[JSONObject] = {"n": 20, "interval_ms": 150}


@dataclass(frozen=True, slots=True)
class SeededJob:
    job_id: str
    token: str = field(repr=False)

    def placeholders(self) -> dict[str, str]:
        return {"job_id": self.job_id, "token": self.token}


def seed_job(
    settings: Settings,
    *,
    type: str = DEFAULT_TYPE,
    params: JSONObject | None = None,
    store: JobStore | None = None,
) -> SeededJob:
    """Create a job as the API would (validated params), without starting any worker."""
    service = job_service(settings, invoker=RecordingInvoker(), store=store)
    job = service.create(type, dict(DEFAULT_PARAMS if params is None else params))
    return token_for(settings, job.job_id)


def token_for(settings: Settings, job_id: str) -> SeededJob:
    """A valid token for an existing job (signed with the deployment's key in ``settings``): its
    control token, as its creator holds it, since the events send it in the header and cancel."""
    token = token_signer(settings).issue(
        job_id, ttl_seconds=settings.control_token_ttl_seconds, scope="control"
    )
    return SeededJob(job_id=job_id, token=token)


class _EventCounter:
    """AppendObserver: wakes the waiter once ``needed`` events are durably stored."""

    def __init__(self, needed: int) -> None:
        self._needed = needed
        self._stored = 0
        self._lock = threading.Lock()
        self.ready = threading.Event()

    def appended(self, job_id: str, *, events: int, writes: int) -> None:
        with self._lock:
            self._stored += events
            if self._stored >= self._needed:
                self.ready.set()


class BackgroundWorker:
    """Runs hop 0 of a job in a daemon thread, as the worker function would."""

    def __init__(self, settings: Settings, job_id: str, *, ready_after_events: int) -> None:
        self._counter = _EventCounter(ready_after_events)
        self._service = job_service(
            settings,
            invoker=RecordingInvoker(),
            store=JobStore(settings, observer=self._counter),
        )
        self._job_id = job_id
        self._thread = threading.Thread(target=self._run, name=f"seed-worker-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        """True once the job has the events asked for (or its run ended), False on timeout."""
        return self._counter.ready.wait(timeout)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._service.run_hop(self._job_id, hop=0, remaining_s=lambda: 900.0)
        except Exception:
            logger.exception("the seeded job's worker failed")
        finally:
            # Never leave the caller waiting for events that will not come.
            self._counter.ready.set()
