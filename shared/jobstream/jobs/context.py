"""What a job function sees (JobContext) and what the driver keeps of each step (StepRecorder).

A job is cut into steps. A step reads ``ctx.cursor`` / ``ctx.state`` (where the last completed step
left off), does one unit of work, reports it and ends with ``ctx.advance(cursor, state)`` or
``ctx.complete(result)``. Everything a step reports is held back by the recorder and reaches the
log only together with the checkpoint that step produced (one atomic append): a step that fails, or
whose process dies, leaves no trace, and its re-run emits its events for the first time. So steps
need not be deterministic, but their side effects outside the log should be idempotent (a step may
run again).

Every size and shape rule is the store's own (store/event_codec.py, store/job_codec.py, limits in
store/schema.py), applied here as the job calls: an event is checked and encoded once, when emitted,
and the store writes that encoding; a checkpoint or result that could not be stored fails the step
that made it, never a later write.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, NoReturn, TypeVar

from pydantic import BaseModel

from jobstream.clock import Clock
from jobstream.jobs import events
from jobstream.jobs.errors import JobError, StepContractError
from jobstream.store import schema
from jobstream.store.event_codec import EncodedEvent, dump_json, encode_event, utf8_len
from jobstream.store.job_codec import encode_checkpoint, encode_limited
from jobstream.store.models import JSON, Checkpoint, JSONObject, NewEvent

P = TypeVar("P", bound=BaseModel)


def _copy_json(value: JSON, what: str) -> JSON:
    return json.loads(dump_json(value, what))


@dataclass(frozen=True, slots=True)
class RunState:
    """The driver's own part of a checkpoint: what it must remember across chunks for the job."""

    phase: str | None = None
    succeeded: int = 0
    failed: int = 0
    steps: int = 0
    # Failed attempts at the step after this checkpoint (kept when a chunk ends during retries).
    failed_attempts: int = 0

    def to_json(self) -> JSONObject:
        return {
            "phase": self.phase,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "steps": self.steps,
            "failed_attempts": self.failed_attempts,
        }

    @classmethod
    def from_json(cls, data: JSONObject) -> RunState:
        return cls(
            phase=data.get("phase"),
            succeeded=int(data.get("succeeded", 0)),
            failed=int(data.get("failed", 0)),
            steps=int(data.get("steps", 0)),
            failed_attempts=int(data.get("failed_attempts", 0)),
        )


