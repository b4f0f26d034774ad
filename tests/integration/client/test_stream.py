"""EventStream against a scripted server: exactly-once delivery across drops, when it stops,
which failures it retries, and the waits it takes (recorded through an injected sleep)."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from jobstream_client import (
    Backoff,
    BadRequest,
    EventStream,
    Forbidden,
    GaveUp,
    NotFound,
    ProtocolViolation,
    RetryNotice,
    StreamEnd,
    Unauthorized,
    default_timeout,
)
from jobstream_client.sse import ServerSentEvent
from tests.integration.client.conftest import MakeServer
from tests.integration.client.scripted_server import Reply, ScriptedServer, count_log


class Sleeps:
    """Stands in for time.sleep: records the delays, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


StreamFor = Callable[..., EventStream]


@pytest.fixture
def stream_for(http_client: httpx.Client) -> StreamFor:
    """An EventStream on the server's events URL with its token, a shared client, no waiting."""

    def make(server: ScriptedServer, **kwargs: Any) -> EventStream:
        kwargs.setdefault("sleep", Sleeps())
        kwargs.setdefault("client", http_client)
        return EventStream(server.events_url, token=server.token, **kwargs)

    return make


def ids(events: Iterable[ServerSentEvent]) -> list[int]:
    return [int(event.id) for event in events]


def test_reads_every_event_once_and_stops_after_the_terminal_one(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(20))
    stream = stream_for(server)

    events = list(stream)

    assert ids(events) == list(range(1, 22))
    assert [e.event for e in events[:3]] == ["progress"] * 3
    assert events[-1].event == "complete"
    assert stream.end is StreamEnd.TERMINAL
    assert stream.terminal_event == events[-1]
    assert (stream.attempts, stream.reconnects, stream.duplicates) == (1, 0, 0)
    assert stream.last_event_id == "21"
    assert stream.retry_ms == 1000
    (request,) = server.stream_requests
    assert request.headers["authorization"] == f"Bearer {server.token}"
    assert request.headers["accept"] == "text/event-stream"
    assert "last-event-id" not in request.headers


@pytest.mark.parametrize("end", ["clean", "drop", "mid_event"])
def test_resumes_after_the_last_event_with_last_event_id(
    make_server: MakeServer, end: str, stream_for: StreamFor
) -> None:
    # Every connection delivers 3 events and then ends the given way.
    server = make_server(count_log(10), script=lambda _n, _lid: Reply(events=3, end=end))  # type: ignore[arg-type]
    stream = stream_for(server, max_attempts=3)

    events = list(stream)

    assert ids(events) == list(range(1, 12))
    assert [r.last_event_id for r in server.stream_requests] == [None, "3", "6", "9"]
    assert stream.reconnects == 3
    assert stream.duplicates == 0


def test_union_of_events_is_exactly_1_to_n_across_many_random_drops(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    total = 30
    for seed in range(20):
        rng = random.Random(seed)

        def script(_number: int, _last_id: int, rng: random.Random = rng) -> Reply:
            return Reply(
                events=rng.choice([0, 1, 2, 3, 5, 8, None]),
                end=rng.choice(["clean", "drop", "mid_event"]),
                heartbeat=rng.random() < 0.3,
                # A misbehaving server sometimes replays events the client already has.
                replay=rng.choice([0, 0, 0, 1, 3]),
                retry_ms=rng.choice([None, 0, 250]),
            )

        server = make_server(count_log(total), script=script)
        stream = stream_for(server, max_attempts=None)

        events = list(stream)

        assert ids(events) == list(range(1, total + 2)), f"seed {seed}"
        assert stream.duplicates == server.replayed_sent, f"seed {seed}"
        assert stream.gaps == 0
        sent_ids = [int(r.last_event_id or 0) for r in server.stream_requests]
        assert sent_ids == sorted(sent_ids), f"seed {seed}: Last-Event-ID went backwards"
        assert stream.attempts == len(server.stream_requests)
        server.stop()


def test_starts_after_a_given_last_event_id(make_server: MakeServer, stream_for: StreamFor) -> None:
    server = make_server(count_log(10))
    stream = stream_for(server, last_event_id=7)

    assert ids(list(stream)) == [8, 9, 10, 11]
    assert server.stream_requests[0].last_event_id == "7"


def test_stops_on_204_when_nothing_is_left(make_server: MakeServer, stream_for: StreamFor) -> None:
    server = make_server(count_log(5))
    stream = stream_for(server, last_event_id="6")

    assert list(stream) == []
    assert stream.end is StreamEnd.NO_CONTENT
    assert stream.attempts == 1
    assert stream.terminal_event is None


def test_a_log_without_terminal_event_ends_with_the_204_after_it(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    # The client only learns that the job is over from the 204 of its next reconnect.
    server = make_server(count_log(4, terminal=None), done=True)
    stream = stream_for(server)

    assert ids(list(stream)) == [1, 2, 3, 4]
    assert stream.end is StreamEnd.NO_CONTENT
    assert stream.attempts == 2
    assert server.stream_requests[1].last_event_id == "4"


def test_retries_a_5xx_then_continues(make_server: MakeServer, stream_for: StreamFor) -> None:
    server = make_server(
        count_log(5), script=lambda n, _lid: Reply(status=503) if n == 0 else Reply()
    )
    sleeps = Sleeps()
    stream = stream_for(server, sleep=sleeps, backoff=Backoff(random=lambda: 0.5))

    assert ids(list(stream)) == [1, 2, 3, 4, 5, 6]
    assert stream.attempts == 2
    # One wait, drawn below the initial 1 s ceiling (no retry: seen yet).
    assert sleeps.delays == stream.delays == [0.5]


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequest), (401, Unauthorized), (403, Forbidden), (404, NotFound)],
)
def test_4xx_raises_a_typed_error_without_retrying(
    make_server: MakeServer, status: int, error: type[Exception], stream_for: StreamFor
) -> None:
    server = make_server(count_log(3), script=lambda _n, _lid: Reply(status=status))
    stream = stream_for(server)

    with pytest.raises(error) as caught:
        list(stream)

    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert str(status) in str(caught.value)
    assert server.token not in str(caught.value)
    assert stream.attempts == 1
    assert stream.delays == []


