"""Demo job types: one per way of reporting progress. ``registry()`` is the default registry.

Every parameter is bounded (pydantic Field limits): a request cannot ask for a billion steps.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jobstream.jobs.context import JobContext
from jobstream.jobs.registry import JobRegistry
from jobstream.store.models import JobMode

DEMO_JOBS = JobRegistry()

# `examples` are what the demo page (and the API docs) suggest: one step a second, so a job runs
# long enough to press "Drop connection", reload or cancel while it runs. The defaults stay quick.
_INTERVAL = Field(
    default=100, ge=0, le=10_000, examples=[1000], description="Pause per step, milliseconds"
)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- percentage ---
class CountParams(_Params):
    # 80 one-second steps (the page's suggestion): under `make run` a worker chunk ends every
    # 20 s and hands the job to the next, and the stream reaches its 60 s deadline and resumes.
    n: int = Field(
        ge=1, le=10_000, examples=[80], description="How many steps (one progress event each)"
    )
    interval_ms: int = _INTERVAL


@DEMO_JOBS.job("demo.count", params=CountParams)
def count(ctx: JobContext[CountParams]) -> Iterator[None]:
    """Counts to n: one `progress` event per step (done, total), then `complete`."""
    n = ctx.params.n
    done: int = ctx.cursor or 0
    while done < n:
        ctx.sleep(ctx.params.interval_ms / 1000)
        done += 1
        ctx.progress(done, n)
        ctx.advance(done)
        yield
    ctx.complete({"count": n})


# --- weighted phases (written as a step function) ---
class PhasesParams(_Params):
    units_per_phase: int = Field(default=5, ge=1, le=1_000)
    interval_ms: int = _INTERVAL


_PHASES = {"download": 1.0, "process": 3.0, "upload": 1.0}


@DEMO_JOBS.job("demo.phases", params=PhasesParams, phases=_PHASES)
def phases(ctx: JobContext[PhasesParams]) -> None:
    """Three phases weighted 1:3:1; percent moves through them at their weights."""
    names = list(_PHASES)
    index, done = ctx.cursor or (0, 0)
    if index == len(names):
        ctx.complete({"phases": names})
        return
    units = ctx.params.units_per_phase
    ctx.phase(names[index])
    ctx.sleep(ctx.params.interval_ms / 1000)
    done += 1
    ctx.progress(done, units)
    ctx.advance((index + 1, 0) if done == units else (index, done))


# --- indeterminate ---
class LogsParams(_Params):
    lines: int = Field(default=10, ge=1, le=1_000)
    interval_ms: int = _INTERVAL


@DEMO_JOBS.job("demo.logs", params=LogsParams)
def logs(ctx: JobContext[LogsParams]) -> Iterator[None]:
    """Work of unknown size: log lines and progress without a total."""
    line: int = ctx.cursor or 0
    while line < ctx.params.lines:
        ctx.sleep(ctx.params.interval_ms / 1000)
        line += 1
        ctx.log(f"finished task {line}")
        ctx.progress(line)
        ctx.advance(line)
        yield
    ctx.complete({"lines": line})


# --- per-item results ---
class BatchParams(_Params):
    items: int = Field(default=20, ge=1, le=10_000, examples=[60])
    batch_size: int = Field(default=5, ge=1, le=100, description="Items per step")
    fail_every: int = Field(
        default=4, ge=0, le=10_000, description="Every k-th item fails; 0: none"
    )
    interval_ms: int = _INTERVAL


@DEMO_JOBS.job("demo.batch", params=BatchParams)
def batch(ctx: JobContext[BatchParams]) -> Iterator[None]:
    """Processes items in batches; each item succeeds or fails with a reason."""
    p = ctx.params
    done: int = ctx.cursor or 0
    while done < p.items:
        ctx.sleep(p.interval_ms / 1000)
        for number in range(done + 1, min(done + p.batch_size, p.items) + 1):
            if p.fail_every and number % p.fail_every == 0:
                ctx.item(f"item-{number}", ok=False, reason=f"item {number} is not valid")
            else:
                ctx.item(f"item-{number}", ok=True)
        done = min(done + p.batch_size, p.items)
        ctx.progress(done, p.items)
        ctx.advance(done)
        yield
    ctx.complete({"succeeded": ctx.succeeded, "failed": ctx.failed})


# --- failure ---
class FailParams(_Params):
    steps: int = Field(default=10, ge=1, le=1_000)
    fail_at: int = Field(default=5, ge=1, le=1_000, description="The step (1-based) that raises")
    fail_attempts: int | None = Field(
        default=None, ge=1, le=100, description="Attempts that fail at that step; null: all of them"
    )
    interval_ms: int = _INTERVAL

    @model_validator(mode="after")
    def _fail_within_steps(self) -> FailParams:
        if self.fail_at > self.steps:
            raise ValueError("fail_at must not exceed steps")
        return self


# What the demo's exception says; the tests check that it never reaches a client.
INTERNAL_FAILURE_DETAIL = "internal detail: connection to db-7.internal refused"


@DEMO_JOBS.job("demo.fail", params=FailParams)
def fail(ctx: JobContext[FailParams]) -> Iterator[None]:
    """Raises at step fail_at (its first fail_attempts attempts, or all): retries, then fails."""
    p = ctx.params
    done: int = ctx.cursor or 0
    while done < p.steps:
        ctx.sleep(p.interval_ms / 1000)
        step = done + 1
        if step == p.fail_at and (p.fail_attempts is None or ctx.attempt <= p.fail_attempts):
            raise RuntimeError(f"step {step} failed ({INTERNAL_FAILURE_DETAIL})")
        done = step
        ctx.progress(done, p.steps)
        ctx.advance(done)
        yield
    ctx.complete({"steps": done})


# --- inline text stream ---
_DEFAULT_TEXT = (
    "Server-Sent Events carry this text to you one chunk at a time, while the stream function "
    "that sends them is also the one producing them."
)


class TypewriterParams(_Params):
    text: str = Field(default=_DEFAULT_TEXT, min_length=1, max_length=4_000)
    chunk_chars: int = Field(default=8, ge=1, le=200)
    interval_ms: int = Field(default=50, ge=0, le=10_000, examples=[150])


@DEMO_JOBS.job("demo.typewriter", params=TypewriterParams, mode=JobMode.INLINE)
def typewriter(ctx: JobContext[TypewriterParams]) -> Iterator[None]:
    """Inline: streams a text chunk by chunk as `text` events {"delta", "offset"} plus progress."""
    text = ctx.params.text
    offset: int = ctx.cursor or 0
    while offset < len(text):
        ctx.sleep(ctx.params.interval_ms / 1000)
        delta = text[offset : offset + ctx.params.chunk_chars]
        ctx.emit("text", {"delta": delta, "offset": offset})
        offset += len(delta)
        ctx.progress(offset, len(text))
        ctx.advance(offset)
        yield
    ctx.complete({"chars": len(text)})


def registry() -> JobRegistry:
    """A fresh registry holding the demo job types (add your own to it freely)."""
    return JobRegistry(DEMO_JOBS)
