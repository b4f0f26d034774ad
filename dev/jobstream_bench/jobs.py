"""Job types for the bench only: a registry of the demo job types plus these.

Point ``Settings.job_registry`` at ``jobstream_bench.jobs:registry`` to run them (the bench does
so for the stacks it starts); the demo registry users see is left as it is.

``bench.ticks`` emits ``n`` events of type ``bench.tick``, one per step, each carrying its sequence
number and the wall-clock time it was emitted (``t``, epoch seconds), paced at ``rate`` events per
second (0: as fast as the driver goes), after ``start_delay_ms`` (time for a viewer to connect, so
that latency is measured on a stream that is already open). ``bench.ticks_inline`` is the same
job in inline mode (driven by the stream function while a viewer watches).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs.context import JobContext
from jobstream.jobs.registry import JobRegistry
from jobstream.store.models import JobMode

TICKS = "bench.ticks"
TICKS_INLINE = "bench.ticks_inline"
TICK_EVENT = "bench.tick"

BENCH_JOBS = JobRegistry()


class TicksParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int = Field(ge=1, le=1_000_000, description="Events to emit (one per step)")
    rate: float = Field(default=0, ge=0, le=1_000_000, description="Events/s; 0: no pause")
    start_delay_ms: int = Field(
        default=0, ge=0, le=60_000, description="Pause before the first event (a viewer connects)"
    )


def ticks(ctx: JobContext[TicksParams]) -> Iterator[None]:
    """``n`` bench.tick events {"seq", "t"}, one per step, then complete."""
    pause = 1 / ctx.params.rate if ctx.params.rate else 0.0
    seq: int = ctx.cursor or 0
    while seq < ctx.params.n:
        if seq == 0 and ctx.params.start_delay_ms:
            ctx.sleep(ctx.params.start_delay_ms / 1000)
        if pause:
            ctx.sleep(pause)
        seq += 1
        # time.time(), not the job's clock: latency is measured against the client's wall clock.
        ctx.emit(TICK_EVENT, {"seq": seq, "t": time.time()})
        ctx.advance(seq)
        yield
    ctx.complete({"n": seq})


BENCH_JOBS.job(TICKS, params=TicksParams)(ticks)
BENCH_JOBS.job(TICKS_INLINE, params=TicksParams, mode=JobMode.INLINE)(ticks)


def registry() -> JobRegistry:
    """The demo job types plus the bench's."""
    return JobRegistry([*demo_registry(), *BENCH_JOBS])
