"""Windows: a stream connection lasts one window, then its client reconnects with Last-Event-ID.

Lambda never tells a stream that its viewer left (it runs, billed, until it ends by itself), so the
window is what bounds an abandoned stream. Across windows nothing may be lost, repeated or
reordered; a window ends early only where the job's cadence predicts a silence; a finished job's
stream still ends at once; heartbeats still come within 15 s. All on a fake clock shared by the
store (events' created_at) and the stream.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from jobstream.auth.tokens import TokenSigner
from jobstream.invocation_context import InvocationContext
from jobstream.response_stream import StreamingResponse
from jobstream.response_stream.delivery import deliver
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.tail.cadence_memory import CadenceMemory
from jobstream.tail.service import StreamService, StreamStats
from jobstream_client.sse import SSEParser
from tests.clock import FakeClock
from tests.functional.tail.conftest import SIGNING_KEY, LogWriter

WINDOW = 45.0
_ids = itertools.count(1)


class Connection:
    def __init__(self) -> None:
        self.opened = 0.0
        self.closed = 0.0
        self.writes: list[float] = []
        self.ids: list[int] = []
        self.arrived: list[float] = []  # when each event arrived
        self.types: list[str] = []
        self.retry: int | None = None


def run_viewer(
    service: StreamService, signer: TokenSigner, job_id: str, clock: FakeClock, *, limit: int = 200
) -> tuple[list[Connection], int]:
    """A client that reads each connection to its end and reconnects at once with the last id,
    until the job's terminal event or a 204. Returns the connections and the final status."""
    token = signer.issue(job_id, ttl_seconds=3_600)
    connections: list[Connection] = []
    last: str | None = None
    for _ in range(limit):
        response = service.open(
            job_id, token=token, last_event_id=last, remaining_ms=lambda: 900_000
        )
        if response.status_code != 200:
            return connections, response.status_code
        connection = Connection()
        connection.opened = clock.now
        parser = SSEParser()
        for chunk in response.body:
            connection.writes.append(clock.now)
            for event in parser.feed(chunk):
                connection.ids.append(int(event.id))
                connection.arrived.append(clock.now)
                connection.types.append(event.event)
        parser.end()
        connection.closed = clock.now
        connection.retry = parser.retry
        connections.append(connection)
        if connection.types and connection.types[-1] == "complete":
            return connections, 200
        if connection.ids:
            last = str(connection.ids[-1])
    raise AssertionError("the viewer never reached the job's end")


def make(
    ddb: object,
    settings: Settings,
    clock: FakeClock,
    closed: list[StreamStats] | None = None,
    cadence: CadenceMemory | None = None,
    **changes: object,
) -> tuple[JobStore, StreamService, TokenSigner]:
    store = JobStore(settings, client=ddb, clock=clock)  # type: ignore[arg-type]
    signer = TokenSigner(SIGNING_KEY)
    service = StreamService(
        store=store,
        signer=signer,
        settings=settings.with_changes(changes),
        clock=clock,
        slots=store,
        on_close=None if closed is None else closed.append,
        cadence=cadence,
    )
    return store, service, signer


def new_job(store: JobStore) -> str:
    job_id = f"win-{next(_ids)}"
    store.create_job(job_id=job_id, type="demo", params={})
    return job_id


def schedule_events(clock: FakeClock, writer: LogWriter, gaps: list[float]) -> float:
    """One event after each gap (seconds from now), then the terminal event; returns its time."""
    at = clock.now
    for gap in gaps:
        at += gap
        clock.at(at, lambda: writer.progress(1))
    at += 0.5
    clock.at(at, writer.finish)
    return at


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0, forbid_zero_sleep=True)