@dataclass(frozen=True, slots=True)
class Position:
    """Where a job stands after its last completed step; stored as the job's Checkpoint.

    The Checkpoint's ``cursor`` is the job's own cursor; its ``state`` is the envelope
    ``{"job": <the job's state>, "run": <RunState>}``.
    """

    cursor: JSON = None
    state: JSONObject = field(default_factory=dict)
    run: RunState = field(default_factory=RunState)

    def to_checkpoint(self) -> Checkpoint:
        return Checkpoint(cursor=self.cursor, state={"job": self.state, "run": self.run.to_json()})

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint) -> Position:
        envelope = checkpoint.state or {}
        return cls(
            cursor=checkpoint.cursor,
            state=dict(envelope.get("job") or {}),
            run=RunState.from_json(envelope.get("run") or {}),
        )


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One finished step: its events (checked and encoded) and the position after it."""

    events: tuple[EncodedEvent, ...]
    # Encoded size of the events, for batching.
    size: int
    position: Position
    completed: bool
    result: JSON = None


class StepRecorder:
    """The driver's side of a context: buffers one step, rolls back or hands over the record."""

    def __init__(
        self,
        *,
        position: Position,
        phases: Sequence[tuple[str, float]],
        wall: Callable[[], float],
    ) -> None:
        self._plan = tuple(phases)
        self._wall = wall
        self._committed = position
        self._in_step = False
        self._attempt = 0
        self._reset()

    def _reset(self) -> None:
        base = self._committed
        self.cursor: JSON = base.cursor
        self.state: JSONObject = _copy_json(base.state, "state")
        self.run = replace(base.run, failed_attempts=0)
        self.events: list[EncodedEvent] = []
        self.size = 0
        self.advanced = False
        self.completed = False
        self.result: JSON = None

    @property
    def committed(self) -> Position:
        return self._committed

    @property
    def attempt(self) -> int:
        return self._attempt

    @property
    def plan(self) -> tuple[tuple[str, float], ...]:
        return self._plan

    def begin(self, attempt: int) -> None:
        self._reset()
        self._attempt = attempt
        self._in_step = True

    def discard(self) -> None:
        """The step failed: forget everything it reported or advanced."""
        self._in_step = False
        self._reset()

    def finish(self) -> StepRecord:
        """The step returned: check the step rules and produce its record."""
        self._in_step = False
        if not (self.advanced or self.completed):
            raise StepContractError(
                "a step must end with ctx.advance(cursor, state) or ctx.complete(result); "
                "otherwise a re-run could not tell where it stopped"
            )
        run = replace(self.run, steps=self.run.steps + 1, failed_attempts=0)
        position = Position(cursor=self.cursor, state=_copy_json(self.state, "state"), run=run)
        # Exactly the store's check of the checkpoint (UTF-8 bytes of what it will write), so a
        # step whose cursor and state could not be stored fails here, not at a later flush.
        encode_checkpoint(position.to_checkpoint())
        record = StepRecord(
            events=tuple(self.events),
            size=self.size,
            position=position,
            completed=self.completed,
            result=self.result,
        )
        self._committed = position
        self._reset()
        return record

    def note_failed_attempts(self, failed_attempts: int) -> Position:
        """The position to checkpoint when a chunk ends while a step is being retried."""
        return replace(
            self._committed, run=replace(self._committed.run, failed_attempts=failed_attempts)
        )

    # --- used by JobContext ---
    def require_step(self) -> None:
        if not self._in_step:
            raise StepContractError("the job context is only usable while a step runs")
        if self.completed:
            raise StepContractError("ctx.complete() must be the last call of a job")

    def add(self, event: NewEvent) -> None:
        """Check and encode the event now (the store writes this encoding): a bad event raises
        here, in the step that made it, and is not recorded."""
        self.require_step()
        encoded = encode_event(event.type, event.data, self._wall())
        if (
            len(self.events) >= schema.ATOMIC_APPEND_MAX_EVENTS
            or self.size + encoded.size > schema.ATOMIC_APPEND_MAX_BYTES
        ):
            # The step's events are written in one append, which must stay one transaction.
            raise StepContractError(
                f"a step may emit at most {schema.ATOMIC_APPEND_MAX_EVENTS} events and "
                f"{schema.ATOMIC_APPEND_MAX_BYTES} bytes: cut the work into smaller steps"
            )
        self.events.append(encoded)
        self.size += encoded.size

    def percent(self, fraction: float | None) -> float | None:
        """Overall percent: weighted over the declared phases when there are any."""
        weights = dict(self._plan)
        if self.run.phase is not None and self.run.phase in weights:
            total = sum(weights.values())
            before = 0.0
            for name, weight in self._plan:
                if name == self.run.phase:
                    break
                before += weight
            within = weights[self.run.phase] * (fraction or 0.0)
            return round(100 * (before + within) / total, 2)
        return None if fraction is None else round(100 * fraction, 2)