def test_real_auth_failures_are_typed_and_never_show_the_token(make_server: MakeServer) -> None:
    server = make_server(count_log(3))
    url_with_token = f"{server.events_url}?token=wrong-SECRET-token"

    with pytest.raises(Forbidden) as forbidden:
        list(EventStream(url_with_token, token=None, sleep=Sleeps()))
    with pytest.raises(Unauthorized) as unauthorized:
        list(EventStream(server.events_url, token=None, sleep=Sleeps()))

    assert forbidden.value.code == "token_invalid"
    assert "wrong-SECRET-token" not in str(forbidden.value)
    assert "token=***" in str(forbidden.value)
    assert unauthorized.value.code == "token_missing"


def test_gives_up_after_max_consecutive_failures_with_growing_jittered_delays(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(3), script=lambda _n, _lid: Reply(status=502))
    draws = iter([0.9, 0.1, 0.5, 0.99, 0.0, 0.75])
    backoff = Backoff(initial_s=0.5, max_s=4.0, random=lambda: next(draws))
    stream = stream_for(server, max_attempts=7, backoff=backoff)

    with pytest.raises(GaveUp) as caught:
        list(stream)

    assert caught.value.attempts == 7
    assert "HTTP 502" in str(caught.value)
    assert stream.attempts == 7
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert stream.delays == pytest.approx(
        [d * c for d, c in zip([0.9, 0.1, 0.5, 0.99, 0.0, 0.75], ceilings, strict=True)]
    )