@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    gaps=st.lists(
        st.one_of(st.floats(0.05, 0.3), st.floats(0.5, 3.0), st.floats(5.0, 40.0), st.just(0.1)),
        min_size=5,
        max_size=60,
    )
)
def test_across_windows_every_event_arrives_once_in_order_and_windows_stay_bounded(
    gaps: list[float], ddb: object, settings: Settings, clock: FakeClock
) -> None:
    store, service, signer = make(ddb, settings, clock)
    job_id = new_job(store)
    schedule_events(clock, LogWriter(store, job_id), gaps)

    connections, status = run_viewer(service, signer, job_id, clock)

    assert status == 200
    ids = [i for c in connections for i in c.ids]
    assert ids == list(range(1, len(gaps) + 2))
    for connection in connections:
        # No connection outlives its window, and none goes 15 s without a byte.
        assert connection.closed - connection.opened <= WINDOW + 1e-6
        beats = [connection.opened, *connection.writes]
        assert max(b - a for a, b in itertools.pairwise(beats)) <= 15 + 1e-6
    for connection in connections[:-1]:
        # Every window but the last tells the client to come back at once.
        assert connection.retry == 0


def test_an_abandoned_stream_of_an_idle_job_ends_within_its_window(
    ddb: object, settings: Settings, clock: FakeClock
) -> None:
    closed: list[StreamStats] = []
    store, service, signer = make(ddb, settings, clock, closed)
    job_id = new_job(store)
    start = clock.now
    response = service.open(
        job_id,
        token=signer.issue(job_id, ttl_seconds=60),
        last_event_id=None,
        remaining_ms=lambda: 900_000,
    )
    # Nobody reads the bytes; the transport pulls them anyway, as Lambda does.
    for _ in response.body:
        pass
    assert clock.now - start <= WINDOW
    # Nothing predicts an event: the window ends at its earliest (two thirds), not its full length.
    assert clock.now - start <= WINDOW * 2 / 3 + 3.0 + 1e-6
    assert closed[0].reason == "window"


class EndWatcher:
    """A transport (ResponseSink) that notes what the stream had already cleaned up when the
    body's end went out: by then ``closed`` (on_close, the clean-up's last step) was empty."""

    def __init__(self, closed: list[StreamStats]) -> None:
        self.chunks: list[bytes] = []
        self.closed_at_end: list[StreamStats] | None = None
        self._closed = closed

    def send_result(self, result: object) -> None:
        raise AssertionError("a stream is not a buffered result")

    def send_failure(self, error: Exception) -> None:
        raise AssertionError(f"the stream failed: {error!r}")

    def start_stream(self, response: StreamingResponse) -> bool:
        return True

    def send_chunk(self, chunk: bytes) -> bool:
        self.chunks.append(chunk)
        return True

    def end_stream(self, error: Exception | None) -> None:
        self.closed_at_end = list(self._closed)


@pytest.mark.parametrize("finished", [False, True])
def test_the_body_ends_before_the_streams_clean_up_and_the_slot_is_freed_after(
    ddb: object, settings: Settings, clock: FakeClock, finished: bool
) -> None:
    # The client reconnects (or stops) when the body ends: the slot's delete, the driver's stop
    # and the close report must not stand between its last frame and that end.
    closed: list[StreamStats] = []
    store, service, signer = make(ddb, settings, clock, closed, stream_max_per_job=1)
    job_id = new_job(store)
    if finished:
        LogWriter(store, job_id).finish()
    token = signer.issue(job_id, ttl_seconds=3_600)
    watcher = EndWatcher(closed)

    deliver(
        lambda _event, _context: service.open(
            job_id, token=token, last_event_id=None, remaining_ms=lambda: 900_000, viewer="a"
        ),
        {},
        InvocationContext.for_timeout(900),
        watcher,
    )

    assert watcher.closed_at_end == []
    assert [stats.reason for stats in closed] == ["terminal" if finished else "window"]
    parser = SSEParser()
    events = [event for chunk in watcher.chunks for event in parser.feed(chunk)]
    assert [event.event for event in events] == (["complete"] if finished else [])
    if not finished:
        assert parser.retry == 0
        # The slot was freed afterwards: another viewer gets the job's only one at once.
        other = service.open(
            job_id, token=token, last_event_id=None, remaining_ms=lambda: 900_000, viewer="b"
        )
        assert other.status_code == 200


