"""Inline jobs: driven by the stream function while a viewer watches, then handed to the worker."""

from __future__ import annotations

import threading

import pytest

from jobstream.examples.demo import TypewriterParams
from jobstream.jobs import DriveOutcome
from jobstream.store import JobMode, JobStatus, StoredEvent
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.unit.jobs.fakes import FakeClock, assert_clean_log, run_worker_chain

TEXT = "The quick brown fox jumps over the lazy dog."  # 44 characters: 11 chunks of 4


def typed_text(events: list[StoredEvent]) -> str:
    return "".join(e.data["delta"] for e in events if e.type == "text")


def test_an_inline_job_waits_for_its_viewer_and_runs_while_it_watches(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.typewriter", {"text": TEXT, "chunk_chars": 4, "interval_ms": 50})
    assert job.mode is JobMode.INLINE
    assert invoker.take() == []  # nothing runs until a viewer connects

    result = service.drive_inline(job.job_id, deadline=clock.now + 60)

    assert (result.outcome, result.steps, result.status) == (
        DriveOutcome.FINISHED,
        12,  # 11 chunks + the completing step
        JobStatus.SUCCEEDED,
    )
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert typed_text(events) == TEXT
    assert [e.data["offset"] for e in events if e.type == "text"] == list(range(0, 44, 4))
    assert invoker.take() == []


def test_when_the_window_closes_the_worker_finishes_the_job(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.typewriter", {"text": TEXT, "chunk_chars": 4, "interval_ms": 500})

    # 4 s window, 1 s hand-off margin, 500 ms steps: steps start at 4, 3.5, 3, 2.5, 2 s left.
    result = service.drive_inline(job.job_id, deadline=clock.now + 4)

    assert (result.outcome, result.steps) == (DriveOutcome.HANDED_OFF, 5)
    assert invoker.calls == [(job.job_id, 0)]
    handed = service.store.get_job(job.job_id)
    assert (handed.lease_owner, handed.last_event_id, handed.hops) == (None, 10, 0)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert typed_text(events) == TEXT


def test_stop_hands_off_at_the_next_step_boundary(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.typewriter", {"text": TEXT, "chunk_chars": 4, "interval_ms": 50})
    stop = threading.Event()
    sleeps = 0

    def viewer_leaves_during_step_three(_now: float) -> None:
        nonlocal sleeps
        sleeps += 1
        if sleeps == 3:
            stop.set()

    clock.on_sleep = viewer_leaves_during_step_three
    seconds_left = 600.0
    service.drive_for_stream(
        service.store.get_job(job.job_id), stop=stop, seconds_left=lambda: seconds_left
    )

    assert invoker.take() == [(job.job_id, 0)]
    assert [e.type for e in all_events(service.store, job.job_id)] == ["text", "progress"] * 3


def test_inline_drives_are_skipped_where_they_do_not_belong(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    background = service.create("demo.count", {"n": 1, "interval_ms": 0})
    assert service.drive_inline(background.job_id, deadline=clock.now + 60).reason == (
        "not an inline job"
    )

    inline = service.create("demo.typewriter", {"text": "ab", "chunk_chars": 1, "interval_ms": 0})
    lease, _ = service.store.acquire_lease(inline.job_id, duration_s=60)
    held = service.drive_inline(inline.job_id, deadline=clock.now + 60)
    assert (held.outcome, held.reason) == (DriveOutcome.SKIPPED, "another driver holds the job")
    service.store.release_lease(lease)

    assert service.drive_inline(inline.job_id, deadline=clock.now + 60).outcome is (
        DriveOutcome.FINISHED
    )
    assert service.drive_inline(inline.job_id, deadline=clock.now + 60).reason == (
        "job already finished"
    )
    assert service.drive_inline("missing", deadline=clock.now + 60).reason == "job not found"
    with pytest.raises(ValueError, match="deadline or seconds_left"):
        service.drive_inline(inline.job_id)


def test_with_inline_mode_disabled_inline_types_run_in_the_background(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service(settings={"mode_inline_enabled": False})
    job = service.create("demo.typewriter", {"text": "abc"})
    assert job.mode is JobMode.BACKGROUND
    assert invoker.calls == [(job.job_id, 0)]
    assert service.drive_inline(job.job_id, deadline=clock.now + 60).reason == (
        "inline mode is disabled"
    )
    run_worker_chain(service, invoker, clock, timeout_s=60)
    assert typed_text(all_events(service.store, job.job_id)) == "abc"


def test_an_unwatched_inline_job_is_run_by_the_worker_once_status_sees_it_waiting(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    service = make_service()
    job = service.create("demo.typewriter", {"text": "abc"})
    clock.advance(service.store.settings.stall_after_seconds)
    service.status(job.job_id)
    run_worker_chain(service, invoker, clock, timeout_s=60)
    assert typed_text(all_events(service.store, job.job_id)) == "abc"


def test_the_default_typewriter_text_fits_its_own_bounds() -> None:
    params = TypewriterParams()
    assert 0 < len(params.text) <= 4_000
