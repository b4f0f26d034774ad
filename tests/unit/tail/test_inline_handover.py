"""The stream that drives an inline job takes its driver's commits from the in-process feed: an
in-memory log stands in for the table (no moto), so what is read and what is handed over is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store.commit_feed import CommitFeed
from jobstream.store.models import Checkpoint, Job, JobMode, JobStatus, StoredEvent
from jobstream.tail.service import StreamService, StreamStats
from jobstream_client.sse import SSEParser
from tests.clock import FakeClock

KEY = b"k" * 32
JOB_ID = "job-1"


class MemoryLog:
    """The job item and its events in memory; counts the reads the stream makes."""

    def __init__(self, feed: CommitFeed) -> None:
        self.feed = feed
        self.events: list[StoredEvent] = []
        self.queries = 0
        self.first_query = threading.Event()
        self.second_query = threading.Event()
        self._lock = threading.Lock()

    def get_job(self, job_id: str) -> Job:
        return Job(
            job_id=job_id,
            type="demo",
            params={},
            mode=JobMode.INLINE,
            status=JobStatus.QUEUED,
            created_at=0.0,
            updated_at=0.0,
            last_event_id=len(self.events),
            checkpoint=Checkpoint(),
            hops=0,
            cancel_requested=False,
            lease_owner=None,
            lease_expires_at=None,
            progress=None,
            result=None,
            error=None,
            expires_at=4_000_000_000.0,
        )

    def events_after(
        self, job_id: str, last_id: int, *, consistent: bool = True
    ) -> Iterator[StoredEvent]:
        with self._lock:
            self.queries += 1
            found = [e for e in self.events if e.id > last_id]
        (self.second_query if self.first_query.is_set() else self.first_query).set()
        return iter(found)

    def commit(self, type: str = "tick", *, publish: bool = True) -> None:
        """One event durably stored, then (as JobStore.append does) published."""
        with self._lock:
            event = StoredEvent(
                id=len(self.events) + 1, type=type, data={"n": len(self.events) + 1}, created_at=0
            )
            self.events.append(event)
        if publish:
            self.feed.publish(JOB_ID, [event])


def stream(log: MemoryLog, driver: Callable[[], None]) -> tuple[list[int], StreamStats]:
    def drive(job: Job, *, stop: threading.Event, seconds_left: Callable[[], float]) -> None:
        driver()

    closed: list[StreamStats] = []
    signer = TokenSigner(KEY)
    service = StreamService(
        store=log,
        signer=signer,
        settings=Settings(stream_max_seconds=60),
        # Its polls wait on this clock, not in real time (the unit tier does not sleep).
        clock=FakeClock(),
        inline_driver=drive,
        feed=log.feed,
        on_close=closed.append,
    )
    response = service.open(
        JOB_ID,
        token=signer.issue(JOB_ID, ttl_seconds=600),
        last_event_id=None,
        remaining_ms=lambda: 900_000,
    )
    parser = SSEParser()
    ids = [int(e.id) for chunk in response.body for e in parser.feed(chunk) if e.id]
    return ids, closed[0]


def test_every_commit_of_the_driver_is_handed_over_without_a_read() -> None:
    log = MemoryLog(CommitFeed())

    def driver() -> None:
        log.first_query.wait(30)  # the stream's read at open comes first
        for _ in range(20):
            log.commit()
        log.commit("complete")

    ids, stats = stream(log, driver)

    assert ids == list(range(1, 22))
    assert (stats.polls, stats.handed_over, stats.reason) == (1, 21, "terminal")


def test_a_commit_the_feed_did_not_see_is_read_from_the_table_then_the_feed_goes_on() -> None:
    log = MemoryLog(CommitFeed())

    def driver() -> None:
        log.first_query.wait(30)
        log.commit(publish=False)  # e.g. written by another process before this driver took over
        log.commit()  # the feed's 2 does not continue 0: the stream reads the table
        log.second_query.wait(30)
        for _ in range(9):
            log.commit()
        log.commit("complete")

    ids, stats = stream(log, driver)

    assert ids == list(range(1, 13))
    assert stats.reason == "terminal"
    # 1 and 2 came from one read; 2 was dropped from the feed, not sent again; 3..12 handed over.
    assert (stats.polls, stats.handed_over, stats.events) == (2, 10, 12)


def test_when_the_driver_stops_the_stream_polls_the_table_for_the_rest() -> None:
    log = MemoryLog(CommitFeed())

    def hand_off() -> None:
        log.first_query.wait(30)
        for _ in range(3):
            log.commit()
        # The worker (another process) writes the rest: nothing reaches this feed.
        for _ in range(3):
            log.commit(publish=False)
        log.commit("complete", publish=False)

    ids, stats = stream(log, hand_off)

    assert ids == list(range(1, 8))
    assert stats.reason == "terminal"
    assert stats.polls >= 2
