"""The job context: what each reporting call emits, and the step rules (no store involved)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from jobstream.jobs import JobContext, JobError, StepContractError
from jobstream.jobs.context import Position, RunState, StepRecorder
from jobstream.store import Checkpoint, PayloadTooLarge, schema
from tests.unit.jobs.fakes import FakeClock

PLAN = (("download", 1.0), ("process", 3.0), ("upload", 1.0))


class Params(BaseModel):
    n: int = 1


def make(
    phases: Sequence[tuple[str, float]] = (), position: Position | None = None
) -> tuple[JobContext[Params], StepRecorder]:
    clock = FakeClock()
    recorder = StepRecorder(position=position or Position(), phases=phases, wall=clock.time)
    ctx = JobContext(job_id="job", params=Params(), recorder=recorder, clock=clock)
    recorder.begin(attempt=1)
    return ctx, recorder


def data(recorder: StepRecorder) -> list[tuple[str, dict[str, object]]]:
    return [(e.type, e.data) for e in recorder.events]


def test_progress_carries_done_total_percent_and_phase() -> None:
    ctx, rec = make()
    ctx.progress(3, 12)
    ctx.progress(5)  # indeterminate
    ctx.progress(0, 0, message="nothing to do")
    assert data(rec) == [
        ("progress", {"done": 3, "total": 12, "percent": 25.0, "phase": None}),
        ("progress", {"done": 5, "total": None, "percent": None, "phase": None}),
        (
            "progress",
            {"done": 0, "total": 0, "percent": 100.0, "phase": None, "message": "nothing to do"},
        ),
    ]


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, True, "3"])
def test_progress_refuses_what_is_not_an_amount(bad: object) -> None:
    ctx, _ = make()
    with pytest.raises((TypeError, ValueError)):
        ctx.progress(bad, 10)  # type: ignore[arg-type]


def test_declared_phases_weight_the_percent_and_announce_themselves_once() -> None:
    ctx, rec = make(PLAN)
    ctx.phase("process")
    ctx.phase("process")  # the same phase again: no second event
    ctx.progress(1, 2)
    assert data(rec) == [
        (
            "phase",
            {"name": "process", "weight": 3.0, "index": 1, "count": 3, "percent": 20.0},
        ),
        # download (1) is behind us, half of process (3 * 0.5): 2.5 of 5.
        ("progress", {"done": 1, "total": 2, "percent": 50.0, "phase": "process"}),
    ]
    assert ctx.current_phase == "process"


def test_an_undeclared_phase_or_weight_is_a_bug() -> None:
    ctx, _ = make(PLAN)
    with pytest.raises(ValueError, match="not declared"):
        ctx.phase("compile")
    with pytest.raises(ValueError, match="declared with weight"):
        ctx.phase("upload", 7)


def test_ad_hoc_phases_label_progress_without_weighting() -> None:
    ctx, rec = make()
    ctx.phase("scan", 2)
    ctx.progress(1, 4)
    assert data(rec)[0] == (
        "phase",
        {"name": "scan", "weight": 2, "index": None, "count": None, "percent": 0.0},
    )
    assert data(rec)[1][1]["percent"] == 25.0


def test_the_phase_survives_into_the_next_step_through_the_checkpoint() -> None:
    ctx, rec = make(PLAN)
    ctx.phase("upload")
    ctx.advance(1)
    record = rec.finish()
    restored = Position.from_checkpoint(record.position.to_checkpoint())
    ctx2, rec2 = make(PLAN, restored)
    ctx2.phase("upload")  # a resumed job re-enters its phase: nothing is emitted twice
    ctx2.progress(1, 1)
    assert data(rec2) == [
        ("progress", {"done": 1, "total": 1, "percent": 100.0, "phase": "upload"})
    ]


def test_items_keep_running_totals_and_complete_reports_them() -> None:
    ctx, rec = make()
    ctx.item("a", ok=True)
    ctx.item("b", ok=False, reason="bad checksum")
    ctx.item("c", ok=True)
    assert [d for _, d in data(rec)] == [
        {"key": "a", "ok": True, "reason": None, "succeeded": 1, "failed": 0},
        {"key": "b", "ok": False, "reason": "bad checksum", "succeeded": 1, "failed": 1},
        {"key": "c", "ok": True, "reason": None, "succeeded": 2, "failed": 1},
    ]
    assert (ctx.succeeded, ctx.failed) == (2, 1)
    ctx.complete({"ok": True})
    record = rec.finish()
    assert record.completed
    assert record.result == {"ok": True}
    assert (record.position.run.succeeded, record.position.run.failed) == (2, 1)


def test_log_lines_and_custom_events() -> None:
    ctx, rec = make()
    ctx.log("hello")
    ctx.log("careful", level="warning")
    ctx.emit("text", {"delta": "Hi"})
    assert data(rec) == [
        ("log", {"message": "hello", "level": "info"}),
        ("log", {"message": "careful", "level": "warning"}),
        ("text", {"delta": "Hi"}),
    ]


@pytest.mark.parametrize("name", ["complete", "progress", "", "a b", "a-b", "ünï", "x" * 65])
def test_custom_event_types_cannot_impersonate_or_break_the_wire(name: str) -> None:
    ctx, _ = make()
    with pytest.raises(ValueError, match="event type"):
        ctx.emit(name, {})


def test_event_data_is_copied_as_json_and_stamped() -> None:
    ctx, rec = make()
    payload: dict[str, object] = {"list": [1, 2]}
    ctx.emit("custom", payload)
    payload["list"] = "changed later"
    event = rec.events[0]
    assert event.data == {"list": [1, 2]}
    assert event.created_at is not None
    with pytest.raises(ValueError, match="JSON"):
        ctx.emit("custom", {"x": {1, 2}})
    with pytest.raises(ValueError, match="JSON"):
        ctx.emit("custom", {"x": math.nan})


def test_sizes_are_bounded_in_bytes_where_the_job_emits() -> None:
    ctx, rec = make()
    with pytest.raises(ValueError, match="bytes"):
        ctx.log("é" * (schema.TEXT_MAX_BYTES // 2 + 1))  # under the limit in characters
    with pytest.raises(PayloadTooLarge, match="'blob' event data"):
        ctx.emit("blob", {"x": "é" * (schema.EVENT_DATA_MAX_BYTES // 2)})
    ctx.phase("é" * (schema.TEXT_MAX_BYTES // 2))  # 8 KiB: fine on its own
    with pytest.raises(PayloadTooLarge, match="'progress' event data"):
        # With the phase name in it: over the 16 KiB a progress event may have (it is mirrored).
        ctx.progress(1, 2, message="é" * (schema.TEXT_MAX_BYTES // 2))
    assert [e.type for e in rec.events] == ["phase"]
    for i in range(999):  # 1,000 events with the phase event
        ctx.emit("tick", {"i": i})
    with pytest.raises(StepContractError, match="smaller steps"):
        ctx.emit("tick", {"i": 1_000})


def test_each_event_is_encoded_once_when_emitted_as_the_store_will_write_it() -> None:
    ctx, rec = make()
    ctx.emit("custom", {"text": "é", "n": 1})
    [event] = rec.events
    assert event.fragment == f'["custom",{{"text":"é","n":1}},{event.created_at}]'
    assert event.size == len(event.fragment.encode()) == rec.size


def test_a_non_ascii_checkpoint_over_the_byte_limit_fails_at_step_time() -> None:
    """Regression: the checkpoint was measured in characters here and in bytes by the store."""
    ctx, rec = make()
    ctx.advance(1, {"notes": "é" * (schema.CHECKPOINT_MAX_BYTES // 2 + 10)})
    with pytest.raises(PayloadTooLarge, match=r"checkpoint is \d+ bytes encoded"):
        rec.finish()
    ctx, rec = make()
    ctx.advance(1, {"notes": "é" * (schema.CHECKPOINT_MAX_BYTES // 2 - 200)})  # just fits
    assert rec.finish().position.state["notes"].startswith("é")


def test_results_and_failure_messages_are_held_to_the_stores_limits_in_bytes() -> None:
    ctx, _ = make()
    with pytest.raises(PayloadTooLarge, match="result"):
        ctx.complete({"r": "é" * (schema.RESULT_MAX_BYTES // 2)})
    with pytest.raises(ValueError, match="bytes"):
        ctx.fail("é" * (schema.ERROR_MAX_BYTES // 2 + 1))
    with pytest.raises(JobError):
        ctx.fail("é" * (schema.ERROR_MAX_BYTES // 2))


def test_a_step_must_advance_or_complete() -> None:
    ctx, rec = make()
    ctx.progress(1, 2)
    with pytest.raises(StepContractError, match="advance"):
        rec.finish()


def test_complete_is_the_last_call() -> None:
    ctx, _ = make()
    ctx.complete()
    with pytest.raises(StepContractError, match="last call"):
        ctx.log("too late")


def test_the_context_is_dead_outside_a_step() -> None:
    ctx, rec = make()
    ctx.advance(1)
    rec.finish()
    with pytest.raises(StepContractError, match="while a step runs"):
        ctx.progress(1, 2)


def test_advance_moves_cursor_and_state_and_discard_rolls_everything_back() -> None:
    start = Position(cursor=4, state={"seen": ["a"]}, run=RunState(phase="download", succeeded=1))
    ctx, rec = make(PLAN, start)
    assert (ctx.cursor, ctx.state) == (4, {"seen": ["a"]})
    ctx.state["seen"].append("b")
    ctx.phase("process")
    ctx.item("b", ok=True)
    ctx.advance(5)
    rec.discard()  # the step raised
    rec.begin(attempt=2)
    assert (ctx.cursor, ctx.state, ctx.current_phase, ctx.succeeded) == (
        4,
        {"seen": ["a"]},
        "download",
        1,
    )
    assert ctx.attempt == 2
    assert rec.events == []
    ctx.state["seen"].append("b")
    ctx.advance(5)  # state None: the mutated ctx.state is what is saved
    record = rec.finish()
    assert (record.position.cursor, record.position.state) == (5, {"seen": ["a", "b"]})
    assert record.position.run.steps == 1


def test_cursor_and_state_must_be_small_json() -> None:
    ctx, rec = make()
    with pytest.raises(ValueError, match="cursor"):
        ctx.advance(object())
    with pytest.raises(TypeError):
        ctx.advance(1, ["not", "a", "dict"])  # type: ignore[arg-type]
    ctx.advance(1, {"blob": "x" * 200_000})
    with pytest.raises(PayloadTooLarge, match="checkpoint"):
        rec.finish()


def test_fail_raises_a_job_error_with_the_clients_message() -> None:
    ctx, _ = make()
    with pytest.raises(JobError) as caught:
        ctx.fail("The file is empty.")
    assert caught.value.message == "The file is empty."


def test_sleep_uses_the_injected_clock() -> None:
    clock = FakeClock()
    recorder = StepRecorder(position=Position(), phases=(), wall=clock.time)
    ctx = JobContext(job_id="j", params=Params(), recorder=recorder, clock=clock)
    ctx.sleep(2.5)
    assert clock.sleeps == [2.5]


def test_checkpoint_envelope_round_trip_and_fresh_job() -> None:
    position = Position(cursor=[1, 2], state={"k": "v"}, run=RunState("p", 1, 2, 3, 1))
    checkpoint = position.to_checkpoint()
    assert checkpoint.cursor == [1, 2]
    assert checkpoint.state["job"] == {"k": "v"}
    assert Position.from_checkpoint(checkpoint) == position
    assert Position.from_checkpoint(Checkpoint()) == Position()