def test_the_servers_retry_field_is_the_base_delay(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    # Connections that bring nothing new are failures; the server asked for 2 s between tries.
    server = make_server(
        count_log(3),
        script=lambda n, _lid: Reply(events=0, end="drop", retry_ms=2000) if n < 3 else Reply(),
    )
    stream = stream_for(server, backoff=Backoff(random=lambda: 0.999, max_s=30))

    assert ids(list(stream)) == [1, 2, 3, 4]
    assert stream.delays == pytest.approx([1.998, 3.996, 7.992])


def test_progress_resets_the_failure_streak(make_server: MakeServer, stream_for: StreamFor) -> None:
    # Alternating: one event then a drop, an empty connection, ... never two failures in a row.
    def script(number: int, _lid: int) -> Reply:
        return Reply(events=1, end="drop") if number % 2 == 0 else Reply(events=0, end="drop")

    server = make_server(count_log(6), script=script)
    notices: list[RetryNotice] = []
    stream = stream_for(server, max_attempts=2, on_retry=notices.append)

    assert ids(list(stream)) == list(range(1, 8))
    assert max(n.consecutive_failures for n in notices) == 1
    assert [n.attempt for n in notices] == list(range(2, stream.attempts + 1))
    assert notices[0].reason == "connection dropped"
    assert notices[0].last_event_id == "1"


@pytest.mark.parametrize(
    ("end", "events", "immediate"),
    [("clean", 3, True), ("drop", 3, False), ("mid_event", 3, False), ("clean", 0, False)],
)
def test_retry_zero_after_a_clean_end_with_new_events_reconnects_at_once(
    make_server: MakeServer, stream_for: StreamFor, end: str, events: int, immediate: bool
) -> None:
    # A stream window's end: events, `retry: 0`, a clean end. Only that reconnects with no wait;
    # a drop, a cut event or an empty connection keep the backoff's floor and jitter.
    server = make_server(
        count_log(6),
        script=lambda n, _lid: (
            Reply(events=events, end=end, retry_ms=0)  # type: ignore[arg-type]
            if n < 2
            else Reply(retry_ms=0)
        ),
    )
    stream = stream_for(server, backoff=Backoff(random=lambda: 0.99, min_base_s=0.05))

    assert ids(list(stream)) == list(range(1, 8))
    assert len(stream.delays) == 2
    if immediate:
        assert stream.delays == [0.0, 0.0]
    else:
        assert all(delay >= 0.0495 for delay in stream.delays)


def test_quiet_windows_ending_with_retry_zero_are_not_failures(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    # A quiet job's windows bring only heartbeats, then `retry: 0` and a clean end: the client
    # comes back within the floor's 50 ms each time, and never gives up.
    server = make_server(
        count_log(2),
        script=lambda n, _lid: (
            Reply(events=0, end="clean", heartbeat=True, retry_ms=0)
            if n < 12
            else Reply(retry_ms=0)
        ),
    )
    stream = stream_for(server, max_attempts=3, backoff=Backoff(random=lambda: 0.99))

    assert ids(list(stream)) == [1, 2, 3]
    assert stream.attempts == 13
    assert max(stream.delays) <= 0.05


def test_a_stream_of_heartbeats_only_counts_as_a_failure(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(3), script=lambda _n, _lid: Reply(events=0, end="clean"))
    stream = stream_for(server, max_attempts=3)

    with pytest.raises(GaveUp, match="stream ended empty"):
        list(stream)


def test_a_silent_connection_hits_the_read_timeout_and_reconnects(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(
        count_log(4),
        script=lambda n, _lid: Reply(events=2, end="stall") if n == 0 else Reply(),
    )
    notices: list[RetryNotice] = []
    stream = stream_for(server, timeout=default_timeout(read_s=0.2), on_retry=notices.append)

    assert ids(list(stream)) == [1, 2, 3, 4, 5]
    assert [n.reason for n in notices] == ["read timed out"]
    assert server.stream_requests[1].last_event_id == "2"


def test_connection_refused_is_retried_then_given_up() -> None:
    sleeps = Sleeps()
    stream = EventStream(
        f"http://127.0.0.1:{unused_port()}/jobs/x/events", token="t", max_attempts=3, sleep=sleeps
    )
    with pytest.raises(GaveUp, match="connection failed"):
        list(stream)
    assert stream.attempts == 3
    assert len(sleeps.delays) == 2


def test_a_wrong_content_type_is_a_protocol_violation(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(3), script=lambda _n, _lid: Reply(content_type="text/html"))

    with pytest.raises(ProtocolViolation, match="text/html"):
        list(stream_for(server))


def test_an_event_without_an_integer_id_is_a_protocol_violation(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(3), script=lambda _n, _lid: Reply(omit_ids=True))

    with pytest.raises(ProtocolViolation, match="no integer id"):
        list(stream_for(server))


def test_breaking_out_and_iterating_again_continues_where_it_stopped(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(6))
    with httpx.Client() as client:
        stream = stream_for(server, client=client)
        first = []
        for event in stream:
            first.append(event)
            if len(first) == 3:
                break
        rest = list(stream)

    assert ids(first + rest) == list(range(1, 8))
    assert server.stream_requests[1].last_event_id == "3"


def test_iterating_a_finished_stream_yields_nothing_more(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    server = make_server(count_log(2))
    stream = stream_for(server)
    list(stream)

    assert list(stream) == []
    assert len(server.stream_requests) == 1


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_events_a_server_replays_are_dropped_and_counted(
    make_server: MakeServer, stream_for: StreamFor
) -> None:
    # The server ignores part of Last-Event-ID and resends the last 2 events on every reconnect.
    server = make_server(
        count_log(6), script=lambda n, _lid: Reply(events=4, end="drop", replay=0 if n == 0 else 2)
    )
    stream = stream_for(server)

    assert ids(list(stream)) == list(range(1, 8))
    assert stream.duplicates == 4  # 2 on each of the 2 reconnects
    assert stream.reconnects == 2
