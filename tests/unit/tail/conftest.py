"""Fixtures for stream tests: a store on the moto table, a signer, a fake clock, log writers."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.store.models import JobMode, JobStatus, Lease, NewEvent
from jobstream_client.sse import ServerSentEvent, SSEParser
from tests.clock import FakeClock
from tests.conftest import SerializedClient  # noqa: F401 - re-exported for the stream tests

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SIGNING_KEY = b"k" * 32
TERMINAL_STATUS = {
    "complete": JobStatus.SUCCEEDED,
    "error": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
}


class LogWriter:
    """Appends a job's events through the store under one lease, like a driver would."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self.store = store
        self.job_id = job_id
        self.lease: Lease
        self.lease, job = store.acquire_lease(job_id, duration_s=3_600)
        self.last_id = job.last_event_id

    def progress(self, count: int, *, batch: int = 25) -> None:
        pending = [NewEvent("progress", {"step": self.last_id + i + 1}) for i in range(count)]
        for start in range(0, len(pending), batch):
            chunk = pending[start : start + batch]
            self.store.append(self.lease, chunk, after_id=self.last_id)
            self.last_id += len(chunk)

    def progress_then_finish(self, count: int, type: str = "complete") -> None:
        self.progress(count)
        self.finish(type)

    def finish(self, type: str = "complete") -> None:
        event = NewEvent(type, {"done": True})
        status = TERMINAL_STATUS[type]
        if type == "complete":
            self.store.append(
                self.lease, [event], after_id=self.last_id, status=status, result={"ok": True}
            )
        elif type == "error":
            self.store.append(
                self.lease, [event], after_id=self.last_id, status=status, error="boom"
            )
        else:
            self.store.append(self.lease, [event], after_id=self.last_id, status=status)
        self.last_id += 1


@pytest.fixture
def store(settings: Settings, ddb: DynamoDBClient) -> JobStore:
    return JobStore(settings, client=ddb)


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SIGNING_KEY)


@pytest.fixture
def clock() -> FakeClock:
    # A stream that sleeps for nothing would poll in a tight loop: refused at once.
    return FakeClock(1_000.0, forbid_zero_sleep=True)


@pytest.fixture
def new_job(store: JobStore) -> Callable[..., str]:
    counter = itertools.count(1)

    def create(mode: JobMode = JobMode.BACKGROUND) -> str:
        job_id = f"job-{next(counter)}"
        store.create_job(job_id=job_id, type="demo", params={}, mode=mode)
        return job_id

    return create


def parse_sse(chunks: Iterable[bytes], parser: SSEParser | None = None) -> list[ServerSentEvent]:
    parser = parser or SSEParser()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.end())
    return events
