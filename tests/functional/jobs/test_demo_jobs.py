"""Each demo job type, run to the end through the worker: what a viewer of its log would see."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, Field

from jobstream.jobs import JobContext, JobRegistry, JobService
from jobstream.store import StoredEvent
from jobstream_sandbox.invokers import RecordingInvoker
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.unit.jobs.fakes import FakeClock, assert_clean_log, run_worker_chain


def run(
    service: JobService,
    invoker: RecordingInvoker,
    clock: FakeClock,
    type: str,
    params: dict[str, object],
) -> list[StoredEvent]:
    job = service.create(type, params)
    if not invoker.calls:  # inline: no viewer in this test, the worker takes it
        invoker.invoke(job.job_id, hop=0)
    run_worker_chain(service, invoker, clock, timeout_s=4.75)  # several hops for most
    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    return events


def test_count_emits_n_progress_events_then_complete(
    service: JobService, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    events = run(service, invoker, clock, "demo.count", {"n": 12, "interval_ms": 1_000})
    assert [(e.type, e.data["done"], e.data["total"]) for e in events[:-1]] == [
        ("progress", i, 12) for i in range(1, 13)
    ]
    assert events[-1].data == {"result": {"count": 12}}
    assert clock.sleeps == [1.0] * 12


def test_phases_move_the_percent_by_their_weights(
    service: JobService, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    events = run(service, invoker, clock, "demo.phases", {"units_per_phase": 2, "interval_ms": 10})
    phases = [
        (e.data["name"], e.data["index"], e.data["percent"]) for e in events if e.type == "phase"
    ]
    assert phases == [("download", 0, 0.0), ("process", 1, 20.0), ("upload", 2, 80.0)]
    percents = [e.data["percent"] for e in events if e.type == "progress"]
    assert percents == [10.0, 20.0, 50.0, 80.0, 90.0, 100.0]
    assert events[-1].data == {"result": {"phases": ["download", "process", "upload"]}}


def test_logs_report_work_of_unknown_size(
    service: JobService, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    events = run(service, invoker, clock, "demo.logs", {"lines": 3, "interval_ms": 10})
    assert [(e.type, e.data.get("message"), e.data.get("total")) for e in events[:-1]] == [
        ("log", "finished task 1", None),
        ("progress", None, None),
        ("log", "finished task 2", None),
        ("progress", None, None),
        ("log", "finished task 3", None),
        ("progress", None, None),
    ]
    assert all(e.data["percent"] is None for e in events if e.type == "progress")


def test_batch_reports_every_item_and_the_totals(
    service: JobService, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    events = run(
        service,
        invoker,
        clock,
        "demo.batch",
        {"items": 10, "batch_size": 3, "fail_every": 4, "interval_ms": 1_000},
    )
    items = [e.data for e in events if e.type == "item"]
    assert [i["key"] for i in items] == [f"item-{n}" for n in range(1, 11)]
    assert [i["key"] for i in items if not i["ok"]] == ["item-4", "item-8"]
    assert items[3]["reason"] == "item 4 is not valid"
    assert (items[-1]["succeeded"], items[-1]["failed"]) == (8, 2)
    assert [e.data["done"] for e in events if e.type == "progress"] == [3, 6, 9, 10]
    assert events[-1].data == {
        "result": {"succeeded": 8, "failed": 2},
        "items": {"succeeded": 8, "failed": 2},
    }


def test_typewriter_streams_its_text_in_chunks(
    service: JobService, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    events = run(
        service, invoker, clock, "demo.typewriter", {"text": "hello, world", "chunk_chars": 5}
    )
    assert [e.data["delta"] for e in events if e.type == "text"] == ["hello", ", wor", "ld"]
    assert [e.data["done"] for e in events if e.type == "progress"] == [5, 10, 12]
    assert events[-1].data == {"result": {"chars": 12}}


class Resize(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=1_000)


def shrink(url: str) -> bool:
    return url.endswith(".png")


def test_the_documented_example_job_type_runs_as_written(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    # The example of jobstream/jobs/__init__.py, verbatim but for the registry it starts from.
    registry = JobRegistry()

    @registry.job("images.resize", params=Resize)
    def resize(ctx: JobContext[Resize]) -> Iterator[None]:
        urls = ctx.params.urls
        for i in range(ctx.cursor or 0, len(urls)):
            ok = shrink(urls[i])
            ctx.item(urls[i], ok=ok, reason=None if ok else "not an image")
            ctx.progress(i + 1, len(urls))
            ctx.advance(i + 1)
            yield
        ctx.complete({"resized": ctx.succeeded, "failed": ctx.failed})

    service = make_service(registry=registry)
    events = run(service, invoker, clock, "images.resize", {"urls": ["a.png", "b.txt", "c.png"]})
    assert events[-1].data["result"] == {"resized": 2, "failed": 1}