def _check_amount(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {value}")
    return value


def _check_text(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    size = utf8_len(value)
    if size > schema.TEXT_MAX_BYTES:
        raise ValueError(f"{what} is {size} bytes encoded; the limit is {schema.TEXT_MAX_BYTES}")
    return value


class JobContext(Generic[P]):
    """The job function's handle: its params, where it left off, every way to report progress."""

    def __init__(self, *, job_id: str, params: P, recorder: StepRecorder, clock: Clock) -> None:
        self.job_id = job_id
        self.params = params
        self._rec = recorder
        self._clock = clock

    # --- where the job stands ---
    @property
    def cursor(self) -> Any:
        """The cursor of the last completed step (None before the first)."""
        return self._rec.cursor

    @property
    def state(self) -> JSONObject:
        """The job's small JSON state; mutate it freely, it is saved by the next ctx.advance()."""
        return self._rec.state

    @property
    def attempt(self) -> int:
        """1 for a step's first run, 2 for its first retry, ..."""
        return self._rec.attempt

    @property
    def current_phase(self) -> str | None:
        return self._rec.run.phase

    @property
    def succeeded(self) -> int:
        return self._rec.run.succeeded

    @property
    def failed(self) -> int:
        return self._rec.run.failed

    # --- reporting ---
    def progress(
        self, done: float, total: float | None = None, *, message: str | None = None
    ) -> None:
        """``done`` out of ``total`` units (total None: indeterminate); percent is derived."""
        _check_amount(done, "done")
        fraction: float | None = None
        if total is not None:
            _check_amount(total, "total")
            fraction = 1.0 if total == 0 else min(done / total, 1.0)
        if message is not None:
            _check_text(message, "message")
        event = events.progress(
            done=done,
            total=total,
            percent=self._rec.percent(fraction),
            phase=self._rec.run.phase,
            message=message,
        )
        self._rec.add(event)

    def phase(self, name: str, weight: float | None = None) -> None:
        """Enter phase ``name``.

        Emits a ``phase`` event only on a change, so calling it at the top of every step is fine.
        With phases declared on the job type, percent is weighted over them.
        """
        self._rec.require_step()
        _check_text(name, "phase name")
        if name == self._rec.run.phase:
            return
        plan = self._rec.plan
        names = [n for n, _ in plan]
        index: int | None = None
        count: int | None = None
        if plan:
            if name not in names:
                raise ValueError(f"phase {name!r} is not declared; declared phases: {names}")
            declared = dict(plan)[name]
            if weight is not None and weight != declared:
                raise ValueError(f"phase {name!r} is declared with weight {declared}, not {weight}")
            weight, index, count = declared, names.index(name), len(plan)
        elif weight is not None:
            _check_amount(weight, "weight")
        self._rec.run = replace(self._rec.run, phase=name)
        event = events.phase(
            name=name, weight=weight, index=index, count=count, percent=self._rec.percent(0.0)
        )
        self._rec.add(event)

    def log(self, message: str, *, level: events.LogLevel = "info") -> None:
        """A free line of text (indeterminate work, notes, warnings)."""
        _check_text(message, "message")
        if level not in ("debug", "info", "warning", "error"):
            raise ValueError(f"unknown log level {level!r}")
        self._rec.add(events.log(message=message, level=level))

    def item(self, key: str, ok: bool, reason: str | None = None) -> None:
        """One item's outcome; running succeeded/failed totals travel with every item event."""
        _check_text(key, "item key")
        if reason is not None:
            _check_text(reason, "reason")
        self._rec.require_step()
        run = self._rec.run
        run = (
            replace(run, succeeded=run.succeeded + 1) if ok else replace(run, failed=run.failed + 1)
        )
        self._rec.run = run
        self._rec.add(
            events.item(
                key=key, ok=bool(ok), reason=reason, succeeded=run.succeeded, failed=run.failed
            )
        )

    def emit(self, type: str, data: JSONObject) -> None:
        """An event of the job's own type (the built-in and terminal types are reserved)."""
        if type in events.BUILT_IN_TYPES:
            raise ValueError(f"{type!r} is a built-in event type: use its ctx method")
        # The type rule, JSON and size are the store's, checked by add().
        self._rec.add(NewEvent(type, data))

    # --- step boundaries ---
    def advance(self, cursor: JSON, state: JSONObject | None = None) -> None:
        """Mark the step done: a re-run resumes from ``cursor``/``state`` (None: keep ctx.state)."""
        self._rec.require_step()
        self._rec.cursor = _copy_json(cursor, "cursor")
        if state is not None:
            if not isinstance(state, dict):
                raise TypeError("state must be a JSON object (dict)")
            self._rec.state = _copy_json(state, "state")
        self._rec.advanced = True

    def complete(self, result: JSON = None) -> None:
        """Finish the job successfully; must be the job's last call."""
        self._rec.require_step()
        encoded = encode_limited("result", result, schema.RESULT_MAX_BYTES)
        self._rec.result = json.loads(encoded)
        self._rec.completed = True

    def fail(self, message: str) -> NoReturn:
        """Fail the job now, without retries, showing ``message`` to the client (JobError holds it
        to the store's limit for an error message)."""
        raise JobError(message)

    def sleep(self, seconds: float) -> None:
        """Wait inside a step (tests replace the clock, so use this rather than time.sleep)."""
        self._clock.sleep(_check_amount(seconds, "seconds"))
