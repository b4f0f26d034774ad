"""The worker handler's metrics: one chunk (hop) per invocation, published when it returns."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from jobstream.clock import SYSTEM_CLOCK, Clock
from jobstream.observability.metrics import MetricName, MetricsSink

Event = TypeVar("Event")
Context = TypeVar("Context")
Reply = TypeVar("Reply", bound=Mapping[str, Any])
WorkerHandler = Callable[[Event, Context], Reply]

REJECTED = "rejected"


def observe_worker(
    sink: MetricsSink, *, clock: Clock = SYSTEM_CLOCK
) -> Callable[[WorkerHandler[Event, Context, Reply]], WorkerHandler[Event, Context, Reply]]:
    """Decorate ``handler(event, context) -> {"outcome", "steps", ...}``: record the chunk's
    duration and steps (or a rejected event), then publish everything recorded during the
    invocation (the store's appends included), also when the handler raises."""

    def decorate(
        handler: WorkerHandler[Event, Context, Reply],
    ) -> WorkerHandler[Event, Context, Reply]:
        @functools.wraps(handler)
        def wrapper(event: Event, context: Context) -> Reply:
            started = clock.monotonic()
            try:
                reply = handler(event, context)
                if reply.get("outcome") == REJECTED:
                    sink.count(MetricName.WORKER_EVENTS_REJECTED)
                else:
                    sink.count(MetricName.WORKER_HOPS)
                    sink.count(MetricName.CHUNK_STEPS, int(reply.get("steps") or 0))
                    sink.milliseconds(
                        MetricName.CHUNK_DURATION, (clock.monotonic() - started) * 1000
                    )
                return reply
            finally:
                sink.flush()

        return wrapper

    return decorate


def observe_durable_worker(
    sink: MetricsSink, *, clock: Clock = SYSTEM_CLOCK
) -> Callable[[Callable[[Event, Context], Any]], Callable[[Event, Context], Any]]:
    """The durable worker's decorator: each invocation of a durable execution (a run until its
    next wait or its end) counts as a worker hop with its duration, and everything recorded during
    it (the store's appends) is published when it returns or raises. Steps are not counted here:
    a replay re-runs the handler over finished steps, which would count them again."""

    def decorate(handler: Callable[[Event, Context], Any]) -> Callable[[Event, Context], Any]:
        @functools.wraps(handler)
        def wrapper(event: Event, context: Context) -> Any:
            started = clock.monotonic()
            try:
                reply = handler(event, context)
                sink.count(MetricName.WORKER_HOPS)
                sink.milliseconds(MetricName.CHUNK_DURATION, (clock.monotonic() - started) * 1000)
                return reply
            finally:
                sink.flush()

        return wrapper

    return decorate
