"""One live stream per viewer, and the per-job cap on live streams, seen from the stream service."""

from __future__ import annotations

import json

import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream.response_stream.response import StreamingResponse
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.tail.service import StreamService, StreamStats
from jobstream_client.sse import SSEParser
from tests.clock import FakeClock
from tests.functional.tail.conftest import SIGNING_KEY, LogWriter


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0, forbid_zero_sleep=True)


@pytest.fixture
def parts(
    ddb: object, settings: Settings, clock: FakeClock
) -> tuple[JobStore, StreamService, TokenSigner, list[StreamStats]]:
    store = JobStore(settings, client=ddb, clock=clock)  # type: ignore[arg-type]
    signer = TokenSigner(SIGNING_KEY)
    closed: list[StreamStats] = []
    service = StreamService(
        store=store,
        signer=signer,
        settings=settings.with_changes({"stream_max_per_job": 2}),
        clock=clock,
        on_close=closed.append,
        slots=store,
    )
    store.create_job(job_id="job-1", type="demo", params={})
    return store, service, signer, closed


def open_(
    service: StreamService,
    signer: TokenSigner,
    viewer: str | None = None,
    last: str | None = None,
) -> StreamingResponse:
    return service.open(
        "job-1",
        token=signer.issue("job-1", ttl_seconds=3_600),
        last_event_id=last,
        remaining_ms=lambda: 900_000,
        viewer=viewer,
    )


@pytest.mark.parametrize("busy", [False, True], ids=["idle job", "busy job"])
def test_a_newer_stream_of_the_same_viewer_ends_the_older_within_5_s(
    parts: tuple[JobStore, StreamService, TokenSigner, list[StreamStats]],
    clock: FakeClock,
    busy: bool,
) -> None:
    store, service, signer, closed = parts
    if busy:
        writer = LogWriter(store, "job-1")
        for n in range(1, 600):
            clock.at(clock.now + n * 0.1, lambda: writer.progress(1))
    older = iter(open_(service, signer, viewer="tab-1").body)
    next(older)  # retry:, the stream is running
    clock.advance(7)
    reload_at = clock.now
    newer = open_(service, signer, viewer="tab-1")
    assert newer.status_code == 200
    for _ in older:
        pass  # Lambda pulls an abandoned body to its end
    assert closed[-1].reason == "superseded"
    assert clock.now - reload_at <= 5.0
    # The newer one streams on, from where its client resumes.
    first = next(iter(newer.body))
    assert first.startswith(b"retry:")


def test_streams_of_other_viewers_do_not_supersede_each_other(
    parts: tuple[JobStore, StreamService, TokenSigner, list[StreamStats]],
    clock: FakeClock,
) -> None:
    _store, service, signer, closed = parts
    first = iter(open_(service, signer, viewer="tab-1").body)
    next(first)
    assert open_(service, signer, viewer="tab-2").status_code == 200
    for _ in first:
        pass
    assert closed[-1].reason == "window"


def test_over_the_cap_the_answer_is_429_json_with_retry_after_before_any_body(
    parts: tuple[JobStore, StreamService, TokenSigner, list[StreamStats]],
    clock: FakeClock,
) -> None:
    _store, service, signer, _closed = parts
    a = iter(open_(service, signer).body)
    next(a)
    b = open_(service, signer, viewer="tab-b")
    assert b.status_code == 200
    refused = open_(service, signer)
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    # When the soonest-ending stream plans to end: within its window.
    assert 1 <= retry_after <= 45
    assert refused.headers["Content-Type"].startswith("application/json")
    body = json.loads(b"".join(refused.body))
    assert body["error"]["code"] == "too_many_streams"
    # A viewer already holding a slot still gets in (it replaces its own stream)...
    assert open_(service, signer, viewer="tab-b").status_code == 200
    # ...and once a stream ends, its slot is free for someone else.
    for _ in a:
        pass
    assert open_(service, signer).status_code == 200


def test_a_finished_job_answers_204_without_taking_a_slot(
    parts: tuple[JobStore, StreamService, TokenSigner, list[StreamStats]],
    clock: FakeClock,
) -> None:
    store, service, signer, _closed = parts
    LogWriter(store, "job-1").progress_then_finish(2)
    for _ in range(5):
        assert open_(service, signer, last="3").status_code == 204
    # Replays of a finished job take a slot only while they run, then free it.
    for _ in range(5):
        events = SSEParser().feed(b"".join(open_(service, signer).body))
        assert [e.id for e in events] == ["1", "2", "3"]


def test_a_viewers_reconnect_makes_two_requests_before_its_first_byte(
    parts: tuple[JobStore, StreamService, TokenSigner, list[StreamStats]],
    clock: FakeClock,
) -> None:
    # Every window's reconnect waits for these: the job and its slots in one Query, the claim's
    # put. The older stream's slot is taken over, not read again.
    store, service, signer, closed = parts
    older = iter(open_(service, signer, viewer="tab-1").body)
    next(older)
    calls: list[str] = []
    store.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    newer = open_(service, signer, viewer="tab-1", last="0")
    assert newer.status_code == 200
    assert calls == ["Query", "PutItem"]
    for _ in older:
        pass
    assert closed[-1].reason == "superseded"
