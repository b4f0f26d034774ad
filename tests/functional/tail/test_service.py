from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from jobstream.auth.tokens import TokenSigner
from jobstream.response_stream.response import StreamingResponse
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.store.models import Job, JobMode, StoredEvent
from jobstream.tail.service import HEARTBEAT, StreamService, StreamStats
from jobstream_client.sse import SSEParser
from tests.clock import FakeClock
from tests.functional.tail.conftest import (
    SIGNING_KEY,
    LogWriter,
    SerializedClient,
    parse_sse,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NewJob = Callable[..., str]
FIFTEEN_MINUTES_MS = 900_000


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.with_changes(changes)


def make_service(
    store: Any,
    signer: TokenSigner,
    settings: Settings,
    clock: FakeClock,
    **kwargs: Any,
) -> StreamService:
    return StreamService(store=store, signer=signer, settings=settings, clock=clock, **kwargs)


def open_stream(
    service: StreamService,
    signer: TokenSigner,
    job_id: str,
    *,
    last_event_id: str | None = None,
    remaining_ms: int = FIFTEEN_MINUTES_MS,
) -> StreamingResponse:
    token = signer.issue(job_id, ttl_seconds=3_600)
    return service.open(
        job_id, token=token, last_event_id=last_event_id, remaining_ms=lambda: remaining_ms
    )


def timed_chunks(body: Any, clock: FakeClock) -> Iterator[tuple[float, bytes]]:
    """The body's chunks with the (fake) time each was produced."""
    for chunk in body:
        yield clock.now, chunk


# --- replay --------------------------------------------------------------------------------------


def test_replay_from_every_cut_point_yields_exactly_the_rest_then_ends(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(199, batch=25)
    writer.finish("complete")
    total = 200
    service = make_service(store, signer, settings, clock)

    # Cuts behave alike inside an item, so not all 200: every cut in and just past the first item
    # (each offset in an item), each later item's edges (its last event, its first, its second),
    # and the end (inside the last progress item, before the terminal event, after it).
    cuts: set[int] = set(range(27))
    cuts |= {first + d for first in range(25, total, 25) for d in (-1, 0, 1)}
    cuts |= {total - 3, total - 2, total - 1}
    for cut in [None, *sorted(cuts)]:
        response = open_stream(
            service, signer, job_id, last_event_id=None if cut is None else str(cut)
        )
        assert response.status_code == 200
        events = parse_sse(response.body)
        start = (cut or 0) + 1
        assert [int(e.id) for e in events] == list(range(start, total + 1)), cut
        assert [e.event for e in events] == ["progress"] * (total - start) + ["complete"]
        assert [json.loads(e.data) for e in events[:-1]] == [
            {"step": i} for i in range(start, total)
        ]
        assert json.loads(events[-1].data) == {"done": True}
    # A finished job's stream replays and ends: it never waits for more.
    assert clock.sleeps == []


def test_first_frame_carries_retry_and_no_event(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(3)
    writer.finish()
    settings = with_settings(settings, stream_retry_ms=2_500)
    response = open_stream(make_service(store, signer, settings, clock), signer, job_id)
    chunks = iter(response.body)
    parser = SSEParser()
    assert parser.feed(next(chunks)) == []
    assert parser.retry == 2_500
    assert [e.id for e in parse_sse(chunks, parser)] == ["1", "2", "3", "4"]


def test_response_is_an_event_stream(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    LogWriter(store, job_id).finish()
    response = open_stream(make_service(store, signer, settings, clock), signer, job_id)
    assert response.status_code == 200
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in headers


def test_data_is_compact_single_line_json(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    from jobstream.store.models import NewEvent

    payload = {"text": "line one\nline two\r\n\u2028", "nested": {"a": [1, 2]}, "uni": "żółw"}
    store.append(writer.lease, [NewEvent("log", payload)], after_id=0)
    writer.last_id = 1
    writer.finish()
    chunks = list(open_stream(make_service(store, signer, settings, clock), signer, job_id).body)
    events = parse_sse(chunks)
    assert events[0].event == "log"
    assert json.loads(events[0].data) == payload
    assert events[0].data == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


# --- live tail -----------------------------------------------------------------------------------


def test_live_tail_delivers_every_event_in_order_while_a_job_commits_steps(
    settings: Settings, ddb: DynamoDBClient, signer: TokenSigner
) -> None:
    from jobstream.jobs import SYSTEM_CLOCK
    from jobstream.jobs.commit import StepCommitter
    from jobstream.jobs.context import Position, StepRecord
    from jobstream.store.event_codec import encode_event
    from jobstream.store.models import JobStatus, NewEvent

    lock = threading.Lock()
    store = JobStore(settings, client=SerializedClient(ddb, lock))  # type: ignore[arg-type]
    store.create_job(job_id="live", type="demo", params={})
    settings = with_settings(
        settings, stream_poll_min_ms=2, stream_poll_max_ms=10, stream_max_seconds=120
    )
    closed: list[StreamStats] = []
    service = StreamService(store=store, signer=signer, settings=settings, on_close=closed.append)
    response = open_stream(service, signer, "live")
    total = 80
    failures: list[BaseException] = []

    def write() -> None:
        # The driver's write path: one progress event per step, committed with its checkpoint,
        # batched by a 5 ms flush interval and written by the committer's timer between steps.
        try:
            lease, _ = store.acquire_lease("live", duration_s=600)
            committer = StepCommitter(
                store, lease, last_event_id=0, flush_interval_s=0.005, clock=SYSTEM_CLOCK
            )
            for step in range(1, total):
                event = encode_event("progress", {"step": step}, created_at=time.time())
                committer.add(
                    StepRecord(
                        events=(event,),
                        size=event.size,
                        position=Position(cursor=step),
                        completed=False,
                    )
                )
            committer.finish(
                [NewEvent("complete", {"done": True})],
                status=JobStatus.SUCCEEDED,
                result={"ok": True},
            )
            committer.close()
        except BaseException as error:  # handed to the test thread below
            failures.append(error)
            raise

    parser = SSEParser()
    events = []
    body = iter(response.body)
    events += parser.feed(next(body))  # the stream is open: only now does the job start writing
    thread = threading.Thread(target=write, name="writer")
    thread.start()
    try:
        for chunk in body:
            events += parser.feed(chunk)
        events += parser.end()
    finally:
        thread.join(30)
    assert failures == []
    assert [int(e.id) for e in events] == list(range(1, total + 1))
    assert [json.loads(e.data) for e in events[:-1]] == [{"step": i} for i in range(1, total)]
    assert events[-1].event == "complete"
    assert closed[0].reason == "terminal"
    # Tailing, not a replay: the stream polled more than once.
    assert closed[0].polls > 1


# --- deadline and resume -------------------------------------------------------------------------


def test_deadline_close_then_resume_loses_and_repeats_nothing(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(50)
    start = clock.now
    clock.at(start + 5, lambda: writer.progress(20))
    clock.at(start + 29.9, lambda: writer.progress(10))
    clock.at(start + 45, lambda: writer.progress_then_finish(5, "cancelled"))
    settings = with_settings(settings, stream_max_seconds=30, heartbeat_seconds=10)
    closed: list[StreamStats] = []
    service = make_service(store, signer, settings, clock, on_close=closed.append)

    parser = SSEParser()
    first_ends_at = start + 30
    first = []
    for produced_at, chunk in timed_chunks(open_stream(service, signer, job_id).body, clock):
        assert produced_at < first_ends_at
        first += parser.feed(chunk)
    first += parser.end()
    assert closed[-1].reason == "deadline"
    assert clock.now == pytest.approx(first_ends_at)
    assert first[-1].event == "progress"

    resumed = parse_sse(
        open_stream(service, signer, job_id, last_event_id=parser.last_event_id).body
    )
    assert closed[-1].reason == "terminal"
    ids = [int(e.id) for e in first + resumed]
    assert ids == list(range(1, 87))
    assert resumed[-1].event == "cancelled"


def test_remaining_time_minus_margin_bounds_the_stream(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    settings = with_settings(settings, stream_deadline_margin_seconds=5, stream_max_seconds=None)
    start = clock.now
    body = open_stream(
        make_service(store, signer, settings, clock), signer, job_id, remaining_ms=20_000
    ).body
    for produced_at, _ in timed_chunks(body, clock):
        assert produced_at < start + 15
    assert clock.now == pytest.approx(start + 15)


def test_stream_max_seconds_bounds_the_stream_before_the_invocation_deadline(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    # Without windows: the bound under test is the stream's deadline.
    settings = with_settings(settings, stream_max_seconds=42, stream_window_seconds=0)
    start = clock.now
    list(open_stream(make_service(store, signer, settings, clock), signer, job_id).body)
    assert clock.now == pytest.approx(start + 42)


def test_no_time_left_still_answers_a_well_formed_empty_stream(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    LogWriter(store, job_id).progress(3)
    response = open_stream(
        make_service(store, signer, settings, clock), signer, job_id, remaining_ms=1_000
    )
    parser = SSEParser()
    assert parse_sse(response.body, parser) == []
    assert parser.retry == settings.stream_retry_ms
    assert clock.sleeps == []


# --- terminal ------------------------------------------------------------------------------------


@pytest.mark.parametrize("terminal", ["complete", "error", "cancelled"])
def test_terminal_event_ends_the_stream_and_the_reconnect_gets_204(
    store: JobStore,
    signer: TokenSigner,
    settings: Settings,
    clock: FakeClock,
    new_job: NewJob,
    terminal: str,
) -> None:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(4)
    clock.at(clock.now + 3, lambda: writer.progress_then_finish(2, terminal))
    settings = with_settings(settings, stream_max_seconds=600)
    service = make_service(store, signer, settings, clock)
    start = clock.now

    parser = SSEParser()
    events = parse_sse(open_stream(service, signer, job_id).body, parser)
    assert [e.event for e in events] == ["progress"] * 6 + [terminal]
    # It ended at the terminal event, long before its deadline.
    assert clock.now < start + 10

    again = open_stream(service, signer, job_id, last_event_id=parser.last_event_id)
    assert again.status_code == 204
    assert b"".join(again.body) == b""
    # A reconnect from further back still gets the rest, then the end.
    rest = parse_sse(open_stream(service, signer, job_id, last_event_id="5").body)
    assert [int(e.id) for e in rest] == [6, 7]


# --- heartbeat -----------------------------------------------------------------------------------


def test_heartbeat_comment_when_idle(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    settings = with_settings(
        settings, heartbeat_seconds=5, stream_max_seconds=60, stream_window_seconds=0
    )
    closed: list[StreamStats] = []
    service = make_service(store, signer, settings, clock, on_close=closed.append)
    start = clock.now
    chunks = list(timed_chunks(open_stream(service, signer, job_id).body, clock))

    heartbeats = [at for at, chunk in chunks[1:] if chunk == HEARTBEAT]
    assert len(heartbeats) == len(chunks) - 1 == closed[0].heartbeats
    assert len(heartbeats) >= 11
    gaps = [b - a for a, b in zip([start, *heartbeats], heartbeats, strict=False)]
    assert max(gaps) <= 5 + 1e-9
    parser = SSEParser()
    assert parse_sse((chunk for _, chunk in chunks), parser) == []
    assert parser.last_event_id == ""


def test_no_heartbeat_while_events_flow_more_often_than_the_heartbeat(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    writer = LogWriter(store, job_id)
    for second in range(2, 40, 2):
        clock.at(clock.now + second, lambda: writer.progress(1))
    clock.at(clock.now + 41, writer.finish)
    settings = with_settings(
        settings, heartbeat_seconds=5, stream_max_seconds=60, stream_window_seconds=0
    )
    closed: list[StreamStats] = []
    service = make_service(store, signer, settings, clock, on_close=closed.append)
    events = parse_sse(open_stream(service, signer, job_id).body)
    assert len(events) == 20
    assert closed[0].heartbeats == 0


# --- bad input -----------------------------------------------------------------------------------


def json_body(response: StreamingResponse) -> dict[str, Any]:
    body = b"".join(response.body)
    payload = json.loads(body)
    assert isinstance(payload, dict)
    return payload


@pytest.mark.parametrize(
    ("token_for", "last_event_id", "status", "error"),
    [
        (None, None, 401, "token_missing"),
        ("other-job", None, 403, "token_invalid"),
        ("garbage", None, 403, "token_invalid"),
        ("expired", None, 403, "token_invalid"),
        ("non-ascii-expiry", None, 403, "token_invalid"),
        ("self", "-1", 400, "invalid_last_event_id"),
        ("self", "abc", 400, "invalid_last_event_id"),
        ("self", "1" * 13, 400, "invalid_last_event_id"),
        ("self", "4", 400, "invalid_last_event_id"),
        ("self", "999999999999", 400, "invalid_last_event_id"),
    ],
)
def test_bad_input_is_refused_before_streaming_with_a_reason(
    store: JobStore,
    signer: TokenSigner,
    settings: Settings,
    clock: FakeClock,
    new_job: NewJob,
    token_for: str | None,
    last_event_id: str | None,
    status: int,
    error: str,
) -> None:
    job_id = new_job()
    LogWriter(store, job_id).progress(3)
    if token_for is None:
        token = None
    elif token_for == "self":
        token = signer.issue(job_id, ttl_seconds=60)
    elif token_for == "other-job":
        token = signer.issue("job-other", ttl_seconds=60)
    elif token_for == "expired":
        token = TokenSigner(SIGNING_KEY, clock=FakeClock(0.0)).issue(job_id, ttl_seconds=60)
    elif token_for == "non-ascii-expiry":
        token = "v1.\u00b2.not-a-mac"
    else:
        token = "v1.99999999999.not-a-mac"
    service = make_service(store, signer, settings, clock)
    response = service.open(
        job_id, token=token, last_event_id=last_event_id, remaining_ms=lambda: 60_000
    )
    assert response.status_code == status
    payload = json_body(response)
    assert payload["error"]["code"] == error
    assert payload["error"]["message"]
    if token:
        assert token not in json.dumps(payload)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if token_for == "expired":
        assert "expired" in payload["error"]["message"]
    if last_event_id == "4":
        assert "beyond" in payload["error"]["message"]


def test_unknown_job_is_404_only_once_authenticated(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, ddb: DynamoDBClient
) -> None:
    service = make_service(store, signer, settings, clock)
    token = signer.issue("no-such-job", ttl_seconds=60)
    found = service.open("no-such-job", token=token, last_event_id=None, remaining_ms=lambda: 1)
    assert found.status_code == 404
    assert json_body(found)["error"]["code"] == "job_not_found"
    # Without a token nobody learns whether the job exists.
    anonymous = service.open("no-such-job", token=None, last_event_id=None, remaining_ms=lambda: 1)
    assert anonymous.status_code == 401


def test_token_never_reaches_a_log_line(
    store: JobStore,
    signer: TokenSigner,
    settings: Settings,
    clock: FakeClock,
    new_job: NewJob,
    caplog: pytest.LogCaptureFixture,
) -> None:
    job_id = new_job()
    LogWriter(store, job_id).finish()
    token = signer.issue(job_id, ttl_seconds=60)
    caplog.set_level(logging.DEBUG)
    service = make_service(store, signer, settings, clock)
    list(service.open(job_id, token=token, last_event_id=None, remaining_ms=lambda: 60_000).body)
    service.open(job_id, token=token + "x", last_event_id=None, remaining_ms=lambda: 60_000)
    assert "stream closed" in caplog.text
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in json.dumps(record.__dict__, default=str)


# --- cost of an idle stream ----------------------------------------------------------------------


def test_idle_stream_reads_at_most_60_times_a_minute_and_never_the_job_item(
    store: JobStore,
    signer: TokenSigner,
    settings: Settings,
    clock: FakeClock,
    new_job: NewJob,
    ddb: DynamoDBClient,
) -> None:
    job_id = new_job()
    minutes = 4
    # One connection for minutes (no windows): the idle budget is what bounds its reads.
    settings = with_settings(settings, stream_max_seconds=60 * minutes, stream_window_seconds=0)
    calls: list[tuple[float, str]] = []

    def count(model: Any, **_: Any) -> None:
        calls.append((clock.now, model.name))

    ddb.meta.events.register("before-call.dynamodb", count)
    start = clock.now
    list(open_stream(make_service(store, signer, settings, clock), signer, job_id).body)
    ddb.meta.events.unregister("before-call.dynamodb", count)

    assert [name for _, name in calls].count("GetItem") == 1  # at open, never while tailing
    assert {name for _, name in calls} == {"GetItem", "Query"}
    per_minute = [
        sum(1 for at, _ in calls if start + 60 * m <= at < start + 60 * (m + 1))
        for m in range(minutes)
    ]
    assert max(per_minute) <= 60
    # Steady state: one Query per stream_poll_max_ms (3 s) = 20 a minute.
    assert per_minute[1:] == [20] * (minutes - 1)


# --- robustness ----------------------------------------------------------------------------------


class FailingLog:
    """The real store, until its event reads start failing."""

    def __init__(self, store: JobStore, fail_after_polls: int) -> None:
        self._store = store
        self._polls_left = fail_after_polls

    def get_job(self, job_id: str) -> Job:
        return self._store.get_job(job_id)

    def events_after(
        self, job_id: str, last_id: int, *, consistent: bool = True
    ) -> Iterator[StoredEvent]:
        if self._polls_left == 0:
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "try again"}}, "Query"
            )
        self._polls_left -= 1
        return self._store.events_after(job_id, last_id, consistent=consistent)


def test_store_failure_mid_stream_ends_it_cleanly_for_a_resume(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job()
    LogWriter(store, job_id).progress(7)
    closed: list[StreamStats] = []
    service = make_service(
        FailingLog(store, fail_after_polls=2), signer, settings, clock, on_close=closed.append
    )
    events = parse_sse(open_stream(service, signer, job_id).body)
    assert [int(e.id) for e in events] == list(range(1, 8))
    assert closed[0].reason == "store_error"


# --- inline seam ---------------------------------------------------------------------------------


class RecordingDriver:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[str, float]] = []
        self.stopped = threading.Event()
        self.fail = fail

    def __call__(
        self, job: Job, *, stop: threading.Event, seconds_left: Callable[[], float]
    ) -> None:
        self.calls.append((job.job_id, seconds_left()))
        if self.fail:
            raise RuntimeError("driver broke")
        stop.wait(30)
        self.stopped.set()


def test_inline_job_starts_the_driver_and_stops_it_when_the_stream_ends(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job(JobMode.INLINE)
    driver = RecordingDriver()
    settings = with_settings(settings, stream_max_seconds=10)
    service = make_service(store, signer, settings, clock, inline_driver=driver)
    list(open_stream(service, signer, job_id).body)
    [(driven, seconds_left)] = driver.calls
    assert driven == job_id
    assert seconds_left == pytest.approx(10)
    assert driver.stopped.is_set()


def test_background_and_finished_jobs_are_not_driven(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    background = new_job()
    finished = new_job(JobMode.INLINE)
    writer = LogWriter(store, finished)
    writer.progress(1)
    writer.finish()
    driver = RecordingDriver()
    settings = with_settings(settings, stream_max_seconds=5)
    service = make_service(store, signer, settings, clock, inline_driver=driver)
    list(open_stream(service, signer, background).body)
    list(open_stream(service, signer, finished, last_event_id="1").body)
    assert driver.calls == []


def test_failing_driver_does_not_break_the_stream(
    store: JobStore,
    signer: TokenSigner,
    settings: Settings,
    clock: FakeClock,
    new_job: NewJob,
    caplog: pytest.LogCaptureFixture,
) -> None:
    job_id = new_job(JobMode.INLINE)
    writer = LogWriter(store, job_id)
    clock.at(clock.now + 2, lambda: writer.progress_then_finish(2))
    driver = RecordingDriver(fail=True)
    settings = with_settings(settings, stream_max_seconds=30)
    service = make_service(store, signer, settings, clock, inline_driver=driver)
    events = parse_sse(open_stream(service, signer, job_id).body)
    assert [e.event for e in events] == ["progress", "progress", "complete"]
    assert "inline driver failed" in caplog.text


def test_client_going_away_closes_the_stream_and_stops_the_driver(
    store: JobStore, signer: TokenSigner, settings: Settings, clock: FakeClock, new_job: NewJob
) -> None:
    job_id = new_job(JobMode.INLINE)
    driver = RecordingDriver()
    closed: list[StreamStats] = []
    service = make_service(
        store, signer, settings, clock, inline_driver=driver, on_close=closed.append
    )
    body = open_stream(service, signer, job_id).body
    assert isinstance(body, Generator)
    next(body)
    body.close()  # what the local server does when the client disconnects
    assert closed[0].reason == "closed"
    assert driver.stopped.wait(5)