def test_a_busy_job_ends_its_window_right_after_a_poll_that_delivered_events(
    ddb: object, settings: Settings, clock: FakeClock
) -> None:
    closed: list[StreamStats] = []
    store, service, signer = make(ddb, settings, clock, closed)
    job_id = new_job(store)
    schedule_events(clock, LogWriter(store, job_id), [0.1] * 900)
    start = clock.now
    response = service.open(
        job_id,
        token=signer.issue(job_id, ttl_seconds=60),
        last_event_id=None,
        remaining_ms=lambda: 900_000,
    )
    parser = SSEParser()
    last_event_at = start
    for chunk in response.body:
        if parser.feed(chunk):
            last_event_at = clock.now
    # 10 events/s never leaves the 0.5 s a reconnect needs: the window ends right after events
    # were delivered, early in the 0.1 s before the next one, never past its full length.
    assert closed[0].reason == "window"
    assert WINDOW * 2 / 3 <= clock.now - start <= WINDOW + 1e-6
    assert clock.now - last_event_at < 0.05
    assert parser.retry == 0


def test_a_steady_job_ends_its_window_early_right_after_an_event(
    ddb: object, settings: Settings, clock: FakeClock
) -> None:
    closed: list[StreamStats] = []
    store, service, signer = make(ddb, settings, clock, closed)
    job_id = new_job(store)
    schedule_events(clock, LogWriter(store, job_id), [2.0] * 100)
    start = clock.now
    response = service.open(
        job_id,
        token=signer.issue(job_id, ttl_seconds=60),
        last_event_id=None,
        remaining_ms=lambda: 900_000,
    )
    parser = SSEParser()
    last_event_at = start
    for chunk in response.body:
        if parser.feed(chunk):
            last_event_at = clock.now
    assert closed[0].reason == "window"
    ended = clock.now - start
    assert WINDOW * 2 / 3 <= ended < WINDOW
    # It ended in the silence after an event, well before the next one (2 s later) was due.
    assert clock.now - last_event_at < 0.5
    assert parser.retry == 0


def test_a_finished_job_still_ends_at_once(
    ddb: object, settings: Settings, clock: FakeClock
) -> None:
    store, service, signer = make(ddb, settings, clock)
    job_id = new_job(store)
    LogWriter(store, job_id).progress_then_finish(5)
    start = clock.now
    connections, status = run_viewer(service, signer, job_id, clock)
    assert status == 200
    assert len(connections) == 1
    assert clock.now - start < 1.0
    assert connections[0].ids == list(range(1, 7))


def test_windows_off_keeps_one_connection_to_the_deadline(
    ddb: object, settings: Settings, clock: FakeClock
) -> None:
    closed: list[StreamStats] = []
    store, service, signer = make(ddb, settings, clock, closed, stream_window_seconds=0)
    job_id = new_job(store)
    start = clock.now
    response = service.open(
        job_id,
        token=signer.issue(job_id, ttl_seconds=60),
        last_event_id=None,
        remaining_ms=lambda: 120_000,
    )
    for _ in response.body:
        pass
    assert clock.now - start == pytest.approx(120 - settings.stream_deadline_margin_seconds)
    assert closed[0].reason == "deadline"


@pytest.mark.parametrize("remembered", [False, True], ids=["relearned", "remembered"])
def test_a_windows_reconnect_finds_the_next_event_on_time_when_the_cadence_is_remembered(
    ddb: object, settings: Settings, clock: FakeClock, remembered: bool
) -> None:
    memory = CadenceMemory(clock) if remembered else None
    store, service, signer = make(ddb, settings, clock, cadence=memory)
    job_id = new_job(store)
    start = clock.now
    schedule_events(clock, LogWriter(store, job_id), [2.0] * 80)
    connections, _ = run_viewer(service, signer, job_id, clock)
    assert len(connections) >= 3
    # Event n was written at start + 2n; how late did each window's first event arrive?
    late = [c.arrived[0] - (start + 2 * c.ids[0]) for c in connections[1:-1] if c.ids]
    if remembered:
        # Polled when due, as within a window (the probes are 25 ms apart).
        assert max(late) < 0.1
    else:
        # Found by the silence's pace: about a tenth of the silence late.
        assert max(late) >= 0.1
