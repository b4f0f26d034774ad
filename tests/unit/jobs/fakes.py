"""Test doubles for the jobs layer: the tests' fake clock (tests/clock.py, re-exported here), a
fake invocation context on it, and a loop that plays the Lambda service for recorded worker
invocations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobstream.jobs import DriveResult, JobService
from jobstream.store import TERMINAL_EVENT_TYPES, JobStore, StoredEvent, StoreRequestFailed
from jobstream_sandbox.invokers import RecordingInvoker

# The jobs tests take the clock from here, with the other doubles.
from tests.clock import START, FakeClock  # noqa: F401


class FakeInvocation:
    """A Lambda invocation's remaining time, on the fake clock."""

    def __init__(self, clock: FakeClock, timeout_s: float) -> None:
        self._clock = clock
        self._deadline = clock.now + timeout_s

    def remaining_s(self) -> float:
        return self._deadline - self._clock.now

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.remaining_s() * 1000))


@dataclass
class ChainLog:
    results: list[DriveResult] = field(default_factory=list)
    invocations: list[tuple[str, int]] = field(default_factory=list)


def run_worker_chain(
    service: JobService,
    invoker: RecordingInvoker,
    clock: FakeClock,
    *,
    timeout_s: float,
    max_invocations: int = 10_000,
) -> ChainLog:
    """Deliver every recorded invocation (and those they record) to the worker, in order."""
    log = ChainLog()
    pending = invoker.take()
    while pending:
        job_id, hop = pending.pop(0)
        log.invocations.append((job_id, hop))
        assert len(log.invocations) <= max_invocations, "the worker chain does not end"
        invocation = FakeInvocation(clock, timeout_s)
        log.results.append(service.run_hop(job_id, hop=hop, remaining_s=invocation.remaining_s))
        pending.extend(invoker.take())
    return log


class FlakyStore(JobStore):
    """A JobStore whose append number ``fail_on`` (1-based) fails like a lost request or reply.

    ``lost="request"``: nothing was written; ``lost="reply"``: the write committed, then the caller
    saw an error anyway (the ambiguous case).
    """

    def __init__(self, *args: Any, fail_on: int, lost: str = "request", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fail_on = fail_on
        self.lost = lost
        self.appends = 0

    def append(self, *args: Any, **kwargs: Any) -> list[StoredEvent]:
        self.appends += 1
        if self.appends != self.fail_on:
            return super().append(*args, **kwargs)
        if self.lost == "reply":
            super().append(*args, **kwargs)
        raise StoreRequestFailed("TransactWriteItems", "InternalServerError")


def assert_clean_log(events: list[StoredEvent], *, terminal: str | None = None) -> None:
    """Ids 1..N without gap; at most one terminal event, and only at the end."""
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    terminals = [i for i, e in enumerate(events) if e.type in TERMINAL_EVENT_TYPES]
    assert terminals == ([len(events) - 1] if terminal else [])
    if terminal:
        assert events[-1].type == terminal


def progress_done(events: list[StoredEvent]) -> list[object]:
    return [e.data["done"] for e in events if e.type == "progress"]
